# pvm_notify: task exit (kill -9 trials with the delay measured), cancel,
# hosts, and direct-route notifications.
add_executable(it_notify it_notify.c)
target_link_libraries(it_notify PRIVATE pvm3)
pvmng_integration_test(notify TIMEOUT 120)
