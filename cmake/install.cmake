# Installing: headers, the two libraries, the two programs, a CMake package and pkg-config files.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(pieces_allocations PROPERTIES EXPORT_NAME allocations)
set_target_properties(pieces_testing PROPERTIES EXPORT_NAME testing)
set(PIECES_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pieces_allocations)

install(DIRECTORY include/pieces TYPE INCLUDE)
install(TARGETS pieces_allocations pieces_testing pieces-os-emulator pieces-allocations
  EXPORT pieces_allocations_targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT pieces_allocations_targets NAMESPACE pieces:: FILE pieces_allocationsTargets.cmake
  DESTINATION ${PIECES_CMAKE_DIR})

# A build without TLS names no OpenSSL in its package.
if(PIECES_WITH_TLS)
  set(PIECES_FIND_TLS_DEPENDENCY "find_dependency(OpenSSL 1.1.1)")
else()
  set(PIECES_FIND_TLS_DEPENDENCY "")
endif()
configure_package_config_file(cmake/pieces_allocationsConfig.cmake.in
  ${PROJECT_BINARY_DIR}/pieces_allocationsConfig.cmake INSTALL_DESTINATION ${PIECES_CMAKE_DIR})
# 0.x: a new minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pieces_allocationsConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/pieces_allocationsConfig.cmake
              ${PROJECT_BINARY_DIR}/pieces_allocationsConfigVersion.cmake
  DESTINATION ${PIECES_CMAKE_DIR})

# Relocatable: the prefix is found from where the .pc file lies (cmake --install --prefix may move it).
file(RELATIVE_PATH PIECES_PC_UP "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
# The libraries this build linked, as the files it linked (their names differ by platform and packager),
# OpenSSL's only with TLS; then the platform's.
set(PIECES_PC_DEPENDENCIES "$<TARGET_LINKER_FILE:Boost::url> $<TARGET_LINKER_FILE:Boost::json>")
foreach(lib IN LISTS PIECES_TLS_LIBS)
  string(APPEND PIECES_PC_DEPENDENCIES " $<TARGET_LINKER_FILE:${lib}>")
endforeach()
string(APPEND PIECES_PC_DEPENDENCIES " -pthread")
foreach(lib IN LISTS PIECES_SYSTEM_LIBS)
  string(APPEND PIECES_PC_DEPENDENCIES " -l${lib}")
endforeach()
# The headers of the Boost this build used, when they are not where the compiler looks anyway: a consumer
# compiled against other Boost headers than the library would break the one-definition rule.
get_target_property(boost_includes Boost::headers INTERFACE_INCLUDE_DIRECTORIES)
list(FILTER boost_includes EXCLUDE REGEX "^(/usr|/usr/local)/include/?$")
set(PIECES_PC_INCLUDES "")
foreach(dir IN LISTS boost_includes)
  string(APPEND PIECES_PC_INCLUDES " -I${dir}")
endforeach()
foreach(pc pieces_allocations pieces_testing)
  configure_file(cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc.in @ONLY)
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/${pc}.pc INPUT ${PROJECT_BINARY_DIR}/${pc}.pc.in)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/pieces_allocations)
