# The API reference (Doxygen, HTML): `cmake --build --preset default --target docs`. Any warning, such as an
# undocumented public member, fails it.
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(PIECES_DOCS_DIR ${PROJECT_BINARY_DIR}/docs)
  configure_file(docs/Doxyfile.in ${PROJECT_BINARY_DIR}/Doxyfile @ONLY)
  add_custom_target(docs COMMAND Doxygen::doxygen ${PROJECT_BINARY_DIR}/Doxyfile
    COMMENT "API reference: ${PIECES_DOCS_DIR}/html/index.html" VERBATIM)
endif()
