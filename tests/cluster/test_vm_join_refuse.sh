#!/bin/bash
# cluster.vm_join_refuse: the master refuses, and logs with its reason, a
# join with a wrong credential, with a credential already used (replayed),
# with an expired credential, and with a credential made for another host
# name; a join connection that sends garbage, an oversized frame or anything
# but a join request is closed. The virtual machine keeps working through all of it, and the host
# joins afterwards with a fresh credential. Hosts share no home.
# A wrapper around nsrsh keeps a copy of each credential the master sends
# (and, while $CLUSTER_TMP/hold exists, starts nothing), so that the test
# can present it from h3 with `pvmd -s` the way a rogue daemon would.
# Usage: test_vm_join_refuse.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"
export PVMNG_CLUSTER_PRIVATE_HOME=1
export PVMNG_JOIN_TTL=6 # seconds, so that expiry is quick to show

cluster_up 3
h2=$(cluster_name h2) h3=$(cluster_name h3)

VM_RSH=$CLUSTER_TMP/caprsh
cat >"$VM_RSH" <<EOR
#!/bin/bash
cat >"$CLUSTER_TMP/cred.\$1"
[ -e "$CLUSTER_TMP/hold" ] && exit 0
exec "$here/nsrsh" "\$@" <"$CLUSTER_TMP/cred.\$1"
EOR
chmod +x "$VM_RSH"
export VM_RSH

vm_up h1 h2
log=$(vm_log h1)
port=$(sed -n 's/.*listening for daemons on \([0-9.]*:[0-9]*\).*/\1/p' "$log")
[ -n "$port" ] || vm_fail "no daemon port in the master's log"
grep -q "^PVMNG-JOIN/1 host=$h2 " "$CLUSTER_TMP/cred.$h2" ||
  vm_fail "no join credential on the remote shell's stdin"
echo "ok: the master passed a join credential on stdin; h2 joined with it"

# expect_refusal WHAT PATTERN: the master's log gains a refusal matching
# PATTERN, and the VM still lists its two hosts.
expect_refusal() {
  local i
  for i in $(seq 50); do
    grep -q "refusing link.*(join).*$2" "$log" && break
    sleep 0.2
  done
  grep "refusing link.*(join).*$2" "$log" || vm_fail "$1: no refusal \"$2\" logged"
  [ "$(vm_nhosts h2)" = 2 ] || vm_fail "$1: the VM lost a host"
  echo "ok: $1 refused and logged; the VM still has 2 hosts"
}

# present FILE NAME: a daemon on h3 (its own empty ~/.pvm) joins as NAME
# with the credential in FILE.
present() {
  cluster_exec h3 timeout 20 "$BIN/pvmd" -f -s "$port" -n "$2" <"$1" \
    >"$CLUSTER_TMP/present.out" 2>&1 || true
  [ ! -e "$(vm_home h3)/.pvm/$2.pem" ] || vm_fail "a certificate was stored for $2"
}

# pending_add: starts `add h3` in the background (held: nothing starts) and
# waits for its credential.
pending_add() {
  rm -f "$CLUSTER_TMP/cred.$h3"
  cluster_exec h1 "$BIN/pvm" -c "add $h3" >"$CLUSTER_TMP/add.out" 2>&1 &
  add_pid=$!
  for i in $(seq 50); do
    [ -s "$CLUSTER_TMP/cred.$h3" ] && return 0
    sleep 0.1
  done
  vm_fail "no credential for $h3"
}

# 1. Replay: h2's credential, already used, presented again.
present "$CLUSTER_TMP/cred.$h2" "$h2"
expect_refusal "a replayed credential" "join credential for host $h2 already used (replayed)"
grep -q "refused the join credential: .*already used" "$CLUSTER_TMP/present.out" ||
  vm_fail "the joiner does not say why it was refused"

# 2. Another host name: h3's live credential, its host field changed.
touch "$CLUSTER_TMP/hold"
pending_add
sed "s/ host=$h3 / host=rogue-$h3 /" "$CLUSTER_TMP/cred.$h3" >"$CLUSTER_TMP/cred.other"
present "$CLUSTER_TMP/cred.other" "rogue-$h3"
expect_refusal "a credential for another host name" "made for host $h3, not for rogue-$h3"
wait "$add_pid" || true
grep -q "adding host $h3: its join credential was refused" "$log" ||
  vm_fail "the add of $h3 did not end with the refused credential"

# 3. Expired: h3's credential presented after its lifetime.
pending_add
sleep $((PVMNG_JOIN_TTL + 1))
present "$CLUSTER_TMP/cred.$h3" "$h3"
expect_refusal "an expired credential" "join credential for host $h3 expired"
wait "$add_pid" || true

# 4. Wrong: a credential whose secret the master never issued.
sed "s/ secret=[0-9a-f]* / secret=$(openssl rand -hex 32) /" "$CLUSTER_TMP/cred.$h3" \
  >"$CLUSTER_TMP/cred.wrong"
present "$CLUSTER_TMP/cred.wrong" "$h3"
expect_refusal "a wrong credential" "wrong join credential from host $h3"

# 5. Frame limits on join connections: garbage, then a frame header that
#    claims 64 KiB (allowed elsewhere, above the join connection's limit).
join_send() {
  # shellcheck disable=SC2016 # expanded by the inner shell
  cluster_exec h3 bash -c 'printf "$1" | timeout 5 openssl s_client -quiet \
    -connect "$2" -tls1_3 -alpn pvmng-join/1 >/dev/null 2>&1' _ "$1" "$port" || true
}
join_send 'this is not a frame at all, just bytes\n'
expect_refusal "garbage on a join connection" "bad frame"
n=$(grep -c "refusing link.*(join).*bad frame" "$log")
join_send '\x50\x56\x4e\x47\x01\x01\x00\x00\x00\x01\x00\x00'
for i in $(seq 50); do
  [ "$(grep -c "refusing link.*(join).*bad frame" "$log")" -gt "$n" ] && break
  sleep 0.2
done
[ "$(grep -c "refusing link.*(join).*bad frame" "$log")" -gt "$n" ] ||
  vm_fail "an oversized frame on a join connection was not refused"
grep "refusing link.*(join).*bad frame" "$log" | tail -1
echo "ok: an oversized frame on a join connection is refused"

# 6. Nothing but the join exchange on a join connection: a PeerHello, or a
#    message frame, ends it.
m=$(vm_home h1)/.pvm
for what in hello message; do
  out=$(cluster_exec h3 "$BIN/cl_join" "$port" "$m/ca.pem" "$(cluster_name h1)" $what) ||
    vm_fail "join connection after a $what: $out"
  echo "$what: $out"
done
expect_refusal "a PeerHello on a join connection" "only a join request is accepted here"
expect_refusal "a message frame on a join connection" "message frame before the hello"

# The VM is undisturbed, and h3 joins with a fresh credential.
rm -f "$CLUSTER_TMP/hold"
cluster_exec h1 "$BIN/pvm" -c "add $h3" || true
vm_wait_hosts h1 3
cd "$BIN"
cluster_exec h1 "$BIN/cl_order" "$h3" || vm_fail "the VM after the refusals"
echo "ok: after the refusals h3 joins with a fresh credential; jobs run"

# Added again, h3 joins with the certificate it now holds and leaves its
# new credential unused: once h3 is in, that credential is dead too. (The
# rogue here has a runtime directory and home of its own, beside h3's
# daemon.)
vm_readd h3
[ "$(grep -c "host $h3: issued its certificate" "$log")" = 1 ] ||
  vm_fail "h3 used its credential although it holds a certificate"
mkdir -m 700 "$CLUSTER_TMP/rogue-tmp" "$CLUSTER_TMP/rogue-home"
cluster_exec h3 env PVM_TMP="$CLUSTER_TMP/rogue-tmp" HOME="$CLUSTER_TMP/rogue-home" \
  timeout 20 "$BIN/pvmd" -f -s "$port" -n "$h3" <"$CLUSTER_TMP/cred.$h3" \
  >"$CLUSTER_TMP/present.out" 2>&1 || true
n=$(grep -c "join credential for host $h3 already used" "$log")
[ "$n" = 1 ] || vm_fail "the unused credential of a host that joined was not refused ($n)"
grep "join credential for host $h3 already used" "$log"
[ "$(vm_nhosts h2)" = 3 ] || vm_fail "the VM lost a host"
echo "ok: a credential left unused by a host that joined is refused afterwards"
vm_halt h1
echo "PASS"
