#!/bin/bash
# The daemon and a task under valgrind: a one-host subset (hello, notify)
# runs against a pvmd started under memcheck; afterwards the daemon must
# have freed every heap block and closed every descriptor it opened, and
# neither side may show a memory error. Skipped when valgrind is missing.
# usage: test_valgrind.sh <bin dir>
set -euo pipefail
bin=$1
if ! command -v valgrind >/dev/null; then
  echo "SKIP: valgrind is not installed"
  exit 77
fi
work=$(mktemp -d)
export PVM_TMP=$work PVM_VMID=it-vg-$$
vg=(valgrind --leak-check=full --track-fds=yes --error-exitcode=9)
cleanup() {
  "$bin/pvm" -c halt >/dev/null 2>&1 || true
  { [ -n "${vpid:-}" ] && kill -9 "$vpid" 2>/dev/null; } || true
  rm -rf "$work"
}
trap cleanup EXIT

"${vg[@]}" --log-file="$work/pvmd.vg" "$bin/pvmd" -f >/dev/null 2>&1 &
vpid=$!
for _ in $(seq 100); do
  ls "$work"/pvm-*/pvmd."$PVM_VMID".sock >/dev/null 2>&1 && break
  sleep 0.1
done
for t in it_hello it_notify; do
  "${vg[@]}" --log-file="$work/$t.vg" "$bin/$t" >"$work/$t.out" 2>&1 ||
    { echo "FAIL: $t under valgrind"; cat "$work/$t.out" "$work/$t.vg"; exit 1; }
  grep -q "ERROR SUMMARY: 0 errors" "$work/$t.vg" ||
    { echo "FAIL: memory errors in $t"; cat "$work/$t.vg"; exit 1; }
  grep -q "definitely lost: [1-9]" "$work/$t.vg" &&
    { echo "FAIL: $t leaks"; cat "$work/$t.vg"; exit 1; }
done
"$bin/pvm" -c halt >/dev/null
wait "$vpid" || { echo "FAIL: pvmd under valgrind exited $?"; cat "$work/pvmd.vg"; exit 1; }
vpid=
log=$work/pvmd.vg
grep -q "ERROR SUMMARY: 0 errors" "$log" || { echo "FAIL: pvmd memory errors"; cat "$log"; exit 1; }
grep -Eq "All heap blocks were freed|in use at exit: 0 bytes" "$log" ||
  { echo "FAIL: pvmd did not free everything"; cat "$log"; exit 1; }
# Every descriptor still open at exit must be one valgrind saw inherited.
opened=$(awk '/Open (file descriptor|AF_UNIX socket)/ {getline l; if (l !~ /inherited from parent/) n++} END {print n+0}' "$log")
[ "$opened" -eq 0 ] || { echo "FAIL: pvmd left $opened descriptors open"; cat "$log"; exit 1; }
echo "PASS: pvmd and tasks clean under valgrind (no errors, no leaks, no descriptors left)"
