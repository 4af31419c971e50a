# The daemon's memory budget, out of memory, and a dead sender's partial
# message (it_budget.c). Each case starts its daemon with the limits it
# needs in the environment ($PVMNG_MEM_BUDGET, $PVMNG_QUEUE_MAX).
add_executable(it_budget it_budget.c)
target_link_libraries(it_budget PRIVATE pvm3)
# Two senders of 200,000 messages each to sleeping receivers, under a
# 4 MiB budget: the daemon's peak stays within 16 MiB of its size before
# (without the budget, about 120 MB); all arrive, in order.
# Then 1 pair of 300,000 under a 48 MiB budget: after the drain the daemon
# gives the memory back (within 12 MiB of its size before).
# The out-of-memory case needs malloc to fail: under AddressSanitizer a
# failed allocation ends the process, so that build leaves it out (and
# reports, without checking, the memory figures of the others).
# A receiver that never receives while its sender sends 2 GiB (2,048
# messages of 1 MiB): after 3 s the sender is still blocked in pvm_send (not
# failed) and the daemon holds about the 64 MiB queue limit (peak within
# 96 MiB of its size before); then the receiver wakes and gets all 2,048,
# in order (about 70 MB peak, 6 s in all, on the 2-core machine).
set(budget_cases
    "bound|4M|64M|flood 200000 2 --sleep 500 --peak-mb 16"
    "2g|1G|64M|flood 2048 1 --size-kib 1024 --sleep 3000 --stalled --peak-mb 96"
    "drain|48M|64M|flood 300000 1 --empty --sleep 500 --after-mb 12"
    "partial|256M|40M|partial")
if(NOT PVMNG_SANITIZE)
  list(APPEND budget_cases "oom|1G|64M|oom 600000 --room-mb 24")
endif()
foreach(c ${budget_cases})
  string(REPLACE "|" ";" f "${c}")
  list(GET f 0 name)
  list(GET f 1 budget)
  list(GET f 2 qmax)
  list(GET f 3 args)
  separate_arguments(args UNIX_COMMAND "${args}")
  add_test(NAME integration.budget_${name}
           COMMAND ${CMAKE_COMMAND} -E env PVMNG_MEM_BUDGET=${budget}
                   PVMNG_QUEUE_MAX=${qmax}
                   ${IT_VM} --timeout 100 ${IT_BINDIR} budget_${name}
                   $<TARGET_FILE:it_budget> ${args})
  set_tests_properties(integration.budget_${name} PROPERTIES
    TIMEOUT 120 LABELS integration)
endforeach()

# Descriptors: the daemon, started with a soft limit of 256 under a higher
# hard one, raises it; then under a limit of 160 (soft and hard), 2,000
# connections that never say hello (the excess refused, one warning in the
# log, existing tasks answering) and a spawn of 100 tasks (every tid
# reported runs, the rest PvmOutOfRes).
add_executable(it_fdlimit it_fdlimit.c)
target_link_libraries(it_fdlimit PRIVATE pvm3)
add_test(NAME integration.fdlimit
         COMMAND prlimit --nofile=256: ${IT_VM} --timeout 150 ${IT_BINDIR}
                 fdlimit $<TARGET_FILE:it_fdlimit> 160 2000 100)
set_tests_properties(integration.fdlimit PROPERTIES
  TIMEOUT 180 LABELS integration)
