#!/bin/bash
# Ping-pong between two namespace-hosts (tests/cluster), side by side with
# PVM 3.4.6 and Open MPI over TCP between the same two hosts when they are
# installed (Debian's pvm/pvm-dev, openmpi-bin/libopenmpi-dev; the script
# builds bench/pingpong.c and bench/mpi_bench.c against them itself).
#
# PVM-NG: a two-host VM, the echo task on h2, pingpong on h1: the 4-byte
# round trip and the 1 MiB bandwidth through the daemons, the 4-byte round
# trip over a direct TLS link, then ROUNDS rounds that alternate the 1 MiB
# ping-pong over the direct TLS link (AES-OCB records by default, then
# AES-GCM records with PVMNG_BULK_AEAD=gcm) with the same ping-pong over
# plain TCP
# (tcpfloor, no TLS, no PVM), so that both see the same machine. PVM 3.4.6:
# its own daemons on h1 and h2 (started through nsrsh), the same four
# measures with the same program. Open MPI: mpirun on h1, one rank on each
# host (plm_rsh_agent nsrsh), the TCP BTL on eth0. Prints every run, then
# one table: medians for PVM-NG's direct 1 MiB, plain TCP and Open MPI's
# 1 MiB (with ranges and the medians of the rounds' TLS/TCP and TLS/MPI
# ratios), and the ratios to the peers.
# Needs root.
#   bench/cluster_pingpong.sh <bin dir> [pingpong options, default -R 3]
# PVMNG_BENCH_ROUNDS sets ROUNDS (default 5). With PVMNG_BENCH_PERF=FILE,
# `perf record -g -a` samples the machine for the first 5 s of the first
# direct 1 MiB round and writes FILE.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/cluster" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
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
res=$CLUSTER_TMP/results
mkdir -p "$res"
skipped=()

# field FILE: the bandwidth (last word) or round trip of a "size" line.
bw() { awk '/^size/ { print $NF; exit }' "$1"; }
rtt() { awk '/^size/ { for (i = 1; i < NF; i++) if ($i == "rtt_us") print $(i + 1); exit }' "$1"; }

val() { # val FILE rtt|bw: the figure, or "-"
  [ -s "$1" ] || { echo -; return; }
  local v
  if [ "$2" = rtt ]; then v=$(rtt "$1"); else v=$(bw "$1"); fi
  echo "${v:--}"
}

# pp NAME SIZE [pingpong flags]: PVM-NG's pingpong from h1 to the echo on
# h2; the output also goes to $res/NAME.
pp() {
  local name=$1 size=$2
  shift 2
  echo "# PVM-NG: pingpong -H h2 -s $size -S $size ${opts[*]} $*"
  cluster_exec h1 "$BIN/pingpong" -H "$h2" -s "$size" -S "$size" \
    "${opts[@]}" "$@" | tee "$res/$name"
}

# Open MPI over TCP between the same hosts, when installed: built here, its
# 1 MiB ping-pong run in every round below, its 4 B round trip after them.
mpi=$CLUSTER_TMP/mpi
mpirun=()
if command -v mpicc >/dev/null && command -v mpirun >/dev/null &&
  mpirun --version 2>/dev/null | grep -q "Open MPI" && mkdir -p "$mpi" &&
  mpicc -O2 -I"$src" -o "$mpi/mpi_bench" "$src/mpi_bench.c" 2>"$mpi/build.log"; then
  # One rank per host, unbound (each host would bind its rank to its
  # first core, the same core for both), TCP on the hosts' eth0.
  mpirun=(mpirun --host "$(cluster_name h1),$h2" -np 2 --bind-to none
    --mca plm_rsh_agent "$here/nsrsh" --mca pml ob1 --mca btl 'tcp,self'
    --mca btl_tcp_if_include eth0 --mca oob_tcp_if_include eth0)
  [ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
else
  skipped+=("Open MPI (not installed: openmpi-bin, libopenmpi-dev)")
fi
# mpi_pp NAME SIZE: Open MPI's ping-pong of SIZE bytes, into $res/NAME.
mpi_pp() {
  echo "# Open MPI (TCP): mpi_bench pingpong -s $2 -S $2 ${opts[*]}"
  cluster_exec h1 timeout 600 "${mpirun[@]}" "$mpi/mpi_bench" pingpong \
    -s "$2" -S "$2" "${opts[@]}" 2>"$mpi/err.$1" | tee "$res/$1" || true
}

vm_up h1 h2
cd "$BIN"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
pp ng.d4 4
pp ng.d1m 1048576
pp ng.r4 4 -r

# The rounds. The floor's server on h2 echoes one client per round.
cluster_spawn h2 "$BIN/tcpfloor" -l "$port" -n "$rounds" >/dev/null
floor_pid=$CLUSTER_PID
sleep 0.3
: >"$res/rounds"
for r in $(seq "$rounds"); do
  perf_pid=
  if [ -n "${PVMNG_BENCH_PERF:-}" ] && [ "$r" = 1 ]; then
    # The whole machine for 5 s of the run; read it with
    # perf report -i FILE --comm pingpong --no-children --sort dso,sym
    perf record -g -a -o "$PVMNG_BENCH_PERF" -- sleep 5 >/dev/null 2>&1 &
    perf_pid=$!
  fi
  pp ng.r1m 1048576 -r >/dev/null
  [ -z "$perf_pid" ] || wait "$perf_pid" || true
  # The same with AES-GCM records, as both tasks ask for it.
  cluster_exec h1 env PVMNG_BULK_AEAD=gcm PVM_EXPORT=PVMNG_BULK_AEAD \
    "$BIN/pingpong" -H "$h2" -s 1048576 -S 1048576 "${opts[@]}" -r \
    >"$res/ng.g1m"
  cluster_exec h1 "$BIN/tcpfloor" -c "$(cluster_addr h2):$port" \
    -s 1048576 -n 64 >"$res/floor"
  mpibw=-
  if [ ${#mpirun[@]} -gt 0 ]; then
    mpi_pp mpi.r1m 1048576 >/dev/null
    mpibw=$(val "$res/mpi.r1m" bw)
  fi
  echo "$(bw "$res/ng.r1m") $(awk '{ print $NF }' "$res/floor") $(bw "$res/ng.g1m") $mpibw" >>"$res/rounds"
  echo "round $r: direct TLS $(bw "$res/ng.r1m") MB/s (AES-GCM records: $(bw "$res/ng.g1m") MB/s), plain TCP $(awk '{ print $NF }' "$res/floor") MB/s, Open MPI (TCP) $mpibw MB/s"
done
wait "$floor_pid" || true
vm_halt h1
[ ${#mpirun[@]} -eq 0 ] || mpi_pp mpi.4 4

# ---- PVM 3.4.6 between the same hosts, when installed.
lib346=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
p346=$CLUSTER_TMP/p346
if [ -f /usr/include/pvm3.h ] && [ -f "$lib346/libpvm3.so" ] &&
  [ -x /usr/lib/pvm3/lib/pvmd ] && mkdir -p "$p346/home" "$p346/bin" &&
  gcc -O2 -I/usr/include -I"$src" -o "$p346/bin/pingpong" "$src/pingpong.c" \
    -L"$lib346" -Wl,-rpath,"$lib346" -lpvm3 2>"$p346/build.log" &&
  ldd "$p346/bin/pingpong" | grep -q "libpvm3.so.3 => $lib346/libpvm3.so.3"; then
  # Its own environment: PVM_ROOT, a private HOME, nsrsh as rsh; each host
  # keeps its own PVM_TMP (cluster_exec and nsrsh set it).
  p346_env=(env HOME="$p346/home" PVM_ROOT=/usr/lib/pvm3 PVM_ARCH=LINUX64
    PVM_RSH="$here/nsrsh" PVM_VMID=b346)
  [ "$(id -u)" -eq 0 ] && p346_env+=(PVM_ALLOW_ROOT=yes)
  {
    echo "$(cluster_name h1) ep=$p346/bin"
    echo "$h2 ep=$p346/bin dx=/usr/lib/pvm3/lib/pvmd"
  } >"$p346/hostfile"
  cluster_spawn h1 "${p346_env[@]}" /usr/lib/pvm3/lib/pvmd "$p346/hostfile" \
    </dev/null >"$p346/pvmd.out" 2>&1
  p346_pid=$CLUSTER_PID
  up=
  for _ in $(seq 100); do
    if echo conf | cluster_exec h1 "${p346_env[@]}" timeout 5 \
      /usr/lib/pvm3/lib/pvm 2>/dev/null | grep -q "$h2"; then
      up=1
      break
    fi
    sleep 0.1
  done
  if [ -n "$up" ]; then
    for m in "d4 4" "d1m 1048576" "r4 4 -r" "r1m 1048576 -r"; do
      read -r name size flag <<<"$m"
      echo "# PVM 3.4.6: pingpong -H h2 -s $size -S $size ${opts[*]} $flag"
      cluster_exec h1 "${p346_env[@]}" timeout 600 "$p346/bin/pingpong" \
        -H "$h2" -s "$size" -S "$size" "${opts[@]}" ${flag:+"$flag"} |
        tee "$res/p346.$name" || true
    done
  else
    skipped+=("PVM 3.4.6 (its daemons did not form a VM of the two hosts; see $p346/pvmd.out)")
  fi
  echo halt | cluster_exec h1 "${p346_env[@]}" timeout 10 \
    /usr/lib/pvm3/lib/pvm >/dev/null 2>&1 || true
  for _ in $(seq 50); do
    kill -0 "$p346_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$p346_pid" 2>/dev/null || true
  pkill -KILL -f "^/usr/lib/pvm3/lib/pvmd .*$PVMNG_CLUSTER_PREFIX" 2>/dev/null ||
    true
else
  skipped+=("PVM 3.4.6 (not installed: pvm, pvm-dev)")
fi

# ---- The table.
med() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
tls=$(awk '{ print $1 }' "$res/rounds" | med)
tcp=$(awk '{ print $2 }' "$res/rounds" | med)
gcm=$(awk '{ print $3 }' "$res/rounds" | med)
mpi1m=$(awk '$4 != "-" { print $4 }' "$res/rounds" | med)
[ -n "$mpi1m" ] || mpi1m=-
ratio=$(awk '{ print $1 / $2 }' "$res/rounds" | med)
gratio=$(awk '{ print $3 / $2 }' "$res/rounds" | med)
range() { awk -v c="$1" 'NR == 1 || $c < lo { lo = $c } $c > hi { hi = $c } END { printf "%.0f to %.0f", lo, hi }' "$res/rounds"; }
q() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
row() { # row MEASURE NG P346 MPI
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" \
    "$(q "$2" "$3")" "$(q "$2" "$4")"
}
echo
mpisum=
if [ "$mpi1m" != - ]; then
  mpisum=" open_mpi_tcp_MBps $mpi1m ($(range 4)) tls_over_mpi $(awk '$4 != "-" && $4 > 0 { print $1 / $4 }' "$res/rounds" | med | xargs printf '%.2f')"
fi
echo "summary rounds $rounds 1MiB direct_tls_MBps $tls ($(range 1)) direct_tls_gcm_MBps $gcm ($(range 3)) plain_tcp_MBps $tcp ($(range 2)) tls_over_tcp $(printf '%.2f' "$ratio") gcm_over_tcp $(printf '%.2f' "$gratio")$mpisum"
echo
echo "| measure (between two namespace-hosts) | PVM-NG | PVM 3.4.6 | Open MPI (TCP) | PVM-NG / PVM 3.4.6 | PVM-NG / Open MPI |"
echo "| --- | --- | --- | --- | --- | --- |"
row "round trip, 4 B, through the daemons (us)" "$(val "$res/ng.d4" rtt)" "$(val "$res/p346.d4" rtt)" -
row "bandwidth, 1 MiB, through the daemons (MB/s)" "$(val "$res/ng.d1m" bw)" "$(val "$res/p346.d1m" bw)" -
row "round trip, 4 B, direct (us)" "$(val "$res/ng.r4" rtt)" "$(val "$res/p346.r4" rtt)" "$(val "$res/mpi.4" rtt)"
row "bandwidth, 1 MiB, direct (MB/s; PVM-NG and Open MPI: median of the rounds)" "$tls" "$(val "$res/p346.r1m" bw)" "$mpi1m"
row "bandwidth, 1 MiB, direct, AES-GCM records (MB/s; median of the rounds)" "$gcm" "$(val "$res/p346.r1m" bw)" "$mpi1m"
echo "| plain TCP, 1 MiB (MB/s; median of the rounds) | $tcp | | | | |"
echo
echo "PVM-NG's direct links are TLS 1.3 (handshake and keys), their records"
echo "AES-128-OCB by default, AES-128-GCM with PVMNG_BULK_AEAD=gcm; PVM 3.4.6's"
echo "and Open MPI's are plain TCP."
for s in "${skipped[@]}"; do
  echo "skipped: $s"
done
