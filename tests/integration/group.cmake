# Groups and collectives (libgpvm3): semantics, barrier and freeze, a member
# killed inside collectives, and every reduction against a serial result.
add_executable(it_group it_group.c)
target_link_libraries(it_group PRIVATE gpvm3 pvm3)
add_executable(it_group_reduce it_group_reduce.c)
target_link_libraries(it_group_reduce PRIVATE gpvm3 pvm3)
foreach(case semantics barrier kill kill9)
  add_test(NAME integration.group.${case}
           COMMAND ${IT_VM} --timeout 70 ${IT_BINDIR} group.${case}
                   $<TARGET_FILE:it_group> ${case})
  set_tests_properties(integration.group.${case} PROPERTIES
    TIMEOUT 90 LABELS integration)
endforeach()
pvmng_integration_test(group_reduce TIMEOUT 240 ARGS 16)
