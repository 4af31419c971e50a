# Direct task-to-task routes: switch, refusal, break and race.
add_executable(it_direct it_direct.c)
target_link_libraries(it_direct PRIVATE pvm3)
pvmng_integration_test(direct TIMEOUT 120)
