#!/bin/bash
# cluster.vm_examples: the teaching examples (examples/README.md) over three
# hosts. Each is started on one host and spawns its tasks with
# PvmTaskDefault, so they spread round-robin over the three; each checks its
# own result and prints a line ending in OK only when the check passed
# (leader is the largest id and all agree, sorted as qsort, product and
# plate as serial, picture checksum as serial, clocks against
# happened-before, two-phase commit's decision with and without a crashed
# participant on another host, termination detected with nothing in flight,
# snapshot holding the invariant), and the Fortran felection and fjacobi
# when built. Usage: test_vm_examples.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
vm_up h1 h2 h3
cd "$BIN"

# The number of distinct hosts among the tids (t<hex>, upper case from
# Fortran) in $out: a tid's host part is its bits 18 to 29.
hosts_in_out() {
  local t
  for t in $(echo "$out" | grep -oi '\bt[0-9a-f]\{5,8\}\b' | sort -u); do
    echo $(((0x${t#t} >> 18) & 0xfff))
  done | sort -u | wc -l
}

# example HOST EXPECT PROGRAM ARGS...: runs the example on HOST, requires
# the line EXPECT (a grep -E pattern) and tasks on all three hosts (spawns
# go round-robin over the hosts, so 3 or more spawned tasks cover them).
example() {
  local h=$1 expect=$2
  shift 2
  vm_run "$h" "$@"
  echo "$out" | grep -Eq "$expect" || vm_fail "$*: no '$expect'"
  [ "$(hosts_in_out)" = 3 ] || vm_fail "$*: tasks not on 3 hosts"
  echo "ok: $* over 3 hosts"
}

example h1 "6 tasks agree on leader 105, the largest id: OK" \
  "$BIN/election" cr 6
example h2 "6 tasks agree on leader 105, the largest id: OK" \
  "$BIN/election" hs 6
example h3 "6 tasks, 24000 keys, same as qsort: OK" "$BIN/sort" sample 6 4000
example h1 "5 tasks, 20000 keys, same as qsort: OK" "$BIN/sort" oddeven 5 4000
example h2 "cannon, 4 tasks, N=60, same as the serial product: OK" \
  "$BIN/matmul" cannon 4 60
example h3 "rows, 4 tasks, N=60, same as the serial product: OK" \
  "$BIN/matmul" rows 4 60
example h1 "4 tasks, 200 iterations, same as serial within 1e-9: OK" \
  "$BIN/jacobi" 4 48 200 100
example h2 "3 workers, checksum [0-9a-f]+, serial [0-9a-f]+: same picture: OK" \
  "$BIN/mandel" 3 160 120 "$CLUSTER_TMP/mandel.ppm"
example h3 "6 tasks, 24 messages: .*: OK" "$BIN/clocks" 6 4
example h1 "all voted YES: decision COMMIT, 4 of 4 live participants applied it: OK" \
  "$BIN/twopc" 4
# The crashed participant's exit notice comes from its own host's daemon
# (the four participants are on all three hosts).
example h1 "one crashed before voting: decision ABORT, 3 of 3 live participants applied it: OK" \
  "$BIN/twopc" 4 1
example h2 "ds, 6 tasks: at detection all [0-9]+ WORK were received and acknowledged, no task busy: OK" \
  "$BIN/tokens" ds 6 3
example h3 "snapshot, 6 tasks: snapshot holds 600 tokens, the invariant 600: OK" \
  "$BIN/tokens" snapshot 6 20
# The Fortran versions, when the build has Fortran.
if [ -x "$BIN/felection" ] && [ -x "$BIN/fjacobi" ]; then
  example h2 "felection: cr, 6 tasks agree on leader 105, the largest id: OK" \
    "$BIN/felection" 6
  example h3 "fjacobi: 4 tasks, 200 iterations, same as serial within 1e-9: OK" \
    "$BIN/fjacobi" 4 48 200 100
fi

vm_halt h1
echo "PASS"
