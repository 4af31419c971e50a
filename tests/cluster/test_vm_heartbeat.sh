#!/bin/bash
# cluster.vm_heartbeat: a host whose link goes silent without a FIN (its
# port on the bridge taken down) is declared deleted within the dead-host
# timeout (PVMNG_DEAD_MS, 1500 ms here as in CI), a task that asked gets
# PvmHostDelete, and the other hosts stay (no false positive while they are
# quiet for several heartbeat intervals). A daemon paused (SIGSTOP) past the
# timeout is deleted too, and stops when it resumes. After each fault the
# surviving hosts exchange 10,000 checksummed messages (cl_order), none lost.
# Usage: test_vm_heartbeat.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 4
h1=$(cluster_name h1) h3=$(cluster_name h3)
h4=$(cluster_name h4)
export PVMNG_DEAD_MS=1500

vm_up h1 h2 h3 h4
sleep 4 # quiet for several heartbeat intervals: nothing may be declared dead
[ "$(vm_nhosts h1)" = 4 ] || vm_fail "a quiet host was declared dead"
echo "ok: 4 hosts after 4 s of quiet"

vm_watch_down h2 4000 cluster_link_down h2
vm_wait_hosts h1 3
echo "ok: the other hosts stay"
cluster_exec h1 "$BIN/cl_order" "$h3" >/dev/null || vm_fail "cl_order h1 <- h3 after the link went"
cluster_exec h4 "$BIN/cl_order" "$h3" >/dev/null ||
  vm_fail "cl_order h4 <- h3 (through the master) after the link went"
echo "ok: the survivors exchange 10,000 checksummed messages, twice"

# A daemon paused past the timeout is deleted; resumed, it finds its link
# gone and stops (it fences itself) instead of coming back.
paused=$(vm_pvmd_on h3) || vm_fail "no pvmd on h3"
vm_watch_down h3 4000 kill -STOP "$paused"
vm_wait_hosts h1 2
kill -CONT "$paused"
for _ in $(seq 100); do
  kill -0 "$paused" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$paused" 2>/dev/null && vm_fail "the resumed daemon is still running"
sleep 1
[ "$(vm_nhosts h1)" = 2 ] || vm_fail "the paused host came back"
echo "ok: a daemon paused past the timeout is deleted and stops when resumed"
cluster_exec h1 "$BIN/cl_order" "$h4" >/dev/null || vm_fail "cl_order h1 <- h4 after the pause"
cluster_exec h4 "$BIN/cl_order" "$h1" >/dev/null || vm_fail "cl_order h4 <- h1 after the pause"
echo "ok: the survivors exchange 10,000 checksummed messages both ways"
vm_halt h1
echo "PASS: a silent host is detected by heartbeats"
