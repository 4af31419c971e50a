# shellcheck shell=bash
# The start of every cluster VM test (test_vm_*.sh): sourced with the
# test's arguments (<bin dir>), it sets `here` (this directory) and BIN,
# sources netns.sh and vm.sh, and prints the daemons' logs and the test's
# own outputs ($CLUSTER_TMP/*.out and *.log) when the test fails (a test
# that wants something else defines its own cluster_on_exit after).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$(readlink -f "${1:?usage: $0 <bin dir>}")
# shellcheck source=netns.sh
source "$here/netns.sh"
# shellcheck source=vm.sh
source "$here/vm.sh"

cluster_on_exit() {
  local f
  [ "$1" -eq 0 ] && return
  vm_logs
  for f in "$CLUSTER_TMP"/*.out "$CLUSTER_TMP"/*.log; do
    [ -f "$f" ] || continue
    echo "== $(basename "$f")" >&2
    cat "$f" >&2
  done
}
