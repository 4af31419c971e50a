#!/bin/bash
# cluster.vm_jobs: work across hosts. examples/master spreads its workers
# over three hosts (PvmTaskDefault, round-robin) and checks the total;
# cl_order gets 10,000 checksummed messages from a task on another host in
# order; pvm_tasks(0) and the console's ps -a see remote tasks; output of a
# remote task reaches the console that spawned it; kill of a remote tid
# works; contexts handed out on three hosts never collide; pvm_hostsync
# reads every host's clock. Usage: test_vm_jobs.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

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

vm_run h2 "$BIN/it_context" 6
echo "$out" | grep -q "all distinct" || vm_fail "it_context did not check"
echo "ok: contexts from tasks on three hosts never collide"

vm_run h3 "$BIN/it_hostsync"
echo "$out" | grep -q "OK: 3 host(s)" || vm_fail "it_hostsync did not see 3 hosts"
echo "ok: pvm_hostsync reads the clock of each of the three hosts"

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

# sleeps in namespace host H: how many.
sleeps_on() {
  local p n=0
  for p in $(ip netns pids "$(cluster_name "$1")" 2>/dev/null); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && n=$((n + 1))
  done
  echo "$n"
}
# A remote task's tid, from the console's spawn on h1.
spawn_on() {
  cluster_exec h1 "$BIN/pvm" -c "spawn -$1 /bin/sleep 60" 2>&1 |
    grep -x 't[0-9a-f]*' | head -1 || true
}

tid=$(spawn_on "$h3")
{ [ -n "$tid" ] && [ "$(sleeps_on h3)" = 1 ]; } || vm_fail "no sleep task on h3"
cluster_exec h2 "$BIN/pvm" -c "sig 15 $tid" >/dev/null || vm_fail "sig from h2"
for i in $(seq 50); do
  [ "$(sleeps_on h3)" = 0 ] && break
  sleep 0.1
done
[ "$(sleeps_on h3)" = 0 ] || vm_fail "sig 15 from h2 did not reach $tid on h3"
echo "ok: sig from the console reaches a task on another host"

for h in "$h1" "$h2" "$h3"; do
  [ -n "$(spawn_on "$h")" ] || vm_fail "spawn on $h"
done
cluster_exec h2 "$BIN/pvm" -c reset >/dev/null || vm_fail "reset from h2"
for i in $(seq 50); do
  [ "$(sleeps_on h1)$(sleeps_on h2)$(sleeps_on h3)" = 000 ] && break
  sleep 0.1
done
[ "$(sleeps_on h1)$(sleeps_on h2)$(sleeps_on h3)" = 000 ] ||
  vm_fail "reset left tasks running"
[ "$(vm_nhosts h1)" = 3 ] || vm_fail "reset changed the hosts"
echo "ok: reset from the console ends the tasks on every host, keeps the hosts"

# After the traffic, idle daemons sleep: their polling windows (after
# input, and the longer one after a message to another host) end with the
# traffic. Over 2 s without traffic each daemon uses under 100 ms of CPU.
sleep 0.5
before=$(vm_pvmd_cpu_ms)
sleep 2
after=$(vm_pvmd_cpu_ms)
busy=$(join <(sort <<<"$before") <(sort <<<"$after") |
  awk '$3 - $2 >= 100 { printf "pvmd %s used %d ms; ", $1, $3 - $2 }')
[ -z "$busy" ] || vm_fail "daemons kept polling without traffic: $busy"
[ "$(wc -l <<<"$after")" = 3 ] || vm_fail "expected 3 daemons, found: $after"
echo "ok: idle daemons sleep after the traffic"

vm_halt h1
echo "PASS"
