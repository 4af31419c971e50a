#!/bin/bash
# cluster.vm_killwatch: 100 tasks killed with -9 on one host, each watched
# (pvm_notify PvmTaskExit) from the same host, from the master and from a
# third host whose daemon hears of it through the master. Every watcher
# gets exactly one notification per task; cl_killwatch prints the median,
# 99th percentile and maximum delay of each.
# Usage: test_vm_killwatch.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h2=$(cluster_name h2) h3=$(cluster_name h3)

vm_up h1 h2 h3
cluster_exec h1 timeout 120 "$BIN/cl_killwatch" 100 "$h2" "$h3" ||
  vm_fail "cl_killwatch failed"
vm_halt h1
echo "PASS: task exits reach every watcher once"
