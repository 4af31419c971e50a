#!/bin/bash
# The systemd units as installed: `systemd-analyze verify` finds nothing to
# say about the system template (pvm-ng@<user>.service) or the user unit
# (pvm-ng.service); their ExecStart names the installed pvmd; and that
# command, run as systemd would run it (a private HOME without a host file,
# a private runtime directory), keeps pvmd in the foreground serving tasks
# until SIGTERM, which halts it.
# usage: test_systemd.sh <build dir>
set -uo pipefail
build=$1
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
work=$(mktemp -d)
pid=
# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null || fail "install"
units=$work/prefix/lib/systemd
sys=$units/system/pvm-ng@.service user=$units/user/pvm-ng.service
{ [ -f "$sys" ] && [ -f "$user" ]; } || fail "units not installed under lib/systemd"
for u in "$sys" "$user"; do
  grep -q "exec \"$work/prefix/bin/pvmd\" -f" "$u" ||
    fail "$(basename "$u")'s ExecStart does not name the installed pvmd"
done

out=$(systemd-analyze verify --man=no "$units/system/pvm-ng@root.service" 2>&1)
[ -z "$out" ] || fail "systemd-analyze verify pvm-ng@root.service: $out"
mkdir -m 700 "$work/xdg"
out=$(XDG_RUNTIME_DIR=$work/xdg systemd-analyze --user verify --man=no "$user" 2>&1)
[ -z "$out" ] || fail "systemd-analyze --user verify pvm-ng.service: $out"
# verify speaks up about a bad unit (so silence above means something).
sed 's/^KillMode=mixed/KillMode=mixd/' "$user" >"$work/bad.service"
out=$(XDG_RUNTIME_DIR=$work/xdg systemd-analyze --user verify --man=no "$work/bad.service" 2>&1)
[ -n "$out" ] || fail "systemd-analyze verify is silent about a bad unit"
echo "ok: systemd-analyze verify accepts both units"

# The ExecStart command itself.
cmd=$(sed -n "s/^ExecStart=\/bin\/sh -c '\(.*\)'$/\1/p" "$user")
[ -n "$cmd" ] || fail "cannot read ExecStart"
mkdir -p "$work/home" "$work/run"
chmod 700 "$work/run"
export PVM_TMP=$work/run PVM_VMID=it-systemd-$$
HOME=$work/home /bin/sh -c "$cmd" >"$work/pvmd.out" 2>&1 &
pid=$!
ok=
# The console starts a daemon of its own when none answers: ask only once
# the unit's pvmd has made its socket, or a slow start races with it.
sock=$work/run/pvm-$(id -u)/pvmd.$PVM_VMID.sock
for _ in $(seq 50); do
  if [ -S "$sock" ] && "$work/prefix/bin/pvm" -c conf >"$work/conf" 2>&1; then
    ok=1
    break
  fi
  sleep 0.2
done
[ -n "$ok" ] || { cat "$work/pvmd.out"; fail "the unit's pvmd did not serve"; }
grep -q '^1 host' "$work/conf" || fail "conf: $(cat "$work/conf")"
kill -0 "$pid" 2>/dev/null || fail "pvmd -f did not stay in the foreground"
kill -TERM "$pid"
for _ in $(seq 50); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
kill -0 "$pid" 2>/dev/null && fail "SIGTERM did not stop pvmd"
wait "$pid"
st=$?
pid=
[ "$st" = 0 ] || fail "pvmd exited with status $st after SIGTERM"
echo "PASS: the units verify, and their command runs pvmd until SIGTERM halts it"
