#!/bin/bash
# Barrier and reduce (bench/collective) with the tasks spread over three
# namespace-hosts (tests/cluster, needs root), beside the same run on one
# host of the same kind, so the cost of going between hosts shows.
#
# Usage: bench/cluster_collective.sh <bin dir> [ntask...]   (default 3 8 16)
# Prints one line per figure: "<hosts> hosts: barrier ntask N us X" and
# "<hosts> hosts: reduce ntask N count 1024 us X" (medians of 5 runs of
# 200 operations; reduce = a reduce of 1024 doubles then a barrier).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/cluster" && pwd)
BIN=$(readlink -f "${1:?usage: $0 <bin dir> [ntask...]}")
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(3 8 16)
# shellcheck source=../tests/cluster/netns.sh
source "$here/netns.sh"
# shellcheck source=../tests/cluster/vm.sh
source "$here/vm.sh"

measure() { # measure NHOSTS
  local n
  for n in "${sizes[@]}"; do
    cluster_exec h1 "$BIN/collective" -n "$n" | sed "s/^/$1 hosts: /"
  done
}

cluster_up 3
cd "$BIN"
vm_up h1
measure 1
vm_halt h1
vm_up h1 h2 h3
measure 3
vm_halt h1
