#!/bin/bash
# cluster.vm_loopback_names: hosts whose own names resolve to a loopback
# address there (Debian writes "127.0.1.1 <hostname>" into /etc/hosts when
# no DNS name is known), while the other hosts reach them by their real
# addresses. Both h1 (the master) and h2 name themselves 127.0.1.1:
#  - the master opens the daemons' port on its address toward h2, says why
#    in its log, and the VM forms;
#  - each daemon tells its tasks the address the other hosts reach it at,
#    not the loopback one: it_direct on h1 gets a direct link to its task
#    on h2 (case 5, which checks the route), and one from h2 to h1 works
#    the same way.
# Usage: test_vm_loopback_names.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 2
# Each host sees its own name at 127.0.1.1 first, the other's at its real
# address. Rewritten in place: the file is bind-mounted at each exec.
for h in h1 h2; do
  name=$(cluster_name "$h")
  hosts=/etc/netns/$name/hosts
  { echo "127.0.1.1 $name"; cat "$hosts"; } >"$CLUSTER_TMP/$h.hosts"
  cat "$CLUSTER_TMP/$h.hosts" >"$hosts"
  [ "$(cluster_exec "$h" getent ahostsv4 "$name" | awk 'NR == 1 { print $1 }')" = 127.0.1.1 ] ||
    vm_fail "$h does not resolve its own name to 127.0.1.1"
done
vm_up h1 h2
cd "$BIN"
grep -q "resolves to 127.0.1.1 here, a loopback address that other hosts cannot reach: the daemons' port opens on $(cluster_addr h1)" \
  "$(vm_log h1)" || vm_fail "the master did not say which address it took"
echo "ok: the VM forms; the master took its address toward h2"

# direct_from H PEER: it_direct on host H gets a direct link to its task
# on host PEER.
direct_from() {
  local out=$CLUSTER_TMP/loop.$1.out peer
  peer=$(cluster_name "$2")
  IT_DIRECT_SPIN_ONLY=1 IT_DIRECT_HOSTS="$peer $peer" \
    cluster_exec "$1" timeout 60 "$BIN/it_direct" >"$out" 2>&1 ||
    { cat "$out"; vm_fail "no direct link from $1 to $2"; }
  cat "$out"
  grep -q "it_direct: PASS" "$out" || vm_fail "it_direct on $1 did not pass"
}
direct_from h1 h2
direct_from h2 h1
echo "ok: direct links both ways between hosts that name themselves 127.0.1.1"

vm_halt h1
echo "PASS"
