#!/bin/bash
# cluster.vm_killwatch: 100 tasks killed with -9 on one host, each watched
# (pvm_notify PvmTaskExit) from the same host, from the master and from a
# third host whose daemon hears of it through the master. Every watcher
# gets exactly one notification per task; cl_killwatch prints the median,
# 99th percentile and maximum delay of each.
# Usage: test_vm_killwatch.sh <bin dir>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$(readlink -f "${1:?usage: $0 <bin dir>}")
# shellcheck source=netns.sh
source "$here/netns.sh"
# shellcheck source=vm.sh
source "$here/vm.sh"

cluster_on_exit() { [ "$1" -eq 0 ] || vm_logs; }
cluster_up 3
h2=$(cluster_name h2) h3=$(cluster_name h3)

vm_up h1 h2 h3
cluster_exec h1 timeout 120 "$BIN/cl_killwatch" 100 "$h2" "$h3" ||
  vm_fail "cl_killwatch failed"
vm_halt h1
echo "PASS: task exits reach every watcher once"
