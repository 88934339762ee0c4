# The TLS tests' certificates, made into the build tree by OpenSSL's command-line tool (never installed):
# PIECES_TEST_CERTS_DIR, and the target pieces_test_certs that makes them.
if(NOT TARGET pieces_test_certs)
  set(PIECES_TEST_CERTS_DIR ${PROJECT_BINARY_DIR}/test/certs CACHE INTERNAL "")
  add_custom_command(OUTPUT ${PIECES_TEST_CERTS_DIR}/ca.pem
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/make_test_certs.sh ${PIECES_TEST_CERTS_DIR}
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/make_test_certs.sh
    COMMENT "Making the TLS test certificates")
  add_custom_target(pieces_test_certs ALL DEPENDS ${PIECES_TEST_CERTS_DIR}/ca.pem)
endif()
