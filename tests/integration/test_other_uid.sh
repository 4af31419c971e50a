#!/bin/bash
# A process of another user that reaches the daemon's socket is refused by
# its peer-credential check, and the refusal is logged with that uid. The
# runtime directory normally keeps other users out entirely (0700); the
# test opens it up on purpose so that the check itself is exercised, then
# shows the daemon still serving its owner. Needs root (to act as nobody).
# usage: test_other_uid.sh <bin dir>
set -euo pipefail
bin=$1
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
  echo "SKIP: needs root and setpriv to connect as another user"
  exit 77
fi
work=$(mktemp -d)
chmod 755 "$work"
export PVM_TMP=$work PVM_VMID=it-uid-$$
cleanup() {
  "$bin/pvm" -c halt >/dev/null 2>&1 || true
  lock=$(ls "$work"/pvm-*/pvmd."$PVM_VMID".lock 2>/dev/null || true)
  if [ -n "$lock" ] && pid=$(cat "$lock" 2>/dev/null) && [ -n "$pid" ]; then
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/pvmd"
rundir=$(ls -d "$work"/pvm-*)
sock=$rundir/pvmd.$PVM_VMID.sock
log=$rundir/pvmd.$PVM_VMID.log
# The binaries must be reachable by nobody; otherwise say so and skip.
if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$bin/it_hello"; then
  echo "SKIP: $bin is not readable by user nobody"
  exit 77
fi
chmod 755 "$rundir"
chmod 666 "$sock"
set +e
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
  env PVMNG_SOCKET="$sock" PVM_TMP="$work/nobody" "$bin/it_hello" 2>&1)
rc=$?
set -e
echo "$out" | head -5
if [ $rc -eq 0 ]; then
  echo "FAIL: a task of user nobody was served by root's daemon"
  exit 1
fi
grep -q "refused connection from uid 65534" "$log" ||
  { echo "FAIL: the refusal is not in the log"; cat "$log"; exit 1; }
chmod 700 "$rundir"
chmod 600 "$sock"
# The owner is still served.
"$bin/pvm" -c conf | grep -q LINUX64 ||
  { echo "FAIL: daemon no longer serves its owner"; exit 1; }
echo "PASS: another uid is refused and logged; the owner is still served"
