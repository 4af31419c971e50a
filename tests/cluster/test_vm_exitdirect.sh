#!/bin/bash
# cluster.vm_exitdirect: a task that ends right after sending over a direct
# link between hosts loses and repeats nothing, however it ends. A sender
# on h2 sends 2,000 numbered 4 KiB messages to its parent on h1 over a TLS
# direct link while the parent sleeps (cl_exitdirect), then returns from
# main (mode 0), calls pvm_exit (mode 1) or exit() (mode 2): what the link
# had not acknowledged must come through the daemon, and what the parent
# had already taken must not come twice. VM_EXITDIRECT_RUNS sets the runs
# per mode (default 5).
# Usage: test_vm_exitdirect.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 2
h2=$(cluster_name h2)
runs=${VM_EXITDIRECT_RUNS:-5}

vm_up h1 h2
for mode in 0 1 2; do
  for r in $(seq "$runs"); do
    vm_run h1 "$BIN/cl_exitdirect" "$h2" 2000 4096 "$mode"
    echo "ok: mode $mode, run $r"
  done
done
vm_halt h1
echo "PASS: a sender that ends after its last send over a direct link loses and repeats nothing"
