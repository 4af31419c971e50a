#!/bin/bash
# Test of the multi-host harness itself (ctest cluster.harness): three
# namespace hosts must resolve and reach each other, nsrsh must run commands
# on them, the fault helpers must do what they say, and teardown must leave
# nothing behind. Usage: test_harness.sh <cluster_probe binary>
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
probe=$(readlink -f "${1:?usage: $0 <cluster_probe binary>}")
nsrsh=$here/nsrsh
# shellcheck source=netns.sh
source "$here/netns.sh"

failures=0
step() { echo "harness: $*"; }
bad() {
  echo "harness: FAIL: $*" >&2
  failures=$((failures + 1))
}
# expect WHAT WANT GOT
expect() {
  if [ "$2" = "$3" ]; then
    step "ok: $1"
  else
    bad "$1: wanted '$2', got '$3'"
  fi
}
# The root namespace's links, one name a line.
root_links() { ip -o link show | awk -F': ' '{print $2}' | sort; }
# Runs the probe on a host; prints its output and status: "<output> (rc N)".
probe_on() {
  local host=$1 out rc=0
  shift
  out=$(cluster_exec "$host" "$probe" "$@" 2>&1) || rc=$?
  echo "$out (rc $rc)"
}
# Waits (up to 5 s) for a file to hold a line matching a pattern.
wait_for() {
  local i
  for i in $(seq 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  bad "no '$2' in $1: $(cat "$1" 2>/dev/null)"
  return 1
}

links_before=$(root_links)
cluster_up 3
prefix=$CLUSTER_PREFIX
tmp=$CLUSTER_TMP
expect "nothing new in the root namespace while up" "$links_before" "$(root_links)"
expect "one bridge, three host namespaces" 4 \
  "$(ip netns list | grep -c "^$prefix-\(h[123]\|br\)\b" || true)"

# Names and reachability, every ordered pair, through a listener on each host.
listeners=()
for h in 1 2 3; do
  cluster_spawn "h$h" "$probe" listen 7000 >"$tmp/listen.h$h" 2>&1
  listeners+=("$CLUSTER_PID")
done
for h in 1 2 3; do
  wait_for "$tmp/listen.h$h" listening
done
for a in 1 2 3; do
  expect "h$a: gethostname" "$prefix-h$a" "$(cluster_exec "h$a" hostname)"
  for b in 1 2 3; do
    [ "$a" = "$b" ] && continue
    expect "h$a resolves h$b" "$(cluster_addr "h$b")" \
      "$(cluster_exec "h$a" getent ahostsv4 "$prefix-h$b" | awk 'NR == 1 {print $1}')"
    expect "h$a -> h$b TCP" "$prefix-h$b (rc 0)" \
      "$(probe_on "h$a" connect "$prefix-h$b" 7000 2000)"
  done
done
expect "short names resolve" "$prefix-h3 (rc 0)" "$(probe_on h1 connect h3 7000 2000)"

# nsrsh, as pvmd will use it (PVM_RSH host command), also from inside a host.
expect "nsrsh h2 hostname" "$prefix-h2" "$("$nsrsh" "$prefix-h2" hostname)"
expect "nsrsh by short name and address" "$prefix-h3 $prefix-h3" \
  "$("$nsrsh" h3 hostname) $("$nsrsh" "$(cluster_addr h3)" hostname)"
expect "nsrsh from h1 to h3" "$prefix-h3" "$(cluster_exec h1 "$nsrsh" h3 hostname)"
expect "nsrsh joins words like ssh" "a b" "$("$nsrsh" h2 echo a '  ' b)"
expect "nsrsh passes stdin" "piped" "$(echo piped | "$nsrsh" h2 cat)"
expect "nsrsh -n reads nothing" "" "$(echo piped | "$nsrsh" -n h2 cat)"
# shellcheck disable=SC2016 # expanded on the remote side
expect "nsrsh keeps the environment" "v42" \
  "$(NSRSH_PROBE=v42 "$nsrsh" h2 'echo $NSRSH_PROBE')"
expect "nsrsh ignores ssh and rsh options" "$prefix-h1" \
  "$("$nsrsh" -x -o BatchMode=yes root@h1 -l root hostname)"
# shellcheck disable=SC2016 # expanded on the remote side
expect "each host has its own PVM_TMP" "$tmp/$prefix-h2/tmp $tmp/$prefix-h3/tmp" \
  "$("$nsrsh" h2 'echo $PVM_TMP') $(cluster_exec h3 printenv PVM_TMP)"
# shellcheck disable=SC2016 # expanded on the remote side
expect "private HOME on request" "$tmp/$prefix-h1/home $HOME" \
  "$(PVMNG_CLUSTER_PRIVATE_HOME=1 "$nsrsh" h1 'echo $HOME') $("$nsrsh" h1 'echo $HOME')"
rc=0
"$nsrsh" h2 'echo out; echo err >&2; exit 7' >"$tmp/o" 2>"$tmp/e" || rc=$?
expect "nsrsh stdout, stderr, status" "out err 7" "$(cat "$tmp/o") $(cat "$tmp/e") $rc"
rc=0
"$nsrsh" h9 true 2>/dev/null || rc=$?
expect "nsrsh refuses an unknown host" 255 "$rc"
rc=0
env -u PVMNG_CLUSTER_PREFIX "$nsrsh" h2 true 2>/dev/null || rc=$?
expect "nsrsh needs PVMNG_CLUSTER_PREFIX" 255 "$rc"

# Partition: a silent blackhole between two hosts only; heal restores it.
cluster_partition h1 h2
expect "partition: h1 -> h2 times out" "timeout (rc 3)" "$(probe_on h1 connect h2 7000 1500)"
expect "partition: h2 -> h1 times out" "timeout (rc 3)" "$(probe_on h2 connect h1 7000 1500)"
expect "partition: h1 -> h3 still works" "$prefix-h3 (rc 0)" "$(probe_on h1 connect h3 7000 2000)"
expect "partition: h3 -> h2 still works" "$prefix-h2 (rc 0)" "$(probe_on h3 connect h2 7000 2000)"
cluster_heal h1 h2
expect "heal: h1 -> h2 works" "$prefix-h2 (rc 0)" "$(probe_on h1 connect h2 7000 2000)"

# Loss: 0 %, 100 %, and 30 % each way (about 49 % of round trips lost).
expect "no loss: 200 of 200 echoed" "200 (rc 0)" "$(probe_on h1 udp h2 7000 200)"
cluster_loss h1 100
expect "100 % loss: nothing echoed" "0 (rc 0)" "$(probe_on h1 udp h2 7000 50)"
cluster_loss h1 30
got=$(cluster_exec h1 "$probe" udp h2 7000 400)
if [ "$got" -ge 120 ] && [ "$got" -le 290 ]; then
  step "ok: 30 % loss: $got of 400 echoed"
else
  bad "30 % loss: $got of 400 echoed (expected about 200)"
fi
expect "loss on h1 only: h3 -> h2 intact" "100 (rc 0)" "$(probe_on h3 udp h2 7000 100)"
cluster_loss h1 0
expect "loss off: 200 of 200 echoed" "200 (rc 0)" "$(probe_on h1 udp h2 7000 200)"

# Link down: connects time out both ways, and a peer that dies while its link
# is down sends no FIN that anyone sees. Control first: with the link up, the
# death of the listener is an end of stream.
cluster_spawn h3 "$probe" listen 7001 >"$tmp/listen.h3b" 2>&1
l3b=$CLUSTER_PID
wait_for "$tmp/listen.h3b" listening
cluster_exec h1 "$probe" hold h3 7001 3000 >"$tmp/hold1" 2>&1 &
hold=$!
wait_for "$tmp/hold1" connected
kill -KILL "$l3b"
wait "$l3b" 2>/dev/null || true
wait "$hold" || true
expect "link up: peer death is seen" "eof" "$(tail -n 1 "$tmp/hold1")"

cluster_spawn h3 "$probe" listen 7001 >"$tmp/listen.h3c" 2>&1
l3c=$CLUSTER_PID
wait_for "$tmp/listen.h3c" listening
cluster_exec h1 "$probe" hold h3 7001 2000 >"$tmp/hold2" 2>&1 &
hold=$!
wait_for "$tmp/hold2" connected
cluster_link_down h3
kill -KILL "$l3c"
wait "$l3c" 2>/dev/null || true
wait "$hold" || true
expect "link down: peer death unseen (no FIN)" "silent" "$(tail -n 1 "$tmp/hold2")"
expect "link down: h1 -> h3 times out" "timeout (rc 3)" "$(probe_on h1 connect h3 7000 1500)"
expect "link down: h3 -> h2 times out" "timeout (rc 3)" "$(probe_on h3 connect h2 7000 1500)"
expect "link down: h1 -> h2 unaffected" "$prefix-h2 (rc 0)" "$(probe_on h1 connect h2 7000 2000)"
cluster_link_up h3
expect "link up again: h1 -> h3 works" "$prefix-h3 (rc 0)" "$(probe_on h1 connect h3 7000 2000)"

# Teardown: no namespace, link, hosts directory, state or process left.
nested=$(cluster_exec h2 sh -c 'sleep 300 >/dev/null 2>&1 & echo $!')
cluster_down
leftover_ns=$(ip netns list | grep "^$prefix-" || true)
expect "no namespace left" "" "$leftover_ns"
expect "root namespace links as before" "$links_before" "$(root_links)"
expect "no /etc/netns directory left" "" \
  "$(find /etc/netns -maxdepth 1 -name "$prefix-*" 2>/dev/null)"
expect "no state or scratch directory left" "" \
  "$(ls -d "/run/pvmng-cluster/$prefix" "$tmp" 2>/dev/null || true)"
alive=
for i in $(seq 40); do
  alive=
  for pid in "${listeners[@]}" "$nested"; do
    kill -0 "$pid" 2>/dev/null && alive+=" $pid"
  done
  # Anything else of this run: processes naming the prefix (the guardian).
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    if { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "$prefix"; then
      alive+=" ${p#/proc/}"
    fi
  done
  [ -z "$alive" ] && break
  sleep 0.05
done
expect "no process left" "" "$alive"

# A run killed with SIGKILL (no trap) is torn down by its guardian.
bash -c 'source "$1"; cluster_up 2 2>/dev/null; echo "$CLUSTER_PREFIX"; exec sleep 300' \
  _ "$here/netns.sh" >"$tmp.killed" &
victim=$!
for i in $(seq 100); do
  [ -s "$tmp.killed" ] && break
  sleep 0.05
done
vprefix=$(cat "$tmp.killed")
rm -f "$tmp.killed"
kill -KILL "$victim"
wait "$victim" 2>/dev/null || true
for i in $(seq 60); do
  [ -z "$(ip netns list | grep "^$vprefix-" || true)" ] &&
    [ ! -d "/run/pvmng-cluster/$vprefix" ] && break
  sleep 0.1
done
expect "SIGKILLed run torn down by its guardian" "" \
  "$(ip netns list | grep "^$vprefix-" || true)$(ls -d /etc/netns/"$vprefix"-* \
    "/run/pvmng-cluster/$vprefix" 2>/dev/null || true)"

if [ "$failures" -ne 0 ]; then
  echo "harness: $failures check(s) failed"
  exit 1
fi
echo "harness: all checks passed"
