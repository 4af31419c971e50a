#!/bin/bash
# cluster.vm_groups: groups and collectives across three hosts, with the
# one-host test programs (tests/integration) whose children spread over the
# hosts (PvmTaskDefault, round robin): membership semantics asked from every
# host and started on a slave (the registry is the master's), barriers and
# freeze, members that join while others wait in barrier(g, N), the pvmng_*
# collectives while members join and one leaves, every
# reduction x type x operation against a serial computation
# (1, 3, 8 and 16 tasks) with the other collectives, a member killed with
# SIGKILL inside barrier/reduce/allreduce (the others return an error within
# a bound), and a host deleted under a group. Usage: test_vm_groups.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h3=$(cluster_name h3)
vm_up h1 h2 h3
cd "$BIN"

vm_run h2 "$BIN/it_group" semantics
echo "$out" | grep -q "children on 3 host(s)" || vm_fail "semantics: children not on 3 hosts"
echo "ok: join, instances, queries from every host, leave and reuse, automatic leave (started on a slave)"

vm_run h3 "$BIN/it_group" barrier
echo "$out" | grep -q "members on 3 host(s)" || vm_fail "barrier: members not on 3 hosts"
echo "ok: barriers (peers and registry counts), freeze, defunct group across hosts"

# The "join, spawn, barrier(N)" patterns of PVM programs, members joining
# while others already wait, started on a slave and on the master.
for pattern in self named mcast grow; do
  vm_run h2 "$BIN/it_join_barrier" "$pattern" 20 5
done
vm_run h1 "$BIN/it_join_barrier" self 20 7
echo "ok: barrier(g, N) while members still join, over 3 hosts (4 patterns x 20 rounds)"

vm_run h2 "$BIN/it_join_coll" 20 5
echo "ok: pvmng_allreduce/scan/allgather/alltoall while members join and one leaves, over 3 hosts (20 rounds)"

t0=$(date +%s)
vm_run h1 "$BIN/it_group_reduce" 16 1,3,8,16
echo "$out" | grep -q "16 tasks on 3 host(s)" || vm_fail "reduce: tasks not on 3 hosts"
echo "ok: every reduction, type and operation, gather/scatter/bcast/allgather/alltoall/scan over 3 hosts ($(($(date +%s) - t0)) s)"

vm_run h2 "$BIN/it_group" kill9
for what in barrier barrier-leader reduce allreduce; do
  echo "$out" | grep -q "$what: victim .* members on [23] host(s)" ||
    vm_fail "kill9 $what: members not spread over hosts"
done
echo "ok: a member killed with SIGKILL inside barrier (a host's leader too), reduce and allreduce: the others return an error"

# Last: the host goes for good.
vm_run h1 "$BIN/it_group" hostdel "$h3" "$(cluster_name h2)"
echo "ok: a host deleted under a barrier: the barrier fails, its tasks leave their groups, the others stay"
[ "$(vm_nhosts h1)" = 2 ] || vm_fail "h3 still in the VM"

vm_halt h1
echo "PASS"
