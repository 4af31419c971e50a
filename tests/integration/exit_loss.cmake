# No message lost when a task ends without pvm_exit: 100 children that send
# one int and then return, exit, _exit, abort or are killed, through the
# daemon and over direct links, and with the parent writing to them while
# they end (--flood); each exit notification comes after the child's
# message, and no child leaves its socket file. A few rounds each here;
# `it_exit_loss all 100 100 daemon --count` (under vm.sh) measures more.
add_executable(it_exit_loss it_exit_loss.c)
target_link_libraries(it_exit_loss PRIVATE pvm3)
pvmng_integration_test(exit_loss TIMEOUT 180 ARGS all 3 100 daemon)
foreach(v direct flood direct_flood)
  set(route daemon)
  set(extra)
  if(v MATCHES "direct")
    set(route direct)
  endif()
  if(v MATCHES "flood")
    set(extra --flood)
  endif()
  add_test(NAME integration.exit_loss_${v}
           COMMAND ${IT_VM} --timeout 160 ${IT_BINDIR} exit_loss_${v}
                   $<TARGET_FILE:it_exit_loss> all 2 100 ${route} ${extra})
  set_tests_properties(integration.exit_loss_${v} PROPERTIES
    TIMEOUT 180 LABELS integration)
endforeach()
