#!/bin/bash
# cluster.vm_hostfile: the host file options of pvmd3(1PVM) over 3 hosts.
# First virtual machine, from a host file with a '*' line, a '&' line and
# options on the master's own line:
#   lo=    $PVM_RSH (a wrapper that logs its argv, then runs nsrsh) is
#          given -l NAME; a later '*' line drops it again;
#   dx=    the daemon is started through wrappers: one relative to the
#          remote $HOME, one a simple name found in the remote PATH;
#   ep=    each host finds `epprog` in its own directory (the master's too),
#          named with $VARIABLES that the host's own daemon expands;
#   wd=    each host's tasks run in its own directory (relative: under the
#          remote $HOME);
#   sp=    conf shows each host's speed, the master's from its own line;
#   &      the '&' host is not started with the file; `add` starts it with
#          its line's options: ip= (reached at h3, listed under its own
#          name), id= (its daemon runs under another VM id), sp=, ...;
#   *      a host with no line, added later, gets the last '*' line's
#          options, plus those given to `add`.
# Second virtual machine: ip= on the master's own line (the address the
# other daemons reach it at), so=ms (the master logs the command to type on
# the host; the test types it there, first with another VM id, which the
# master refuses at the hello), a daemon path that does not exist
# and a wd= naming a variable unset on the new host (what the remote side
# says reaches the master's log), add with so=pw or an unknown option
# (refused, the reason logged). A host file with so=pw or an unknown option
# stops the master with the file and line.
# Usage: test_vm_hostfile.sh <bin dir>
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh" "$@"

cluster_up 3
h1=$(cluster_name h1) h2=$(cluster_name h2) h3=$(cluster_name h3)
T=$CLUSTER_TMP

# A home of its own for every host (shared, as NFS would), so that dx= and
# wd= relative to it can be shown; certificates stay in $T/pki.
export HOME=$T/home
mkdir -p "$HOME/bin" "$HOME/wd3" "$T/bin" "$T/wd1" "$T/wd2"
# shellcheck disable=SC2016 # $(...) and $* run in the scripts written
for i in 1 2 3; do
  mkdir -p "$T/ep$i"
  printf '#!/bin/sh\necho "epprog from ep%s on $(hostname) in $(pwd)"\n' "$i" \
    >"$T/ep$i/epprog"
  chmod +x "$T/ep$i/epprog"
done
# shellcheck disable=SC2016 # $(...), $0, $* and $@ run in the scripts written
for w in "$HOME/bin/pvmd-wrap" "$T/bin/pvmd-wrap2"; do
  printf '#!/bin/sh\necho "$(basename "$0") on $(hostname): $*" >>%s/wrap.log\nexec %s/pvmd "$@"\n' \
    "$T" "$BIN" >"$w"
  chmod +x "$w"
done
printf '#!/bin/sh\necho "$*" >>%s/rsh.log\nexec %s/nsrsh "$@"\n' "$T" "$here" \
  >"$T/rshlog"
chmod +x "$T/rshlog"

vm_env
export PVM_RSH=$T/rshlog PATH=$T/bin:$PATH
other=other-$CLUSTER_PREFIX
# ep= and wd= name $CLUSTER_TMP: each host's daemon expands it.
cat >"$T/hosts1" <<HOSTS
# PVM-NG cluster test: the master's own line first
$h1 sp=4000 ep=\$CLUSTER_TMP/ep1 wd=\${CLUSTER_TMP}/wd1

* lo=guest sp=2000
$h2   dx=bin/pvmd-wrap ep=\$CLUSTER_TMP/ep2 wd=\$CLUSTER_TMP/wd2
   # a new '*' line replaces the defaults: no lo= from here on
* ep=\$CLUSTER_TMP/ep3 dx=pvmd-wrap2
& node3 ip=$h3 id=$other sp=3000 wd=wd3
HOSTS

cluster_exec h1 "$BIN/pvmd" "$T/hosts1" || vm_fail "the master did not start"
vm_wait_hosts h1 2
conf=$(cluster_exec h2 "$BIN/pvm" -c conf)
echo "$conf"
echo "$conf" | grep -q "^ *$h1  *40000  *LINUX64  *4000 " || vm_fail "conf: $h1 speed 4000 (its own line)"
echo "$conf" | grep -q "^ *$h2  *[0-9a-f]*  *LINUX64  *2000 " || vm_fail "conf: $h2 speed 2000 (from '*')"
echo "$conf" | grep -q node3 && vm_fail "the '&' host was started with the file"
echo "ok: sp= on the master's line and from a '*' line shows in conf; '&' host not started"

grep -q -- "^-l guest $h2 " "$T/rsh.log" || vm_fail "PVM_RSH was not given -l guest for $h2"
grep -q "^pvmd-wrap on $h2: -s .* -n $h2 " "$T/wrap.log" ||
  vm_fail "$h2's daemon was not started as dx=bin/pvmd-wrap (under \$HOME)"
echo "ok: lo= reaches PVM_RSH as -l guest; dx= relative to the remote home"

out=$(cluster_exec h1 "$BIN/pvm" -c "spawn -$h2 -> epprog" 2>&1) || true
echo "$out"
echo "$out" | grep -q "epprog from ep2 on $h2 in $T/wd2\$" || vm_fail "ep=/wd= of $h2"
out=$(cluster_exec h2 "$BIN/pvm" -c "spawn -$h1 -> epprog" 2>&1) || true
echo "$out"
echo "$out" | grep -q "epprog from ep1 on $h1 in $T/wd1\$" || vm_fail "ep=/wd= of the master's own line"
echo "ok: ep= and wd= on each host (the master's from its own line)"

out=$(cluster_exec h2 "$BIN/pvm" -c "add node3" 2>&1) || true
echo "$out"
echo "$out" | grep -q "^1 successful" || vm_fail "add node3 (a '&' line)"
vm_wait_hosts h1 3
conf=$(cluster_exec h1 "$BIN/pvm" -c conf)
echo "$conf"
echo "$conf" | grep -q "^ *node3  *[0-9a-f]*  *LINUX64  *3000 " || vm_fail "conf: node3 speed 3000"
grep -q "^$h3 PVM_VMID='$other' .*'pvmd-wrap2' -s .* -n node3 " "$T/rsh.log" ||
  vm_fail "node3 was not reached at ip=$h3 with id=, dx= and no -l"
grep -q "^pvmd-wrap2 on $h3: " "$T/wrap.log" || vm_fail "dx=pvmd-wrap2 (from \$PATH) did not run on $h3"
find "$T/$h3" -name "pvmd.$other.sock" | grep -q . || vm_fail "node3's daemon does not run as VM $other"
[ "$(PVM_VMID=$other vm_nhosts h3)" = 3 ] || vm_fail "tasks on $h3 with PVM_VMID=$other do not see the VM"
out=$(cluster_exec h1 "$BIN/pvm" -c "spawn -node3 -> epprog" 2>&1) || true
echo "$out"
echo "$out" | grep -q "epprog from ep3 on $h3 in $HOME/wd3\$" || vm_fail "ep= (from '*') and wd= (relative) on node3"
echo "ok: add of a '&' host: its options, ip= as the rsh target, id=, listed as node3"

cluster_exec h1 "$BIN/pvm" -c "delete node3" || true
vm_wait_hosts h1 2
for i in $(seq 50); do
  [ -z "$(ip netns pids "$h3")" ] && break
  sleep 0.2
done
out=$(cluster_exec h1 "$BIN/pvm" -c "add '$h3 sp=1234'" 2>&1) || true
echo "$out"
echo "$out" | grep -q "^1 successful" || vm_fail "add '$h3 sp=1234'"
conf=$(cluster_exec h1 "$BIN/pvm" -c conf)
echo "$conf" | grep -q "^ *$h3  *[0-9a-f]*  *LINUX64  *1234 " || vm_fail "conf: $h3 speed 1234 (given to add)"
out=$(cluster_exec h1 "$BIN/pvm" -c "spawn -$h3 -> epprog" 2>&1) || true
echo "$out"
echo "$out" | grep -q "epprog from ep3 on $h3 in $HOME\$" || vm_fail "the last '*' line's ep= on $h3"
grep -q "^$h3 PVM_VMID='cl-$CLUSTER_PREFIX' .*'pvmd-wrap2' -s " "$T/rsh.log" ||
  vm_fail "$h3 was not started with the last '*' line's dx="
echo "ok: a host without a line takes the last '*' line, then the options given to add"
vm_halt h1

# The second virtual machine. The master's own line moves it to a second
# address; h2 is started by hand (so=ms); h3's daemon path does not exist.
ip netns exec "$h1" ip addr add "$CLUSTER_NET.201/24" dev eth0
cat >"$T/hosts2" <<HOSTS
$h1 ip=$CLUSTER_NET.201
$h2 so=ms
&$h3 dx=/nonexistent/pvmd
HOSTS
: >"$T/rsh.log"
cluster_exec h1 "$BIN/pvmd" "$T/hosts2" || vm_fail "the second master did not start"
log=$(vm_log h1)
cmd=
for i in $(seq 50); do
  cmd=$(grep -A1 "Login to \"$h2\" and type:" "$log" | tail -1 |
    sed 's/^[-0-9]* [:0-9]* pvmd\[[0-9]*\] //') || true
  [ -n "$cmd" ] && break
  sleep 0.2
done
echo "the master says to type on $h2: $cmd"
[ -n "$cmd" ] || vm_fail "no manual startup command in the master's log"
case $cmd in *" -s $CLUSTER_NET.201:"*) ;; *) vm_fail "the command does not name the master's ip= address" ;; esac
[ -s "$T/rsh.log" ] && vm_fail "PVM_RSH was run for a so=ms host"
# Typed with another VM id, the daemon is refused at its hello.
wrong=${cmd//PVM_VMID=\'cl-/PVM_VMID=\'wrong-}
[ "$wrong" != "$cmd" ] || vm_fail "no PVM_VMID in the printed command"
cluster_exec h2 sh -c "$wrong" || vm_fail "the daemon with another VM id did not start"
for i in $(seq 50); do
  grep -q "VM id \"wrong-$CLUSTER_PREFIX\", this VM expects \"cl-$CLUSTER_PREFIX\"" "$log" && break
  sleep 0.2
done
grep "VM id \"wrong-$CLUSTER_PREFIX\", this VM expects" "$log" || vm_fail "a hello with another VM id was not refused"
for i in $(seq 50); do
  [ "$(vm_pvmds)" = 1 ] && break
  sleep 0.2
done
[ "$(vm_pvmds)" = 1 ] || vm_fail "the refused daemon did not stop"
cluster_exec h2 sh -c "$cmd" || vm_fail "the printed command failed on $h2"
vm_wait_hosts h1 2
ip netns exec "$h2" ss -tnH | grep -q "$CLUSTER_NET.201:" ||
  vm_fail "$h2's daemon is not connected to the master's ip= address"
echo "ok: so=ms: the printed command, typed on $h2, joins it; ip= on the master's line"

out=$(cluster_exec h1 "$BIN/pvm" -c "add $h3" 2>&1) || true
echo "$out"
echo "$out" | grep -q "^0 successful" || vm_fail "add with a daemon path that does not exist"
grep "said:.*/nonexistent/pvmd" "$log" || vm_fail "what the remote shell said is not in the master's log"
# wd= is expanded by the new daemon: a variable unset there stops it, and
# it says why through the remote shell.
out=$(cluster_exec h1 "$BIN/pvm" -c "add '$h3 dx=$BIN/pvmd wd=\$PVMNG_NO_SUCH_VAR/x'" 2>&1) || true
echo "$out" | grep -q "^0 successful" || vm_fail "add with wd= of an unset variable"
grep "said: pvmd: wd=\$PVMNG_NO_SUCH_VAR/x: \$PVMNG_NO_SUCH_VAR is not set" "$log" ||
  vm_fail "the new daemon's complaint about wd= is not in the master's log"
for bad in "so=pw" "zz=1"; do
  out=$(cluster_exec h1 "$BIN/pvm" -c "add '$h3 $bad'" 2>&1) || true
  echo "$out" | grep -q "^0 successful" || vm_fail "add with $bad"
done
grep -q "cannot add host \"$h3 so=pw\": so=pw (password prompting) is not supported.*ssh key" "$log" ||
  vm_fail "so=pw: no advice in the log"
grep -q "cannot add host \"$h3 zz=1\": unknown option \"zz=\"" "$log" || vm_fail "add with zz=1: no reason logged"
[ "$(vm_nhosts h1)" = 2 ] || vm_fail "failed adds changed the host table"
echo "ok: a failed start is explained in the master's log; so=pw and unknown options are refused"
vm_halt h1

printf '%s\n' "$h1" "# comment" "$h2 lo=guest so=pw" >"$T/bad1"
printf '%s\n' "$h1" "$h2 zz=3" >"$T/bad2"
for f in bad1:"line 3: so=pw (password prompting) is not supported.*ssh key" \
  bad2:"line 2: unknown option \"zz=\""; do
  if err=$(cluster_exec h1 "$BIN/pvmd" "$T/${f%%:*}" 2>&1); then
    vm_fail "the master started with $T/${f%%:*}"
  fi
  echo "$err"
  echo "$err" | grep -q "host file $T/${f%%:*} ${f#*:}" || vm_fail "error for ${f%%:*}"
done
[ "$(vm_pvmds)" = 0 ] || vm_fail "a daemon runs after a bad host file"
echo "ok: a bad host file stops the master, naming the file and line"
echo "PASS"
