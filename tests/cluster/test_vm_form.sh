#!/bin/bash
# cluster.vm_form: a 3-host virtual machine forms from a host file (the
# master starts the others through PVM_RSH=nsrsh, over mutually
# authenticated TLS); conf lists all three on every host with their daemon
# tids; mstat answers for each; the console's delete and add change the
# host table; halt leaves no pvmd in any namespace; a one-host daemon opens
# no TCP port.
# Usage: test_vm_form.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h1=$(cluster_name h1) h2=$(cluster_name h2) h3=$(cluster_name h3)

vm_up h1 h2 h3
echo "ok: conf on h1 lists 3 hosts"
conf=$(cluster_exec h2 "$BIN/pvm" -c conf)
echo "$conf"
for h in "$h1" "$h2" "$h3"; do
  echo "$conf" | grep -q "^ *$h  *[0-9a-f]*0000  *LINUX64  *1000 " ||
    vm_fail "conf on h2 does not list $h with a daemon tid"
done
echo "$conf" | grep -q "^ *$h1  *40000 " || vm_fail "the master is not host 1"
echo "ok: conf on a slave lists every host, the master as t40000"
for h in "$h1" "$h2" "$h3"; do
  out=$(cluster_exec h3 "$BIN/pvm" -c "mstat $h")
  echo "$out" | grep -q "ok" || vm_fail "mstat $h: $out"
done
echo "ok: mstat answers for every host"

out=$(cluster_exec h2 "$BIN/pvm" -c "delete $h3" 2>&1) || true
echo "$out"
vm_wait_hosts h1 2
vm_wait_hosts h2 2
echo "ok: delete (from a slave) leaves 2 hosts"
for i in $(seq 50); do
  [ -z "$(ip netns pids "$h3")" ] && break
  sleep 0.2
done
[ -z "$(ip netns pids "$h3")" ] || vm_fail "the deleted host's daemon still runs"
out=$(cluster_exec h1 "$BIN/pvm" -c "add $h3" 2>&1) || true
echo "$out"
vm_wait_hosts h1 3
echo "ok: add brings it back"

vm_halt h3
echo "ok: halt from a slave leaves no pvmd on any host"

# A one-host daemon opens no network port.
cluster_exec h1 "$BIN/pvmd" || vm_fail "a one-host daemon did not start"
listening=$(ip netns exec "$h1" ss -tlnpH | grep pvmd || true)
[ -z "$listening" ] || vm_fail "a one-host daemon listens on TCP: $listening"
vm_halt h1
echo "ok: a one-host daemon opens no TCP port"
echo "PASS"
