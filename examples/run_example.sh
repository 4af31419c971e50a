#!/bin/bash
# Runs one example program in a private, throw-away virtual machine: its own
# runtime directory and VM id, a daemon started for it alone, and a halt and
# clean-up on every way out. Used by ctest and by deploy/quickstart.sh.
#
# Usage: run_example.sh <bin dir> <program> [args...]
# The last line is "run_example: <program> exited with status <n>".
# EXAMPLE_TIMEOUT (seconds, default 45) bounds the program's run time.
# EXAMPLE_TRACE=FILE runs it under `pvm trace -o FILE` (its timeline).
set -u

if [ $# -lt 2 ]; then
  echo "usage: $0 <bin dir> <program> [args...]" >&2
  exit 2
fi
bindir=$(cd "$1" 2>/dev/null && pwd -P) || {
  echo "run_example: no such directory: $1" >&2
  exit 2
}
prog=$2
shift 2
for f in pvmd pvm "$prog"; do
  if [ ! -x "$bindir/$f" ]; then
    echo "run_example: $bindir/$f is missing; build first" >&2
    exit 2
  fi
done

rt=$(mktemp -d "${TMPDIR:-/tmp}/pvmng-example.XXXXXX") || exit 2
export PVM_TMP=$rt
export PVM_VMID="ex-${prog}-$$-${RANDOM}"
export PVM_DPATH=$bindir/pvmd
# The daemon's files, as sec/rundir.c names them.
files=$rt/pvm-$(id -u)/pvmd.$PVM_VMID
daemon_pid=

# Is pid a live process running our pvmd binary?
is_our_pvmd() {
  [ -n "$1" ] && [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$bindir/pvmd" ]
}

# Pids of our daemon: the one we started and the one its lock file names.
daemon_pids() {
  local pid
  is_our_pvmd "$daemon_pid" && echo "$daemon_pid"
  pid=$(grep -o '[0-9]\+' "$files.lock" 2>/dev/null | head -n 1)
  is_our_pvmd "$pid" && echo "$pid"
}

# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
  local st=$? pid
  trap - EXIT INT TERM HUP
  timeout 10 "$bindir/pvm" -c halt </dev/null >/dev/null 2>&1
  for _ in $(seq 50); do
    [ -z "$(daemon_pids)" ] && break
    sleep 0.1
  done
  for pid in $(daemon_pids | sort -u); do
    echo "run_example: halt did not stop pvmd (pid $pid); killing it" >&2
    kill -TERM "$pid" 2>/dev/null
    sleep 0.5
    is_our_pvmd "$pid" && kill -KILL "$pid" 2>/dev/null
  done
  if [ "$st" -ne 0 ]; then
    # Show the daemon's side of the story.
    for f in "$rt/pvmd.out" "$files.log"; do
      [ -s "$f" ] || continue
      echo "---- $f (last 40 lines) ----" >&2
      tail -n 40 "$f" >&2
    done
  fi
  rm -rf "$rt"
  exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Start the daemon. Whether it stays in the foreground or detaches, it is
# ready once its socket exists.
"$bindir/pvmd" </dev/null >"$rt/pvmd.out" 2>&1 &
daemon_pid=$!
ready=
for _ in $(seq 100); do
  if [ -S "$files.sock" ]; then
    ready=1
    break
  fi
  if ! kill -0 "$daemon_pid" 2>/dev/null && [ -z "$(daemon_pids)" ]; then
    break
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "run_example: pvmd did not come up in $rt" >&2
  exit 1
fi
echo "run_example: pvmd up (PVM_VMID=$PVM_VMID, PVM_TMP=$rt)"

if [ -n "${EXAMPLE_TRACE:-}" ]; then
  timeout --kill-after=5 "${EXAMPLE_TIMEOUT:-45}" "$bindir/pvm" trace \
    -o "$EXAMPLE_TRACE" "$bindir/$prog" "$@" </dev/null
else
  timeout --kill-after=5 "${EXAMPLE_TIMEOUT:-45}" "$bindir/$prog" "$@" </dev/null
fi
st=$?
[ "$st" -eq 124 ] && echo "run_example: $prog timed out" >&2
echo "run_example: $prog exited with status $st"
exit "$st"
