# shellcheck shell=bash
# Shared by the cluster VM tests: starts a PVM-NG virtual machine over the
# namespace hosts that netns.sh made. Source after netns.sh, with BIN set to
# the build's bin directory. Certificates go to $CLUSTER_TMP/pki
# (PVM_CERTDIR), so the tests never touch ~/.pvm.

vm_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Prints every daemon log of the run (for cluster_on_exit).
vm_logs() {
  local f
  while IFS= read -r f; do
    echo "== $f" >&2
    tail -40 "$f" >&2
  done < <(find "$CLUSTER_TMP" -name 'pvmd.*.log' 2>/dev/null)
}

# vm_env: the environment every host's commands share. PVM_RSH is
# $VM_RSH if set (a test's wrapper around nsrsh). With
# PVMNG_CLUSTER_PRIVATE_HOME=1 every host has its own HOME and so its own
# ~/.pvm (no shared certificate directory: hosts join with the credential).
vm_env() {
  export PVM_RSH=${VM_RSH:-$here/nsrsh} PVM_VMID=cl-$CLUSTER_PREFIX
  if [ "${PVMNG_CLUSTER_PRIVATE_HOME:-0}" = 1 ]; then
    unset PVM_CERTDIR
  else
    export PVM_CERTDIR=$CLUSTER_TMP/pki
  fi
}

# vm_home H: host H's private home directory (PVMNG_CLUSTER_PRIVATE_HOME=1).
vm_home() { echo "$CLUSTER_TMP/$(cluster_name "$1")/home"; }

# The daemon log of host H.
vm_log() { find "$CLUSTER_TMP/$(cluster_name "$1")" -name 'pvmd.*.log' | head -1; }

# vm_nhosts H: how many hosts `conf` lists, asked on host H (a line per
# host, with its architecture: LINUX64, or another where hosts differ).
vm_nhosts() {
  cluster_exec "$1" "$BIN/pvm" -c conf 2>/dev/null |
    grep -cE '[[:space:]]LINUX[A-Z0-9]*[[:space:]]' || true
}

# vm_wait_hosts H N: waits up to 20 s until conf on H lists N hosts.
vm_wait_hosts() {
  local _ n=0
  for _ in $(seq 100); do
    n=$(vm_nhosts "$1")
    [ "$n" = "$2" ] && return 0
    sleep 0.2
  done
  vm_fail "conf on $1 lists $n hosts, wanted $2"
}

# vm_up H1 H2 ...: a host file naming the hosts, the master started on the
# first with it; returns once conf lists them all.
vm_up() {
  local h
  vm_env
  : >"$CLUSTER_TMP/hostfile"
  for h in "$@"; do
    cluster_name "$h" >>"$CLUSTER_TMP/hostfile"
  done
  cluster_exec "$1" "$BIN/pvmd" "$CLUSTER_TMP/hostfile" ||
    vm_fail "the master did not start"
  vm_wait_hosts "$1" "$#"
}

# vm_pvmd_on H: the pid of the pvmd running on host H (fails if none).
vm_pvmd_on() {
  local p
  for p in $(ip netns pids "$(cluster_name "$1")" 2>/dev/null); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pvmd ] && { echo "$p"; return 0; }
  done
  return 1
}

# vm_pvmds: how many pvmd processes run in the run's namespaces.
# vm_readd H: deletes host H from the VM (from the console on h1), waits
# until its daemon has gone, then adds it again and waits until conf lists
# it once more.
vm_readd() {
  local name n _
  name=$(cluster_name "$1")
  n=$(vm_nhosts h1)
  cluster_exec h1 "$BIN/pvm" -c "delete $name" >/dev/null 2>&1 || true
  vm_wait_hosts h1 $((n - 1))
  for _ in $(seq 50); do
    [ -z "$(ip netns pids "$name")" ] && break
    sleep 0.2
  done
  cluster_exec h1 "$BIN/pvm" -c "add $name" >/dev/null 2>&1 || true
  vm_wait_hosts h1 "$n"
}

# vm_pvmd_cpu_ms: the CPU time (user + system, ms) each daemon of the run
# has used so far, one "pid ms" line per daemon.
vm_pvmd_cpu_ms() {
  local h p tick
  tick=$(getconf CLK_TCK)
  for h in "${CLUSTER_HOSTS[@]}"; do
    for p in $(ip netns pids "$h" 2>/dev/null); do
      [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pvmd ] || continue
      # Fields 14 and 15 (utime, stime) after the command name's ")".
      sed 's/.*) //' "/proc/$p/stat" 2>/dev/null |
        awk -v p="$p" -v t="$tick" '{ print p, ($12 + $13) * 1000 / t }'
    done
  done
}

vm_pvmds() {
  local h n=0 p
  for h in "${CLUSTER_HOSTS[@]}"; do
    for p in $(ip netns pids "$h" 2>/dev/null); do
      [ "$(cat "/proc/$p/comm" 2>/dev/null)" = pvmd ] && n=$((n + 1))
    done
  done
  echo "$n"
}

# vm_halt H: halts from H and waits (10 s) until no pvmd is left anywhere.
vm_halt() {
  local _
  cluster_exec "$1" "$BIN/pvm" -c halt >/dev/null 2>&1 || true
  for _ in $(seq 50); do
    [ "$(vm_pvmds)" = 0 ] && return 0
    sleep 0.2
  done
  vm_fail "$(vm_pvmds) pvmd processes left after halt"
}

# vm_watch_down H LIMIT_MS CMD...: cl_hostdown on h1 asks for PvmHostDelete
# on host H; then CMD (the fault) runs, and the notification must come
# within LIMIT_MS of it. cl_hostdown's line with the delay is printed.
vm_watch_down() {
  local host=$1 limit=$2 ready down out watcher rc=0
  shift 2
  ready=$CLUSTER_TMP/ready.$host down=$CLUSTER_TMP/down.$host
  out=$CLUSTER_TMP/hostdown.$host.out
  cluster_exec h1 "$BIN/cl_hostdown" "$(cluster_name "$host")" "$ready" \
    "$down" "$limit" >"$out" 2>&1 &
  watcher=$!
  for _ in $(seq 100); do
    [ -e "$ready" ] && break
    sleep 0.1
  done
  [ -e "$ready" ] || vm_fail "cl_hostdown did not start"
  "$@"
  touch "$down"
  wait "$watcher" || rc=$?
  cat "$out"
  [ "$rc" -eq 0 ] || vm_fail "host $host was not declared deleted within $limit ms"
}

# vm_host_tid H: host H's daemon tid (hex, as conf prints it), asked on h1.
vm_host_tid() {
  cluster_exec h1 "$BIN/pvm" -c conf 2>/dev/null |
    awk -v h="$(cluster_name "$1")" '$1 == h { print $2 }'
}

# vm_run H PROG ARGS...: runs PROG on host H within 90 s; its output is
# shown and kept in $out; the test fails if PROG does.
vm_run() {
  local h=$1
  shift
  out=$(cluster_exec "$h" timeout 90 "$@" 2>&1) || {
    echo "$out"
    vm_fail "$* on $h"
  }
  echo "$out"
}
