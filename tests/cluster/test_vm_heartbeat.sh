#!/bin/bash
# cluster.vm_heartbeat: a host whose link goes silent without a FIN (its
# port on the bridge taken down) is declared deleted within the dead-host
# timeout (PVMNG_DEAD_MS, 1500 ms here as in CI), a task that asked gets
# PvmHostDelete, and the other hosts stay (no false positive while they are
# quiet for several heartbeat intervals). A daemon paused (SIGSTOP) past the
# timeout is deleted too, and stops when it resumes.
# Usage: test_vm_heartbeat.sh <bin dir>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$(readlink -f "${1:?usage: $0 <bin dir>}")
# shellcheck source=netns.sh
source "$here/netns.sh"
# shellcheck source=vm.sh
source "$here/vm.sh"

cluster_on_exit() { [ "$1" -eq 0 ] || vm_logs; }
cluster_up 3
h2=$(cluster_name h2)
export PVMNG_DEAD_MS=1500

vm_up h1 h2 h3
sleep 4 # quiet for several heartbeat intervals: nothing may be declared dead
[ "$(vm_nhosts h1)" = 3 ] || vm_fail "a quiet host was declared dead"
echo "ok: 3 hosts after 4 s of quiet"

ready=$CLUSTER_TMP/ready down=$CLUSTER_TMP/down
cluster_exec h1 "$BIN/cl_hostdown" "$h2" "$ready" "$down" 4000 \
  >"$CLUSTER_TMP/hostdown.out" 2>&1 &
watcher=$!
for _ in $(seq 100); do
  [ -e "$ready" ] && break
  sleep 0.1
done
[ -e "$ready" ] || vm_fail "cl_hostdown did not start"
cluster_link_down h2
touch "$down"
rc=0
wait "$watcher" || rc=$?
cat "$CLUSTER_TMP/hostdown.out"
[ "$rc" -eq 0 ] || vm_fail "the silent host was not declared deleted in time"
vm_wait_hosts h1 2
echo "ok: the other hosts stay"

# A daemon paused past the timeout is deleted; resumed, it finds its link
# gone and stops (it fences itself) instead of coming back.
paused=$(vm_pvmd_on h3) || vm_fail "no pvmd on h3"
kill -STOP "$paused"
vm_wait_hosts h1 1
kill -CONT "$paused"
for _ in $(seq 100); do
  kill -0 "$paused" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$paused" 2>/dev/null && vm_fail "the resumed daemon is still running"
sleep 1
[ "$(vm_nhosts h1)" = 1 ] || vm_fail "the paused host came back"
echo "ok: a daemon paused past the timeout is deleted and stops when resumed"
vm_halt h1
echo "PASS: a silent host is detected by heartbeats"
