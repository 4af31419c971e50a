#!/bin/bash
# cluster.vm_conformance: the conformance programs whose checks hold on any
# virtual machine (tests/conformance), run in a VM of three hosts where
# their children spread over the hosts (PvmTaskDefault, round robin):
# conf_join_barrier (join, spawn, barrier(N) while the copies join, 100
# times), conf_join_coll (reduce/gather/scatter while the copies join, bcast
# to them, reduce while one leaves, 100 times), conf_group, conf_send, conf_mbox, conf_context, conf_minfo, each
# started on the master and on a slave. Usage: test_vm_conformance.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
vm_up h1 h2 h3
cd "$BIN"

# run H PROG ARGS...: runs PROG on host H within 120 s; it must end with a
# summary line without failures.
run() {
  local h=$1
  shift
  out=$(cluster_exec "$h" timeout 120 "$@" 2>&1) || {
    echo "$out"
    vm_fail "$* on $h"
  }
  echo "$out" | grep '^SUMMARY '
  echo "$out" | grep -q '^SUMMARY .* fail=0 ' || {
    echo "$out"
    vm_fail "$* on $h: a check failed"
  }
}

for h in h1 h2; do
  run "$h" "$BIN/conf_join_barrier" 100 5
  run "$h" "$BIN/conf_join_coll" 100 5
  for p in group send mbox context minfo; do
    run "$h" "$BIN/conf_$p"
  done
  # conf_mbox leaves a persistent entry without an owner (locked): the
  # console's "reset info" clears it for the next run.
  cluster_exec h1 timeout 30 "$BIN/pvm" -c 'reset info' >/dev/null 2>&1 ||
    vm_fail "reset info"
  echo "ok: the conformance programs started on $h"
done

vm_halt h1
echo "PASS"
