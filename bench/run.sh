#!/bin/bash
# The benchmark suite in one command: builds PVM-NG (Release) and the same
# benchmark sources against PVM 3.4.6 and Open MPI where they are installed,
# runs every measurement with each peer's daemon started and stopped here,
# and prints one side-by-side table (plus a bandwidth table). As root it
# then runs bench/cluster_pingpong.sh (two network-namespace hosts, the
# same peers between them) and adds its table.
#
# Usage: bench/run.sh [--quick] [--reps N] [--no-install] [--out FILE]
#   --quick       3 repetitions and a shorter size sweep (a quick look)
#   --reps N      repetitions per figure (default 5); each figure is a median
#   --no-install  do not apt-get install missing peers (pvm, pvm-dev,
#                 openmpi-bin, libopenmpi-dev); missing peers are skipped
#   --out FILE    also write the tables (markdown) to FILE
#   --skip PEER   leave out a peer: pvm346 or mpi, or the measures between
#                 hosts: hosts (repeatable)
# Environment: PVMNG_BENCH_BUILD, the PVM-NG build dir (default
# <repo>/build-bench); TMPDIR for the scratch directory.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
self=$here/run.sh

# ---- inner mode: the PVM-NG measurements, run by vm.sh inside a private VM
# (vm.sh gives the VM its own PVM_TMP and PVM_VMID and halts it on exit).
if [ "${1:-}" = "--inside-pvmng" ]; then
  out=$2 bin=$3 reps=$4 smax=$5
  "$bin/pingpong" -s 4 -S "$smax" -R "$reps" >"$out/ng.pp.default" || exit 1
  "$bin/pingpong" -s 4 -S "$smax" -R "$reps" -r >"$out/ng.pp.direct" || exit 1
  # Each route on one host: direct links over shared memory (above, the
  # default transport of a link on one host) and over their Unix sockets
  # (PVMNG_SHM=0 in the opener); PvmDataRaw with pvm_pkbyte (-w), how most
  # programs send, next to PvmDataInPlace. A build without -w (or without
  # shared memory) leaves these rows empty.
  PVMNG_SHM=0 "$bin/pingpong" -s 4 -S "$smax" -R "$reps" -r \
    >"$out/ng.pp.sock" 2>/dev/null
  "$bin/pingpong" -s 4 -S "$smax" -R "$reps" -r -w >"$out/ng.pp.raw" \
    2>/dev/null || rm -f "$out/ng.pp.raw"
  PVMNG_SHM=0 "$bin/pingpong" -s 4 -S "$smax" -R "$reps" -r -w \
    >"$out/ng.pp.sockraw" 2>/dev/null || rm -f "$out/ng.pp.sockraw"
  "$bin/pingpong" -s 4 -S "$smax" -R "$reps" -w >"$out/ng.pp.defraw" \
    2>/dev/null || rm -f "$out/ng.pp.defraw"
  "$bin/spawntime" -n 7 -R "$reps" >"$out/ng.spawn" || exit 1
  for n in 2 4 8 16; do
    "$bin/collective" -n "$n" -R "$reps" >"$out/ng.coll.$n" || exit 1
  done
  exit 0
fi

reps=5
smax=8388608
install=1
outfile=
skip346=
skipmpi=
skiphosts=
while [ $# -gt 0 ]; do
  case $1 in
  --quick) reps=3; smax=1048576; shift ;;
  --reps) reps=$2; shift 2 ;;
  --no-install) install=; shift ;;
  --out) outfile=$2; shift 2 ;;
  --skip)
    case $2 in
    pvm346) skip346=1 ;;
    mpi) skipmpi=1 ;;
    hosts) skiphosts=1 ;;
    *) echo "run.sh: --skip takes pvm346, mpi or hosts" >&2; exit 2 ;;
    esac
    shift 2 ;;
  -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $reps in '' | *[!0-9]* | 0) echo "run.sh: bad --reps" >&2; exit 2 ;; esac

build=${PVMNG_BENCH_BUILD:-$repo/build-bench}
work=$(mktemp -d "${TMPDIR:-/tmp}/pvmbench.XXXXXX") || exit 1
res=$work/results
mkdir -p "$res"
p346_pid=
p346_root=
p346_dir=$work/pvm346-vm
say() { echo "run.sh: $*" >&2; }

# ---- PVM 3.4.6's daemon: started privately, never left running.
p346_env() {
  env HOME="$p346_dir/home" PVM_ROOT=/usr/lib/pvm3 PVM_ARCH=LINUX64 \
    PVM_TMP="$p346_dir/tmp" PVM_VMID=bench \
    ${p346_root:+PVM_ALLOW_ROOT=yes} "$@"
}
p346_stop() {
  [ -n "$p346_pid" ] || return 0
  if kill -0 "$p346_pid" 2>/dev/null && [ -e "$p346_dir/tmp/pvmd.$(id -u).bench" ]; then
    echo halt | p346_env timeout 10 /usr/lib/pvm3/lib/pvm >/dev/null 2>&1
  fi
  for _ in $(seq 50); do
    kill -0 "$p346_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$p346_pid" 2>/dev/null; then
    say "PVM 3.4.6 pvmd (pid $p346_pid) did not halt; killing it"
    kill -TERM "$p346_pid" 2>/dev/null
    sleep 0.5
    kill -KILL "$p346_pid" 2>/dev/null
  fi
  wait "$p346_pid" 2>/dev/null
  # Tasks of that VM (pvmgs, benchmark tasks) that outlived it.
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qx "PVM_TMP=$p346_dir/tmp" &&
      kill -KILL "${p#/proc/}" 2>/dev/null
  done
  p346_pid=
}
# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
  p346_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- peers: install when missing (root and apt-get only), else skip them
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
missing=()
if command -v dpkg-query >/dev/null; then
  for p in pvm pvm-dev openmpi-bin libopenmpi-dev; do
    have_pkg "$p" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ] && [ -n "$install" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]}"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq "${missing[@]}"; } >"$work/apt.log" 2>&1 ||
      say "apt-get failed; going on without ${missing[*]}"
  else
    say "not root: cannot install ${missing[*]}; those peers may be skipped"
  fi
fi

cflags=(-O2 -Wall -Wextra -Wformat=2 -Wno-unused-parameter -D_GNU_SOURCE)
skipped=()
why346=
whympi=

# ---- PVM-NG (Release), built only as far as needed
say "building PVM-NG (Release) in $build"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_TESTING=OFF >"$work/cmake.log" 2>&1 ||
    { cat "$work/cmake.log" >&2; exit 1; }
fi
cmake --build "$build" -j2 --target pvmd pvm pingpong spawntime collective \
  sockfloor tcpfloor >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; exit 1; }
ngbin=$build/bin

# ---- PVM 3.4.6 from Debian's header and library, never ours
multi=$(gcc -print-multiarch 2>/dev/null)
p346lib=/usr/lib/${multi:-x86_64-linux-gnu}
have346=
if [ -n "$skip346" ]; then
  why346="not requested"
elif [ -f /usr/include/pvm3.h ] && [ -f "$p346lib/libpvm3.so" ] &&
  [ -f "$p346lib/libgpvm3.a" ] && [ -x /usr/lib/pvm3/lib/pvmd ] &&
  [ -x /usr/lib/pvm3/lib/pvmgs ]; then
  mkdir -p "$work/p346bin"
  have346=1
  for p in pingpong spawn collective; do
    libs=(-lpvm3)
    [ $p = collective ] && libs=(-lgpvm3 -lpvm3)
    gcc "${cflags[@]}" -I/usr/include -o "$work/p346bin/$p" "$here/$p.c" \
      -L"$p346lib" -Wl,-rpath,"$p346lib" "${libs[@]}" 2>>"$work/p346build.log" ||
      have346=
  done
  if [ -n "$have346" ] && ! ldd "$work/p346bin/pingpong" |
    grep -q "libpvm3.so.3 => $p346lib/libpvm3.so.3"; then
    say "PVM 3.4.6 build links the wrong libpvm3"
    have346=
  fi
  if [ -z "$have346" ]; then
    cat "$work/p346build.log" >&2
    why346="build failed"
  fi
else
  why346="not installed"
fi

# ---- Open MPI
havempi=
if [ -n "$skipmpi" ]; then
  whympi="not requested"
elif command -v mpicc >/dev/null && command -v mpirun >/dev/null &&
  mpirun --version 2>/dev/null | grep -q "Open MPI"; then
  mkdir -p "$work/mpibin"
  if mpicc "${cflags[@]}" -o "$work/mpibin/mpi_bench" "$here/mpi_bench.c" \
    2>"$work/mpibuild.log"; then
    havempi=1
  else
    cat "$work/mpibuild.log" >&2
    whympi="build failed"
  fi
else
  whympi="not installed"
fi
[ -n "$why346" ] && skipped+=("PVM 3.4.6 ($why346)")
[ -n "$whympi" ] && skipped+=("Open MPI ($whympi)")

# ---- measurements
load=$(cut -d' ' -f1-3 /proc/loadavg)
say "load average before the run: $load (figures are noisy when it is high)"

say "floor: raw AF_UNIX socketpair round trip"
"$ngbin/sockfloor" -n 20000 -R "$reps" >"$res/floor" || say "sockfloor failed"

say "PVM-NG: ping-pong (default route, direct), spawn, collectives"
"$repo/tests/integration/vm.sh" --timeout 1500 "$ngbin" bench "$self" \
  --inside-pvmng "$res" "$ngbin" "$reps" "$smax" >"$work/ng.log" 2>&1 ||
  { say "PVM-NG run failed:"; tail -n 30 "$work/ng.log" >&2; }

if [ -n "$have346" ]; then
  say "PVM 3.4.6: ping-pong (default route, direct), spawn, collectives"
  mkdir -p "$p346_dir/home/pvm3/bin/LINUX64" "$p346_dir/tmp"
  chmod 700 "$p346_dir"
  # pvmgs is started by name from the daemon's ep path, $HOME/pvm3/bin/$ARCH.
  ln -s /usr/lib/pvm3/lib/pvmgs "$p346_dir/home/pvm3/bin/LINUX64/pvmgs"
  p346_root=
  [ "$(id -u)" -eq 0 ] && p346_root=1
  p346_env /usr/lib/pvm3/lib/pvmd </dev/null >"$p346_dir/pvmd.out" 2>&1 &
  p346_pid=$!
  for _ in $(seq 100); do
    [ -e "$p346_dir/tmp/pvmd.$(id -u).bench" ] && break
    kill -0 "$p346_pid" 2>/dev/null || break
    sleep 0.05
  done
  if [ -e "$p346_dir/tmp/pvmd.$(id -u).bench" ]; then
    b=$work/p346bin
    {
      p346_env timeout 600 "$b/pingpong" -s 4 -S "$smax" -R "$reps" \
        >"$res/p346.pp.default"
      p346_env timeout 600 "$b/pingpong" -s 4 -S "$smax" -R "$reps" -r \
        >"$res/p346.pp.direct"
      p346_env timeout 600 "$b/pingpong" -s 4 -S "$smax" -R "$reps" -r -w \
        >"$res/p346.pp.raw"
      p346_env timeout 120 "$b/spawn" -n 7 -R "$reps" >"$res/p346.spawn"
      for n in 2 4 8 16; do
        p346_env timeout 300 "$b/collective" -n "$n" -R "$reps" \
          >"$res/p346.coll.$n"
      done
    } 2>>"$work/p346.log"
    [ -s "$work/p346.log" ] && { say "PVM 3.4.6 said:"; cat "$work/p346.log" >&2; }
  else
    say "PVM 3.4.6 pvmd did not come up:"
    cat "$p346_dir/pvmd.out" "$p346_dir"/tmp/pvml.* >&2 2>/dev/null
  fi
  p346_stop
fi

if [ -n "$havempi" ]; then
  say "Open MPI: ping-pong and collectives over TCP and shared memory"
  mpirun=(mpirun --oversubscribe --mca pml ob1)
  [ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
  tcp=(--mca btl 'tcp,self' --mca btl_tcp_if_include lo)
  shm=(--mca btl 'vader,self')
  mb=$work/mpibin/mpi_bench
  timeout 600 "${mpirun[@]}" -np 2 "${tcp[@]}" "$mb" pingpong -s 4 -S "$smax" \
    -R "$reps" >"$res/mpitcp.pp" 2>>"$work/mpi.log"
  timeout 600 "${mpirun[@]}" -np 2 "${shm[@]}" "$mb" pingpong -s 4 -S "$smax" \
    -R "$reps" >"$res/mpishm.pp" 2>>"$work/mpi.log"
  for n in 2 4 8 16; do
    timeout 300 "${mpirun[@]}" -np "$n" "${tcp[@]}" "$mb" collective \
      -R "$reps" >"$res/mpitcp.coll.$n" 2>>"$work/mpi.log"
    timeout 300 "${mpirun[@]}" -np "$n" "${shm[@]}" "$mb" collective \
      -R "$reps" >"$res/mpishm.coll.$n" 2>>"$work/mpi.log"
  done
  [ -s "$work/mpi.log" ] && { say "Open MPI said:"; tail -n 20 "$work/mpi.log" >&2; }
fi

# ---- the tables
# field <file> <first word> <match word 2> <name>: value after <name> on the
# line whose first two words match.
field() {
  [ -f "$res/$1" ] || return 0
  awk -v a="$2" -v b="$3" -v f="$4" \
    '$1 == a && $2 == b { for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }' \
    "$res/$1"
}
# Formats a figure; "failed" when the peer ran but gave nothing.
fmt() { # <value> <skip reason, empty when the peer ran> <unit: us|ms|GBs>
  if [ -n "$2" ]; then echo "skipped ($2)"
  elif [ -z "$1" ]; then echo "failed"
  else
    case $3 in
    us) awk -v v="$1" 'BEGIN { printf("%.1f us", v) }' ;;
    ms) awk -v v="$1" 'BEGIN { printf("%.1f ms", v) }' ;;
    GBs) awk -v v="$1" 'BEGIN { printf("%.2f GB/s", v / 1000) }' ;;
    esac
  fi
}
ratio() { # <pvm-ng value> <other value>
  { [ -n "$1" ] && [ -n "$2" ]; } || { echo "-"; return; }
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf("%.2f", a / b); else print "-" }'
}
row() { # <measure> <unit> <ng> <p346> <mpitcp> <mpishm> ("-" = not measured)
  local m=$1 u=$2 c out=() vals=("$3" "$4" "$5" "$6")
  local why=("" "$why346" "$whympi" "$whympi")
  for i in 0 1 2 3; do
    c=${vals[$i]}
    if [ "$c" = "-" ]; then out+=("-")
    elif [ "$c" = "notimpl" ]; then out+=("n/a (groups not yet available)")
    else out+=("$(fmt "$c" "${why[$i]}" "$u")")
    fi
  done
  local n=$3 p=$4 t=$5
  case $n in - | notimpl) n= ;; esac
  case $p in - | notimpl) p= ;; esac
  case $t in - | notimpl) t= ;; esac
  [ -n "$have346" ] || p=
  [ -n "$havempi" ] || t=
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$m" "${out[@]}" \
    "$(ratio "$n" "$p")" "$(ratio "$n" "$t")"
}
coll() { # <prefix> <n> <barrier|reduce>
  local f=$res/$1.coll.$2
  if grep -q "groups notimpl" "$f" 2>/dev/null; then
    echo notimpl
    return
  fi
  awk -v w="$3" '$1 == w { for (i = 1; i < NF; i++) if ($i == "us") print $(i + 1) }' \
    "$f" 2>/dev/null
}
pp() { field "$1" size "$2" "$3"; }

{
  echo "| measure | PVM-NG | PVM 3.4.6 | Open MPI (TCP) | Open MPI (shared memory) | PVM-NG / PVM 3.4.6 | PVM-NG / Open MPI (TCP) |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  row "floor: raw AF_UNIX socketpair round trip, 4 B (no PVM, no MPI)" us \
    "$(field floor floor size rtt_us)" - - -
  row "round trip, 4 B, through daemons (default route)" us \
    "$(pp ng.pp.default 4 rtt_us)" "$(pp p346.pp.default 4 rtt_us)" - -
  row "round trip, 4 B, direct (PvmRouteDirect; MPI)" us \
    "$(pp ng.pp.direct 4 rtt_us)" "$(pp p346.pp.direct 4 rtt_us)" \
    "$(pp mpitcp.pp 4 rtt_us)" "$(pp mpishm.pp 4 rtt_us)"
  row "round trip, 4 B, direct over the link's Unix socket (PVMNG_SHM=0)" us \
    "$(pp ng.pp.sock 4 rtt_us)" - - -
  sizes=1048576
  [ "$smax" -gt 1048576 ] && sizes="$sizes $smax"
  for s in $sizes; do
    label="$((s / 1048576)) MiB"
    row "ping-pong bandwidth, $label, through daemons" GBs \
      "$(pp ng.pp.default "$s" bw_MBps)" "$(pp p346.pp.default "$s" bw_MBps)" - -
    row "ping-pong bandwidth, $label, direct (PvmRouteDirect; MPI)" GBs \
      "$(pp ng.pp.direct "$s" bw_MBps)" "$(pp p346.pp.direct "$s" bw_MBps)" \
      "$(pp mpitcp.pp "$s" bw_MBps)" "$(pp mpishm.pp "$s" bw_MBps)"
    row "ping-pong bandwidth, $label, direct over the link's Unix socket (PVMNG_SHM=0)" GBs \
      "$(pp ng.pp.sock "$s" bw_MBps)" - - -
    row "ping-pong bandwidth, $label, PvmDataRaw + pvm_pkbyte, direct (MPI: MPI_Send)" GBs \
      "$(pp ng.pp.raw "$s" bw_MBps)" "$(pp p346.pp.raw "$s" bw_MBps)" \
      "$(pp mpitcp.pp "$s" bw_MBps)" "$(pp mpishm.pp "$s" bw_MBps)"
    row "ping-pong bandwidth, $label, PvmDataRaw + pvm_pkbyte, direct over the Unix socket" GBs \
      "$(pp ng.pp.sockraw "$s" bw_MBps)" - - -
    row "ping-pong bandwidth, $label, PvmDataRaw + pvm_pkbyte, through daemons" GBs \
      "$(pp ng.pp.defraw "$s" bw_MBps)" - - -
  done
  row "spawn 7 tasks on one host (until all reported back)" ms \
    "$(field ng.spawn spawn ntask ms)" "$(field p346.spawn spawn ntask ms)" - -
  for n in 2 4 8 16; do
    row "$n tasks, barrier" us "$(coll ng "$n" barrier)" "$(coll p346 "$n" barrier)" \
      "$(coll mpitcp "$n" barrier)" "$(coll mpishm "$n" barrier)"
  done
  for n in 2 4 8 16; do
    row "$n tasks, reduce of 1024 doubles + barrier" us "$(coll ng "$n" reduce)" \
      "$(coll p346 "$n" reduce)" "$(coll mpitcp "$n" reduce)" "$(coll mpishm "$n" reduce)"
  done
  echo
  echo "Ratios divide PVM-NG's figure by the peer's: below 1 is better for"
  echo "times, above 1 is better for bandwidths. Every figure is the median of"
  echo "$reps repetitions."
  echo
  echo "Ping-pong bandwidth (MB/s, 2 x size / round trip):"
  echo
  echo "| size | PVM-NG daemons | PVM-NG direct | PVM 3.4.6 daemons | PVM 3.4.6 direct | Open MPI (TCP) | Open MPI (shared memory) |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  while IFS= read -r s; do
    line="| $s B"
    for f in ng.pp.default ng.pp.direct p346.pp.default p346.pp.direct mpitcp.pp mpishm.pp; do
      v=$(pp "$f" "$s" bw_MBps)
      line="$line | ${v:--}"
    done
    echo "$line |"
  done < <(awk '$1 == "size" { print $2 }' "$res/ng.pp.default" "$res/mpitcp.pp" \
    "$res/p346.pp.default" 2>/dev/null | sort -n -u)
  echo
  if [ ${#skipped[@]} -gt 0 ]; then
    list=${skipped[0]}
    for s in "${skipped[@]:1}"; do list="$list, $s"; done
    echo "Skipped peers: $list."
  else
    echo "Skipped peers: none."
  fi
  echo "Load average before the run: $load."
} >"$work/table.md"

# ---- between two hosts (network namespaces; root only).
hosts_skipped() {
  skipped+=("between hosts ($1)")
  printf '\nBetween two network-namespace hosts: skipped (%s).\n' "$1" >>"$work/table.md"
}
if [ -n "$skiphosts" ]; then
  hosts_skipped "not requested"
elif [ "$(id -u)" -ne 0 ]; then
  hosts_skipped "needs root for network namespaces"
else
  say "between two network-namespace hosts: bench/cluster_pingpong.sh"
  rounds=5
  [ "$reps" -lt 5 ] && rounds=3
  PVMNG_BENCH_ROUNDS=$rounds timeout 1200 bash "$here/cluster_pingpong.sh" \
    "$ngbin" -R "$reps" >"$work/hosts.out" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    {
      echo
      echo "Between two network-namespace hosts (bench/cluster_pingpong.sh, $rounds rounds):"
      echo
      sed -n '/^summary /,$p' "$work/hosts.out"
    } >>"$work/table.md"
  elif [ $rc -eq 77 ]; then
    hosts_skipped "$(grep -m1 '^SKIP' "$work/hosts.out" || echo "cannot run")"
  else
    tail -n 20 "$work/hosts.out" >&2
    hosts_skipped "bench/cluster_pingpong.sh failed with status $rc"
  fi
fi

cat "$work/table.md"
[ -n "$outfile" ] && cp "$work/table.md" "$outfile"
for s in "${skipped[@]}"; do say "skipped: $s"; done
exit 0
