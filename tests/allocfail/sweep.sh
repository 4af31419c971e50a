#!/bin/bash
# Allocation-failure sweep: for N = 1, 2, 3, ... fails the N-th allocation
# of one request (start-up, connect, send, spawn, addhost) in the daemon
# (pvmd-allocfail) or in the task (af_client), until N passes the request's
# last allocation. Each round must end without a crash, a hang or a
# sanitizer report; only that request may fail (af_client retries it once,
# and the retry must succeed); a second client must then be served
# (af_client check); at the end the daemon holds no more descriptors than
# before, and its halt leaves no leak report (under ASan+UBSan).
#
# Usage: sweep.sh <bin dir> <startup|connect|send|spawn|addhost>
#                 <daemon|task> [--max N] [--stride K]
# --max N stops after round N (CI keeps each sweep short; the full sweep is
# the default, no cap); --stride K tries N = 1, 1+K, 1+2K, ...
set -u
here=$(cd "$(dirname "$0")" && pwd)
bindir=$(cd "${1:?usage: $0 <bin dir> <scenario> <daemon|task>}" && pwd) || exit 2
scenario=${2:?scenario}
target=${3:?daemon or task}
shift 3
max=0
stride=1
while [ $# -gt 0 ]; do
  case $1 in
  --max) max=$2; shift 2 ;;
  --stride) stride=$2; shift 2 ;;
  *) echo "sweep.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for f in pvmd-allocfail af_client pvm; do
  [ -x "$bindir/$f" ] || { echo "sweep.sh: $bindir/$f is missing; build first" >&2; exit 2; }
done

rt=$(mktemp -d "${TMPDIR:-/tmp}/pvmng-af.XXXXXX") || exit 2
unset PVM_EXPORT PVM_WD PVM_PATH PVMNG_SOCKET PVMNG_TID PVM_ROOT PVM_ARCH \
  PVMHOSTFILE PVM_DEBUGGER PVMNG_ALLOCFAIL PVMNG_ALLOCFAIL_ARM PVMNG_ALLOCFAIL_LOG
export PVM_TMP=$rt
export PVM_VMID="af-$scenario-$target-$$"
export PVM_DPATH=$bindir/pvmd-allocfail
# Every sanitizer report of every process lands here (the daemon's stderr
# is /dev/null once it has forked).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$rt/san"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$rt/san"
files=$rt/pvm-$(id -u)/pvmd.$PVM_VMID
log=$rt/hook.log
nfile=$rt/n
name="sweep[$scenario/$target]"
say() { echo "$name: $*"; }
status=0
problems=0
fail() {
  say "FAIL: $*" >&2
  status=1
  problems=$((problems + 1))
}

daemon_pid() { grep -o '[0-9]\+' "$files.lock" 2>/dev/null | head -n 1; }

# Starts the daemon with the hook's settings given as arguments (env
# assignments); 0 once its socket is ready, 1 if it exited first (its
# status in $start_status).
start_daemon() {
  env PVM_RSH=false PVMNG_ALLOCFAIL_LOG="$log" "$@" \
    "$bindir/pvmd-allocfail" </dev/null >"$rt/pvmd.out" 2>&1
  start_status=$?
  [ -S "$files.sock" ] && [ -n "$(daemon_pid)" ]
}

halt_daemon() {
  local pid
  pid=$(daemon_pid)
  timeout 10 "$bindir/pvm" -c halt </dev/null >"$rt/halt.out" 2>&1
  for _ in $(seq 100); do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  fail "halt did not stop pvmd (pid $pid)"
  kill -KILL "$pid" 2>/dev/null
}

# Sanitizer reports so far: any is a failure, shown once.
check_san() {
  local f
  for f in "$rt"/san*; do
    [ -f "$f" ] || continue
    fail "sanitizer report ($1):"
    head -n 60 "$f" >&2
    mv "$f" "$rt/seen.$(basename "$f")"
  done
}

fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
  local pid
  pid=$(daemon_pid)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    timeout 5 "$bindir/pvm" -c halt </dev/null >/dev/null 2>&1
    sleep 0.2
    kill -KILL "$pid" 2>/dev/null
  fi
  if [ "$status" -ne 0 ] && [ -s "$files.log" ]; then
    echo "---- daemon log (last 30 lines) ----" >&2
    tail -n 30 "$files.log" >&2
  fi
  rm -rf "$rt"
}
trap cleanup EXIT

# One round of the start-up sweep: the daemon, armed from its first
# allocation, either comes up and serves, or exits with a message.
startup_round() {
  local n=$1 pid before=$problems
  echo "$n" >"$nfile"
  : >"$log"
  if start_daemon PVMNG_ALLOCFAIL="@$nfile" PVMNG_ALLOCFAIL_ARM=start; then
    # Start-up is over: what follows is not under test.
    disarm "$(daemon_pid)"
    timeout 30 "$bindir/af_client" check >"$rt/check.out" 2>&1 ||
      fail "N=$n: the daemon came up but did not serve: $(tail -n 3 "$rt/check.out")"
    halt_daemon
  else
    case $start_status in
    0) fail "N=$n: pvmd said it started but has no socket" ;;
    1) grep -q . "$rt/pvmd.out" || fail "N=$n: pvmd failed without a message" ;;
    *) fail "N=$n: pvmd ended with status $start_status" ;;
    esac
    pid=$(daemon_pid)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      fail "N=$n: pvmd failed to start but runs on (pid $pid)"
      kill -KILL "$pid"
    fi
  fi
  check_san "N=$n"
  [ "$problems" -eq "$before" ] || show_hit >&2
}

# Disarms the daemon's hook (N = 0), so that the second client is served
# without an injected failure, and waits until it has.
disarm() {
  local armed
  armed=$(grep -c "^armed $1\$" "$log")
  echo 0 >"$nfile"
  kill -USR2 "$1" 2>/dev/null || return 0
  for _ in $(seq 200); do
    [ "$(grep -c "^armed $1\$" "$log")" -gt "$armed" ] && return 0
    sleep 0.01
  done
}

# The injected failure and its call stack, with file and line where
# addr2line can tell.
show_hit() {
  local line
  sed -n '/^fail /,$p' "$log" | head -n 24 | while IFS= read -r line; do
    if [[ $line =~ ^([^\(]+)\(\+(0x[0-9a-f]+)\) ]] && command -v addr2line >/dev/null; then
      addr2line -f -i -p -e "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" 2>/dev/null |
        sed "s|$here/../../||g; s|^|  |"
    else
      echo "$line"
    fi
  done
}

# One round against a running daemon: the request with the failure in the
# daemon (armed by af_client through SIGUSR2) or in the task, then a second
# client.
request_round() {
  local n=$1 dpid=$2 st before=$problems
  echo "$n" >"$nfile"
  : >"$log"
  if [ "$target" = daemon ]; then
    timeout 30 "$bindir/af_client" "$scenario" "$dpid" "$log" >"$rt/client.out" 2>&1
  else
    PVMNG_ALLOCFAIL="$n" PVMNG_ALLOCFAIL_LOG="$log" \
      timeout 30 "$bindir/af_client" "$scenario" self "$log" >"$rt/client.out" 2>&1
  fi
  st=$?
  [ "$target" = daemon ] && disarm "$dpid"
  case $st in
  0 | 3) ;;
  124) fail "N=$n: the request hung" ;;
  *) fail "N=$n: af_client ended with status $st: $(tail -n 5 "$rt/client.out")" ;;
  esac
  if [ "$st" -eq 3 ] && ! grep -q '^fail ' "$log"; then
    fail "N=$n: the request failed with no failure injected: $(tail -n 3 "$rt/client.out")"
  fi
  if ! kill -0 "$dpid" 2>/dev/null; then
    fail "N=$n: the daemon died"
    return 1
  fi
  timeout 30 "$bindir/af_client" check >"$rt/check.out" 2>&1 ||
    fail "N=$n: the daemon no longer serves a second client: $(tail -n 3 "$rt/check.out")"
  fd_settle "$dpid"
  [ "$fd1" -le "$fd0" ] || fail "N=$n: the daemon holds $((fd1 - fd0)) more descriptor(s) than before"
  fd0=$fd1
  check_san "N=$n"
  [ "$problems" -eq "$before" ] || show_hit >&2
}

# fd1: the daemon's descriptors, once no more than fd0 (or after 2 s).
fd_settle() {
  fd1=$(fd_count "$1")
  for _ in $(seq 40); do
    [ "$fd1" -le "$fd0" ] && return
    sleep 0.05
    fd1=$(fd_count "$1")
  done
}

rounds=0
failed=0
n=1
start=$(date +%s)
if [ "$scenario" = startup ]; then
  [ "$target" = daemon ] || { echo "sweep.sh: startup is a daemon scenario" >&2; exit 2; }
  while :; do
    startup_round "$n"
    rounds=$((rounds + 1))
    grep -q '^fail ' "$log" || break
    failed=$((failed + 1))
    [ "$max" -gt 0 ] && [ "$n" -ge "$max" ] && break
    n=$((n + stride))
  done
else
  echo 0 >"$nfile"
  start_daemon PVMNG_ALLOCFAIL="@$nfile" || {
    cat "$rt/pvmd.out" >&2
    fail "pvmd did not start"
    exit 1
  }
  dpid=$(daemon_pid)
  # The first clients (and what they leave, such as a pipe the daemon keeps
  # once it has started a host) are not under test: one check and the
  # request itself without a failure, before the baseline.
  timeout 30 "$bindir/af_client" check >"$rt/check.out" 2>&1 ||
    fail "the daemon does not serve before the sweep: $(cat "$rt/check.out")"
  timeout 30 "$bindir/af_client" "$scenario" "$dpid" "$log" >"$rt/check.out" 2>&1 ||
    fail "the request fails with no failure injected: $(cat "$rt/check.out")"
  fd0=$(fd_count "$dpid")
  first=$fd0
  while :; do
    request_round "$n" "$dpid" || break
    rounds=$((rounds + 1))
    grep -q '^fail ' "$log" || break
    failed=$((failed + 1))
    [ "$max" -gt 0 ] && [ "$n" -ge "$max" ] && break
    n=$((n + stride))
  done
  if kill -0 "$dpid" 2>/dev/null; then
    fd_settle "$dpid"
    say "daemon descriptors: $first before, $fd1 after"
    [ "$fd1" -le "$first" ] || {
      ls -l "/proc/$dpid/fd" >&2
      fail "the daemon holds $((fd1 - first)) more descriptor(s) than before"
    }
    say "daemon resident memory after: $(awk '/VmRSS/ { print $2, $3 }' "/proc/$dpid/status")"
    halt_daemon
  fi
  check_san "halt"
fi
say "$rounds round(s), $failed with an injected failure, N up to $n, $(($(date +%s) - start)) s"
[ "$status" -eq 0 ] && say "ok"
exit "$status"
