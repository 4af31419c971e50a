# The installed tree works for a user's own program (plain link line and
# pkg-config).
add_test(NAME integration.install
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_install.sh
                 ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR})
set_tests_properties(integration.install PROPERTIES TIMEOUT 120
                     LABELS integration)
