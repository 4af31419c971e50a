#!/bin/bash
# integration.doctor: `pvm doctor HOSTFILE` over loopback. A stand-in for
# ssh ($PVM_RSH) runs each host's command on this machine, and makes some
# "hosts" fail in one way each: unreachable, no pvmd at dx=, another
# release, a clock 100 s ahead, a CA of another virtual machine, the
# daemon port blocked; certificates are made with pvmcert (one near its
# expiry). Each failure must be reported with its advice, the good host
# must pass every check, and the exit status must say which.
# Usage: test_doctor.sh <bin dir>
set -euo pipefail
BIN=$(readlink -f "${1:?usage: $0 <bin dir>}")
command -v openssl >/dev/null || { echo "SKIP: no openssl command"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/pvmng-doctor.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
export PVM_CERTDIR=$T/pki PVM_DPATH=$BIN/pvmd PVM_RSH=$T/rsh

# The virtual machine's CA, and certificates of two hosts (one near expiry).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -days 400 -subj "/CN=doctor test CA" -keyout "$T/ca.key" -out "$T/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign" 2>/dev/null
"$BIN/pvmcert" import-ca "$T/ca.pem" "$T/ca.key" >/dev/null
"$BIN/pvmcert" issue localhost >/dev/null
"$BIN/pvmcert" issue 127.0.0.6 10 >/dev/null
# Another virtual machine's CA, as a host's own ~/.pvm might hold.
mkdir -m 700 "$T/otherpki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -days 400 -subj "/CN=another CA" -keyout "$T/otherpki/ca.key" \
  -out "$T/otherpki/ca.pem" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null

# Stand-ins for the remote side: a pvmd of another release, a clock 100 s
# ahead, a `timeout` that makes every connection fail.
mkdir "$T/skew" "$T/blocked"
printf '#!/bin/sh\necho "pvmd PVM-NG 0.0.9 protocol 1 LINUX64"\n' >"$T/oldpvmd"
# shellcheck disable=SC2016 # expanded by the stand-in, not here
printf '#!/bin/sh\necho "$(( $(/bin/date +%%s) + 100 )).0"\n' >"$T/skew/date"
printf '#!/bin/sh\nexit 1\n' >"$T/blocked/timeout"
chmod +x "$T/oldpvmd" "$T/skew/date" "$T/blocked/timeout"
cat >"$T/rsh" <<EOS
#!/bin/bash
# ssh's stand-in: [-l login] host command
[ "\$1" = -l ] && shift 2
host=\$1
shift
case \$host in
127.0.0.2) echo "ssh: connect to host \$host port 22: No route to host" >&2; exit 255 ;;
127.0.0.3) export PATH=$T/skew:\$PATH ;;
127.0.0.7) export PATH=$T/blocked:\$PATH ;;
127.0.0.8) export PVM_CERTDIR=$T/otherpki ;;
esac
exec sh -c "\$*"
EOS
chmod +x "$T/rsh"

# expect PATTERN: the last doctor output holds PATTERN.
expect() {
  grep -Eq -- "$1" "$T/out" || { cat "$T/out"; fail "no \"$1\" in the report"; }
  echo "ok: $1"
}

# 1. One good host: every check passes, status 0.
echo localhost >"$T/good"
rc=0
"$BIN/pvm" doctor "$T/good" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/out"; fail "doctor of a good host file: status $rc"; }
expect "^  ok +CA $T/pki/ca.pem valid for"
expect "^  ok +certificate localhost.pem valid for"
expect "^  ok +reached through $T/rsh"
expect "^  ok +pvmd at $BIN/pvmd, PVM-NG "
expect "^  ok +clock [-+]"
expect "^  ok +same CA as this host"
expect "^  ok +reaches this host at "
expect "^No problem found"

# 2. Each kind of failure, said with what to do.
cat >"$T/hosts" <<EOF2
# a host file with one problem per host
localhost
127.0.0.2 lo=nobody
127.0.0.3
127.0.0.4 dx=$T/oldpvmd
& 127.0.0.5 dx=/nonexistent/pvmd
127.0.0.6
127.0.0.7
127.0.0.8
EOF2
rc=0
"$BIN/pvm" doctor "$T/hosts" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$T/out"; fail "doctor with problems: status $rc, wanted 1"; }
expect "FAIL +$T/rsh 127.0.0.2 failed \(status 255\): ssh: connect to host 127.0.0.2"
expect "-> make .\\\$PVM_RSH host true. work"
expect "FAIL +clock \+(99|10[0-9])\.[0-9] s from this host's"
expect "-> synchronise the clocks"
expect "FAIL +$T/oldpvmd there is PVM-NG 0.0.9"
expect "-> install the same PVM-NG release on every host"
expect "^127.0.0.5 \(& line: added later\):"
expect "FAIL +no pvmd at /nonexistent/pvmd on 127.0.0.5"
expect "-> install PVM-NG there, or give its path with dx="
expect "FAIL +certificate $T/pki/127.0.0.6.pem expires in (9|10) days"
expect "-> pvmcert renew"
expect "FAIL +cannot connect to [0-9.]+:[0-9]+ from there"
expect "-> open TCP from that host"
expect "FAIL +the CA there is not this virtual machine's"
expect "^7 problems found"
# The good host of the same file still passes.
sed -n '/^localhost:/,/^127.0.0.2/p' "$T/out" | grep -q FAIL &&
  fail "localhost failed a check: $(cat "$T/out")"
echo "ok: localhost passes in the same file"

# 3. Usage and a missing file.
rc=0
"$BIN/pvm" doctor >"$T/out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "doctor without a host file: status $rc, wanted 2"
expect "usage: pvm doctor HOSTFILE"
rc=0
"$BIN/pvm" doctor "$T/none" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "doctor of a missing file: status $rc, wanted 2"
expect "cannot read $T/none"
echo "PASS"
