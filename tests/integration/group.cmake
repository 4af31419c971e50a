# Groups and collectives (libgpvm3's calls, in libpvm3): semantics, barrier and freeze, a member
# killed inside collectives, and every reduction against a serial result.
add_executable(it_group it_group.c)
# pvmsec_base: rundir.h, the names of the VM's socket and shared-memory
# segments (libpvm3 does not export its copy).
target_link_libraries(it_group PRIVATE gpvm3 pvm3 pvmwire_base pvmsec_base)
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
# Members that call pvm_barrier(g, n) while others still join (the "join,
# spawn, barrier(N)" pattern of PVM programs), with shared memory and with
# messages only.
add_executable(it_join_barrier it_join_barrier.c)
target_link_libraries(it_join_barrier PRIVATE gpvm3 pvm3)
foreach(pattern self named mcast grow)
  add_test(NAME integration.join_barrier.${pattern}
           COMMAND ${IT_VM} --timeout 100 ${IT_BINDIR} join_barrier.${pattern}
                   $<TARGET_FILE:it_join_barrier> ${pattern} 20 5)
  set_tests_properties(integration.join_barrier.${pattern} PROPERTIES
    TIMEOUT 120 LABELS integration)
  add_test(NAME integration.join_barrier.${pattern}.messages
           COMMAND ${IT_VM} --timeout 100 ${IT_BINDIR} join_barrier.${pattern}.msg
                   $<TARGET_FILE:it_join_barrier> ${pattern} 20 5)
  set_tests_properties(integration.join_barrier.${pattern}.messages PROPERTIES
    TIMEOUT 120 LABELS integration ENVIRONMENT PVMNG_GROUP_SHM=0)
endforeach()
# The pvmng_* collectives while members join and one leaves, no barrier
# between (the registry's agreement on one view).
add_executable(it_join_coll it_join_coll.c)
target_link_libraries(it_join_coll PRIVATE gpvm3 pvm3)
pvmng_integration_test(join_coll TIMEOUT 120 ARGS 20 5)
