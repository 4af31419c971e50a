# Integration tests of tracing from the console (test_trace.sh): spawn -@
# and the trace command, and the timeline of pvm trace, each in its own
# virtual machine. The master/worker example is the traced program.
# Included from tests/integration/CMakeLists.txt.
foreach(case console timeline)
  add_test(NAME integration.trace.${case}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/test_trace.sh
                   $<TARGET_FILE:pvm> $<TARGET_FILE:pvmd>
                   $<TARGET_FILE:master> ${case})
  set_tests_properties(integration.trace.${case} PROPERTIES
                       TIMEOUT 180 SKIP_RETURN_CODE 77
                       LABELS "integration;console")
endforeach()
