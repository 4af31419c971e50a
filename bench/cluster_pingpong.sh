#!/bin/bash
# Ping-pong between two namespace-hosts (tests/cluster): a two-host VM, the
# echo task on h2, pingpong on h1. First the 4 B round trip and the 1 MiB
# bandwidth through the daemons and the 4 B round trip over a direct TLS
# link (-r); then ROUNDS rounds that alternate the 1 MiB ping-pong over the
# direct TLS link with the same ping-pong over plain TCP (tcpfloor, no TLS,
# no PVM) between the same hosts, so that both see the same machine, and a
# summary: medians, ranges, and the median of the rounds' TLS/TCP ratios.
# Needs root.
#   bench/cluster_pingpong.sh <bin dir> [pingpong options, default -R 3]
# PVMNG_BENCH_ROUNDS sets ROUNDS (default 5). With PVMNG_BENCH_PERF=FILE,
# `perf record -g -a` samples the machine for the first 5 s of the first
# direct 1 MiB round and writes FILE.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/cluster" && pwd)
BIN=$(readlink -f "${1:?usage: $0 <bin dir> [pingpong options]}")
shift
opts=("$@")
[ ${#opts[@]} -gt 0 ] || opts=(-R 3)
rounds=${PVMNG_BENCH_ROUNDS:-5}
case $rounds in
'' | *[!0-9]* | 0)
  echo "$0: PVMNG_BENCH_ROUNDS must be a positive number" >&2
  exit 2
  ;;
esac
port=5999
# shellcheck source=../tests/cluster/netns.sh
source "$here/netns.sh"
# shellcheck source=../tests/cluster/vm.sh
source "$here/vm.sh"

cluster_up 2
h2=$(cluster_name h2)
vm_up h1 h2
cd "$BIN"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# pp SIZE [pingpong flags]: one pingpong run from h1 to the echo on h2.
pp() {
  local size=$1
  shift
  echo "# pingpong -H h2 -s $size -S $size ${opts[*]} $*" >&2
  cluster_exec h1 "$BIN/pingpong" -H "$h2" -s "$size" -S "$size" \
    "${opts[@]}" "$@"
}
pp 4
pp 1048576
pp 4 -r

# The rounds. The floor's server on h2 echoes one client per round.
cluster_spawn h2 "$BIN/tcpfloor" -l "$port" -n "$rounds"
floor_pid=$CLUSTER_PID
sleep 0.3
tls=() tcp=()
for r in $(seq "$rounds"); do
  perf_pid=
  if [ -n "${PVMNG_BENCH_PERF:-}" ] && [ "$r" = 1 ]; then
    # The whole machine for 5 s of the run; read it with
    # perf report -i FILE --comm pingpong --no-children --sort dso,sym
    perf record -g -a -o "$PVMNG_BENCH_PERF" -- sleep 5 >/dev/null 2>&1 &
    perf_pid=$!
  fi
  line=$(pp 1048576 -r 2>/dev/null | grep '^size')
  [ -z "$perf_pid" ] || wait "$perf_pid" || true
  floor=$(cluster_exec h1 "$BIN/tcpfloor" -c "$(cluster_addr h2):$port" \
    -s 1048576 -n 64)
  tls+=("${line##* }")
  tcp+=("${floor##* }")
  echo "round $r: direct TLS ${line##* } MB/s, plain TCP ${floor##* } MB/s"
done
wait "$floor_pid" || true
vm_halt h1

# Medians and ranges (MB/s) and the median ratio of the rounds.
printf '%s\n' "${tls[@]}" >"$CLUSTER_TMP/tls"
printf '%s\n' "${tcp[@]}" >"$CLUSTER_TMP/tcp"
paste "$CLUSTER_TMP/tls" "$CLUSTER_TMP/tcp" | awk '
  function med(a, n,   i, j, t) {
    for (i = 2; i <= n; i++)
      for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
        t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
      }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { n++; x[n] = $1; y[n] = $2; q[n] = $1 / $2
    lo1 = n == 1 || $1 < lo1 ? $1 : lo1; hi1 = $1 > hi1 ? $1 : hi1
    lo2 = n == 1 || $2 < lo2 ? $2 : lo2; hi2 = $2 > hi2 ? $2 : hi2 }
  END {
    printf "summary rounds %d 1MiB direct_tls_MBps %.1f (%.1f-%.1f)", n, med(x, n), lo1, hi1
    printf " plain_tcp_MBps %.1f (%.1f-%.1f) tls_over_tcp %.2f\n", med(y, n), lo2, hi2, med(q, n)
  }'
