#!/bin/bash
# examples346.cluster: some of PVM 3.4.6's example programs (built unmodified
# against PVM-NG, as for the one-host examples346 tests) in a virtual machine
# of three network-namespace hosts (tests/cluster), their tasks spread over
# the hosts by round-robin spawns: hello, gexample, trsg, the group examples
# gexamp, ge, thb and joinleave, the context examples inherit1 and inheritb,
# and the mailbox service task0/task1/task_end. Each case is checked as on
# one host (cases.sh). Needs root (skips with 77 otherwise, and without
# Debian's pvm-examples).
# Usage: cluster_examples346.sh <bin dir> <fortran include dir | none>
set -euo pipefail
ex=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pkgdoc=${PVMNG_EXAMPLES_DIR:-/usr/share/doc/pvm-examples}
if [ ! -f "$pkgdoc/examples.tar.gz" ]; then
  echo "SKIP: PVM 3.4.6's examples are not installed (Debian package pvm-examples)"
  exit 77
fi
fortinc=${2:?usage: $0 <bin dir> <fortran include dir | none>}
# shellcheck source=../cluster/vm_test.sh
source "$ex/../cluster/vm_test.sh" "$1"

cluster_up 3
scratch=$CLUSTER_TMP/ex346
bash "$ex/build.sh" "$scratch" pvmng "$ex/../../libpvm/include" "$BIN/../lib" \
  "$fortinc" >"$CLUSTER_TMP/build.log" 2>&1 || vm_fail "the examples did not build"
vm_env
# Every host finds the examples by name (ep=, the host file's search path).
{
  echo "* ep=$scratch/bin"
  for h in h1 h2 h3; do cluster_name "$h"; done
} >"$CLUSTER_TMP/hostfile"
cluster_exec h1 "$BIN/pvmd" "$CLUSTER_TMP/hostfile" || vm_fail "the master did not start"
vm_wait_hosts h1 3

failed=()
for c in hello gexample trsg gexamp ge thb joinleave inherit1 inheritb task; do
  if cluster_exec h1 env PATH="$scratch/bin:$PATH" EX_CONSOLE="$BIN/pvm -c" \
    bash "$ex/cases.sh" "$c" "$CLUSTER_TMP/run/$c" >"$CLUSTER_TMP/$c.out" 2>&1; then
    echo "ok: $c on 3 hosts"
  else
    failed+=("$c")
  fi
done
# The tasks did spread: some example task ran on a host other than h1.
spread=$(grep -h "on machine <" "$CLUSTER_TMP"/inherit1.out "$CLUSTER_TMP"/inheritb.out |
  grep -v "<$(cluster_name h1)>" | head -n 1 || true)
[ -n "$spread" ] || vm_fail "no example task ran on another host"
[ ${#failed[@]} -eq 0 ] || vm_fail "failed on 3 hosts: ${failed[*]}"
vm_halt h1
echo "PASS"
