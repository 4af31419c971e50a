# Errors at the limits: an argument over exec's limit, a message over
# 1 GiB, and spawns with the daemon out of descriptors (hard limit 64).
add_executable(it_spawn_limits it_spawn_limits.c)
target_link_libraries(it_spawn_limits PRIVATE pvm3)
add_test(NAME integration.spawn_limits
         COMMAND sh -c "ulimit -n 64 && exec \"$0\" \"$@\"" ${IT_VM}
                 --timeout 100 ${IT_BINDIR} spawn_limits
                 $<TARGET_FILE:it_spawn_limits>)
set_tests_properties(integration.spawn_limits PROPERTIES
  TIMEOUT 120 LABELS integration)
