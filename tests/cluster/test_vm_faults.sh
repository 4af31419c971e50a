#!/bin/bash
# cluster.vm_faults: a daemon killed with -9 closes its TCP link, which the
# master cannot tell from a reset: it waits for the host to reconnect for
# the dead-host timeout (PVMNG_DEAD_MS, 1500 ms here), then deletes it and a
# watcher gets PvmHostDelete, while the other hosts carry on and exchange
# 10,000 checksummed messages without loss. Then the master is killed with
# -9: every other daemon, failing to reconnect for the timeout, shuts its
# part down, and no pvmd and no task is left in any namespace.
# Usage: test_vm_faults.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h2=$(cluster_name h2) h3=$(cluster_name h3)
export PVMNG_DEAD_MS=1500

vm_up h1 h2 h3
old_tid=$(vm_host_tid h2)
victim=$(vm_pvmd_on h2) || vm_fail "no pvmd on h2"
vm_watch_down h2 3000 kill -9 "$victim"
vm_wait_hosts h1 2
cluster_exec h1 "$BIN/cl_order" "$h3" >/dev/null || vm_fail "cl_order h1 <- h3 after the kill"
cluster_exec h3 "$BIN/cl_order" "$(cluster_name h1)" >/dev/null ||
  vm_fail "cl_order h3 <- h1 after the kill"
echo "ok: kill -9 of a daemon: host deleted, the others carry on"

# Added again, the host is a new host: its old tids name nothing.
t0=$(date +%s%N)
cluster_exec h1 "$BIN/pvm" -c "add $h2" >/dev/null
vm_wait_hosts h1 3
ms=$((($(date +%s%N) - t0) / 1000000))
new_tid=$(vm_host_tid h2)
{ [ -n "$new_tid" ] && [ "$new_tid" != "$old_tid" ]; } ||
  vm_fail "host h2 came back as t$old_tid, its old identity"
echo "ok: h2 added again as t$new_tid (it was t$old_tid) in $ms ms"
cluster_exec h3 "$BIN/cl_order" "$h2" >/dev/null || vm_fail "cl_order h3 <- h2 after the re-add"
echo "ok: the re-added host exchanges 10,000 checksummed messages"

# A task on h3, then the master dies.
cluster_exec h1 "$BIN/pvm" -c "spawn -$h3 /bin/sleep 60" >/dev/null
sleeping=0
for p in $(ip netns pids "$(cluster_name h3)" 2>/dev/null); do
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && sleeping=1
done
[ "$sleeping" = 1 ] || vm_fail "the task on h3 did not start"
master=$(vm_pvmd_on h1) || vm_fail "no pvmd on h1"
t0=$(date +%s%N)
kill -9 "$master"
for _ in $(seq 100); do
  [ "$(vm_pvmds)" = 0 ] && break
  sleep 0.1
done
echo "master killed: the last other daemon was gone after $((($(date +%s%N) - t0) / 1000000)) ms"

[ "$(vm_pvmds)" = 0 ] || vm_fail "$(vm_pvmds) pvmd left after the master died"
for p in $(ip netns pids "$(cluster_name h3)" 2>/dev/null); do
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] &&
    vm_fail "a task of the dead virtual machine is still running on h3"
done
echo "ok: master killed: the other daemons and their tasks are gone"
echo "PASS: daemon and master failures"
