#!/bin/bash
# Pictures of the teaching examples: each runs traced in a private virtual
# machine (run_example.sh with EXAMPLE_TRACE, that is `pvm trace`), and its
# timeline becomes a space-time diagram (spacetime.jq): one line per task,
# an arrow per message from its send to its receive. examples/README.md
# shows them; `examples/picture.sh build/bin examples/pictures` makes them
# all again after a change to an example.
#
# Usage: picture.sh <bin dir> <out dir> [name...]
# Names (default: all): ring election_cr election_hs sort_oddeven
# sort_sample matmul_rows matmul_cannon jacobi mandel clocks twopc_commit
# twopc_crash tokens_ds tokens_snapshot. Writes <out dir>/<name>.svg, and
# <name>.png when rsvg-convert (Debian's librsvg2-bin) is there. Needs jq.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 2 ]; then
  echo "usage: $0 <bin dir> <out dir> [name...]" >&2
  exit 2
fi
bindir=$1
out=$2
shift 2
command -v jq >/dev/null || {
  echo "picture.sh: jq is missing (apt-get install jq)" >&2
  exit 2
}
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvmng-picture.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The runs pictured: small sizes, so that each message shows.
args_of() {
  case $1 in
  ring) echo "ring 4 3" ;;
  election_cr) echo "election cr 6" ;;
  election_hs) echo "election hs 6" ;;
  sort_oddeven) echo "sort oddeven 4 50" ;;
  sort_sample) echo "sort sample 4 200" ;;
  matmul_rows) echo "matmul rows 4 24" ;;
  matmul_cannon) echo "matmul cannon 4 24" ;;
  jacobi) echo "jacobi 4 16 8" ;;
  mandel) echo "mandel 4 64 48 $work/mandel.ppm" ;;
  clocks) echo "clocks 4 3" ;;
  twopc_commit) echo "twopc 4" ;;
  twopc_crash) echo "twopc 4 2" ;;
  tokens_ds) echo "tokens ds 4 3" ;;
  tokens_snapshot) echo "tokens snapshot 4 5" ;;
  *) return 1 ;;
  esac
}
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(ring election_cr election_hs sort_oddeven
  sort_sample matmul_rows matmul_cannon jacobi mandel clocks twopc_commit
  twopc_crash tokens_ds tokens_snapshot)
status=0
for name in "${names[@]}"; do
  if ! spec=$(args_of "$name"); then
    echo "picture.sh: no picture named $name" >&2
    status=2
    continue
  fi
  read -r -a run <<<"$spec"
  json=$work/$name.json
  if ! EXAMPLE_TRACE=$json "$here/run_example.sh" "$bindir" "${run[@]}" \
    >"$work/$name.out" 2>&1 || [ ! -s "$json" ]; then
    cat "$work/$name.out" >&2
    echo "picture.sh: $name: the traced run failed" >&2
    status=1
    continue
  fi
  jq -r -f "$here/spacetime.jq" "$json" >"$out/$name.svg"
  if command -v rsvg-convert >/dev/null; then
    rsvg-convert -o "$out/$name.png" "$out/$name.svg"
  fi
  echo "picture.sh: $name: $(jq '[.traceEvents[] | select(.ph == "s" and .name == "message")] | length' "$json") messages -> $out/$name.svg"
done
exit "$status"
