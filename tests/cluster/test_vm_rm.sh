#!/bin/bash
# cluster.vm_rm: pvm_reg_rm across hosts. A resource manager on the master
# (cl_rm, which answers by making the same calls itself and starts tasks
# with SM_EXEC) decides the requests of the tasks of every host: the
# console's conf, ps, add, spawn and delete on its host and on the others
# (h3 joins after the RM registered and learns of it) come to it; a spawn
# asked on h2 is carried out by SM_EXEC to h2's daemon, which answers
# SM_EXECACK and, when the task exits, SM_TASKX; when a host leaves, the RM
# hears SM_HOSTX with its daemon tid; when the RM leaves with h2's request
# unanswered, the daemons serve that request and every later one; an RM
# registered on h2 then decides the requests of h1's tasks.
# Usage: test_vm_rm.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h1=$(cluster_name h1)
h2=$(cluster_name h2)
h3=$(cluster_name h3)
vm_up h1
cd "$BIN"
vm_run h1 "$BIN/pvm" -c "add $h2"
vm_wait_hosts h1 2

rmout=$CLUSTER_TMP/rm.out
cluster_spawn h1 "$BIN/cl_rm" "$CLUSTER_TMP/rm.leave" >"$rmout" 2>&1
for _ in $(seq 100); do
  grep -q "pvm_reg_rm returned" "$rmout" && break
  sleep 0.1
done
grep -q "pvm_reg_rm returned 0" "$rmout" ||
  { cat "$rmout"; vm_fail "the RM did not register"; }

# A line of the RM's output appears within 10 s, or the test fails.
rm_wait() {
  for _ in $(seq 100); do
    grep -Eq "$1" "$rmout" && return 0
    sleep 0.1
  done
  cat "$rmout"
  vm_fail "$2"
}

vm_run h1 "$BIN/pvm" -c conf
echo "$out" | grep -q "^2 hosts" || vm_fail "conf through the RM does not show 2 hosts"
grep -q "cl_rm: SM_CONFIG from t4" "$rmout" || vm_fail "conf on the RM's host did not reach the RM"
vm_run h1 "$BIN/pvm" -c ps
echo "$out" | grep -Eq ' [0-9a-f]+/[a-zA-Z]*R ' || vm_fail "ps does not flag the RM with R"
grep -q "cl_rm: SM_TASK from t4" "$rmout" || vm_fail "ps did not reach the RM"
echo "ok: conf and ps on the RM's host answered by the RM (R flag)"

# Another host's tasks: their requests travel to the RM's daemon.
vm_run h2 "$BIN/pvm" -c conf
echo "$out" | grep -q "^2 hosts" || vm_fail "conf on $h2 does not show 2 hosts"
grep -q "cl_rm: SM_CONFIG from t8" "$rmout" || vm_fail "conf on $h2 did not reach the RM"
vm_run h2 "$BIN/pvm" -c "ps -a"
echo "$out" | grep -Eq ' [0-9a-f]+/[a-zA-Z]*R ' || vm_fail "ps on $h2 does not flag the RM with R"
grep -q "cl_rm: SM_TASK from t8" "$rmout" || vm_fail "ps on $h2 did not reach the RM"
echo "ok: conf and ps on $h2 answered by the RM on the master"

# A host added after the RM registered learns of it.
vm_run h1 "$BIN/pvm" -c "add $h3"
grep -q "cl_rm: SM_ADDHOST from t4" "$rmout" || vm_fail "add did not reach the RM"
vm_wait_hosts h1 3
vm_run h3 "$BIN/pvm" -c conf
grep -q "cl_rm: SM_CONFIG from tc" "$rmout" || vm_fail "conf on $h3 (joined after the RM) did not reach the RM"
echo "ok: add through the RM; $h3, joining later, sends its requests to the RM"

# A spawn asked on h2: the RM has h2's daemon start it (SM_EXEC there).
vm_run h2 "$BIN/pvm" -c "spawn /bin/sleep 1"
echo "$out" | grep -q "^1 successful" || vm_fail "spawn on $h2 through the RM failed"
grep -q "cl_rm: SM_SPAWN from t8" "$rmout" || vm_fail "spawn on $h2 did not reach the RM"
rm_wait "cl_rm: SM_EXEC to t80000 started t8[0-9a-f]{4}$" "SM_EXEC to $h2's daemon started no task there"
kid=$(sed -n 's/^cl_rm: SM_EXEC to t80000 started \(t8[0-9a-f]*\)$/\1/p' "$rmout" | head -1)
echo "$out" | grep -q "$kid" || vm_fail "the console on $h2 was not told $kid"
rm_wait "cl_rm: SM_TASKX $kid\$" "the RM heard no SM_TASKX for $kid from $h2's daemon"
echo "ok: spawn on $h2 through the RM: SM_EXEC to its daemon started $kid, SM_TASKX came back"

vm_run h1 "$BIN/pvm" -c "delete $h3"
vm_wait_hosts h1 2
grep -q "cl_rm: SM_DELHOST from" "$rmout" || vm_fail "delete did not reach the RM"
rm_wait "cl_rm: SM_HOSTX tc0000" "the RM did not hear SM_HOSTX for $h3"
echo "ok: delete through the RM; it hears SM_HOSTX tc0000"

# The RM leaves with h2's conf unanswered: h1's daemon serves it for the
# whole VM, and every host's daemons answer again.
touch "$CLUSTER_TMP/rm.leave"
vm_run h2 "$BIN/pvm" -c conf
echo "$out" | grep -q "^2 hosts" || vm_fail "conf on $h2 that the RM left unanswered does not show 2 hosts"
grep -q "cl_rm: leaving with the SM_CONFIG of t8" "$rmout" || vm_fail "the RM did not leave on $h2's conf"
n=$(grep -c "SM_CONFIG from" "$rmout")
vm_run h2 "$BIN/pvm" -c conf
echo "$out" | grep -q "^2 hosts" || vm_fail "conf on $h2 after the RM left does not show 2 hosts"
vm_run h2 "$BIN/pvm" -c "spawn -$h1 /bin/sleep 1"
echo "$out" | grep -q "^1 successful" || vm_fail "spawn on $h2 after the RM left failed"
[ "$(grep -c "SM_CONFIG from" "$rmout")" = "$n" ] || vm_fail "conf on $h2 still went to the RM"
vm_run h2 "$BIN/pvm" -c "ps -a"
echo "$out" | grep -Eq ' [0-9a-f]+/[a-zA-Z]*R ' && vm_fail "ps on $h2 still flags an RM"
grep -q "the virtual machine's resource manager left" "$(vm_log h2)" ||
  vm_fail "$h2's daemon was not told that the RM left"
echo "ok: after the RM left, $h2's console is served by the daemons"

# An RM on a slave: its daemon tells the master, which tells the others;
# the master's own tasks then ask it.
rmout=$CLUSTER_TMP/rm2.out
cluster_spawn h2 "$BIN/cl_rm" >"$rmout" 2>&1
rm_wait "pvm_reg_rm returned 0" "the RM on $h2 did not register"
grep -q "t8[0-9a-f]* (host $h2) is the virtual machine's resource manager" "$(vm_log h1)" ||
  vm_fail "the master was not told of the RM on $h2"
vm_run h1 "$BIN/pvm" -c conf
echo "$out" | grep -q "^2 hosts" || vm_fail "conf on $h1 through the RM on $h2 does not show 2 hosts"
grep -q "cl_rm: SM_CONFIG from t4" "$rmout" || vm_fail "conf on $h1 did not reach the RM on $h2"
echo "ok: an RM on $h2 decides the master's tasks' requests"

vm_halt h1
echo "PASS"
