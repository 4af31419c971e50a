#!/bin/bash
# cluster.vm_load: the load row of the test plan. 12 tasks on 3 hosts send
# each other MSGS messages of mixed sizes on the default route, all to all
# (PVMNG_LOAD_PER_PAIR per ordered pair: 9091, 1.2 million messages in all,
# unless the build passes fewer), with cl_alltoall's delivery checker:
# nothing lost, duplicated, reordered or corrupted, within 180 s; then each
# daemon's peak memory is shown. Before it, with fresh daemons, one 64 MiB
# message between two non-master hosts: intact, and no daemon over twice the
# message plus 64 MiB. Usage: test_vm_load.sh <bin dir> [per pair]
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$1"
per_pair=${2:-9091}

cluster_up 3
vm_up h1 h2 h3
cd "$BIN"

# peak_kib H: the peak resident memory (KiB) of the daemon of host H.
peak_kib() {
  local p
  for p in $(ip netns pids "$(cluster_name "$1")" 2>/dev/null); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pvmd ] || continue
    awk '/VmHWM/ { print $2 }' "/proc/$p/status"
  done
}

# First, with fresh daemons: a 64 MiB message from h2 to h3, through the
# master h1; no daemon may hold more than twice the message plus 64 MiB.
out=$(cluster_exec h2 timeout 120 "$BIN/cl_big" "$(cluster_name h3)" 64 2>&1) || {
  echo "$out"
  vm_fail "cl_big"
}
echo "$out"
echo "$out" | grep -q "intact" || vm_fail "the 64 MiB message was not intact"
for h in h1 h2 h3; do
  kib=$(peak_kib $h)
  echo "pvmd on $h after the 64 MiB message: peak $kib KiB"
  [ "$kib" -le $((192 * 1024)) ] || vm_fail "pvmd on $h peaked at $kib KiB (over 192 MiB)"
done
echo "ok: a 64 MiB message between hosts, intact; every daemon under 2 x 64 + 64 MiB"

t0=$(date +%s)
out=$(cluster_exec h2 timeout 300 "$BIN/cl_alltoall" 12 "$per_pair" 2>&1) || {
  echo "$out"
  vm_fail "cl_alltoall"
}
secs=$(($(date +%s) - t0))
echo "$out"
echo "$out" | grep -q "12 tasks on 3 host(s)" || vm_fail "tasks not on 3 hosts"
echo "$out" | grep -q "cl_alltoall: OK" || vm_fail "delivery check"
[ "$secs" -le 180 ] || vm_fail "took $secs s (more than 180)"
for h in "${CLUSTER_HOSTS[@]}"; do
  for p in $(ip netns pids "$h" 2>/dev/null); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pvmd ] || continue
    echo "pvmd on $h: peak $(awk '/VmHWM/ { print $2, $3 }' "/proc/$p/status")"
  done
done
echo "ok: $((12 * 11 * per_pair)) messages all to all over 3 hosts in $secs s: none lost, duplicated, reordered or corrupted"

vm_halt h1
echo "PASS"
