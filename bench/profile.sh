#!/bin/bash
# CPU profile of the 4-byte ping-pong through PVM-NG's daemon: runs
# pingpong in a private VM (tests/integration/vm.sh) under a system-wide
# `perf record -g` and prints the top of `perf report` for the three
# processes involved (pingpong, its echo task, pvmd).
#
# Usage: bench/profile.sh <bin dir of a RelWithDebInfo build> [iterations]
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = "--inside" ]; then
  # In the VM: record the whole machine while the ping-pong runs.
  perf record -q -a -g -o "$2" -- "$3/pingpong" -s 4 -S 4 -n "$4" -R 1 \
    >"$2.out" 2>"$2.err" || { cat "$2.err" >&2; exit 1; }
  exit 0
fi
[ $# -ge 1 ] || { echo "usage: $0 <bin dir> [iterations]" >&2; exit 2; }
command -v perf >/dev/null || { echo "profile.sh: perf is not installed" >&2; exit 2; }
bin=$(cd "$1" && pwd) || exit 2
iters=${2:-50000}
out=$(mktemp -d "${TMPDIR:-/tmp}/pvmprof.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
"$here/../tests/integration/vm.sh" --timeout 300 "$bin" profile "$here/profile.sh" \
  --inside "$out/perf.data" "$bin" "$iters" >"$out/vm.log" 2>&1 ||
  { cat "$out/vm.log" >&2; exit 1; }
rep() { perf report -i "$out/perf.data" --stdio --no-children -g none "$@" 2>/dev/null |
  grep -E '^ +[0-9]'; }
echo "== pingpong under perf (4 B, through the daemon):"
grep '^size' "$out/perf.data.out"
echo "== all samples of the machine by command (swapper = idle CPU)"
rep --sort comm | head -n 8
echo "== pvmd and the two tasks: user space vs kernel (relative)"
rep --comm pvmd,pingpong --percentage relative --sort comm,dso | head -n 10
echo "== pvmd and the two tasks: top symbols, self time (relative)"
rep --comm pvmd,pingpong --percentage relative --sort comm,sym | head -n 25
