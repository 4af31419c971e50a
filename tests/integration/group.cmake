# Groups and collectives (libgpvm3's calls, in libpvm3): semantics, barrier and freeze, a member
# killed inside collectives, and every reduction against a serial result.
add_executable(it_group it_group.c)
# pvmwire_base: rundir.h, the names of the VM's socket and shared-memory
# segments (libpvm3 does not export its copy).
target_link_libraries(it_group PRIVATE gpvm3 pvm3 pvmwire_base)
add_executable(it_group_reduce it_group_reduce.c)
target_link_libraries(it_group_reduce PRIVATE gpvm3 pvm3)
foreach(case semantics barrier kill kill9 shm)
  add_test(NAME integration.group.${case}
           COMMAND ${IT_VM} --timeout 70 ${IT_BINDIR} group.${case}
                   $<TARGET_FILE:it_group> ${case})
  set_tests_properties(integration.group.${case} PROPERTIES
    TIMEOUT 90 LABELS integration)
endforeach()
# The same barrier cases with the shared-memory barrier turned off in every
# task (messages only, as between hosts).
foreach(case barrier kill)
  add_test(NAME integration.group.${case}.messages
           COMMAND ${IT_VM} --timeout 70 ${IT_BINDIR} group.${case}.msg
                   $<TARGET_FILE:it_group> ${case})
  set_tests_properties(integration.group.${case}.messages PROPERTIES
    TIMEOUT 90 LABELS integration ENVIRONMENT PVMNG_GROUP_SHM=0)
endforeach()
pvmng_integration_test(group_reduce TIMEOUT 240 ARGS 16)
