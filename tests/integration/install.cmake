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

# The Debian package (cpack -G DEB): installs under /opt/pvm-ng beside
# Debian's PVM, runs an example, removes cleanly. Not from a sanitizer
# build (its libraries would need the sanitizer runtime).
if(NOT PVMNG_SANITIZE)
  add_test(NAME integration.deb
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_deb.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(integration.deb PROPERTIES TIMEOUT 240
                       LABELS "integration;package" SKIP_RETURN_CODE 77
                       RUN_SERIAL TRUE)
endif()

# The systemd units: systemd-analyze verify, and their ExecStart run by hand.
add_test(NAME integration.systemd
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_systemd.sh ${CMAKE_BINARY_DIR})
set_tests_properties(integration.systemd PROPERTIES TIMEOUT 60
                     LABELS integration SKIP_RETURN_CODE 77)
