#!/bin/bash
# example.picture: picture.sh makes the ring example's space-time diagram,
# and the SVG has one arrow per message of the traced run and one line per
# task. Usage: picture_test.sh <bin dir>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v jq >/dev/null || { echo "jq is missing: skipped"; exit 77; }
out=$(mktemp -d "${TMPDIR:-/tmp}/pvmng-picture-test.XXXXXX")
trap 'rm -rf "$out"' EXIT
log=$("$here/picture.sh" "$1" "$out" ring)
echo "$log"
msgs=$(sed -n 's/.*ring: \([0-9]*\) messages.*/\1/p' <<<"$log")
svg=$out/ring.svg
arrows=$(grep -c 'marker-end="url(#a)"' "$svg" || true)
lanes=$(grep -c '^<text x="6"' "$svg" || true)
echo "messages $msgs, arrows $arrows, task lines $lanes"
if [ -z "$msgs" ] || [ "$msgs" -eq 0 ]; then
  echo "FAIL: no messages traced"
  exit 1
fi
[ "$arrows" = "$msgs" ] || { echo "FAIL: $arrows arrows for $msgs messages"; exit 1; }
[ "$lanes" = 4 ] || { echo "FAIL: $lanes task lines, the ring has 4 tasks"; exit 1; }
echo "PASS: the ring's picture has an arrow per message and a line per task"
