#!/bin/bash
# cluster.vm_spawnwhere: where pvm_spawn puts tasks across 3 hosts when the
# caller restricts the hosts. cl_spawnwhere spawns copies of itself and
# checks, for each one, that pvm_tidtohost, pvm_tasks(0) and the task's own
# gethostname agree; this script checks the spread: PvmTaskHost|PvmHostCompl
# uses every host but the one named (from a slave and from the master),
# PvmTaskArch "LINUX64" every host, an architecture no host has (or the
# complement of the one they all have) none, and PvmTaskHost the one named.
# Usage: test_vm_spawnwhere.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h1=$(cluster_name h1) h2=$(cluster_name h2) h3=$(cluster_name h3)
vm_up h1 h2 h3

# spawnwhere H MODE WHERE N: runs cl_spawnwhere on host H, prints its output.
spawnwhere() {
  local on=$1
  shift
  out=$(cluster_exec "$on" "$BIN/cl_spawnwhere" "$@") ||
    { echo "$out"; vm_fail "cl_spawnwhere $* on $on: tasks are not where pvm_tidtohost says"; }
  echo "$out"
}
# count HOST: how many tasks the last run put on HOST (0 if none).
count() { echo "$out" | sed -n "s/^on $1: //p" | grep . || echo 0; }

spawnwhere h2 host-compl "$h1" 4
[ "$(count "$h1")" = 0 ] || vm_fail "PvmHostCompl put a task on the host it excludes"
{ [ "$(count "$h2")" = 2 ] && [ "$(count "$h3")" = 2 ]; } ||
  vm_fail "PvmTaskHost|PvmHostCompl $h1: want 2 on $h2 and 2 on $h3"
echo "ok: PvmTaskHost|PvmHostCompl from a slave: every host but the one named, round robin"

spawnwhere h1 host-compl "$h3" 5
[ "$(count "$h3")" = 0 ] || vm_fail "PvmHostCompl put a task on $h3"
{ [ "$(count "$h1")" -ge 2 ] && [ "$(count "$h2")" -ge 2 ]; } ||
  vm_fail "PvmTaskHost|PvmHostCompl $h3: want both $h1 and $h2 used"
echo "ok: PvmTaskHost|PvmHostCompl from the master (itself included)"

spawnwhere h3 arch LINUX64 6
for h in "$h1" "$h2" "$h3"; do
  [ "$(count "$h")" = 2 ] || vm_fail "PvmTaskArch LINUX64: want 2 tasks on $h"
done
echo "ok: PvmTaskArch LINUX64 spreads over every LINUX64 host"

for args in "arch SUN4" "arch-compl LINUX64"; do
  # shellcheck disable=SC2086 # two words on purpose
  spawnwhere h2 $args 2
  echo "$out" | grep -q "^0 of 2 started" || vm_fail "$args started tasks"
  [ "$(echo "$out" | grep -c "^slot [01]: -6$")" = 2 ] ||
    vm_fail "$args: want PvmNoHost (-6) in both slots"
done
echo "ok: no host of that architecture (or of another one): PvmNoHost in every slot"

spawnwhere h1 host "$h2" 3
[ "$(count "$h2")" = 3 ] || vm_fail "PvmTaskHost $h2: want all 3 there"
spawnwhere h1 host-compl nosuchhost 2
echo "$out" | grep -q "^0 of 2 started" || vm_fail "PvmHostCompl of an unknown host started tasks"
echo "ok: PvmTaskHost puts every task on the host named; an unknown host is PvmNoHost"

vm_halt h1
echo "PASS"
