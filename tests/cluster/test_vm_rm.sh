#!/bin/bash
# cluster.vm_rm: pvm_reg_rm across hosts. A resource manager on the master
# (cl_rm, which answers by making the same calls itself) decides the
# requests of its host's tasks: the console's conf, ps (the RM flagged R)
# and delete come to it; a console on the other host is answered by its own
# daemon; when a host leaves, the RM hears SM_HOSTX with its daemon tid.
# Usage: test_vm_rm.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 2
h2=$(cluster_name h2)
vm_up h1
cd "$BIN"
vm_run h1 "$BIN/pvm" -c "add $h2"
vm_wait_hosts h1 2

cluster_spawn h1 "$BIN/cl_rm" >"$CLUSTER_TMP/rm.out" 2>&1
for _ in $(seq 100); do
  grep -q "pvm_reg_rm returned" "$CLUSTER_TMP/rm.out" && break
  sleep 0.1
done
grep -q "pvm_reg_rm returned 0" "$CLUSTER_TMP/rm.out" ||
  { cat "$CLUSTER_TMP/rm.out"; vm_fail "the RM did not register"; }

vm_run h1 "$BIN/pvm" -c conf
echo "$out" | grep -q "^2 hosts" || vm_fail "conf through the RM does not show 2 hosts"
grep -q "cl_rm: SM_CONFIG from" "$CLUSTER_TMP/rm.out" || vm_fail "conf on the RM's host did not reach the RM"
vm_run h1 "$BIN/pvm" -c ps
echo "$out" | grep -Eq ' [0-9a-f]+/[a-zA-Z]*R ' || vm_fail "ps does not flag the RM with R"
grep -q "cl_rm: SM_TASK from" "$CLUSTER_TMP/rm.out" || vm_fail "ps did not reach the RM"
echo "ok: conf and ps on the RM's host answered by the RM (R flag)"

n=$(grep -c "SM_CONFIG from" "$CLUSTER_TMP/rm.out")
vm_run h2 "$BIN/pvm" -c conf
echo "$out" | grep -q "^2 hosts" || vm_fail "conf on $h2 does not show 2 hosts"
[ "$(grep -c "SM_CONFIG from" "$CLUSTER_TMP/rm.out")" = "$n" ] || vm_fail "conf on $h2 went to the RM"
echo "ok: another host's tasks are answered by their own daemon"

vm_run h1 "$BIN/pvm" -c "delete $h2"
vm_wait_hosts h1 1
grep -q "cl_rm: SM_DELHOST from" "$CLUSTER_TMP/rm.out" || vm_fail "delete did not reach the RM"
for _ in $(seq 100); do
  grep -q "cl_rm: SM_HOSTX t80000" "$CLUSTER_TMP/rm.out" && break
  sleep 0.1
done
grep -q "cl_rm: SM_HOSTX t80000" "$CLUSTER_TMP/rm.out" ||
  { cat "$CLUSTER_TMP/rm.out"; vm_fail "the RM did not hear SM_HOSTX for $h2"; }
echo "ok: delete through the RM; it hears SM_HOSTX t80000"

vm_halt h1
echo "PASS"
