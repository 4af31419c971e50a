#!/bin/bash
# integration.loopback.cleanup: a loopback virtual machine (vm.sh
# --loopback, two daemons on this machine) whose program fails, and one
# whose program hangs past vm.sh's time limit, leave nothing behind: both
# daemons gone, the private directory removed, vm.sh's status the
# program's (3), or 124 for the time limit.
# Usage: test_loopback_cleanup.sh <vm.sh> <bin dir>
set -u
vm=${1:?usage: $0 <vm.sh> <bin dir>}
bin=${2:?usage: $0 <vm.sh> <bin dir>}
work=$(mktemp -d "${TMPDIR:-/tmp}/pvmng-lbclean.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# What the program runs inside the VM: it writes the daemons' pids and the
# VM's directory to $1, then does what $2 says (fail, or hang).
# shellcheck disable=SC2016 # expanded by the program's shell
prog='
uid=$(id -u)
for lock in "$PVM_TMP/pvm-$uid/pvmd.$PVM_VMID.lock" \
  "$PVMNG_LOOPBACK_TMP/pvm-$uid/pvmd.$PVM_VMID.lock"; do
  echo "pid $(head -n 1 "$lock")"
done >"$0"
echo "dir $PVM_TMP" >>"$0"
[ "$1" = hang ] && exec sleep 600
exit 3'

# run_case NAME EXPECTED-STATUS [vm.sh options]
run_case() {
  local name=$1 want=$2 st pid dir n=0
  shift 2
  TMPDIR=$work "$vm" --loopback "$@" "$bin" "lbclean-$name" /bin/bash \
    -c "$prog" "$work/$name.info" "$name" >"$work/$name.out" 2>&1
  st=$?
  cat "$work/$name.out"
  [ "$st" -eq "$want" ] || fail "$name: vm.sh exited $st, expected $want"
  [ -s "$work/$name.info" ] || fail "$name: the program did not run"
  while read -r pid; do
    n=$((n + 1))
    # A daemon that is gone, or a zombie of a parent that no longer waits.
    for _ in $(seq 50); do
      [ -d "/proc/$pid" ] || break
      grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && break
      sleep 0.1
    done
    if [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status"; then
      fail "$name: pvmd $pid still runs after vm.sh ended"
    fi
  done < <(awk '$1 == "pid" { print $2 }' "$work/$name.info")
  [ "$n" -eq 2 ] || fail "$name: $n daemon pids recorded, expected 2"
  dir=$(awk '$1 == "dir" { print $2 }' "$work/$name.info")
  [ -n "$dir" ] || fail "$name: no directory recorded"
  [ ! -e "$dir" ] || fail "$name: $dir left behind"
  echo "ok: $name: both daemons gone, $dir removed, status $st"
}

run_case fail 3
run_case hang 124 --timeout 3
echo "PASS"
