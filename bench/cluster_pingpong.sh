#!/bin/bash
# Ping-pong between two namespace-hosts (tests/cluster): a two-host VM, the
# echo task on h2, pingpong on h1; 4 B round trip and 1 MiB bandwidth, first
# through the daemons, then over a direct TLS link (-r); then the same 1 MiB
# ping-pong over plain TCP (tcpfloor) as the floor. Needs root.
#   bench/cluster_pingpong.sh <bin dir> [pingpong options, default -R 3]
# With PVMNG_BENCH_PERF=FILE, `perf record -g -a` samples the machine for
# the first 5 s of the direct 1 MiB run and writes FILE.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/cluster" && pwd)
BIN=$(readlink -f "${1:?usage: $0 <bin dir> [pingpong options]}")
shift
opts=("$@")
[ ${#opts[@]} -gt 0 ] || opts=(-R 3)
# shellcheck source=../tests/cluster/netns.sh
source "$here/netns.sh"
# shellcheck source=../tests/cluster/vm.sh
source "$here/vm.sh"

cluster_up 2
h2=$(cluster_name h2)
vm_up h1 h2
cd "$BIN"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for route in "" -r; do
  for size in 4 1048576; do
    echo "# pingpong -H h2 -s $size -S $size ${opts[*]} $route"
    perf_pid=
    if [ -n "${PVMNG_BENCH_PERF:-}" ] && [ -n "$route" ] && [ "$size" != 4 ]; then
      # The whole machine for 5 s of the run; read it with
      # perf report -i FILE --comm pingpong --no-children --sort dso,sym
      perf record -g -a -o "$PVMNG_BENCH_PERF" -- sleep 5 >/dev/null 2>&1 &
      perf_pid=$!
    fi
    cluster_exec h1 "$BIN/pingpong" -H "$h2" -s "$size" -S "$size" \
      "${opts[@]}" $route
    [ -z "$perf_pid" ] || wait "$perf_pid" || true
  done
done
vm_halt h1
# The floor: the same 1 MiB ping-pong over plain TCP between the two hosts.
echo "# tcpfloor -c $(cluster_addr h2):5999 (plain TCP, no TLS, no PVM)"
cluster_spawn h2 "$BIN/tcpfloor" -l 5999
sleep 0.3
cluster_exec h1 "$BIN/tcpfloor" -c "$(cluster_addr h2):5999" -s 1048576
wait "$CLUSTER_PID" || true
