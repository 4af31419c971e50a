#!/bin/bash
# cluster.vm_notify: PvmTaskExit for a task on another host, PvmHostAdd
# when a host joins, PvmHostDelete and the
# PvmTaskExit of its tasks when it is deleted, delivered on the master to a
# task that asked (cl_notify drives it with pvm_addhosts/pvm_delhosts).
# Usage: test_vm_notify.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h2=$(cluster_name h2) h3=$(cluster_name h3)

vm_up h1 h2
cluster_exec h1 timeout 60 "$BIN/cl_notify" "$h3" "$h2" ||
  vm_fail "cl_notify failed"
vm_halt h1
echo "PASS: host notifications across the virtual machine"
