#!/bin/bash
# cluster.vm_join: a 3-host virtual machine whose hosts share no home and
# hence no certificate directory. The master passes each new daemon a
# one-time join credential on the remote shell's stdin; the new daemon makes
# its own key, obtains its certificate over a join connection and stores it
# in its own ~/.pvm (0700, files 0600). The VM forms and runs jobs; a host
# added again uses the certificate it already holds.
# Usage: test_vm_join.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"
export PVMNG_CLUSTER_PRIVATE_HOME=1

cluster_up 3
h3=$(cluster_name h3)

vm_up h1 h2 h3
echo "ok: a VM of 3 hosts without a shared home forms"
log=$(vm_log h1)
mode() { stat -c %a "$1"; }
m=$(vm_home h1)/.pvm
for h in h2 h3; do
  name=$(cluster_name $h) d=$(vm_home $h)/.pvm
  [ "$(mode "$d")" = 700 ] || vm_fail "$d has mode $(mode "$d"), wanted 700"
  for f in ca.pem "$name.pem" "$name.key"; do
    [ -f "$d/$f" ] || vm_fail "$h has no $d/$f"
    [ "$(mode "$d/$f")" = 600 ] || vm_fail "$d/$f has mode $(mode "$d/$f")"
  done
  cmp -s "$d/ca.pem" "$m/ca.pem" || vm_fail "$h's ca.pem is not the master's"
  [ ! -e "$d/ca.key" ] || vm_fail "the CA key reached $h"
  { [ ! -e "$m/$name.key" ] && [ ! -e "$m/$name.pem" ]; } ||
    vm_fail "the master made a key or certificate for $h in its own directory"
  openssl verify -CAfile "$m/ca.pem" "$d/$name.pem" >/dev/null ||
    vm_fail "$h's certificate does not verify against the VM's CA"
  openssl x509 -in "$d/$name.pem" -noout -ext subjectAltName | grep -q "DNS:$name$" ||
    vm_fail "$h's certificate is not for $name"
  grep -q "host $name: issued its certificate for its join credential" "$log" ||
    vm_fail "the master's log does not show the join of $h"
  grep -q "stored this host's certificate" "$(vm_log $h)" ||
    vm_fail "$h's log does not show its certificate stored"
done
echo "ok: each host made its own key and holds its certificate and the CA in its own ~/.pvm (0700, files 0600)"
! grep -q "PVMNG-JOIN\|secret=" "$log" || vm_fail "the credential appears in the master's log"
echo "ok: the credential is not on the logged command line"

cd "$BIN"
cluster_exec h1 "$BIN/cl_order" "$h3" || vm_fail "cl_order h1 <- h3"
cluster_exec h2 "$BIN/cl_order" "$h3" || vm_fail "cl_order h2 <- h3"
out=$(cluster_exec h1 "$BIN/pvm" -c "spawn -$h3 -> /bin/hostname" 2>&1) || true
echo "$out" | grep -q "$h3" || vm_fail "no output from a task on $h3: $out"
echo "ok: jobs run across the hosts"

# Added again, h3 finds its certificate and joins without a new exchange.
key=$(md5sum <"$(vm_home h3)/.pvm/$h3.key")
vm_readd h3
[ "$(grep -c "host $h3: issued its certificate" "$log")" = 1 ] ||
  vm_fail "h3 asked for a certificate again although it holds one"
[ "$key" = "$(md5sum <"$(vm_home h3)/.pvm/$h3.key")" ] || vm_fail "h3's key changed"
echo "ok: a host added again joins with the certificate it holds"

vm_halt h1
echo "PASS"
