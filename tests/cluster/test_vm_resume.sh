#!/bin/bash
# cluster.vm_resume: a link between daemons whose connection breaks resumes
# instead of deleting its host. A task on h2 sends numbered 64 KiB messages
# through the daemons to a task on h1 (cl_resume) while (a) the daemons'
# TCP connection is reset three times (ss -K on h1, filtered on the
# daemons' port; then the other way, reset on h2; then in bursts that hit
# reconnections half made) and (b) h1 drops everything from and to h2 for 2 s, less
# than the dead-host timeout: every message arrives once, in order and
# intact, and both hosts stay. (c) A partition longer than the timeout
# still deletes the host, and a task that asked is told (PvmHostDelete).
# VM_RESUME_NMSG sets the messages of (a) (default 20,000).
# Usage: test_vm_resume.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 2
h2=$(cluster_name h2)
a2=$(cluster_addr h2)
export PVMNG_DEAD_MS=4000
nmsg=${VM_RESUME_NMSG:-20000}

vm_up h1 h2
port=$(sed -n 's/.*listening for daemons on [0-9.]*:\([0-9]*\) .*/\1/p' \
  "$(vm_log h1)" | head -1)
[ -n "$port" ] || vm_fail "no daemons' port in h1's log"

# (a) Three resets of the daemons' connection during the transfer.
reset="ss -K -t state established '( sport = :$port )' >/dev/null"
vm_run h1 "$BIN/cl_resume" "$h2" "$nmsg" 65536 "$reset" 3
n=$(grep -c "link .* resumed" "$(vm_log h1)" || true)
[ "$n" -ge 3 ] || vm_fail "the link resumed $n times, 3 resets were made"
[ "$(vm_nhosts h1)" = 2 ] || vm_fail "a host was deleted after the resets"
echo "ok: $nmsg messages across 3 resets, both hosts kept ($n resumptions)"

# (a') The other way (h1 to h2), the resets made on h2's side.
h1=$(cluster_name h1)
reset2="ss -K -t state established '( dport = :$port )' >/dev/null"
vm_run h2 "$BIN/cl_resume" "$h1" 5000 65536 "$reset2" 3
m=$(grep -c "link .* resumed" "$(vm_log h1)" || true)
[ "$m" -ge $((n + 3)) ] || vm_fail "the link resumed $((m - n)) times, 3 resets were made"
[ "$(vm_nhosts h1)" = 2 ] || vm_fail "a host was deleted after the resets on h2"
echo "ok: 5000 messages from h1 to h2 across 3 resets made on h2"

# (a'') Bursts of resets, some of which hit a reconnection in its TLS
# handshake or its hello: 3 bursts of 5 resets 30 ms apart.
burst="for i in 1 2 3 4 5; do $reset; sleep 0.03; done"
vm_run h1 "$BIN/cl_resume" "$h2" 5000 65536 "$burst" 3
[ "$(vm_nhosts h1)" = 2 ] || vm_fail "a host was deleted after bursts of resets"
echo "ok: 5000 messages across 3 bursts of 5 resets"

# (b) A partition of 2 s, shorter than the dead-host timeout.
part="nft add element inet pvmngc blocked '{ $a2 }' && \
(sleep 2; nft delete element inet pvmngc blocked '{ $a2 }') >/dev/null 2>&1 &"
vm_run h1 "$BIN/cl_resume" "$h2" 4000 65536 "$part" 1
[ "$(vm_nhosts h1)" = 2 ] || vm_fail "a host was deleted after a 2 s partition"
mapfile -t logs < <(find "$CLUSTER_TMP" -name 'pvmd.*.log')
grep -h "heartbeat timeout" "${logs[@]}" &&
  vm_fail "a host was declared dead after a 2 s partition"
echo "ok: 4000 messages across a 2 s partition, both hosts kept"

# (c) A partition longer than the dead-host timeout deletes the host.
vm_watch_down h2 8000 cluster_partition h1 h2
vm_wait_hosts h1 1
cluster_heal h1 h2
echo "ok: a host partitioned past the timeout is deleted, a watcher told"
vm_halt h1
echo "PASS: links between daemons resume across resets and short partitions"
