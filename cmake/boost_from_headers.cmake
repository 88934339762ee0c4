# Boost for a cross build whose target has no Boost libraries: the build host's Boost headers (1.81 to 1.89;
# set PIECES_HOST_boost_INCLUDE_DIR for another tree) as Boost::headers, and Boost.JSON and Boost.URL compiled
# from their own sources (boost/json/src.hpp, boost/url/src.hpp) into static libraries of this build.
# Boost.URL 1.90 dropped its header-only mode (its src.hpp is an #error), so those need an installed Boost.
include(${CMAKE_CURRENT_LIST_DIR}/host_headers.cmake)
pieces_host_headers(boost_dir boost/version.hpp boost "${BOOST_ROOT}/include")

file(STRINGS ${boost_dir_FROM}/boost/version.hpp boost_version_line REGEX "^#define BOOST_VERSION [0-9]+")
string(REGEX REPLACE ".* ([0-9]+)$" "\\1" boost_version "${boost_version_line}")
if(boost_version LESS 108100 OR boost_version GREATER_EQUAL 109000)
  message(FATAL_ERROR "Boost headers in ${boost_dir_FROM} are version ${boost_version}: compiling Boost.JSON and "
    "Boost.URL from headers needs 1.81 to 1.89; give an installed Boost for the target (Boost_DIR) instead")
endif()
message(STATUS "Boost ${boost_version} headers from ${boost_dir_FROM}; Boost.JSON and Boost.URL compiled here")
if(PIECES_INSTALL)
  message(STATUS "No install rules: the Boost.JSON and Boost.URL compiled here are not installed "
    "(give an installed Boost for the target, Boost_DIR, to install)")
  set(PIECES_INSTALL OFF)
endif()

add_library(Boost::headers INTERFACE IMPORTED)
set_target_properties(Boost::headers PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${boost_dir})
foreach(lib json url)
  set(src ${PROJECT_BINARY_DIR}/host_headers/boost_${lib}.cpp)
  file(CONFIGURE OUTPUT ${src} CONTENT "#include <boost/${lib}/src.hpp>\n")
  add_library(pieces_boost_${lib} STATIC ${src})
  target_link_libraries(pieces_boost_${lib} PUBLIC Boost::headers)
  target_compile_features(pieces_boost_${lib} PUBLIC cxx_std_20)
  add_library(Boost::${lib} ALIAS pieces_boost_${lib})
endforeach()
target_link_libraries(pieces_boost_url PUBLIC pieces_boost_json)
