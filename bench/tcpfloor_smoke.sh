#!/bin/bash
# bench.smoke.tcpfloor: tcpfloor's server on a free loopback port for two
# clients one after the other, as bench/cluster_pingpong.sh uses it.
#   tcpfloor_smoke.sh <tcpfloor>
set -euo pipefail
prog=${1:?usage: $0 <tcpfloor>}
out=$(mktemp "${TMPDIR:-/tmp}/tcpfloor.XXXXXX")
"$prog" -l 0 -s 1024 -n 2 >"$out" &
srv=$!
trap 'kill "$srv" 2>/dev/null || true; rm -f "$out"' EXIT
port=
for _ in $(seq 50); do
  port=$(sed -n 's/^tcpfloor listening on port //p' "$out")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "tcpfloor: the server named no port" >&2; exit 1; }
for _ in 1 2; do
  "$prog" -c "127.0.0.1:$port" -s 1024 -n 20
done
wait "$srv"
