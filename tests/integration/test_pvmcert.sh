#!/bin/bash
# integration.pvmcert: the certificate tool on one host, in a throw-away
# directory: each command's work and each of its refusals (with the message
# that tells the user what to do), and SIGHUP, which now reloads
# certificates, leaving a one-host daemon running.
# (cluster.vm_certs shows the commands and the reload on a running VM.)
# Usage: test_pvmcert.sh <bin dir>
set -euo pipefail
BIN=$(readlink -f "${1:?usage: $0 <bin dir>}")
command -v openssl >/dev/null || { echo "SKIP: no openssl command"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/pvmng-cert.XXXXXX")
export PVM_TMP=$T/run PVM_VMID=cert-$$-$RANDOM PVM_CERTDIR=$T/pki
unset PVM_DPATH
mkdir -m 700 "$T/run"
cleanup() {
  local st=$?
  timeout 10 "$BIN/pvm" -c halt >/dev/null 2>&1 </dev/null || true
  [ "$st" -eq 0 ] || cat "$T"/run/pvm-*/*.log 2>/dev/null | tail -20 >&2 || true
  rm -rf "$T"
  exit "$st"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# run WANT_RC PATTERN ARGS...: pvmcert ARGS exits WANT_RC and its output
# (stdout and stderr) matches PATTERN.
run() {
  local want=$1 pat=$2 rc=0 out
  shift 2
  out=$("$BIN/pvmcert" "$@" 2>&1) || rc=$?
  [ "$rc" = "$want" ] || fail "pvmcert $*: exit $rc, wanted $want: $out"
  echo "$out" | grep -Eq -- "$pat" || fail "pvmcert $*: no \"$pat\" in: $out"
  echo "ok: pvmcert $* -> $rc"
}
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256; }

run 1 "usage: pvmcert" 
run 1 "usage: pvmcert" frobnicate
run 0 "usage: pvmcert" --help
run 1 "no CA certificate $T/pki/ca.pem: start a virtual machine once" show
run 1 "no CA key $T/pki/ca.key" issue node1
run 1 "no CA .* to rotate" rotate

# import-ca: a CA made with openssl; refusals first.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 50 \
  -subj "/CN=Test Own CA" -keyout "$T/ca.key" -out "$T/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 50 \
  -subj "/CN=not a CA" -keyout "$T/leaf.key" -out "$T/leaf.pem" \
  -addext "basicConstraints=critical,CA:FALSE" 2>/dev/null
run 1 "not a self-signed CA certificate" import-ca "$T/leaf.pem" "$T/leaf.key"
run 1 "no private key matching" import-ca "$T/ca.pem" "$T/leaf.key"
run 1 "holds no PEM certificate" import-ca "$T/nothing.pem" "$T/ca.key"
run 0 "installed your CA" import-ca "$T/ca.pem" "$T/ca.key"
[ "$(stat -c %a "$T/pki/ca.key")" = 600 ] || fail "ca.key is not 0600"
run 0 "^ca +Test Own CA .*valid, (49|50) days left; key here" show

# issue / renew
run 1 "not a usable host name" issue "a b"
run 1 "not a usable host name" issue ca
run 1 "DAYS must be a number" issue node1 soon
run 1 "DAYS must be a number" issue node1 0
run 0 "issued $T/pki/node1.pem" issue node1
run 0 "issued" issue node2 30
[ "$(stat -c %a "$T/pki/node1.key")" = 600 ] || fail "node1.key is not 0600"
openssl verify -CAfile "$T/ca.pem" "$T/pki/node1.pem" >/dev/null || fail "node1 not from the CA"
run 0 "^host +node1 .*valid, 7(29|30) days left" show
run 0 "^host +node2 .*valid, (29|30) days left" show
old=$(fp "$T/pki/node1.pem")
run 0 "valid for 5 days" renew node1 5
[ "$(fp "$T/pki/node1.pem")" != "$old" ] || fail "renew kept the certificate"
run 0 "^host +node1 .*valid, (4|5) days left" show

# import-host: refusals, then one made elsewhere from the same CA.
mkdir -m 700 "$T/elsewhere" "$T/other"
cp "$T/ca.pem" "$T/elsewhere/ca.pem"
cp -p "$T/pki/ca.key" "$T/elsewhere/ca.key"
"$BIN/pvmcert" -d "$T/elsewhere" issue node3 >/dev/null
"$BIN/cl_mkcert" ca "$T/other"
"$BIN/cl_mkcert" cert "$T/other" "$T/other/node3" node3 -1 10
run 1 "does not match the key" import-host node3 "$T/elsewhere/node3.pem" "$T/other/node3.key"
run 1 "not a certificate for node4" import-host node4 "$T/elsewhere/node3.pem" "$T/elsewhere/node3.key"
run 1 "refused: not issued by this CA" import-host node3 "$T/other/node3.pem" "$T/other/node3.key"
run 0 "installed $T/pki/node3.pem" import-host node3 "$T/elsewhere/node3.pem" "$T/elsewhere/node3.key"
run 0 "^host +node3 .*valid" show

# show flags what is wrong (exit status 2).
"$BIN/cl_mkcert" cert "$T/pki" "$T/pki/oldhost" oldhost -30 -1
run 2 "^host +oldhost .*certificate has expired" show
rm "$T/pki/oldhost.pem" "$T/pki/oldhost.key" "$T/pki/node2.key"
run 2 "^host +node2 .*no key beside it" show
rm "$T/pki/node2.pem"

# rotate: a new CA; hosts re-issued; the old files kept.
ca_old=$(fp "$T/pki/ca.pem")
run 0 "re-issued for the new CA: node1 node3" rotate 100
[ "$(fp "$T/pki/ca.pem")" != "$ca_old" ] || fail "rotate kept the CA"
openssl verify -CAfile "$T/pki/ca.pem" "$T/pki/node3.pem" >/dev/null || fail "node3 not re-issued"
[ "$(fp "$T"/pki/old-*/ca.pem)" = "$ca_old" ] || fail "the old CA is not kept"
run 0 "^host +node1 .*valid, (99|100) days left" show

# SIGHUP reloads (nothing to reload on one host) and does not halt.
"$BIN/pvmd" || fail "pvmd did not start"
pid=$(grep -o '[0-9]\+' "$T"/run/pvm-*/pvmd."$PVM_VMID".lock | head -1)
kill -HUP "$pid"
for _ in $(seq 50); do
  grep -q "reload:" "$T"/run/pvm-*/pvmd."$PVM_VMID".log && break
  sleep 0.1
done
grep "reload:" "$T"/run/pvm-*/pvmd."$PVM_VMID".log || fail "SIGHUP: no reload in the log"
sleep 0.2
kill -0 "$pid" || fail "SIGHUP stopped the daemon"
"$BIN/pvm" -c conf >/dev/null || fail "the daemon does not answer after SIGHUP"
echo "ok: SIGHUP reloads and the daemon keeps running"
echo "PASS"
