#!/bin/bash
# The cost of tracing, measured with bench/pingpong in private virtual
# machines (tests/integration/vm.sh): tracing off, and tracing on through
# `pvm trace` (both tasks traced with the console's default mask, events
# buffered in 16 KiB messages, the timeline written to /dev/null). With a
# second build directory (a build without tracing, for instance of the
# commit before it), its untraced figures are measured in the same rounds,
# so that the cost of the tracing branch itself shows when off.
#
# usage: bench/trace_cost.sh BUILD [BASE_BUILD] [ROUNDS]
# Prints, per size (4 B and 1 MiB) and configuration, the median of the
# rounds' round-trip times in microseconds (each round: pingpong's median
# of 5 repetitions). Rounds alternate between configurations.
set -u
build=$(cd "${1:?usage: $0 BUILD [BASE_BUILD] [ROUNDS]}" && pwd) || exit 2
base=${2:-}
[ -n "$base" ] && { base=$(cd "$base" && pwd) || exit 2; }
rounds=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../tests/integration/vm.sh
out=$(mktemp -d "${TMPDIR:-/tmp}/trace-cost.XXXXXX") || exit 2
trap 'rm -rf "$out"' EXIT

run() { # run <label> <bin dir> <size> [traced]
  local label=$1 bin=$2 size=$3 traced=${4:-}
  if [ -n "$traced" ]; then
    "$vm" --timeout 300 "$bin" "tc-$label" "$bin/pvm" trace -o /dev/null \
      "$bin/pingpong" -s "$size" -S "$size" -R 5 2>/dev/null
  else
    "$vm" --timeout 300 "$bin" "tc-$label" "$bin/pingpong" -s "$size" \
      -S "$size" -R 5 2>/dev/null
  fi | awk -v l="$label" -v s="$size" '/^size/ { print l, s, $8 }' \
    >>"$out/rtt"
}

for ((r = 0; r < rounds; r++)); do
  for size in 4 1048576; do
    [ -n "$base" ] && run base "$base/bin" "$size"
    run off "$build/bin" "$size"
    run on "$build/bin" "$size" traced
  done
done
echo "# configuration size_bytes median_rtt_us (of $rounds rounds)"
for label in base off on; do
  for size in 4 1048576; do
    awk -v l="$label" -v s="$size" '$1 == l && $2 == s { print $3 }' \
      "$out/rtt" | sort -g | awk -v l="$label" -v s="$size" \
      '{ v[NR] = $1 } END { if (NR) print l, s, v[int((NR + 1) / 2)] }'
  done
done
