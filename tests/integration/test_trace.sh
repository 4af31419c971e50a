#!/bin/bash
# Integration tests of tracing from the console, against a real pvmd, each
# case in its own throw-away virtual machine (private PVM_TMP, own
# PVM_VMID) that the console starts and that is halted and removed on
# every way out.
#
# usage: test_trace.sh <pvm> <pvmd> <master> <case>
#   console   the trace command (the listing as PVM 3.4.6 prints it, add,
#             remove, buf, opt, unknown event) and spawn -@: the
#             master/worker example's events are printed, for its workers
#             too, and only the events of the mask; spawn -@file
#   timeline  pvm trace -o run.json master: the file parses (jq), every
#             message sent has its receive (flow start and end per id),
#             arrows point forward in time, one track per task, an arrow
#             from the spawn to each worker
# <master> is the master/worker example (examples/master.c); its worker
# lies beside it. Exit status 77: skipped (jq missing).
set -u

if [ $# -ne 4 ]; then
  echo "usage: $0 <pvm> <pvmd> <master> <case>" >&2
  exit 2
fi
PVM=$1
PVMD=$2
MASTER=$3
CASE=$4
for f in "$PVM" "$PVMD" "$MASTER"; do
  [ -x "$f" ] || { echo "test_trace: $f is missing; build first" >&2; exit 2; }
done

rt=$(mktemp -d "${TMPDIR:-/tmp}/pvmng-trace.XXXXXX") || exit 2
unset PVM_EXPORT PVM_WD PVM_PATH PVMNG_SOCKET PVMNG_TID PVM_ROOT PVMHOSTFILE \
  PVM_DEBUGGER
export PVM_TMP=$rt
export PVM_VMID="trace-$CASE-$$-$RANDOM"
export PVM_DPATH=$PVMD
failures=0

cleanup() {
  timeout 20 "$PVM" -c halt >/dev/null 2>&1
  rm -rf "$rt"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

expect() { # expect <file> <extended regex> <what>
  grep -Eq -- "$2" "$1" || fail "$3 (no line matching '$2' in $1)"
}

case $CASE in
console)
  out=$rt/console.out
  timeout 120 "$PVM" -c "trace; trace - recv; trace + mytid; trace buf 4096;
    trace buf; trace buf 0; trace opt; trace bogus;
    spawn -@ -> $MASTER 2" >"$out" 2>&1
  cat "$out"
  expect "$out" '^   addhosts           gettid             pkfloat            setopt         $' \
    "trace lists every event as PVM 3.4.6's console does"
  expect "$out" '^ \* addmhf             gettmask' "trace marks the default events"
  expect "$out" '^Trace Buffering set to 4096 bytes$' "trace buf"
  expect "$out" '^Trace Options set to "full"$' "trace opt"
  expect "$out" '^no such event "bogus"$' "trace refuses an unknown event"
  expect "$out" '^\[t[0-9a-f]+\] [0-9]+\.[0-9]{6} spawn exit CC=2 STL=\[t' \
    "the master's spawn is traced with its tids"
  expect "$out" '^\[t[0-9a-f]+\] [0-9.]+ send entry MNB=[0-9]+ DST=t[0-9a-f]+ MC=1 MCX=0$' \
    "the master's sends are traced with their fields"
  expect "$out" '^\[t[0-9a-f]+\] [0-9.]+ send entry MNB=[0-9]+ DST=t[0-9a-f]+ MC=2 ' \
    "the workers (grandchildren of the console) are traced too"
  expect "$out" ' mytid exit MT=t' "an event added with trace + is traced"
  if grep -Eq ' recv (entry|exit)' "$out"; then
    fail "recv events came although trace - recv took them out"
  fi
  expect "$out" 'master: total [0-9]+ primes .*OK' "the traced job ran"
  # -@file: the events go to the file, not to the terminal.
  timeout 120 "$PVM" -c "spawn -@$rt/events.txt -> $MASTER 2" \
    >"$rt/console2.out" 2>&1
  expect "$rt/events.txt" ' send entry MNB=[0-9]+ DST=t[0-9a-f]+ MC=1 ' \
    "spawn -@file writes the events to the file"
  if grep -q ' send entry ' "$rt/console2.out"; then
    fail "spawn -@file printed events on the terminal"
  fi
  ;;
timeline)
  if ! command -v jq >/dev/null; then
    echo "SKIP: jq is not installed (Debian package jq)"
    exit 77
  fi
  json=$rt/run.json
  (cd "$rt" && timeout 120 "$PVM" trace -o "$json" "$MASTER" 3) \
    >"$rt/out" 2>&1 || fail "pvm trace exited with status $?"
  cat "$rt/out"
  jq -e . "$json" >/dev/null || fail "the timeline is not valid JSON"
  # master: one spawn, 3 work messages out, 3 results in; workers: 1 in,
  # 1 out each. Six messages, each one flow.
  n_send=$(jq '[.traceEvents[] | select(.ph=="X" and .name=="send")] |
    length' "$json")
  n_s=$(jq '[.traceEvents[] | select(.ph=="s" and .cat=="message")] |
    length' "$json")
  n_f=$(jq '[.traceEvents[] | select(.ph=="f" and .cat=="message")] |
    length' "$json")
  n_spawned=$(jq '[.traceEvents[] | select(.ph=="f" and .cat=="spawn")] |
    length' "$json")
  [ "$n_spawned" = 3 ] || fail "an arrow to each of 3 workers, got $n_spawned"
  [ "$n_send" = 6 ] || fail "6 send slices expected, got $n_send"
  [ "$n_s" = "$n_send" ] || fail "every send starts a flow ($n_s of $n_send)"
  [ "$n_f" = "$n_s" ] || fail "every flow ends at a receive ($n_f of $n_s)"
  # Each flow id (messages and spawns) once as start and once as end, the
  # end not before the start.
  bad=$(jq '[.traceEvents[] | select(.ph=="s" or .ph=="f")] |
    group_by(.id) | map(select(length != 2 or .[0].ph == .[1].ph or
      ((map(select(.ph=="f"))[0].ts) < (map(select(.ph=="s"))[0].ts))))
    | length' "$json")
  [ "$bad" = 0 ] || fail "$bad flows are unpaired or point back in time"
  # The flow end lies on the receiving task's track, inside a recv slice.
  bad=$(jq '[.traceEvents[] | select(.ph=="X" and .name=="recv")] as $r |
    [.traceEvents[] | select(.ph=="f" and .cat=="message") | . as $f |
      select([$r[] | select(.tid == $f.tid and .ts <= $f.ts and
        .ts + .dur >= $f.ts)] | length == 0)] | length' "$json")
  [ "$bad" = 0 ] || fail "$bad flow ends are not at a receive"
  tracks=$(jq '[.traceEvents[] | select(.ph=="M" and .name=="thread_name")]
    | length' "$json")
  [ "$tracks" = 4 ] || fail "4 task tracks expected (master, 3 workers), got $tracks"
  hosts=$(jq '[.traceEvents[] | select(.ph=="M" and .name=="process_name")]
    | length' "$json")
  [ "$hosts" -ge 1 ] || fail "no host track group"
  jq -e '[.traceEvents[] | select(.ph=="X" and .name=="spawn")] | length == 1' \
    "$json" >/dev/null || fail "the master's spawn is not a slice"
  jq -e '[.traceEvents[] | select(.ph=="X" and .name=="exit")] | length == 4' \
    "$json" >/dev/null || fail "not every task's exit is a slice"
  ;;
*)
  echo "test_trace: unknown case $CASE" >&2
  exit 2
  ;;
esac

if [ "$failures" -gt 0 ]; then
  echo "test_trace $CASE: $failures failure(s)"
  exit 1
fi
echo "test_trace $CASE: OK"
