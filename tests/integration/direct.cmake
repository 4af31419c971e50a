# Direct task-to-task routes: switch, refusal, break and race; on one host
# through shared memory (the default), and again over the links' Unix
# sockets with shared memory turned off.
add_executable(it_direct it_direct.c)
target_link_libraries(it_direct PRIVATE pvm3)
pvmng_integration_test(direct TIMEOUT 120)
add_test(NAME integration.direct_socket
         COMMAND ${IT_VM} --timeout 100 ${IT_BINDIR} direct_socket
                 $<TARGET_FILE:it_direct>)
set_tests_properties(integration.direct_socket PROPERTIES
  TIMEOUT 120 LABELS integration ENVIRONMENT PVMNG_SHM=0)
# Shared memory on one host: order of random sizes, killed peers, a full
# ring, no segment left behind.
add_executable(it_shm it_shm.c)
target_link_libraries(it_shm PRIVATE pvm3)
pvmng_integration_test(shm TIMEOUT 240)
# (Case 6, the default route over shared memory, is opt-in for now.)
set_tests_properties(integration.shm PROPERTIES
  ENVIRONMENT PVMNG_SHM_DEFAULT=1)
