#!/bin/bash
# cluster.vm_direct_guard: the guard on a task's listener for direct links
# between hosts. it_direct on h1 asks its receiver on h2 for a direct link
# and then connects without a word (PVMNG_FAILPOINT_ROUTE_HELLO=silent), on
# each of its attempts: the receiver drops each connection once
# PVMNG_LINK_HELLO_MS (1.5 s here) has passed, says so, and all 3000
# messages go through the daemons, in order. While the receiver's listener
# is open, 24 more silent connections come from h1 (cl_silent): at most 16
# wait at once, the others are closed as they come, and each waiting one
# is closed within the hello time plus the guard's tick (half of it).
# Usage: test_vm_direct_guard.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 2
h2=$(cluster_name h2)
vm_up h1 h2
cd "$BIN"

out=$CLUSTER_TMP/guard.out
PVM_EXPORT=PVMNG_LINK_HELLO_MS PVMNG_LINK_HELLO_MS=1500 \
  PVMNG_FAILPOINT_ROUTE_HELLO=silent IT_DIRECT_REFUSED=1 \
  IT_DIRECT_HOSTS="$h2 $h2" cluster_exec h1 timeout 100 "$BIN/it_direct" \
  >"$out" 2>&1 &
it_pid=$!

# The receiver's listener: the TCP port it_direct listens on in h2.
port=
for _ in $(seq 100); do
  port=$(ip netns exec "$h2" ss -Hltnp 2>/dev/null |
    awk '/"it_direct"/ { sub(/.*:/, "", $4); print $4; exit }')
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || vm_fail "the receiver on h2 never listened for a direct link"

flood=$(cluster_exec h1 "$BIN/cl_silent" "$(cluster_addr h2)" "$port" 24 6000)
echo "$flood"
wait "$it_pid" || { cat "$out"; vm_fail "it_direct with a silent opener"; }
cat "$out"
grep -q "it_direct: PASS" "$out" || vm_fail "silent opener case did not pass"
echo "ok: a silent opener gets no link; 3000 messages in order through the daemons"

# cl_silent: opened N at_once K later M first_ms A last_ms B open S
read -r at_once later first last open_left < <(awk \
  '{ print $5, $7, $9, $11, $13 }' <<<"$flood")
[ "$open_left" = 0 ] || vm_fail "$open_left silent connections were never closed"
[ "$later" -le 16 ] || vm_fail "$later silent connections waited at once (cap 16)"
# The opener's own silent connection may hold one of the 16 places.
[ "$later" -ge 15 ] || vm_fail "only $later silent connections waited (cap 16): the listener was not there for them"
[ "$at_once" -eq $((24 - later)) ] || vm_fail "$at_once connections over the cap closed at once, not $((24 - later))"
[ "${first%.*}" -ge 1400 ] || vm_fail "a waiting connection was closed after ${first} ms, before the hello time"
[ "${last%.*}" -le 3500 ] || vm_fail "a waiting connection was closed only after ${last} ms"
echo "ok: $later waited and were dropped after $first to $last ms; $at_once over the cap closed at once"

grep -q "dropped a direct link connection: no TLS handshake and hello within 1.5 s" \
  "$(vm_log h2)" || vm_fail "the receiver did not report the dropped connections"
echo "ok: the receiver reported the dropped connections"

vm_halt h1
echo "PASS"
