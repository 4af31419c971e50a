#!/bin/bash
# cluster.vm_collreset: group collectives across hosts while links break.
# Six members over three hosts run rounds of pvm_bcast, pvm_reduce,
# pvmng_allreduce, pvm_gather and pvm_barrier, every result checked
# (cl_collreset), while (a) the master's links to the other daemons are
# reset three times (ss -K on h1, filtered on the daemons' port) and (b) the
# members use direct links and those are reset three times on h1. Every
# round must come out right on every member: nothing lost, duplicated or
# mixed up, no host deleted.
# Usage: test_vm_collreset.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
export PVMNG_DEAD_MS=4000
export PVMNG_LINK_COOL_MS=200 PVM_EXPORT=PVMNG_LINK_COOL_MS
rounds=${VM_COLLRESET_ROUNDS:-300}

vm_up h1 h2 h3
port=$(sed -n 's/.*listening for daemons on [0-9.]*:\([0-9]*\) .*/\1/p' \
  "$(vm_log h1)" | head -1)
[ -n "$port" ] || vm_fail "no daemons' port in h1's log"

# (a) The daemons' links, through which the collectives' messages go.
daemons="ss -K -t state established '( sport = :$port or dport = :$port )' >/dev/null"
vm_run h1 "$BIN/cl_collreset" 6 "$rounds" "$daemons" 3
n=$(grep -c "link .* resumed" "$(vm_log h1)" || true)
[ "$n" -ge 3 ] || vm_fail "the links resumed $n times after 3 resets"
[ "$(vm_nhosts h1)" = 3 ] || vm_fail "a host was deleted after the resets"
echo "ok: $rounds rounds of collectives across 3 resets of the daemons' links ($n resumptions)"

# (b) Direct links between the members (every TCP connection of h1 but the
# daemons').
# ss -K lists what it closed: the count shows the resets hit links.
killed=$CLUSTER_TMP/killed
: >"$killed"
direct="ss -K -t -H state established '( not sport = :$port and not dport = :$port )' | wc -l >>$killed"
vm_run h1 "$BIN/cl_collreset" 6 "$rounds" "$direct" 3 direct
[ "$(vm_nhosts h1)" = 3 ] || vm_fail "a host was deleted after the direct resets"
k=$(awk '{ s += $1 } END { print s + 0 }' "$killed")
[ "$k" -gt 0 ] || vm_fail "the resets found no direct link to close"
echo "ok: $rounds rounds of collectives over direct links across 3 resets ($k connections closed)"
vm_halt h1
echo "PASS: collectives across hosts lose nothing when links are reset"
