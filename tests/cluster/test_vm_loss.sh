#!/bin/bash
# cluster.vm_loss: 10 % of the packets to and from one host dropped at
# random (nftables) while 10,000 checksummed messages of up to 5 MiB cross
# to another host, directly to the master and relayed through it: nothing
# lost, duplicated, corrupted or reordered (TCP under TLS repairs it), and
# no host is declared dead with the default heartbeat timeout (5 s). The
# heartbeat test's 1.5 s is too short here: a segment lost four times in a
# row (the original and three retransmissions, after 0.2, 0.4 and 0.8 s)
# holds all later bytes back for over 1.4 s, which at 10 % loss happens
# now and then over thousands of segments.
# Usage: test_vm_loss.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h3=$(cluster_name h3)
unset PVMNG_DEAD_MS

vm_up h1 h2 h3
cluster_loss h3 10
t0=$(date +%s)
cluster_exec h1 "$BIN/cl_order" "$h3" >/dev/null || vm_fail "cl_order h1 <- h3 under loss"
cluster_exec h2 "$BIN/cl_order" "$h3" >/dev/null ||
  vm_fail "cl_order h2 <- h3 (through the master) under loss"
echo "ok: 2 x 10,000 messages intact and in order with 10 % loss on h3 ($(($(date +%s) - t0)) s)"
cluster_loss h3 0
[ "$(vm_nhosts h1)" = 3 ] || vm_fail "a host was declared dead under loss"
mapfile -t logs < <(find "$CLUSTER_TMP" -name 'pvmd.*.log')
grep -h "heartbeat timeout" "${logs[@]}" &&
  vm_fail "a link was closed for silence under loss"
vm_halt h1
echo "PASS: packet loss costs time, never messages"
