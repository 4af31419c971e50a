#!/bin/bash
# cluster.vm_doctor: `pvm doctor HOSTFILE` on 3 hosts (network namespaces,
# PVM_RSH=nsrsh), before any daemon runs. With every host healthy it finds
# no problem and checks the two other hosts (not the master's own line);
# with h3 cut off from h1 (every packet dropped) it reports that h3 cannot
# reach the master's daemon port, with what to do; a host file line naming
# a pvmd that is not there is reported too. Then the virtual machine forms
# from the same host file, as the first verdict said.
# Usage: test_vm_doctor.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h1=$(cluster_name h1) h2=$(cluster_name h2) h3=$(cluster_name h3)
vm_env
hosts=$CLUSTER_TMP/hostfile
printf '%s\n' "$h1" "$h2" "$h3" >"$hosts"

out=$(cluster_exec h1 "$BIN/pvm" doctor "$hosts" 2>&1) ||
  vm_fail "doctor of a healthy cluster failed: $out"
echo "$out"
echo "$out" | grep -q "^No problem found" || vm_fail "no verdict: $out"
for h in "$h2" "$h3"; do
  echo "$out" | grep -q "^$h:" || vm_fail "$h was not checked"
done
echo "$out" | grep -q "^$h1:" && vm_fail "the master's own line was checked"
[ "$(echo "$out" | grep -c "reaches this host at $(cluster_addr h1):")" = 2 ] ||
  vm_fail "not every host reached the master's address"
echo "ok: a healthy host file: no problem, both other hosts reach the master"

cluster_partition h1 h3
rc=0
out=$(cluster_exec h1 "$BIN/pvm" doctor "$hosts" 2>&1) || rc=$?
cluster_heal h1 h3
echo "$out"
[ "$rc" = 1 ] || vm_fail "doctor with h3 cut off: status $rc, wanted 1"
echo "$out" | sed -n "/^$h3:/,\$p" |
  grep -q "FAIL  cannot connect to $(cluster_addr h1):[0-9]* from there" ||
  vm_fail "h3's blocked port was not reported"
echo "$out" | grep -q -- "-> open TCP from that host" || vm_fail "no advice"
echo "$out" | grep -q "^1 problem found" || vm_fail "wrong count: $out"
echo "ok: h3 cut off from h1: its port check fails, with what to do"

printf '%s\n%s dx=/nonexistent/pvmd\n' "$h1" "$h2" >"$CLUSTER_TMP/badpath"
rc=0
out=$(cluster_exec h1 "$BIN/pvm" doctor "$CLUSTER_TMP/badpath" 2>&1) || rc=$?
echo "$out"
[ "$rc" = 1 ] || vm_fail "doctor with a bad dx=: status $rc, wanted 1"
echo "$out" | grep -q "FAIL  no pvmd at /nonexistent/pvmd on $h2" ||
  vm_fail "the missing pvmd was not reported"
echo "ok: a dx= naming no pvmd is reported"

vm_up h1 h2 h3
echo "ok: the virtual machine forms from the host file doctor passed"
cluster_exec h1 "$BIN/pvm" -c halt >/dev/null 2>&1 || true
echo "PASS"
