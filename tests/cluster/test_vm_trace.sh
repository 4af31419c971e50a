#!/bin/bash
# cluster.vm_trace: `pvm trace` over three hosts. The master/worker example
# runs on h1 and spreads its workers round-robin over the hosts; the
# timeline must group the tasks under the three hosts, pair every message
# sent with its receive, and, with each host's clock offset taken out (the
# offsets are in the file), no arrow may point back in time.
# Usage: test_vm_trace.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

command -v jq >/dev/null || cluster__skip "jq is not installed (Debian package jq)"
cluster_up 3
vm_up h1 h2 h3
json=$CLUSTER_TMP/run.json
vm_run h1 "$BIN/pvm" trace -o "$json" "$BIN/master" 6
echo "$out" | grep -Eq 'master: total [0-9]+ primes .*OK' ||
  vm_fail "the traced master/worker run did not finish"
jq -e . "$json" >/dev/null || vm_fail "the timeline is not valid JSON"
hosts=$(jq '[.traceEvents[] | select(.ph=="M" and .name=="process_name")]
  | length' "$json")
[ "$hosts" = 3 ] || vm_fail "3 hosts expected in the timeline, got $hosts"
with_tasks=$(jq '[.traceEvents[] | select(.ph=="X") | .pid] | unique |
  length' "$json")
[ "$with_tasks" = 3 ] || vm_fail "tasks on 3 hosts expected, got $with_tasks"
n_send=$(jq '[.traceEvents[] | select(.ph=="X" and .name=="send")] |
  length' "$json")
n_s=$(jq '[.traceEvents[] | select(.ph=="s" and .cat=="message")] |
  length' "$json")
n_f=$(jq '[.traceEvents[] | select(.ph=="f" and .cat=="message")] |
  length' "$json")
[ "$n_send" = 12 ] || vm_fail "12 sends expected, got $n_send"
if [ "$n_s" != 12 ] || [ "$n_f" != 12 ]; then
  vm_fail "every message one flow: $n_s starts and $n_f ends for 12 sends"
fi
bad=$(jq '[.traceEvents[] | select(.ph=="s" or .ph=="f")] | group_by(.id) |
  map(select(length != 2 or
    ((map(select(.ph=="f"))[0].ts) < (map(select(.ph=="s"))[0].ts))))
  | length' "$json")
[ "$bad" = 0 ] || vm_fail "$bad flows unpaired or pointing back in time"
jq -e '.otherData.clock_offsets_us | length == 3' "$json" >/dev/null ||
  vm_fail "the clock offsets of the 3 hosts are not in the file"
vm_halt h1
echo "PASS: a traced run over 3 hosts, its timeline consistent"
