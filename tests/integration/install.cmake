# The installed tree works for a user's own program (plain link line and
# pkg-config).
# In a sanitizer build the installed library needs the sanitizer runtime
# first in the user's program too.
if(PVMNG_SANITIZE)
  set(PVMNG_USER_CFLAGS "-fsanitize=address,undefined")
else()
  set(PVMNG_USER_CFLAGS "")
endif()
add_test(NAME integration.install
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_install.sh
                 ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR} "${PVMNG_USER_CFLAGS}")
set_tests_properties(integration.install PROPERTIES TIMEOUT 120
                     LABELS integration)

# A task of another user is refused by the daemon's credential check.
add_test(NAME integration.other_uid
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_other_uid.sh
                 ${CMAKE_RUNTIME_OUTPUT_DIRECTORY})
set_tests_properties(integration.other_uid PROPERTIES TIMEOUT 60
                     LABELS integration SKIP_RETURN_CODE 77)

# The daemon and two tasks under valgrind: no memory errors, no leaks, no
# descriptors left open. (Not in sanitizer builds: the two do not mix.)
if(NOT PVMNG_SANITIZE)
  add_test(NAME integration.valgrind
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_valgrind.sh
                   ${CMAKE_RUNTIME_OUTPUT_DIRECTORY})
  set_tests_properties(integration.valgrind PROPERTIES TIMEOUT 240
                       LABELS integration SKIP_RETURN_CODE 77)
endif()
