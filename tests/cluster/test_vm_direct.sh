#!/bin/bash
# cluster.vm_direct: direct task-to-task routes between hosts, over TLS.
# it_direct (tests/integration) runs from h1 with its receivers and first
# racer on h2 and the second racer on h3: a switch to the direct route with
# messages in flight, a receiver that refuses direct routes, a link broken
# mid-stream by fault injection, and two tasks opening at once; every case
# checks order and checksums; and a receive from another host polls for a
# bounded time (default and 300 ms windows). Then a task whose certificate comes from
# another CA asks for a direct link: the peer refuses it, the refusal is
# reported with its reason, and every message arrives through the daemons;
# likewise a task that finds no certificate in its directory, and openers
# that send plaintext or a hello that does not match the session or an ask.
# Usage: test_vm_direct.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h1=$(cluster_name h1) h2=$(cluster_name h2) h3=$(cluster_name h3)
vm_up h1 h2 h3
cd "$BIN"

# direct_run NAME WHAT [VAR=value...]: it_direct on h1, its receivers and
# first racer on h2, the second racer on h3, with the given environment;
# it must pass. Its output goes to $CLUSTER_TMP/direct.NAME.out.
direct_run() {
  local out=$CLUSTER_TMP/direct.$1.out what=$2
  shift 2
  cluster_exec h1 env "$@" IT_DIRECT_HOSTS="$h2 $h3" timeout 100 \
    "$BIN/it_direct" >"$out" 2>&1 || { cat "$out"; vm_fail "it_direct $what"; }
  cat "$out"
  grep -q "it_direct: PASS" "$out" || vm_fail "it_direct $what did not pass"
}

direct_run all "between hosts" IT_DIRECT_CIPHER=AES-128-OCB
echo "ok: switch, refusal, break and race between hosts over TLS"
echo "ok: the records of a link between hosts are protected by AES-128-OCB"
grep -q "spin: a 1 s wait" "$CLUSTER_TMP/direct.all.out" ||
  vm_fail "the polling case did not run"
echo "ok: a receive from another host polls for a bounded time"

# A longer polling window ($PVMNG_REMOTE_SPIN_US) is taken, and still ends.
direct_run spin "with a 300 ms window" PVMNG_REMOTE_SPIN_US=300000 \
  IT_DIRECT_SPIN_US=300000 IT_DIRECT_SPIN_ONLY=1 PVMNG_POLL_ADAPT=0
echo "ok: a 300 ms polling window polls, then sleeps"
# Adapting (the default): answers that keep coming after the window stop
# the polling for that kind of wait.
direct_run adapt "with answers after the window" PVMNG_REMOTE_SPIN_US=300000 \
  IT_DIRECT_SPIN_US=300000 IT_DIRECT_SPIN_ONLY=1 IT_DIRECT_ADAPT=1
grep -q "adapt: after answers later" "$CLUSTER_TMP/direct.adapt.out" ||
  vm_fail "the adapting case did not run"
echo "ok: a receive whose answers come after the window stops polling"

# A task that accepts only AES-GCM ($PVMNG_BULK_AEAD=gcm) gets it from a
# peer that prefers AES-OCB: as the opener (it offers only AES-GCM) and as
# the acceptor (it takes AES-GCM from the offer), the other task keeping
# the default.
direct_run gcm "with AES-GCM asked for by the opener" PVMNG_BULK_AEAD=gcm \
  IT_DIRECT_CIPHER=AES-128-GCM IT_DIRECT_SPIN_ONLY=1
direct_run gcm-acceptor "with AES-GCM asked for by the acceptor" \
  IT_DIRECT_CHILD_AEAD=gcm IT_DIRECT_CIPHER=AES-128-GCM IT_DIRECT_SPIN_ONLY=1
echo "ok: PVMNG_BULK_AEAD=gcm on either end gives a link protected by AES-128-GCM"
# The value in capitals is the same setting.
direct_run gcm-caps "with AES-GCM asked for as GCM" PVMNG_BULK_AEAD=GCM \
  IT_DIRECT_CIPHER=AES-128-GCM IT_DIRECT_SPIN_ONLY=1
echo "ok: PVMNG_BULK_AEAD=GCM is gcm"
# A value it does not know: said, and no direct link to another host (a
# site that asked for AES-GCM only must not get AES-OCB); nothing lost.
direct_run junk "with an unknown AEAD asked for" PVMNG_BULK_AEAD=rot13 \
  IT_DIRECT_REFUSED=1
grep -q 'PVMNG_BULK_AEAD="rot13" is neither ocb nor gcm: no direct links' \
  "$CLUSTER_TMP/direct.junk.out" || vm_fail "the unknown AEAD was not reported"
echo "ok: an unknown PVMNG_BULK_AEAD is reported and direct links to other hosts refused"
# An acceptor that answers with an AEAD the opener did not offer: the
# opener refuses the link; the messages go through the daemons.
direct_run aead "with an acceptor choosing what was not offered" \
  PVMNG_BULK_AEAD=gcm PVMNG_FAILPOINT_ROUTE_HELLO=aead \
  PVM_EXPORT=PVMNG_FAILPOINT_ROUTE_HELLO IT_DIRECT_REFUSED=1
grep -q "the peer chose AES-OCB for its records, which this task did not offer" \
  "$CLUSTER_TMP/direct.aead.out" || vm_fail "the foreign AEAD was not refused"
echo "ok: an AEAD the opener did not offer is refused; nothing lost"

# A certificate for h1's name, from another CA; the VM's CA as trust anchor.
other=$CLUSTER_TMP/other-ca rdir=$CLUSTER_TMP/rogue
mkdir -m 700 "$other" "$rdir"
"$BIN/cl_mkcert" ca "$other"
"$BIN/cl_mkcert" cert "$other" "$rdir/$h1" "$h1" -1 365
cp "$PVM_CERTDIR/ca.pem" "$rdir/ca.pem"
direct_run refused "with a refused certificate" PVM_CERTDIR="$rdir" \
  IT_DIRECT_REFUSED=1
grep -q "direct link to t[0-9a-f]* failed: .*certificate" \
  "$CLUSTER_TMP/direct.refused.out" ||
  vm_fail "the refusal was not reported with its reason"
echo "ok: a certificate from another CA gets no direct link; nothing lost"

# No certificate at all in the task's directory: it says so and stays on
# the daemon route.
empty=$CLUSTER_TMP/empty
mkdir -m 700 "$empty"
direct_run nocert "without certificates" PVM_CERTDIR="$empty" \
  IT_DIRECT_REFUSED=1
grep -q "cannot load the TLS certificate $empty/$h1.pem" \
  "$CLUSTER_TMP/direct.nocert.out" ||
  vm_fail "the missing certificate was not reported"
echo "ok: without certificates no direct link; nothing lost"

# Openers that break the rules (fault injection in the opener): plaintext
# before TLS, a hello bound to another TLS session, a hello naming no ask.
# The acceptor refuses each; the messages still arrive, in order.
for fp in plain binding nonce; do
  direct_run "$fp" "with a bad opener ($fp)" \
    PVMNG_FAILPOINT_ROUTE_HELLO="$fp" IT_DIRECT_REFUSED=1
done
grep -q "refused a direct link: link hello not bound to this TLS session" \
  "$CLUSTER_TMP/direct.binding.out" || vm_fail "wrong binding not refused"
grep -q "refused a direct link: link hello without an ask" \
  "$CLUSTER_TMP/direct.nonce.out" || vm_fail "hello without an ask not refused"
# The acceptor (on h2) says why in its daemon's log.
grep -q "refused a direct link from another host: not TLS" "$(vm_log h2)" ||
  vm_fail "plaintext not refused by the acceptor"
echo "ok: plaintext, a replayed binding and an unknown nonce are refused"

vm_halt h1
# The tasks on h2 and h3 write to their daemons' logs: in a sanitizer
# build, a report there (a leak at exit, say) fails the test too.
while IFS= read -r f; do
  if grep -q "Sanitizer" "$f"; then
    grep -A20 "Sanitizer" "$f" >&2
    vm_fail "sanitizer report in $f"
  fi
done < <(find "$CLUSTER_TMP" -name 'pvmd.*.log')
echo "PASS"
