#!/bin/bash
# Harness of the single-host integration tests: runs one test program in a
# private, throw-away virtual machine (own PVM_TMP from mktemp -d, own
# PVM_VMID, a pvmd of its own) and, on every way out (pass, failure, timeout,
# signal), halts that VM and removes its directory.
#
# Usage: vm.sh [options] <bin dir> <test name> <program> [args...]
#   --no-daemon          do not start pvmd (the program runs with no VM)
#   --path-link NAME=PRG make $PVM_TMP/path/NAME a link to <bin dir>/PRG and
#                        put that directory first on the daemon's PATH and
#                        PVM_PATH (spawn by plain name)
#   --timeout SECONDS    bound on the program's run time (default 100)
#   --loopback           two hosts on this machine: the master, host loop1,
#                        and host loop2, each a pvmd on 127.0.0.1 with its
#                        own runtime directory and its own daemons' port
#                        (PVMNG_PEER_PORT=0: the kernel picks a free one, so
#                        runs side by side never collide), certificates in
#                        $PVM_TMP/pki; the master starts loop2 from its host
#                        file through loopback_rsh.sh. The program starts
#                        once both are in the VM; both daemons must be gone
#                        after the halt.
# <program> is an absolute path or a name in <bin dir>. The program's exit
# status is the harness's; the last line says what it was.
set -u

no_daemon=
loopback=
links=()
limit=100
while [ $# -gt 0 ]; do
  case $1 in
  --no-daemon) no_daemon=1; shift ;;
  --path-link) links+=("$2"); shift 2 ;;
  --timeout) limit=$2; shift 2 ;;
  --loopback) loopback=1; shift ;;
  --) shift; break ;;
  -*) echo "vm.sh: unknown option $1" >&2; exit 2 ;;
  *) break ;;
  esac
done
if [ $# -lt 3 ]; then
  echo "usage: $0 [--no-daemon] [--loopback] [--path-link NAME=PRG] [--timeout S]" \
    "<bin dir> <test name> <program> [args...]" >&2
  exit 2
fi
bindir=$(cd "$1" 2>/dev/null && pwd) || {
  echo "vm.sh: no such directory: $1" >&2
  exit 2
}
name=$2
prog=$3
shift 3
case $prog in
/*) ;;
*) prog=$bindir/$prog ;;
esac
need=("$prog")
[ -z "$no_daemon" ] && need+=("$bindir/pvmd")
for f in "${need[@]}"; do
  if [ ! -x "$f" ]; then
    echo "vm.sh: $f is missing; build first" >&2
    exit 2
  fi
done

rt=$(mktemp -d "${TMPDIR:-/tmp}/pvmng-it.XXXXXX") || exit 2
# Nothing from the caller's PVM setup may leak into the test.
unset PVM_EXPORT PVM_WD PVM_PATH PVMNG_SOCKET PVMNG_TID PVM_ROOT PVM_ARCH \
  PVMHOSTFILE PVM_DEBUGGER
export PVM_TMP=$rt
export PVM_VMID="it-${name}-$$-${RANDOM}"
PVM_VMID=${PVM_VMID:0:64}
export PVM_DPATH=$bindir/pvmd
export IT_BINDIR=$bindir
# The daemon's files, as sec/rundir.c names them (files2: the second
# host's, with --loopback).
files=$rt/pvm-$(id -u)/pvmd.$PVM_VMID
files2=$rt/loop2/pvm-$(id -u)/pvmd.$PVM_VMID
daemon_pid=
say() { echo "vm.sh[$name]: $*"; }

# The binaries as the kernel names them (/proc/<pid>/exe), links resolved.
pvmd_exe=$(readlink -f "$bindir/pvmd")
realbin=$(readlink -f "$bindir")

# Is pid a live process running our pvmd binary?
is_our_pvmd() {
  [ -n "$1" ] && [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$pvmd_exe" ]
}

# Pids of this VM's daemons: the one started here and those their locks
# name.
daemon_pids() {
  local pid lock
  is_our_pvmd "$daemon_pid" && echo "$daemon_pid"
  for lock in "$files.lock" "$files2.lock"; do
    pid=$(grep -o '[0-9]\+' "$lock" 2>/dev/null | head -n 1)
    is_our_pvmd "$pid" && echo "$pid"
  done
}

# Live processes of ours (run from the bin dir) that belong to this VM:
# tasks the daemon left behind.
# shellcheck disable=SC2317 # called from cleanup, which the EXIT trap runs
leftovers() {
  local p exe
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    case $exe in
    "$bindir"/* | "$realbin"/* | "$pvmd_exe") ;;
    *) continue ;;
    esac
    tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qx "PVM_VMID=$PVM_VMID" &&
      echo "${p#/proc/}"
  done
}

# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
  local st=$? pid left
  trap - EXIT INT TERM HUP
  if [ -z "$no_daemon" ]; then
    if [ -x "$bindir/pvm" ]; then
      timeout 5 "$bindir/pvm" -c halt </dev/null >"$rt/halt.out" 2>&1
    fi
    for _ in $(seq 50); do
      [ -z "$(daemon_pids)" ] && break
      sleep 0.1
    done
    for pid in $(daemon_pids | sort -u); do
      say "halt did not stop pvmd (pid $pid); killing it" >&2
      # Two hosts: halting the whole VM is part of what is tested.
      [ -n "$loopback" ] && [ "$st" -eq 0 ] && st=1
      kill -TERM "$pid" 2>/dev/null
      sleep 0.5
      is_our_pvmd "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    # A halted VM has no tasks left: anything still running is a leak.
    for _ in $(seq 20); do
      left=$(leftovers)
      [ -z "$left" ] && break
      sleep 0.1
    done
    if [ -n "$left" ]; then
      say "tasks still running after the halt:" >&2
      for pid in $left; do
        echo "  $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" >&2
        kill -KILL "$pid" 2>/dev/null
      done
      [ "$st" -eq 0 ] && st=1
    fi
  fi
  if [ "$st" -ne 0 ]; then
    # The daemon's side of the story.
    for f in "$rt/pvmd.out" "$files.log" "$files2.log" "$rt/halt.out"; do
      [ -s "$f" ] || continue
      echo "---- $f (last 40 lines) ----" >&2
      tail -n 40 "$f" >&2
    done
  fi
  rm -rf "$rt"
  say "exit status $st"
  exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Programs spawned by plain name: a directory of links on the daemon's path.
if [ ${#links[@]} -gt 0 ]; then
  mkdir -p "$rt/path" || exit 2
  for l in "${links[@]}"; do
    ln -s "$bindir/${l#*=}" "$rt/path/${l%%=*}" || exit 2
  done
  export PATH=$rt/path:$PATH
  export PVM_PATH=$rt/path
fi

daemon_args=()
if [ -n "$loopback" ]; then
  # The master names itself loop1 and opens the daemons' port on 127.0.0.1
  # (ip= on its own line); loop2 is started through loopback_rsh.sh, which
  # runs the command here with loop2's own PVM_TMP.
  mkdir -m 700 "$rt/pki" && mkdir "$rt/loop2" || exit 2
  printf 'loop1 ip=127.0.0.1\nloop2\n' >"$rt/hostfile" || exit 2
  export PVM_CERTDIR=$rt/pki PVMNG_LOOPBACK_TMP=$rt/loop2 PVMNG_PEER_PORT=0
  export PVM_RSH
  PVM_RSH=$(dirname "$(readlink -f "$0")")/loopback_rsh.sh
  daemon_args=(-n loop1 "$rt/hostfile")
fi

if [ -z "$no_daemon" ]; then
  # pvmd returns once its socket is ready; should it stay in the
  # foreground, the socket's appearance says the same.
  "$bindir/pvmd" "${daemon_args[@]}" </dev/null >"$rt/pvmd.out" 2>&1 &
  daemon_pid=$!
  ready=
  for _ in $(seq 200); do
    if [ -S "$files.sock" ]; then
      ready=1
      break
    fi
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
      wait "$daemon_pid"
      dst=$?
      if [ "$dst" -ne 0 ]; then
        say "pvmd exited with status $dst before it was ready" >&2
        exit 1
      fi
      [ -S "$files.sock" ] && ready=1
      [ -z "$(daemon_pids)" ] && break
    fi
    sleep 0.05
  done
  if [ -z "$ready" ]; then
    say "pvmd did not come up (no socket $files.sock)" >&2
    exit 1
  fi
  say "pvmd up (PVM_VMID=$PVM_VMID, PVM_TMP=$rt)"
fi

if [ -n "$loopback" ]; then
  # The second host joins on its own after the master is up.
  hosts=0
  for _ in $(seq 200); do
    hosts=$(timeout 5 "$bindir/pvm" -c conf </dev/null 2>/dev/null | grep -c LINUX64)
    [ "$hosts" = 2 ] && break
    sleep 0.1
  done
  if [ "$hosts" != 2 ]; then
    say "the second daemon did not join (conf lists $hosts hosts)" >&2
    exit 1
  fi
  say "loop2 joined: $(grep -o 'listening for daemons on [0-9.:]*' "$files.log")"
fi

timeout --kill-after=5 "$limit" "$prog" "$@" </dev/null
st=$?
[ "$st" -eq 124 ] && say "$(basename "$prog") timed out after $limit s" >&2
exit "$st"
