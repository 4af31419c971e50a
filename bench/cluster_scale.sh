#!/bin/bash
# How a virtual machine of many hosts forms and halts: N network-namespace
# hosts (tests/cluster, needs root), one daemon each, formed from a host
# file by the first; prints the time from starting the master to `conf`
# listing N hosts, every daemon's peak memory (largest and mean), and the
# time from `halt` until no daemon is left.
# Usage: bench/cluster_scale.sh <bin dir> [N...]   (default 8 32)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/cluster" && pwd)
BIN=$(readlink -f "${1:?usage: $0 <bin dir> [N...]}")
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(8 32)
# shellcheck source=../tests/cluster/netns.sh
source "$here/netns.sh"
# shellcheck source=../tests/cluster/vm.sh
source "$here/vm.sh"

now_ms() { date +%s%3N; }

for n in "${sizes[@]}"; do
  cluster_up "$n"
  cd "$BIN"
  vm_env
  : >"$CLUSTER_TMP/hostfile"
  for i in $(seq 1 "$n"); do
    cluster_name "h$i" >>"$CLUSTER_TMP/hostfile"
  done
  t0=$(now_ms)
  cluster_exec h1 "$BIN/pvmd" "$CLUSTER_TMP/hostfile" || vm_fail "master"
  until [ "$(vm_nhosts h1 2>/dev/null || echo 0)" = "$n" ]; do
    [ $(($(now_ms) - t0)) -lt 60000 ] || vm_fail "$n hosts did not form in 60 s"
    sleep 0.02
  done
  formed=$(($(now_ms) - t0))
  peaks=$(for h in "${CLUSTER_HOSTS[@]}"; do
    for p in $(ip netns pids "$h" 2>/dev/null); do
      [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pvmd ] || continue
      awk '/VmHWM/ { print $2 }' "/proc/$p/status"
    done
  done)
  t1=$(now_ms)
  cluster_exec h1 "$BIN/pvm" -c halt >/dev/null 2>&1 || true
  until [ "$(vm_pvmds)" = 0 ]; do
    [ $(($(now_ms) - t1)) -lt 30000 ] || vm_fail "halt of $n hosts took over 30 s"
    sleep 0.01
  done
  halted=$(($(now_ms) - t1))
  echo "$peaks" | awk -v n="$n" -v f="$formed" -v h="$halted" '
    { s += $1; if ($1 > m) m = $1 }
    END { printf "%d hosts: formed in %d ms (to conf listing all), halted in %d ms; daemon peak memory %.1f MiB largest, %.1f MiB mean\n", n, f, h, m / 1024, s / NR / 1024 }'
  cluster_down
done
