#!/bin/bash
# cluster.vm_linkbudget: the unsent ciphertext of the links between hosts
# counts in each daemon's memory budget. With every daemon's budget at
# 16 MiB, a task on h2 sends 256 messages of 1 MiB to a task on h3 that
# sleeps 4 s before it receives: h3's daemon stops reading the link at its
# budget, so the bytes pile up on h2's side, where the sender must be paused
# at h2's budget rather than at the link's 64 MiB high-water mark. All 256
# arrive, in order; h2's daemon peaks under 16 + 32 MiB (not checked with
# --no-mem-check: sanitizer builds). Usage: test_vm_linkbudget.sh <bin dir>
# [--no-mem-check]
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$1"
mem_check=1
[ "${2:-}" = --no-mem-check ] && mem_check=0

cluster_up 3
export PVMNG_MEM_BUDGET=16M
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

out=$(cluster_exec h2 timeout 120 "$BIN/cl_linkbudget" "$(cluster_name h3)" 256 4000 2>&1) || {
  echo "$out"
  vm_fail "cl_linkbudget"
}
echo "$out"
echo "$out" | grep -q "256 received, in order" || vm_fail "not all 256 arrived in order"
for h in h2 h3; do
  echo "pvmd on $h: peak $(peak_kib $h) KiB"
done
kib=$(peak_kib h2)
if [ "$mem_check" = 0 ]; then
  echo "sanitizer build: memory not checked"
else
  [ "$kib" -le $((48 * 1024)) ] || vm_fail "pvmd on h2 peaked at $kib KiB (over 16 + 32 MiB)"
fi
echo "ok: 256 MiB to a sleeping receiver on another host; the sending host's daemon stayed within its budget"
