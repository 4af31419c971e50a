#!/bin/bash
# cluster.vm_direct_addr: a direct link to a host whose own name resolves
# to a loopback address there (Debian writes "127.0.1.1 <hostname>" into
# /etc/hosts when no DNS name is known), while the other hosts reach it by
# its real address. Its daemon must tell its tasks the address the other
# hosts reach it at, not the loopback one: it_direct on h1 gets a direct
# link to its task on h2 (case 5, which checks the route).
# Usage: test_vm_direct_addr.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_on_exit() {
  [ "$1" -eq 0 ] || {
    vm_logs
    cat "$CLUSTER_TMP"/addr.out >&2 2>/dev/null || true
  }
}
cluster_up 2
h2=$(cluster_name h2)
# h2 sees its own name at 127.0.1.1 (the first match wins); h1 still sees
# h2's address. Rewritten in place: the file is bind-mounted at each exec.
hosts=/etc/netns/$h2/hosts
{ echo "127.0.1.1 $h2"; cat "$hosts"; } >"$CLUSTER_TMP/h2.hosts"
cat "$CLUSTER_TMP/h2.hosts" >"$hosts"
[ "$(cluster_exec h2 getent ahostsv4 "$h2" | awk 'NR == 1 { print $1 }')" = 127.0.1.1 ] ||
  vm_fail "h2 does not resolve its own name to 127.0.1.1"
vm_up h1 h2
cd "$BIN"

out=$CLUSTER_TMP/addr.out
IT_DIRECT_SPIN_ONLY=1 IT_DIRECT_HOSTS="$h2 $h2" \
  cluster_exec h1 timeout 60 "$BIN/it_direct" >"$out" 2>&1 ||
  { cat "$out"; vm_fail "no direct link to the host that names itself 127.0.1.1"; }
cat "$out"
grep -q "it_direct: PASS" "$out" || vm_fail "it_direct did not pass"
echo "ok: a direct link to a host whose own name resolves to 127.0.1.1"

vm_halt h1
echo "PASS"
