#!/bin/bash
# cluster.vm_mbox: the message mailbox across three hosts, with the one-host
# test program (tests/integration/it_mbox): the flags and errors asked from
# a slave with children spread over the hosts (the mailbox is the master's),
# a task on another host that puts while this one reads (owner exit and
# waiting gets, from the master and from a slave, so also relayed between
# slaves), the largest entry and the limits from a slave, the console's
# put/names on a slave, and a host deleted while its task holds entries. Usage: test_vm_mbox.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h2=$(cluster_name h2)
h3=$(cluster_name h3)
vm_up h1 h2 h3
cd "$BIN"

# run H PROG ARGS...: runs PROG on host H within 90 s, output kept in $out.
run() {
  local h=$1
  shift
  out=$(cluster_exec "$h" timeout 90 "$@" 2>&1) || {
    echo "$out"
    vm_fail "$* on $h"
  }
  echo "$out"
}

run h2 "$BIN/it_mbox" flags
echo "ok: flags, errors and another task's rights, asked from a slave"

run h1 "$BIN/it_mbox" remote "$h2"
echo "ok: a task on $h2 puts, one on the master reads (owner exit, waiting gets)"

# The persistent entries the children left have no owner now: the
# console's "reset info" clears them for the next run.
run h2 "$BIN/pvm" -c 'reset info; names'
[ -z "$out" ] || vm_fail "reset info left entries"
run h3 "$BIN/it_mbox" remote "$h2"
echo "ok: the same between two slaves"

run h1 "$BIN/pvm" -c 'reset info'
run h1 "$BIN/it_mbox" insert
echo "ok: pvm_insert/lookup/delete"

# The largest entry and the VM's bounds, stored from a slave (every entry
# through the master's link).
run h3 "$BIN/pvm" -c 'reset info'
run h3 "$BIN/it_mbox" limits
echo "ok: the largest entry and the limits, from a slave"

# The console on a slave: a persistent entry outlives the console that put
# it, and every host sees it without an owner; reset removes it.
run h2 "$BIN/pvm" -c 'put cl_keep 1'
run h3 "$BIN/pvm" -c 'names cl_'
echo "$out" | grep -q '^<cl_keep>:$' || vm_fail "names on h3 does not list cl_keep"
echo "$out" | grep -q 'index=0 owner=0x0/0 flags=0x1' ||
  vm_fail "cl_keep is not listed without an owner"
run h1 "$BIN/pvm" -c 'reset; names cl_'
echo "$out" | grep -q 'cl_keep' && vm_fail "reset left cl_keep"
echo "ok: the console's put, names and reset on different hosts"

# Last: the host goes for good.
run h1 "$BIN/it_mbox" hostdel "$h3"
echo "ok: deleting $h3 drops its task's entries, the persistent one loses its owner"
[ "$(vm_nhosts h1)" = 2 ] || vm_fail "h3 still in the VM"

vm_halt h1
echo "PASS"
