#!/bin/bash
# cluster.vm_linkreset: direct links that break lose nothing. cl_linkreset
# on h1 takes numbered, checksummed messages (64 KiB ones sent in place,
# small ones between them) from a sender it spawns, and checks that each
# arrives once, in order, intact; the sender then says whether its route
# is direct again. Three cases:
#  - between hosts (TLS): the link's TCP connection is reset three times
#    from the sender's namespace (ss -K) while the messages flow; the link
#    comes back after each cool-down;
#  - a FIN injected at a record boundary (fault injection in the
#    receiver, which meets the end of the stream after its 2000th
#    message): it reports the truncation (no sealed close record);
#  - on one host (Unix socket): the receiver shuts its end down three times
#    with the sender's later messages unread in the socket.
# Usage: test_vm_linkreset.sh <bin dir>
# PVMNG_LINKRESET_RUNS repeats the reset case (default 1),
# PVMNG_LINKRESET_NMSG sets its message count (default 20000).
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

runs=${PVMNG_LINKRESET_RUNS:-1}
nmsg=${PVMNG_LINKRESET_NMSG:-20000}
cluster_up 2
h1=$(cluster_name h1) h2=$(cluster_name h2)
vm_up h1 h2
cd "$BIN"
cool=(PVMNG_LINK_COOL_MS=200)

# link_port HOST: the local port of cl_linkreset's established TCP
# connection in HOST's namespace (its direct link; its daemon is reached
# through a Unix socket), or nothing.
link_port() {
  cluster_exec "$1" ss -Htnp state established 2>/dev/null |
    awk '/"cl_linkreset"/ { n = split($3, a, ":"); print a[n]; exit }'
}

# check OUT WHAT: the run's report says everything arrived, and the route
# was direct again at the end.
check() {
  grep -q "once each, in order, intact" "$1" || {
    cat "$1"
    vm_fail "$2: messages lost, duplicated, reordered or damaged"
  }
  grep -q "route at the end: direct" "$1" || {
    cat "$1"
    vm_fail "$2: the link did not come back after its cool-down"
  }
}

for run in $(seq "$runs"); do
  out=$CLUSTER_TMP/reset.$run.out
  cluster_spawn h1 env "${cool[@]}" PVM_EXPORT=PVMNG_LINK_COOL_MS \
    timeout 200 "$BIN/cl_linkreset" "$h2" "$nmsg" >"$out" 2>&1
  pid=$CLUSTER_PID
  last=
  for reset in 1 2 3; do
    port=
    for _ in $(seq 300); do
      port=$(link_port h2)
      [ -n "$port" ] && [ "$port" != "$last" ] && break
      kill -0 "$pid" 2>/dev/null || break
      port=
      sleep 0.05
    done
    [ -n "$port" ] || { cat "$out"; vm_fail "run $run: no direct link for reset $reset"; }
    sleep 0.3
    cluster_exec h2 ss -K state established "( sport = :$port )" >/dev/null 2>&1
    last=$port
  done
  wait "$pid" || { cat "$out"; vm_fail "run $run: cl_linkreset failed"; }
  check "$out" "run $run"
  echo "ok: run $run: $nmsg messages across 3 resets of the direct link: $(sed -n 's/.*route at the end: //p' "$out")"
done
resent=$(grep -c "had not acknowledged go again through the daemon" "$(vm_log h2)" || true)
echo "ok: the sender re-sent through the daemons after $resent of the breaks"

out=$CLUSTER_TMP/fin.out
cluster_exec h1 env "${cool[@]}" PVMNG_FAILPOINT_LINK_FIN=2000 \
  PVM_EXPORT=PVMNG_LINK_COOL_MS timeout 100 "$BIN/cl_linkreset" "$h2" 4000 >"$out" 2>&1 ||
  { cat "$out"; vm_fail "cl_linkreset with a FIN injected"; }
check "$out" "FIN injected"
grep -q "ended without its close record (end of stream): truncated" "$out" ||
  { cat "$out"; vm_fail "the injected FIN was not reported as a truncation"; }
echo "ok: a FIN at a record boundary is reported as truncation; nothing lost"

out=$CLUSTER_TMP/local.out
cluster_exec h1 env "${cool[@]}" PVMNG_FAILPOINT_LINK_SHUT=2000:3 \
  PVM_EXPORT=PVMNG_LINK_COOL_MS timeout 100 "$BIN/cl_linkreset" "$h1" \
  10000 >"$out" 2>&1 || { cat "$out"; vm_fail "cl_linkreset on one host"; }
check "$out" "one host"
[ "$(grep -c "failpoint: direct link with .* shut down" "$out")" = 3 ] ||
  { cat "$out"; vm_fail "the Unix link was not shut down three times"; }
echo "ok: a Unix-socket link shut down three times under 10000 messages: nothing lost"

# The re-sending at exit goes before the exit request: a daemon takes no
# message from a task after it.
if grep -h "message frame after pvm_exit" "$(vm_log h1)" "$(vm_log h2)"; then
  vm_fail "a task sent through its daemon after its exit request"
fi
vm_halt h1
# The senders write to their daemons' logs: in a sanitizer build, a report
# there fails the test too.
while IFS= read -r f; do
  if grep -q "Sanitizer" "$f"; then
    grep -A20 "Sanitizer" "$f" >&2
    vm_fail "sanitizer report in $f"
  fi
done < <(find "$CLUSTER_TMP" -name 'pvmd.*.log')
echo "PASS"
