#!/bin/bash
# cluster.vm_jobs: work across hosts. examples/master spreads its workers
# over three hosts (PvmTaskDefault, round-robin) and checks the total;
# cl_order gets 10,000 checksummed messages from a task on another host in
# order; pvm_tasks(0) and the console's ps -a see remote tasks; output of a
# remote task reaches the console that spawned it; kill of a remote tid
# works. Usage: test_vm_jobs.sh <bin dir>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$(readlink -f "${1:?usage: $0 <bin dir>}")
# shellcheck source=netns.sh
source "$here/netns.sh"
# shellcheck source=vm.sh
source "$here/vm.sh"

cluster_on_exit() { [ "$1" -eq 0 ] || vm_logs; }
cluster_up 3
h1=$(cluster_name h1) h2=$(cluster_name h2) h3=$(cluster_name h3)
vm_up h1 h2 h3
cd "$BIN"

out=$(cluster_exec h2 "$BIN/master" 6 200000 "$BIN/worker")
echo "$out"
echo "$out" | grep -q "OK$" || vm_fail "master/worker result"
for h in "$h1" "$h2" "$h3"; do
  echo "$out" | grep -q "on $h:" || vm_fail "no worker ran on $h"
done
echo "ok: master/worker with workers on all three hosts"

cluster_exec h1 "$BIN/cl_order" "$h3" || vm_fail "cl_order h1 <- h3"
cluster_exec h2 "$BIN/cl_order" "$h3" || vm_fail "cl_order h2 <- h3 (through the master)"
echo "ok: 10,000 messages in order, intact, between hosts (direct and relayed)"

out=$(cluster_exec h1 "$BIN/pvm" -c "spawn -$h3 -> /bin/hostname" 2>&1) || true
echo "$out"
echo "$out" | grep -q "$h3" || vm_fail "no output from the task on $h3"
echo "ok: output of a remote task reaches the console"

out=$(cluster_exec h1 "$BIN/pvm" -c "spawn -$h2 $BIN/pingpong -s 4 -S 4 -n 1000000 -R 1000" 2>&1) || true
echo "$out"
tid=$(echo "$out" | grep -o 't[0-9a-f]*' | grep -v "^t40" | head -1 || true)
[ -n "$tid" ] || vm_fail "no remote tid from spawn"
ps=$(cluster_exec h3 "$BIN/pvm" -c "ps -a")
echo "$ps"
echo "$ps" | grep -q "${tid#t}" || vm_fail "ps -a on h3 does not list $tid"
echo "ok: ps -a on another host lists the remote task"
cluster_exec h3 "$BIN/pvm" -c "kill $tid" || true
for i in $(seq 50); do
  cluster_exec h1 "$BIN/pvm" -c "ps -a" | grep -q "${tid#t}" || break
  sleep 0.2
done
cluster_exec h1 "$BIN/pvm" -c "ps -a" | grep -q "${tid#t}" && vm_fail "kill $tid from a third host"
echo "ok: kill of a remote tid"

vm_halt h1
echo "PASS"
