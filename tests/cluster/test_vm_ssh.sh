#!/bin/bash
# cluster.vm_ssh: the daemons started through real OpenSSH (sshd.sh: an sshd in
# every namespace host, a private key and configuration through PVM_RSH).
# A VM of 3 hosts forms from a host file with lo=, dx= and so=ms (the
# printed command typed on the host through ssh); ssh failures reach the
# console as one line with their cause (unknown host, refused key,
# host-key mismatch, pvmd missing on the remote); then 4 hosts without a
# shared certificate directory form through the one-time join credential
# over the ssh channel, and the time that took is printed.
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh"
# shellcheck source=sshd.sh
source "$here/sshd.sh"

cluster_on_exit() {
  local f
  [ "$1" -eq 0 ] && return
  vm_logs
  for f in "$CLUSTER_TMP"/ssh/*/sshd.log; do
    [ -f "$f" ] || continue
    echo "== $f" >&2
    tail -20 "$f" >&2
  done
}

cluster_up 4
ssh_up
# PVM_RSH with options, as a site would give it: "ssh -F <config>".
export VM_RSH=$SSH_PVM_RSH
h1=$(cluster_name h1) h2=$(cluster_name h2) h3=$(cluster_name h3)
h4=$(cluster_name h4)
T=$CLUSTER_TMP

# ---- a VM from a host file: lo=, dx= and so=ms --------------------------
vm_env
cat >"$T/hosts" <<HOSTS
* lo=root
$h1
$h2 dx=$BIN/pvmd
$h3 so=ms
&$h4
HOSTS
cluster_exec h1 "$BIN/pvmd" "$T/hosts" || vm_fail "the master did not start"
log=$(vm_log h1)
cmd=
for _ in $(seq 50); do
  cmd=$(grep -A1 "Login to \"$h3\" as \"root\" and type:" "$log" | tail -1 |
    sed 's/^[-0-9]* [:0-9]* pvmd\[[0-9]*\] //') || true
  [ -n "$cmd" ] && break
  sleep 0.2
done
[ -n "$cmd" ] || vm_fail "no manual startup command for $h3 in the master's log"
echo "typing on $h3 through ssh: $cmd"
cluster_exec h1 "$SSH_RSH" -l root "$h3" "$cmd" </dev/null ||
  vm_fail "the printed command failed on $h3"
vm_wait_hosts h1 3
grep -q "adding host $h2: $SSH_PVM_RSH -l root $h2 '.*'$BIN/pvmd' -s " "$log" ||
  vm_fail "$h2 was not started through ssh with lo= and dx="
grep -q "Accepted publickey for root" "$SSH_DIR/$h2/sshd.log" ||
  vm_fail "$h2's sshd did not log the login"
vm_wait_hosts h2 3
echo "ok: 3 hosts from a host file through ssh (lo=root, dx=, so=ms)"

# ---- ssh failures: one line on the console, with the cause --------------
# expect_add WHAT SPEC PATTERN [ON]: `add SPEC` on h1 (or ON) must fail and
# print one line naming the host and matching PATTERN (the cause).
expect_add() {
  local what=$1 spec=$2 pat=$3 on=${4:-h1} out line
  out=$(cluster_exec "$on" "$BIN/pvm" -c "add \"$spec\"" 2>&1) || true
  line=$(echo "$out" | grep -F "pvm_addhosts(): Can't start pvmd: $spec: " || true)
  echo "$what: $line"
  [ "$(echo "$line" | grep -c .)" = 1 ] ||
    { echo "$out"; vm_fail "$what: no single line with the reason"; }
  echo "$line" | grep -Eq "$pat" ||
    { echo "$out"; vm_fail "$what: the line does not give the cause ($pat)"; }
  echo "$out" | grep -q "^0 successful" || vm_fail "$what: the add did not fail"
}
expect_add "unknown host" "nosuch-$CLUSTER_PREFIX" \
  "Could not resolve hostname nosuch-$CLUSTER_PREFIX.*\(ssh exited with status 255\)$"
# Asked on a slave, the master's answer carries the reason back.
expect_add "unknown host, from $h2" "nosuch-$CLUSTER_PREFIX" \
  "Could not resolve hostname nosuch-$CLUSTER_PREFIX.*\(ssh exited with status 255\)$" h2
mv "$SSH_DIR/$h4/authorized_keys" "$SSH_DIR/$h4/authorized_keys.off"
: >"$SSH_DIR/$h4/authorized_keys"
expect_add "refused key" "$h4" "Permission denied \(publickey\)\. \(ssh exited with status 255\)$"
mv "$SSH_DIR/$h4/authorized_keys.off" "$SSH_DIR/$h4/authorized_keys"
cp "$SSH_DIR/known_hosts" "$SSH_DIR/known_hosts.good"
grep -v "^\[$h4\]" "$SSH_DIR/known_hosts.good" >"$SSH_DIR/known_hosts"
ssh-keygen -q -t ed25519 -N '' -f "$T/other_key"
ssh_known_line h4 "$T/other_key.pub" >>"$SSH_DIR/known_hosts"
expect_add "host-key mismatch" "$h4" "Host key verification failed\. \(ssh exited with status 255\)$"
cp "$SSH_DIR/known_hosts.good" "$SSH_DIR/known_hosts"
expect_add "pvmd missing" "$h4 dx=/no/such/pvmd" \
  "/no/such/pvmd: (No such file|not found).*\(ssh exited with status 127\)$"
[ "$(vm_nhosts h1)" = 3 ] || vm_fail "the failed adds changed the VM"
out=$(cluster_exec h1 "$BIN/pvm" -c "add $h4" 2>&1) || true
echo "$out" | grep -q "^1 successful" || { echo "$out"; vm_fail "add $h4 once ssh works again"; }
vm_wait_hosts h1 4
echo "ok: the causes of ssh failures reach the console; the VM is unchanged"
vm_halt h1

# ---- no shared certificate directory: join over the ssh channel ---------
export PVMNG_CLUSTER_PRIVATE_HOME=1
vm_env
printf '%s\n' "$h1" "$h2" "$h3" "$h4" >"$T/hosts4"
start=$(date +%s%N)
cluster_exec h1 "$BIN/pvmd" "$T/hosts4" || vm_fail "the master did not start"
vm_wait_hosts h1 4
ms=$((($(date +%s%N) - start) / 1000000))
echo "formed a VM of 4 hosts through ssh with join credentials in $ms ms"
for h in h2 h3 h4; do
  name=$(cluster_name "$h")
  d=$(vm_home "$h")/.pvm
  [ -s "$d/$name.pem" ] || vm_fail "$h holds no certificate of its own in $d"
  [ "$(stat -c %a "$d")" = 700 ] || vm_fail "$d is not 0700"
  grep -q "host $name: issued its certificate for its join credential" "$(vm_log h1)" ||
    vm_fail "the master's log does not show the join of $h"
done
out=$(cluster_exec h1 timeout 60 "$BIN/cl_spawnwhere" default "" 8) ||
  { echo "$out"; vm_fail "tasks across the 4 hosts"; }
for h in "$h1" "$h2" "$h3" "$h4"; do
  echo "$out" | grep -q "^on $h: " || { echo "$out"; vm_fail "no task on $h"; }
done
echo "ok: 4 hosts without a shared certificate directory joined through ssh"
vm_halt h1
