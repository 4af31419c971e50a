#!/bin/bash
# Library of the multi-host tests, sourced by each test: `cluster_up N` makes N
# hosts as network namespaces on a private bridge, with helpers to run commands
# on them and to inject faults; all of it goes away at exit. Run directly for
# maintenance: `netns.sh --down PREFIX` tears one run down, `--reap` every run
# whose owner died. README.md in this directory tells how it works.
#
# Per run (PREFIX is unique, e.g. pc1a2b3c):
#   namespaces  PREFIX-h1..PREFIX-hN (hosts), PREFIX-br (the bridge br0)
#   links       eth0 in each host <-> vI on br0, both ends made inside the
#               namespaces: nothing is created in the root namespace
#   addresses   10.213.K.I/24 on host I's eth0, K fixed per run; no default
#               route; static neighbour entries, so a dead link is silent
#   names       /etc/netns/PREFIX-hI/hosts (mounted on /etc/hosts by
#               `ip netns exec`) names every host: PREFIX-hI and hI
#   filter      nftables table inet pvmngc in each host: set `blocked` of
#               peer addresses, chains loss_in / loss_out for random drop
#   state       /run/pvmng-cluster/PREFIX/ (owner, hosts, guardian pid) and a
#               scratch directory $CLUSTER_TMP; a guardian process tears the
#               run down should the owner die without its EXIT trap running.
#               /run/pvmng-cluster/ itself stays, holding the `lock` file that
#               serialises /etc/netns and apt between parallel runs

CLUSTER__LIB=$(readlink -f "${BASH_SOURCE[0]}")
CLUSTER__STATE_ROOT=/run/pvmng-cluster
CLUSTER_PREFIX=
CLUSTER_N=0
CLUSTER_NET=
CLUSTER_TMP=
CLUSTER_PID=
CLUSTER_HOSTS=()

cluster__say() { echo "cluster[${CLUSTER_PREFIX:-?}]: $*" >&2; }

# One line, exit 77: ctest counts the test as skipped.
cluster__skip() {
  echo "SKIP: $*"
  exit 77
}

# Start time of a process (field 22 of /proc/PID/stat), empty if gone.
cluster__starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  # shellcheck disable=SC2086 # split the fields on purpose
  set -- $stat
  echo "${20}"
}

# Is the process PID with start time START still alive?
cluster__alive() {
  [ -n "$1" ] && [ -n "$2" ] && [ "$(cluster__starttime "$1")" = "$2" ]
}

# Index I of a host given as I, hI, PREFIX-hI or its address.
cluster__index() {
  local h=$1 i
  case $h in
  "$CLUSTER_PREFIX"-h*) i=${h#"$CLUSTER_PREFIX"-h} ;;
  h*) i=${h#h} ;;
  "$CLUSTER_NET".*) i=${h#"$CLUSTER_NET".} ;;
  *) i=$h ;;
  esac
  if ! [[ $i =~ ^[0-9]+$ ]] || [ "$i" -lt 1 ] || [ "$i" -gt "$CLUSTER_N" ]; then
    echo "cluster: no host '$h' in this run (1..$CLUSTER_N)" >&2
    return 1
  fi
  echo "$((10#$i))"
}

# Namespace (= host name) of a host: cluster_name h2 -> PREFIX-h2.
cluster_name() {
  local i
  i=$(cluster__index "$1") || return 1
  echo "$CLUSTER_PREFIX-h$i"
}

# Address of a host: cluster_addr h2 -> 10.213.K.2.
cluster_addr() {
  local i
  i=$(cluster__index "$1") || return 1
  echo "$CLUSTER_NET.$i"
}

# MAC address of host I (locally administered, fixed: the static neighbour
# entries name it).
cluster__mac() {
  printf '02:50:4e:%02x:%02x:%02x' "${CLUSTER_NET##*.}" 0 "$1"
}

# The environment a command gets on host NAME, as VAR=value words for env:
# the host's own PVM_TMP (hosts share the file system, but each machine has
# its own /tmp), its name, and with PVMNG_CLUSTER_PRIVATE_HOME=1 its own HOME
# (no shared home directory, hence no shared ~/.pvm).
cluster__hostenv() {
  local name=$1 dir=$CLUSTER_TMP/$1
  echo "PVMNG_CLUSTER_HOST=$name"
  echo "PVM_TMP=$dir/tmp"
  [ "${PVMNG_CLUSTER_PRIVATE_HOME:-0}" = 1 ] && echo "HOME=$dir/home"
  return 0
}

# cluster_exec HOST CMD...: runs CMD in HOST's namespace, with its own UTS
# namespace whose host name is the host's (gethostname() returns it),
# /etc/hosts replaced by the run's, descriptors and environment kept but for
# cluster__hostenv's variables.
cluster_exec() {
  local name envs
  name=$(cluster_name "$1") || return 1
  shift
  mapfile -t envs < <(cluster__hostenv "$name")
  # shellcheck disable=SC2016 # expanded by the inner shell
  ip netns exec "$name" unshare --uts -- \
    /bin/sh -c 'hostname "$0" && exec "$@"' "$name" env "${envs[@]}" "$@"
}

# cluster_spawn HOST CMD...: cluster_exec in the background; CLUSTER_PID (and
# $!) is the command's own pid, so `kill -KILL "$CLUSTER_PID"` kills it. The
# caller's redirections apply: cluster_spawn h2 srv >"$CLUSTER_TMP/log" 2>&1
cluster_spawn() {
  local name envs
  name=$(cluster_name "$1") || return 1
  shift
  mapfile -t envs < <(cluster__hostenv "$name")
  # shellcheck disable=SC2016 # expanded by the inner shell
  ip netns exec "$name" unshare --uts -- \
    /bin/sh -c 'hostname "$0" && exec "$@"' "$name" env "${envs[@]}" "$@" &
  # shellcheck disable=SC2034 # read by the tests
  CLUSTER_PID=$!
}

# Runs nft inside a host's namespace (no UTS change needed).
cluster__nft() {
  local name=$1
  shift
  ip netns exec "$name" nft "$@"
}

# cluster_partition A B: every IP packet between A and B is dropped silently,
# in both directions (nothing is sent back: a blackhole, not a refusal).
cluster_partition() {
  local a b
  a=$(cluster_name "$1") && b=$(cluster_name "$2") || return 1
  cluster__nft "$a" add element inet pvmngc blocked "{ $(cluster_addr "$2") }" &&
    cluster__nft "$b" add element inet pvmngc blocked "{ $(cluster_addr "$1") }"
}

# cluster_heal A B: undoes cluster_partition A B.
cluster_heal() {
  local a b
  a=$(cluster_name "$1") && b=$(cluster_name "$2") || return 1
  cluster__nft "$a" delete element inet pvmngc blocked "{ $(cluster_addr "$2") }" \
    2>/dev/null || true
  cluster__nft "$b" delete element inet pvmngc blocked "{ $(cluster_addr "$1") }" \
    2>/dev/null || true
}

# cluster_loss HOST PERCENT: drops PERCENT % (integer 0..100) of the IP
# packets HOST sends or receives on its link, at random; 0 stops it.
cluster_loss() {
  local name p=$2
  name=$(cluster_name "$1") || return 1
  if ! [[ $p =~ ^[0-9]+$ ]] || [ "$p" -gt 100 ]; then
    echo "cluster_loss: percent must be 0..100, not '$p'" >&2
    return 1
  fi
  local match="numgen random mod 100 < $p "
  [ "$p" -eq 100 ] && match=
  {
    echo "flush chain inet pvmngc loss_in"
    echo "flush chain inet pvmngc loss_out"
    if [ "$p" -gt 0 ]; then
      echo "add rule inet pvmngc loss_in ${match}drop"
      echo "add rule inet pvmngc loss_out ${match}drop"
    fi
  } | cluster__nft "$name" -f -
}

# cluster_link_down HOST: pulls HOST's cable: its port on the bridge goes
# down, so frames either way vanish; no FIN, RST or ICMP is seen by anyone.
cluster_link_down() {
  local i
  i=$(cluster__index "$1") || return 1
  ip -n "$CLUSTER_PREFIX-br" link set "v$i" down
}

# cluster_link_up HOST: plugs the cable back in.
cluster_link_up() {
  local i
  i=$(cluster__index "$1") || return 1
  ip -n "$CLUSTER_PREFIX-br" link set "v$i" up
}

# Pids of the processes in one network namespace.
cluster__pids() {
  ip netns pids "$1" 2>/dev/null || true
}

# Tears run PREFIX down: kills every process in its namespaces, deletes the
# namespaces (and with them the veths and the bridge), its /etc/netns
# directories, state and scratch directory, and its guardian. Only names
# that carry PREFIX are touched. Idempotent; never fails.
cluster__teardown() {
  local prefix=$1 state ns nss=() pid i left gpid gstart tmp
  [[ $prefix =~ ^pc[0-9a-f]+$ ]] || return 0
  state=$CLUSTER__STATE_ROOT/$prefix
  mkdir -p "$CLUSTER__STATE_ROOT" 2>/dev/null || true
  while read -r ns _; do
    [[ $ns =~ ^$prefix-(h[0-9]+|br)$ ]] && nss+=("$ns")
  done < <(ip netns list 2>/dev/null)
  for i in $(seq 100); do
    left=
    for ns in ${nss[@]+"${nss[@]}"}; do
      for pid in $(cluster__pids "$ns"); do
        [ "$pid" = "$$" ] && continue
        kill -KILL "$pid" 2>/dev/null || true
        left=1
      done
    done
    [ -z "$left" ] && break
    sleep 0.05
  done
  for ns in ${nss[@]+"${nss[@]}"}; do
    ip netns delete "$ns" 2>/dev/null || true
  done
  (
    flock 9
    for ns in /etc/netns/"$prefix"-*; do
      [[ ${ns##*/} =~ ^$prefix-(h[0-9]+|br)$ ]] && rm -rf -- "$ns"
    done
    rmdir /etc/netns 2>/dev/null || true
  ) 9>"$CLUSTER__STATE_ROOT/lock" || true
  if [ -d "$state" ]; then
    tmp=$(cat "$state/tmp" 2>/dev/null || true)
    [[ $tmp == */pvmng-cluster."$prefix".* ]] && rm -rf -- "$tmp"
    read -r gpid gstart <"$state/guardian" 2>/dev/null || true
    rm -rf -- "$state"
    # The guardian leads its own process group (setsid): end it and its
    # sleep together.
    if [ "${gpid:-}" != "$$" ] && cluster__alive "${gpid:-}" "${gstart:-}"; then
      kill -TERM -- "-$gpid" 2>/dev/null || true
    fi
  fi
}

# Tears down every run whose owner and guardian are both gone (a test killed
# with SIGKILL together with its guardian, say).
cluster__reap() {
  local d prefix opid ostart gpid gstart
  for d in "$CLUSTER__STATE_ROOT"/pc*; do
    [ -d "$d" ] || continue
    prefix=${d##*/}
    opid='' ostart='' gpid='' gstart=''
    # A run that another cluster_up has just claimed has no owner file for
    # a moment: not a leftover.
    [ -s "$d/owner" ] || [ -z "$(find "$d" -maxdepth 0 -newermt '-60 seconds' 2>/dev/null)" ] || continue
    read -r opid ostart <"$d/owner" 2>/dev/null || true
    read -r gpid gstart <"$d/guardian" 2>/dev/null || true
    cluster__alive "$opid" "$ostart" && continue
    cluster__alive "$gpid" "$gstart" && continue
    echo "cluster: reaping run $prefix (owner $opid gone)" >&2
    cluster__teardown "$prefix"
  done
}

# cluster_down: tears this run down (also run by the EXIT trap).
cluster_down() {
  [ -n "$CLUSTER_PREFIX" ] || return 0
  cluster__teardown "$CLUSTER_PREFIX"
  unset PVMNG_CLUSTER_PREFIX
  CLUSTER_PREFIX=
}

cluster__on_exit() {
  local st=$?
  trap - EXIT INT TERM HUP
  if declare -F cluster_on_exit >/dev/null; then
    cluster_on_exit "$st" || true
  fi
  cluster_down
  exit "$st"
}

# Makes sure nft is there: installs Debian's nftables once if missing (apt
# serialised across parallel runs).
cluster__need_nft() {
  command -v nft >/dev/null && return 0
  (
    flock 9
    command -v nft >/dev/null && exit 0
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q -o DPkg::Lock::Timeout=60 nftables >/dev/null 2>&1 ||
      {
        apt-get update -q >/dev/null 2>&1 &&
          apt-get install -y -q -o DPkg::Lock::Timeout=60 nftables >/dev/null 2>&1
      }
  ) 9>"$CLUSTER__STATE_ROOT/lock"
  command -v nft >/dev/null
}

# cluster_up N: makes hosts h1..hN (1 <= N <= 250) and exports
# PVMNG_CLUSTER_PREFIX (for nsrsh) and CLUSTER_TMP (scratch directory, gone
# at teardown). Prints "SKIP: reason" and exits 77 where it cannot be done.
# Installs the EXIT/INT/TERM/HUP traps that tear the run down; a test that
# wants a last word defines cluster_on_exit STATUS (called before teardown).
cluster_up() {
  local n=$1 i j k prefix state err ns name batch
  if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 250 ]; then
    echo "cluster_up: N must be 1..250, not '$n'" >&2
    return 1
  fi
  [ -n "$CLUSTER_PREFIX" ] && { echo "cluster_up: already up" >&2; return 1; }
  [ "$(id -u)" -eq 0 ] || cluster__skip "cluster tests need root (network namespaces)"
  local tool
  for tool in ip unshare hostname flock setsid getent; do
    command -v "$tool" >/dev/null || cluster__skip "$tool is not installed"
  done
  mkdir -p "$CLUSTER__STATE_ROOT" 2>/dev/null ||
    cluster__skip "cannot create $CLUSTER__STATE_ROOT"
  cluster__need_nft || cluster__skip "nft (Debian nftables) is missing and could not be installed"
  cluster__reap

  # A fresh prefix: the state directory is claimed atomically.
  for i in $(seq 20); do
    prefix=$(printf 'pc%04x%04x' "$(($$ & 0xffff))" "$((RANDOM ^ (i << 8)))")
    mkdir "$CLUSTER__STATE_ROOT/$prefix" 2>/dev/null && break
    prefix=
  done
  [ -n "$prefix" ] || cluster__skip "no free run prefix under $CLUSTER__STATE_ROOT"
  state=$CLUSTER__STATE_ROOT/$prefix
  CLUSTER_PREFIX=$prefix
  CLUSTER_N=$n
  k=$((RANDOM % 254 + 1))
  CLUSTER_NET=10.213.$k
  CLUSTER_HOSTS=()
  echo "$$ $(cluster__starttime $$)" >"$state/owner"
  trap cluster__on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP

  CLUSTER_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pvmng-cluster.$prefix.XXXXXX")
  echo "$CLUSTER_TMP" >"$state/tmp"
  echo "$CLUSTER_NET" >"$state/net"

  # The guardian: outside our process tree and session, so that it outlives
  # a SIGKILL of this test (and of its descendants).
  (
    setsid bash "$CLUSTER__LIB" --guard "$prefix" </dev/null >/dev/null 2>&1 &
    echo "$! $(cluster__starttime $!)" >"$state/guardian"
  )

  # The namespaces. Failing at the first one means this machine cannot.
  if ! err=$(ip netns add "$prefix-br" 2>&1); then
    cluster__skip "cannot create network namespaces: $err"
  fi
  for i in $(seq "$n"); do
    name=$prefix-h$i
    CLUSTER_HOSTS+=("$name")
    ip netns add "$name"
    mkdir -p "$CLUSTER_TMP/$name/tmp" "$CLUSTER_TMP/$name/home"
    chmod 700 "$CLUSTER_TMP/$name/tmp" "$CLUSTER_TMP/$name/home"
    echo "$CLUSTER_NET.$i $name h$i" >>"$state/hosts"
  done

  # Name resolution: one hosts file per host namespace, under a lock shared
  # with teardown's removal of an empty /etc/netns.
  (
    flock 9
    for ns in "${CLUSTER_HOSTS[@]}"; do
      mkdir -p "/etc/netns/$ns"
      {
        echo "127.0.0.1 localhost"
        echo "::1 localhost ip6-localhost ip6-loopback"
        cat "$state/hosts"
      } >"/etc/netns/$ns/hosts"
    done
  ) 9>"$CLUSTER__STATE_ROOT/lock"

  # The bridge and the links, made inside the bridge namespace.
  batch="link set lo up
link add name br0 type bridge stp_state 0 forward_delay 0
link set br0 up"
  for i in $(seq "$n"); do
    batch+="
link add name v$i type veth peer name eth0 address $(cluster__mac "$i") netns $prefix-h$i
link set v$i master br0
link set v$i up"
  done
  ip -n "$prefix-br" -batch - <<<"$batch"

  # Each host: loopback, its address, static neighbours, the filter table.
  for i in $(seq "$n"); do
    batch="link set lo up
addr add $CLUSTER_NET.$i/24 dev eth0
link set eth0 up"
    for j in $(seq "$n"); do
      [ "$j" -eq "$i" ] && continue
      batch+="
neigh replace $CLUSTER_NET.$j lladdr $(cluster__mac "$j") dev eth0 nud permanent"
    done
    ip -n "$prefix-h$i" -batch - <<<"$batch"
    cluster__nft "$prefix-h$i" -f - <<'EOF'
table inet pvmngc {
  set blocked { type ipv4_addr; }
  chain loss_in { }
  chain loss_out { }
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "eth0" ip saddr @blocked drop
    iifname "eth0" jump loss_in
  }
  chain output {
    type filter hook output priority 0; policy accept;
    oifname "eth0" ip daddr @blocked drop
    oifname "eth0" jump loss_out
  }
}
EOF
  done
  export PVMNG_CLUSTER_PREFIX=$prefix
  export CLUSTER_TMP
  cluster__say "up: $n hosts ${CLUSTER_HOSTS[*]} on $CLUSTER_NET.0/24"
}

# Direct use: maintenance and the guardian.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case ${1:-} in
  --down)
    [ $# -eq 2 ] || { echo "usage: $0 --down PREFIX" >&2; exit 2; }
    cluster__teardown "$2"
    ;;
  --reap)
    cluster__reap
    ;;
  --guard)
    # Waits for the owner to go; tears the run down if it left it behind.
    prefix=$2
    state=$CLUSTER__STATE_ROOT/$prefix
    read -r opid ostart <"$state/owner"
    while [ -d "$state" ] && cluster__alive "$opid" "$ostart"; do
      sleep 0.5
    done
    if [ -d "$state" ]; then
      cluster__teardown "$prefix"
    fi
    ;;
  *)
    echo "usage: $0 --down PREFIX | --reap   (tests source this file)" >&2
    exit 2
    ;;
  esac
fi
