#!/bin/bash
# The Debian package a site installs: `cpack -G DEB` makes pvm-ng_*.deb from
# the build; it installs under /opt/pvm-ng with dpkg, leaves Debian's PVM
# 3.4.6 (pvm, pvm-dev) as it was, runs the master/worker example in a
# private virtual machine from the installed files alone, and removes
# cleanly. Needs root and dpkg; never replaces a pvm-ng package that is
# already installed (status 77, skipped).
# usage: test_deb.sh <build dir>
set -uo pipefail
build=$1
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i)"
for t in cpack dpkg dpkg-deb; do
  command -v "$t" >/dev/null || skip "no $t"
done
if dpkg-query -W -f='${Status}' pvm-ng 2>/dev/null | grep -q 'installed'; then
  skip "a pvm-ng package is installed here already; not replacing it"
fi
[ -e /opt/pvm-ng ] && skip "/opt/pvm-ng exists and is not this package's"

work=$(mktemp -d)
installed=
export PVM_TMP=$work/run PVM_VMID=it-deb-$$
mkdir -m 700 "$PVM_TMP"
# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
  if [ -x /opt/pvm-ng/bin/pvm ]; then
    timeout 10 /opt/pvm-ng/bin/pvm -c halt >/dev/null 2>&1 || true
  fi
  lock=$(ls "$PVM_TMP"/pvm-*/pvmd."$PVM_VMID".lock 2>/dev/null || true)
  if [ -n "$lock" ] && pid=$(cat "$lock" 2>/dev/null) && [ -n "$pid" ]; then
    kill -9 "$pid" 2>/dev/null || true
  fi
  [ -n "$installed" ] && dpkg -r pvm-ng >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# What Debian's PVM 3.4.6 has installed, to check it is left alone.
sums() {
  for f in /usr/bin/pvm /usr/lib/pvm3/lib/pvmd /usr/include/pvm3.h \
    /usr/lib/x86_64-linux-gnu/libpvm3.so.3; do
    [ -e "$f" ] && md5sum "$f"
  done
  true
}
before=$(sums)

(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack -G DEB"; }
deb=$(find "$work/pkg" -maxdepth 1 -name 'pvm-ng_*.deb' | head -1)
[ -n "$deb" ] || fail "cpack made no pvm-ng_*.deb"
# Nothing outside /opt/pvm-ng.
outside=$(dpkg-deb -c "$deb" | awk '{print $6}' | grep -v -e '^\./$' \
  -e '^\./opt/$' -e '^\./opt/pvm-ng/' || true)
[ -z "$outside" ] || fail "the package installs outside /opt/pvm-ng: $outside"
echo "ok: $(basename "$deb"), every file under /opt/pvm-ng"

dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
installed=1
echo "ok: dpkg -i"

# The quickstart example from the installed files alone.
ex=/opt/pvm-ng/share/pvm-ng/examples/bin
(cd / && env -u LD_LIBRARY_PATH -u PVM_DPATH /opt/pvm-ng/bin/pvmd) ||
  fail "the installed pvmd did not start"
out=$(cd / && env -u LD_LIBRARY_PATH timeout 60 "$ex/master" 4 2>&1)
echo "$out"
case $out in *"serial count"*": OK"*) ;; *) fail "the installed master example failed" ;; esac
lib=$(ldd "$ex/master" | awk '$1 ~ /^libpvm3\.so/ {print $3}')
[ "$(realpath "$lib")" = /opt/pvm-ng/lib/libpvm3.so.0.1.0 ] ||
  [ "$(dirname "$(realpath "$lib")")" = /opt/pvm-ng/lib ] ||
  fail "the installed example loads $lib, not /opt/pvm-ng's libpvm3"
/opt/pvm-ng/bin/pvm -c halt >/dev/null 2>&1
echo "ok: the installed master/worker example ran (libpvm3 from /opt/pvm-ng)"

grep -q 'exec "/opt/pvm-ng/bin/pvmd"' /opt/pvm-ng/lib/systemd/user/pvm-ng.service ||
  fail "the packaged user unit does not start /opt/pvm-ng/bin/pvmd"
echo "ok: the packaged systemd units start /opt/pvm-ng/bin/pvmd"

# The manual pages: man finds them from PATH alone (man-db looks in
# ../share/man of each PATH directory), before Debian's PVM 3.4.6 pages.
for page in man3/pvm_spawn.3 man3/pvmfspawn.3 man1/pvm.1 man8/pvmd.8; do
  [ -f "/opt/pvm-ng/share/man/$page" ] || fail "the package lacks share/man/$page"
done
if command -v man >/dev/null; then
  found=$(PATH=/opt/pvm-ng/bin:$PATH man -w pvm_spawn 2>/dev/null | head -n 1)
  [ "$found" = /opt/pvm-ng/share/man/man3/pvm_spawn.3 ] ||
    fail "man -w pvm_spawn found '$found', not /opt/pvm-ng's page"
fi
echo "ok: the package carries the manual pages; man pvm_spawn finds them"

[ "$(sums)" = "$before" ] || fail "Debian's PVM files changed"
echo "ok: Debian's PVM 3.4.6 files are as they were"

dpkg -r pvm-ng >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -r"; }
installed=
if dpkg-query -W -f='${Status}' pvm-ng 2>/dev/null | grep -q ' installed'; then
  fail "pvm-ng still installed after dpkg -r"
fi
left=$(find /opt/pvm-ng 2>/dev/null | head -5)
[ -z "$left" ] || fail "dpkg -r left files: $left"
echo "PASS: the .deb installs under /opt/pvm-ng, runs the example, and removes cleanly"
