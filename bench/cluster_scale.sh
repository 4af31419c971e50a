#!/bin/bash
# Many hosts side by side: HOSTS network-namespace hosts (tests/cluster,
# needs root), TASKS_PER_HOST tasks on each, and for PVM-NG, PVM 3.4.6 and
# Open MPI (the latter two when installed: Debian's pvm/pvm-dev and
# openmpi-bin/libopenmpi-dev) in one run:
#   - the time to form the VM (from starting the master daemon with a host
#     file of every host until `conf` lists them all), each PVM-NG daemon's
#     peak memory, and the time from `halt` until no daemon is left;
#   - bench/scale.c (PVM) and `mpi_bench scale` (MPI) over HOSTS x
#     TASKS_PER_HOST tasks: spawn, a token ring by the default route and by
#     direct links (time per hop), barrier, reduce of 1024 doubles then
#     barrier, and an all-to-all of 4 KiB per pair.
# PVM 3.4.6's daemons start on the other hosts through nsrsh (its rsh), Open
# MPI's through nsrsh as its rsh agent, one slot per task on each host, TCP
# between hosts and shared memory inside one, its ranks yielding the
# processor while they wait (mpi_yield_when_idle: the namespace-hosts share
# the machine's cores, which Open MPI cannot see). Prints every program's lines,
# then one table with the ratios.
#
# Usage: bench/cluster_scale.sh <bin dir> HOSTS [TASKS_PER_HOST]   (default 2)
# PVMNG_SCALE_PEERS=0 measures PVM-NG alone; PVMNG_SCALE_ARGS replaces the
# scale programs' options (default "-i 100 -R 5 -l 20").
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/cluster" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$(readlink -f "${1:?usage: $0 <bin dir> HOSTS [TASKS_PER_HOST]}")
n=${2:?usage: $0 <bin dir> HOSTS [TASKS_PER_HOST]}
per=${3:-2}
for v in "$n" "$per"; do
  case $v in
  '' | *[!0-9]* | 0)
    echo "$0: HOSTS and TASKS_PER_HOST must be positive numbers" >&2
    exit 2
    ;;
  esac
done
[ -x "$BIN/scale" ] || {
  echo "$0: $BIN/scale is missing (build the bench target scale)" >&2
  exit 2
}
ntask=$((n * per))
[ "$ntask" -ge 2 ] || {
  echo "$0: at least two tasks are needed" >&2
  exit 2
}
read -r -a sargs <<<"${PVMNG_SCALE_ARGS:--i 100 -R 5 -l 20}"
peers=${PVMNG_SCALE_PEERS:-1}
# shellcheck source=../tests/cluster/netns.sh
source "$here/netns.sh"
# shellcheck source=../tests/cluster/vm.sh
source "$here/vm.sh"

now_ms() { date +%s%3N; }
skipped=()

cluster_up "$n"
res=$CLUSTER_TMP/results
mkdir -p "$res"
hosts=()
for i in $(seq 1 "$n"); do
  hosts+=("$(cluster_name "h$i")")
done

# daemons COMM...: how many processes named COMM run in the hosts.
daemons() {
  local h p c k=0
  for h in "${CLUSTER_HOSTS[@]}"; do
    for p in $(ip netns pids "$h" 2>/dev/null); do
      c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
      for want in "$@"; do
        [ "$c" = "$want" ] && k=$((k + 1))
      done
    done
  done
  echo "$k"
}

# wait_formed NAME CMD...: polls CMD (a conf printer) until it shows all
# HOSTS, then writes the milliseconds since $t0 to $res/NAME.form.
wait_formed() {
  local name=$1
  shift
  until [ "$("$@" 2>/dev/null || echo 0)" -ge "$n" ] 2>/dev/null; do
    [ $(($(now_ms) - t0)) -lt 120000 ] || {
      echo "# $name: $n hosts did not form in 120 s" >&2
      return 1
    }
    sleep 0.02
  done
  echo $(($(now_ms) - t0)) >"$res/$name.form"
}

# wait_gone NAME COMM...: after a halt, until no daemon COMM is left.
wait_gone() {
  local name=$1
  shift
  until [ "$(daemons "$@")" = 0 ]; do
    [ $(($(now_ms) - t1)) -lt 60000 ] || {
      echo "# $name: daemons still running 60 s after halt" >&2
      return 1
    }
    sleep 0.01
  done
  echo $(($(now_ms) - t1)) >"$res/$name.halt"
}

# ---- PVM-NG
cd "$BIN"
vm_env
printf '%s\n' "${hosts[@]}" >"$CLUSTER_TMP/hostfile"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(now_ms)
cluster_exec h1 "$BIN/pvmd" "$CLUSTER_TMP/hostfile" || vm_fail "master"
wait_formed ng vm_nhosts h1 || vm_fail "PVM-NG did not form"
echo "# PVM-NG: $n hosts formed in $(cat "$res/ng.form") ms"
echo "# PVM-NG: scale -n $ntask ${sargs[*]}"
cluster_exec h1 timeout 600 "$BIN/scale" -n "$ntask" "${sargs[@]}" |
  tee "$res/ng.scale" || echo "# PVM-NG: scale failed" >&2
for h in "${CLUSTER_HOSTS[@]}"; do
  for p in $(ip netns pids "$h" 2>/dev/null); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pvmd ] || continue
    awk '/VmHWM/ { print $2 }' "/proc/$p/status" 2>/dev/null || true
  done
done >"$res/ng.mem"
t1=$(now_ms)
cluster_exec h1 "$BIN/pvm" -c halt >/dev/null 2>&1 || true
wait_gone ng pvmd || vm_fail "PVM-NG did not halt"
echo "# PVM-NG: halted in $(cat "$res/ng.halt") ms"

# ---- PVM 3.4.6
lib346=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
p346=$CLUSTER_TMP/p346
if [ "$peers" = 0 ]; then
  skipped+=("PVM 3.4.6 and Open MPI (PVMNG_SCALE_PEERS=0)")
elif [ -f /usr/include/pvm3.h ] && [ -f "$lib346/libgpvm3.so" ] &&
  [ -x /usr/lib/pvm3/lib/pvmd ] && mkdir -p "$p346/home" "$p346/bin" &&
  gcc -O2 -I/usr/include -I"$src" -o "$p346/bin/scale" "$src/scale.c" \
    -L"$lib346" -Wl,-rpath,"$lib346" -lgpvm3 -lpvm3 2>"$p346/build.log" &&
  ldd "$p346/bin/scale" | grep -q "libpvm3.so.3 => $lib346/libpvm3.so.3"; then
  p346_env=(env HOME="$p346/home" PVM_ROOT=/usr/lib/pvm3 PVM_ARCH=LINUX64
    PVM_RSH="$here/nsrsh" PVM_VMID=b346)
  [ "$(id -u)" -eq 0 ] && p346_env+=(PVM_ALLOW_ROOT=yes)
  echo "${hosts[0]} ep=$p346/bin:/usr/lib/pvm3/lib" >"$p346/hostfile"
  for h in "${hosts[@]:1}"; do
    echo "$h ep=$p346/bin:/usr/lib/pvm3/lib dx=/usr/lib/pvm3/lib/pvmd"
  done >>"$p346/hostfile"
  conf346() {
    echo conf | cluster_exec h1 "${p346_env[@]}" timeout 5 \
      /usr/lib/pvm3/lib/pvm 2>/dev/null |
      awk '/host.*data format/ { print $1; exit }'
  }
  t0=$(now_ms)
  cluster_spawn h1 "${p346_env[@]}" /usr/lib/pvm3/lib/pvmd "$p346/hostfile" \
    </dev/null >"$p346/pvmd.out" 2>&1
  if wait_formed p346 conf346; then
    echo "# PVM 3.4.6: $n hosts formed in $(cat "$res/p346.form") ms"
    echo "# PVM 3.4.6: scale -n $ntask ${sargs[*]}"
    cluster_exec h1 "${p346_env[@]}" timeout 600 "$p346/bin/scale" \
      -n "$ntask" "${sargs[@]}" | tee "$res/p346.scale" ||
      echo "# PVM 3.4.6: scale failed" >&2
  else
    skipped+=("PVM 3.4.6 (its daemons did not form; see $p346/pvmd.out)")
  fi
  t1=$(now_ms)
  echo halt | cluster_exec h1 "${p346_env[@]}" timeout 10 \
    /usr/lib/pvm3/lib/pvm >/dev/null 2>&1 || true
  if wait_gone p346 pvmd3 pvmd; then
    echo "# PVM 3.4.6: halted in $(cat "$res/p346.halt") ms"
  fi
  pkill -KILL -f "^/usr/lib/pvm3/lib/.*pvmd3? .*$PVMNG_CLUSTER_PREFIX" \
    2>/dev/null || true
else
  skipped+=("PVM 3.4.6 (not installed: pvm, pvm-dev)")
fi

# ---- Open MPI
mpi=$CLUSTER_TMP/mpi
if [ "$peers" = 0 ]; then
  :
elif command -v mpicc >/dev/null && command -v mpirun >/dev/null &&
  mpirun --version 2>/dev/null | grep -q "Open MPI" && mkdir -p "$mpi" &&
  mpicc -O2 -I"$src" -o "$mpi/mpi_bench" "$src/mpi_bench.c" 2>"$mpi/build.log"; then
  slots=$(printf "%s:$per," "${hosts[@]}")
  mpirun=(mpirun --host "${slots%,}" -np "$ntask" --bind-to none
    --mca plm_rsh_agent "$here/nsrsh" --mca pml ob1 --mca btl 'tcp,vader,self'
    --mca btl_tcp_if_include eth0 --mca oob_tcp_if_include eth0
    --mca mpi_yield_when_idle 1)
  [ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
  echo "# Open MPI: mpi_bench scale ${sargs[*]} ($ntask ranks)"
  t0=$(now_ms)
  cluster_exec h1 timeout 600 "${mpirun[@]}" "$mpi/mpi_bench" scale \
    "${sargs[@]}" 2>"$mpi/err" | tee "$res/mpi.scale" ||
    echo "# Open MPI: mpirun failed (see $mpi/err)" >&2
  echo "# Open MPI: mpirun took $(($(now_ms) - t0)) ms in all"
else
  skipped+=("Open MPI (not installed: openmpi-bin, libopenmpi-dev)")
fi

# ---- The table.
# get FILE PATTERN FIELD: the word after FIELD on the line matching PATTERN.
get() {
  [ -s "$1" ] || {
    echo -
    return
  }
  awk -v pat="$2" -v f="$3" '$0 ~ pat {
      for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }' "$1" |
    grep . || echo -
}
file() { [ -s "$res/$1" ] && cat "$res/$1" || echo -; }
q() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
row() { # row MEASURE NG P346 MPI
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" \
    "$(q "$2" "$3")" "$(q "$2" "$4")"
}
echo
echo "| $n hosts x $per tasks | PVM-NG | PVM 3.4.6 | Open MPI | PVM-NG / PVM 3.4.6 | PVM-NG / Open MPI |"
echo "| --- | --- | --- | --- | --- | --- |"
row "VM formed (ms)" "$(file ng.form)" "$(file p346.form)" -
row "spawn of $ntask tasks (ms)" "$(get "$res/ng.scale" '^spawn' ms)" \
  "$(get "$res/p346.scale" '^spawn' ms)" -
row "token ring, default route, per hop (us)" \
  "$(get "$res/ng.scale" 'route default' hop_us)" \
  "$(get "$res/p346.scale" 'route default' hop_us)" \
  "$(get "$res/mpi.scale" 'route default' hop_us)"
row "token ring, direct links, per hop (us)" \
  "$(get "$res/ng.scale" 'route direct' hop_us)" \
  "$(get "$res/p346.scale" 'route direct' hop_us)" \
  "$(get "$res/mpi.scale" 'route default' hop_us)"
row "barrier (us)" "$(get "$res/ng.scale" '^barrier' us)" \
  "$(get "$res/p346.scale" '^barrier' us)" "$(get "$res/mpi.scale" '^barrier' us)"
row "reduce 1024 doubles + barrier (us)" "$(get "$res/ng.scale" '^reduce' us)" \
  "$(get "$res/p346.scale" '^reduce' us)" "$(get "$res/mpi.scale" '^reduce' us)"
row "all-to-all, 4 KiB per pair (us)" "$(get "$res/ng.scale" '^alltoall' us)" \
  "$(get "$res/p346.scale" '^alltoall' us)" "$(get "$res/mpi.scale" '^alltoall' us)"
row "halt (ms)" "$(file ng.halt)" "$(file p346.halt)" -
if [ -s "$res/ng.mem" ]; then
  awk '{ s += $1; if ($1 > m) m = $1 }
    END { printf "\nPVM-NG daemon peak memory: %.1f MiB largest, %.1f MiB mean\n", m / 1024, s / NR / 1024 }' "$res/ng.mem"
fi
echo "Open MPI's token ring has one route (its rows repeat it); the workers'"
echo "hosts: PVM-NG $(get "$res/ng.scale" '^hosts' hosts), PVM 3.4.6 $(get "$res/p346.scale" '^hosts' hosts)."
for s in "${skipped[@]}"; do
  echo "skipped: $s"
done
cluster_down
