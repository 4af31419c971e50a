#!/bin/bash
# cluster.vm_hoster: pvm_reg_hoster. A task on the master's host registers
# as the hoster (cl_hoster); `add` then asks it, with SM_STHOST, to start
# the new host's daemon, and the daemon it starts (with $PVM_RSH) joins; a
# hoster that answers PvmCantStart fails the add at once, with the answer in
# the master's log; a second hoster is refused (PvmAlready), and so is one
# on another host than the master's (PvmHostrNMstr). ps flags the hoster H.
# Usage: test_vm_hoster.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h2=$(cluster_name h2) h3=$(cluster_name h3)
vm_up h1
cd "$BIN"

cluster_spawn h1 "$BIN/cl_hoster" "$h3" >"$CLUSTER_TMP/hoster.out" 2>&1
for _ in $(seq 100); do
  grep -q "pvm_reg_hoster returned" "$CLUSTER_TMP/hoster.out" && break
  sleep 0.1
done
grep -q "pvm_reg_hoster returned 0" "$CLUSTER_TMP/hoster.out" ||
  { cat "$CLUSTER_TMP/hoster.out"; vm_fail "the hoster did not register"; }
vm_run h1 "$BIN/cl_hoster" --probe
echo "$out" | grep -q "returned -30" || vm_fail "a second hoster was not refused with PvmAlready"
echo "ok: one hoster; a second gets PvmAlready"
vm_run h1 "$BIN/pvm" -c ps
echo "$out" | grep -Eq ' [0-9a-f]+/[a-zA-Z]*H ' || vm_fail "ps does not flag the hoster with H"
echo "ok: ps flags the hoster with H"

vm_run h1 "$BIN/pvm" -c "add $h2"
vm_wait_hosts h1 2
grep -q "adding host $h2 through the hoster" "$(vm_log h1)" || vm_fail "$h2 was not added through the hoster"
grep -q "cl_hoster: t[0-9a-f]* on $h2: ok" "$CLUSTER_TMP/hoster.out" || vm_fail "the hoster did not start $h2"
echo "ok: add through the hoster: it ran the command, the daemon joined"

out=$(cluster_exec h1 "$BIN/pvm" -c "add $h3" 2>&1) || true
echo "$out"
[ "$(vm_nhosts h1)" = 2 ] || vm_fail "$h3 joined though the hoster refused"
grep -q "adding host $h3: the hoster says \"PvmCantStart\"" "$(vm_log h1)" || vm_fail "the hoster's refusal is not in the log"
echo "ok: the hoster's PvmCantStart fails the add"

vm_run h2 "$BIN/cl_hoster" --probe
echo "$out" | grep -q "returned -34" || vm_fail "a hoster on a slave was not refused with PvmHostrNMstr"
echo "ok: a hoster away from the master gets PvmHostrNMstr"

vm_halt h1
echo "PASS"
