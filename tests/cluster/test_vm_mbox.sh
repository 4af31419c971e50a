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

vm_run h2 "$BIN/it_mbox" flags
echo "ok: flags, errors and another task's rights, asked from a slave"

vm_run h1 "$BIN/it_mbox" remote "$h2"
echo "ok: a task on $h2 puts, one on the master reads (owner exit, waiting gets)"

# The persistent entries the children left have no owner now: the
# console's "reset info" clears them for the next run.
vm_run h2 "$BIN/pvm" -c 'reset info; names'
[ -z "$out" ] || vm_fail "reset info left entries"
vm_run h3 "$BIN/it_mbox" remote "$h2"
echo "ok: the same between two slaves"

vm_run h1 "$BIN/pvm" -c 'reset info'
vm_run h1 "$BIN/it_mbox" insert
echo "ok: pvm_insert/lookup/delete"

# The largest entry and the VM's bounds, stored from a slave (every entry
# through the master's link).
vm_run h3 "$BIN/pvm" -c 'reset info'
vm_run h3 "$BIN/it_mbox" limits
echo "ok: the largest entry and the limits, from a slave"

# The console on a slave: a persistent entry outlives the console that put
# it, and every host sees it without an owner; reset removes it.
vm_run h2 "$BIN/pvm" -c 'put cl_keep 1'
vm_run h3 "$BIN/pvm" -c 'names cl_'
echo "$out" | grep -q '^<cl_keep>:$' || vm_fail "names on h3 does not list cl_keep"
echo "$out" | grep -q 'index=0 owner=0x0/0 flags=0x1' ||
  vm_fail "cl_keep is not listed without an owner"
vm_run h1 "$BIN/pvm" -c 'reset; names cl_'
echo "$out" | grep -q 'cl_keep' && vm_fail "reset left cl_keep"
echo "ok: the console's put, names and reset on different hosts"

# Last: the host goes for good.
vm_run h1 "$BIN/it_mbox" hostdel "$h3"
echo "ok: deleting $h3 drops its task's entries, the persistent one loses its owner"
[ "$(vm_nhosts h1)" = 2 ] || vm_fail "h3 still in the VM"

vm_halt h1
echo "PASS"
