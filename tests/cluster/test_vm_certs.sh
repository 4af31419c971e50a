#!/bin/bash
# cluster.vm_certs: certificate tooling and reload on a running virtual
# machine (shared certificate directory). pvmcert show lists the CA and host
# certificates with their expiry and flags a bad one; renew issues a new
# host certificate, which the master presents to new connections after
# SIGHUP, without a restart (a bad replacement is refused and the current
# certificate kept); import-host takes a certificate of the VM's CA and
# refuses another CA's; rotate makes a new CA and re-issues the host
# certificates, and the VM forms again with them; import-ca installs a CA
# of the user's own, and the VM forms under it.
# Usage: test_vm_certs.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h1=$(cluster_name h1) h2=$(cluster_name h2) h3=$(cluster_name h3)
vm_up h1 h2
D=$PVM_CERTDIR
log=$(vm_log h1)
port=$(sed -n 's/.*listening for daemons on \([0-9.]*:[0-9]*\).*/\1/p' "$log")
pvmcert() { "$BIN/pvmcert" "$@"; }
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
# The certificate the master presents to a new connection now.
fp_seen() {
  cluster_exec h3 bash -c "openssl s_client -connect $port -tls1_3 </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256" | cut -d= -f2
}
# wait_log N PATTERN: the master's log has more than N lines matching.
wait_log() {
  local i
  for i in $(seq 50); do
    [ "$(grep -c "$2" "$log")" -gt "$1" ] && return 0
    sleep 0.1
  done
  vm_fail "no \"$2\" in the master's log"
}

# show
out=$(pvmcert show)
echo "$out"
echo "$out" | grep -q "^ca .*valid, 365[0-9] days left; key here; sha256 $(fp "$D/ca.pem" | tr -d : | tr A-F a-f)" ||
  vm_fail "show: the CA line"
for h in "$h1" "$h2"; do
  echo "$out" | grep -q "^host  *$h  *20[0-9-]* [0-9:]*Z  *valid, 7[23][0-9] days left" ||
    vm_fail "show: no valid line for $h"
done
echo "ok: pvmcert show lists the CA and the hosts with their expiry"

# renew + SIGHUP
old=$(fp "$D/$h1.pem")
[ "$(fp_seen)" = "$old" ] || vm_fail "the master does not present $D/$h1.pem"
pvmcert renew "$h1" 400
new=$(fp "$D/$h1.pem")
[ "$new" != "$old" ] || vm_fail "renew did not make a new certificate"
pvmcert show | grep -Eq "^host +$h1 .*valid, (399|400) days left" || vm_fail "show after renew"
[ "$(fp_seen)" = "$old" ] || vm_fail "the new certificate was used before the reload"
n=$(grep -c "reload: new links use" "$log" || true)
kill -HUP "$(vm_pvmd_on h1)"
wait_log "$n" "reload: new links use certificate $D/$h1.pem"
[ "$(fp_seen)" = "$new" ] || vm_fail "the master does not present the renewed certificate after SIGHUP"
cluster_exec h1 "$BIN/pvm" -c "add $h3" >/dev/null 2>&1 || true
vm_wait_hosts h1 3
echo "ok: renew + SIGHUP: new links get the renewed certificate, no restart, the VM grows"

# A bad replacement (another CA's certificate) is refused; the current one stays.
mkdir -m 700 "$CLUSTER_TMP/other"
"$BIN/cl_mkcert" ca "$CLUSTER_TMP/other"
"$BIN/cl_mkcert" cert "$CLUSTER_TMP/other" "$CLUSTER_TMP/other/$h1" "$h1" -1 30
cp "$D/$h1.pem" "$CLUSTER_TMP/keep.pem"
cp "$D/$h1.key" "$CLUSTER_TMP/keep.key"
cp "$CLUSTER_TMP/other/$h1.pem" "$D/$h1.pem"
cp "$CLUSTER_TMP/other/$h1.key" "$D/$h1.key"
n=$(grep -c "reload: keeping the current certificate" "$log" || true)
kill -HUP "$(vm_pvmd_on h1)"
wait_log "$n" "reload: keeping the current certificate: .*unknown CA"
[ "$(fp_seen)" = "$new" ] || vm_fail "a refused replacement changed the presented certificate"
[ "$(vm_nhosts h2)" = 3 ] || vm_fail "the VM lost a host at the reload"
rc=0
out=$(pvmcert show) || rc=$?
echo "$out" | grep "^host  *$h1 "
{ [ "$rc" = 2 ] && echo "$out" | grep -q "^host  *$h1 .*not issued by this CA"; } ||
  vm_fail "show does not flag a certificate of another CA (rc $rc)"
echo "ok: a bad replacement is refused at SIGHUP and the current certificate kept; show flags it"

# import-host: another CA's certificate refused, one of the VM's CA taken.
rc=0
err=$(pvmcert import-host "$h1" "$CLUSTER_TMP/other/$h1.pem" "$CLUSTER_TMP/other/$h1.key" 2>&1) || rc=$?
echo "$err"
{ [ "$rc" = 1 ] && echo "$err" | grep -q "not issued by this CA"; } || vm_fail "import-host of another CA's certificate"
pvmcert import-host "$h1" "$CLUSTER_TMP/keep.pem" "$CLUSTER_TMP/keep.key"
[ "$(stat -c %a "$D/$h1.key")" = 600 ] || vm_fail "imported key is not 0600"
pvmcert show >/dev/null || vm_fail "show after import-host"
echo "ok: import-host checks and installs a host certificate"
vm_halt h1

# rotate: a new CA, host certificates re-issued; the VM forms with them.
ca_old=$(fp "$D/ca.pem")
pvmcert rotate
[ "$(fp "$D/ca.pem")" != "$ca_old" ] || vm_fail "rotate kept the CA"
for h in "$h1" "$h2" "$h3"; do
  openssl verify -CAfile "$D/ca.pem" "$D/$h.pem" >/dev/null || vm_fail "$h not re-issued by the new CA"
done
ls -d "$D"/old-*/ >/dev/null || vm_fail "rotate kept no copy of the old CA"
vm_up h1 h2 h3
echo "ok: rotate: new CA, hosts re-issued, the VM forms"
vm_halt h1

# import-ca: a CA of the user's own (made with openssl).
mine=$CLUSTER_TMP/mine
mkdir -m 700 "$mine"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 100 \
  -subj "/CN=My Own CA" -keyout "$mine/ca.key" -out "$mine/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
rc=0
pvmcert import-ca "$D/$h1.pem" "$D/$h1.key" 2>/dev/null || rc=$?
[ "$rc" = 1 ] || vm_fail "import-ca took a host certificate as a CA"
rc=0
pvmcert import-ca "$mine/ca.pem" "$D/$h1.key" 2>/dev/null || rc=$?
[ "$rc" = 1 ] || vm_fail "import-ca took a key that does not match"
pvmcert import-ca "$mine/ca.pem" "$mine/ca.key"
out=$(pvmcert show)
echo "$out"
echo "$out" | grep -q "^ca  *My Own CA " || vm_fail "show does not list the imported CA"
openssl verify -CAfile "$mine/ca.pem" "$D/$h2.pem" >/dev/null || vm_fail "hosts not re-issued under the imported CA"
vm_up h1 h2 h3
cd "$BIN"
cluster_exec h1 "$BIN/cl_order" "$h3" || vm_fail "a job under the imported CA"
echo "ok: import-ca: the VM forms and runs under the user's own CA"
vm_halt h1
echo "PASS"
