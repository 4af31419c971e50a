# The message mailbox: flags and errors, owners that exit, waiting gets,
# PVM 3.3's insert/lookup/delete and PVM-NG's limits, one virtual machine per
# case. Included from tests/integration/CMakeLists.txt.
add_executable(it_mbox it_mbox.c)
target_link_libraries(it_mbox PRIVATE pvm3)
target_compile_definitions(it_mbox PRIVATE IT_PVMNG=1)
foreach(case flags owner wait insert limits)
  add_test(NAME integration.mbox.${case}
           COMMAND ${IT_VM} --timeout 50 ${IT_BINDIR} mbox.${case}
                   $<TARGET_FILE:it_mbox> ${case})
  set_tests_properties(integration.mbox.${case} PROPERTIES
    TIMEOUT 70 LABELS integration)
endforeach()
