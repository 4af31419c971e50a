# Integration tests of the console (`pvm`): one ctest entry per case of
# test_console.sh, each in its own virtual machine that the console starts.
# Included from tests/integration/CMakeLists.txt.
set(PVMNG_CONSOLE_CASES
    conf id spawn_output spawn_file spawn_missing ps_kill misc halt unknown
    stdin
    json interactive editing reset groups mbox tour)
# A task that asks to survive resets (PvmNoReset), for the reset case.
add_executable(it_noreset it_noreset.c)
target_link_libraries(it_noreset PRIVATE pvm3)
# A task that joins a group and waits, for the groups case.
add_executable(it_joiner it_joiner.c)
target_link_libraries(it_joiner PRIVATE gpvm3 pvm3)
foreach(case IN LISTS PVMNG_CONSOLE_CASES)
  add_test(NAME integration.console.${case}
           COMMAND env IT_NORESET=$<TARGET_FILE:it_noreset>
                   IT_JOINER=$<TARGET_FILE:it_joiner>
                   ${CMAKE_CURRENT_LIST_DIR}/test_console.sh
                   $<TARGET_FILE:pvm> $<TARGET_FILE:pvmd> ${case})
  set_tests_properties(integration.console.${case} PROPERTIES
                       TIMEOUT 240 SKIP_RETURN_CODE 77
                       LABELS "integration;console")
endforeach()
