#!/bin/bash
# cluster.vm_refuse: the master refuses, and logs with its reason, a daemon
# whose certificate comes from another CA, a daemon with an expired
# certificate, a plaintext connection to its daemon port, a connection that
# never starts TLS, a daemon that was not being added, and a peer with a
# valid certificate that sends garbage, an oversized frame or an
# undecodable control frame once TLS is up, and hellos that would resume
# a link between daemons from a host not in the table, under another VM
# id or as another host number; the virtual machine keeps working through
# all of it.
# The rogue daemons run on h3 with their own PVM_CERTDIR.
# Usage: test_vm_refuse.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h3=$(cluster_name h3)
vm_up h1 h2
log=$(vm_log h1)
port=$(sed -n 's/.*listening for daemons on \([0-9.]*:[0-9]*\).*/\1/p' "$log")
[ -n "$port" ] || vm_fail "no daemon port in the master's log"
echo "master's daemon port: $port"

# expect_refusal WHAT PATTERN: the master's log gains a refusal matching
# PATTERN, and the VM still lists its two hosts.
expect_refusal() {
  local i
  for i in $(seq 50); do
    grep -q "refusing link.*$2" "$log" && break
    sleep 0.2
  done
  grep "refusing link.*$2" "$log" || vm_fail "$1: no refusal \"$2\" logged"
  [ "$(vm_nhosts h2)" = 2 ] || vm_fail "$1: the VM lost a host"
  echo "ok: $1 refused and logged; the VM still has 2 hosts"
}

# A rogue daemon on h3 presenting the certificates in directory $1.
rogue() {
  PVM_CERTDIR=$1 cluster_exec h3 timeout 30 "$BIN/pvmd" -f -s "$port" -n "$h3" \
    >"$CLUSTER_TMP/rogue.$(basename "$1").out" 2>&1 || true
}

# 1. A certificate from another CA (the rogue trusts the VM's CA, so the
#    refusal is the master's).
other=$CLUSTER_TMP/other-ca rdir=$CLUSTER_TMP/rogue-ca
mkdir -m 700 "$other" "$rdir"
"$BIN/cl_mkcert" ca "$other"
"$BIN/cl_mkcert" cert "$other" "$rdir/$h3" "$h3" -1 365
cp "$PVM_CERTDIR/ca.pem" "$rdir/ca.pem"
rogue "$rdir"
expect_refusal "a certificate from another CA" "unknown CA\|unable to get\|unknown ca"

# 2. An expired certificate, issued by the VM's own CA.
edir=$CLUSTER_TMP/rogue-expired
mkdir -m 700 "$edir"
"$BIN/cl_mkcert" cert "$PVM_CERTDIR" "$edir/$h3" "$h3" -30 -1
cp "$PVM_CERTDIR/ca.pem" "$edir/ca.pem"
rogue "$edir"
expect_refusal "an expired certificate" "expired"

# 3. Plaintext.
cluster_exec h3 bash -c "exec 3<>/dev/tcp/${port%:*}/${port#*:};
  printf 'PVNG hello in the clear\r\n' >&3; timeout 5 cat <&3 >/dev/null" || true
expect_refusal "a plaintext connection" "not TLS"

# 4. A connection that never starts TLS is dropped after the handshake
#    timeout (10 s).
cluster_exec h3 bash -c "exec 3<>/dev/tcp/${port%:*}/${port#*:}; timeout 15 cat <&3 >/dev/null" || true
expect_refusal "a silent connection" "no TLS handshake and hello within"

# 5. A valid certificate, but nobody asked for this host.
vdir=$CLUSTER_TMP/rogue-valid
mkdir -m 700 "$vdir"
"$BIN/cl_mkcert" cert "$PVM_CERTDIR" "$vdir/$h3" "$h3" -1 30
cp "$PVM_CERTDIR/ca.pem" "$vdir/ca.pem"
rogue "$vdir"
expect_refusal "a daemon that was not being added" "not being added"

# 6. A peer with a valid certificate that breaks the wire once TLS is up:
#    bytes that are no frame, a frame over the size limit, a control frame
#    that does not decode. The master drops that link and nothing else.
for mode in garbage oversize control; do
  n=$(grep -c "refusing link" "$log" || true)
  out=$(cluster_exec h3 "$BIN/cl_badpeer" "$port" "$vdir" "$h3" \
    "$(cluster_name h1)" "$mode") || vm_fail "$mode after the handshake: $out"
  echo "$mode after the handshake: $out"
  for i in $(seq 50); do
    [ "$(grep -c "refusing link" "$log")" -gt "$n" ] && break
    sleep 0.1
  done
  [ "$(grep -c "refusing link" "$log")" -gt "$n" ] ||
    vm_fail "$mode after the handshake: no refusal logged"
  grep "refusing link" "$log" | tail -1
  [ "$(vm_nhosts h2)" = 2 ] || vm_fail "$mode after the handshake: the VM lost a host"
done
echo "ok: a peer breaking the wire after the handshake loses its link, the VM stays"

# 7. Hellos that would resume a link: from a host not in the table (h3),
#    then with a certificate for h2 (in the table) under another VM id and
#    as another host number. Each is refused; h2's own link stays.
resume_refused() { # WHAT CERTDIR NAME VMID TID PATTERN
  local out
  out=$(cluster_exec h3 "$BIN/cl_badpeer" "$port" "$2" "$3" \
    "$(cluster_name h1)" resume "$4" "$5") || vm_fail "$1: $out"
  echo "$out"
  grep -q "refused: .*$6" <<<"$out" || vm_fail "$1: not refused for \"$6\""
  [ "$(vm_nhosts h2)" = 2 ] || vm_fail "$1: the VM lost a host"
  echo "ok: $1 refused"
}
h2=$(cluster_name h2)
tid2=$(vm_host_tid h2)
resume_refused "a resuming hello from a host not in the VM" "$vdir" "$h3" \
  "$PVM_VMID" 80000 "not in this VM"
sdir=$CLUSTER_TMP/rogue-h2
mkdir -m 700 "$sdir"
"$BIN/cl_mkcert" cert "$PVM_CERTDIR" "$sdir/$h2" "$h2" -1 30
cp "$PVM_CERTDIR/ca.pem" "$sdir/ca.pem"
resume_refused "a resuming hello under another VM id" "$sdir" "$h2" \
  "other-$PVM_VMID" "$tid2" "VM id"
resume_refused "a resuming hello as another host number" "$sdir" "$h2" \
  "$PVM_VMID" 3fc0000 "resumes as host"

cd "$BIN"
cluster_exec h1 "$BIN/cl_order" "$(cluster_name h2)" || vm_fail "the VM after the refusals"
vm_halt h1
echo "PASS"
