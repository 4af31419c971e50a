# shellcheck shell=bash
# The namespace hosts' real OpenSSH: `ssh_up` runs Debian's sshd in every
# host of the run (netns.sh's cluster_up), each with its own host key,
# configuration, port, pid file and authorized_keys, all under
# $CLUSTER_TMP/ssh, and writes a client configuration with a test key and
# the hosts' keys. SSH_PVM_RSH is the PVM_RSH that uses it ("ssh -F
# <that config>"), SSH_RSH the same as a two-line script for the tests'
# own commands; nothing under ~/.ssh or /etc/ssh is read or written. The
# sshd processes live in the hosts' namespaces, so teardown kills them on
# every way out. Source after netns.sh.

SSH__LIB=$(readlink -f "${BASH_SOURCE[0]}")
SSH_DIR=
SSH_PORT=
SSH_RSH=
SSH_PVM_RSH=

# Installs Debian's openssh-server and openssh-client if missing (apt
# serialised with the other runs); fails if that cannot be done.
ssh__need() {
  [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null &&
    return 0
  (
    flock 9
    bash "${SSH__LIB%/*}/../../deploy/quickstart.sh" --deps-only openssh-server \
      openssh-client >/dev/null 2>&1
  ) 9>"$CLUSTER__STATE_ROOT/lock"
  [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null
}

# ssh_host_dir H: host H's sshd directory (keys, config, pid file, log).
ssh_host_dir() { echo "$SSH_DIR/$(cluster_name "$1")"; }

# ssh_known_line H KEYFILE: the known_hosts line for host H (its names and
# address, at the run's port) with the public key KEYFILE.
ssh_known_line() {
  local name short addr
  name=$(cluster_name "$1")
  short=h${name##*-h}
  addr=$(cluster_addr "$1")
  echo "[$name]:$SSH_PORT,[$short]:$SSH_PORT,[$addr]:$SSH_PORT $(cut -d' ' -f1,2 "$2")"
}

# ssh_up: an sshd on every host of the run, reachable as root with the
# test key through $SSH_RSH. Prints "SKIP: ..." and exits 77 if OpenSSH
# cannot be installed.
ssh_up() {
  local h name d i _
  ssh__need || cluster__skip "OpenSSH (Debian openssh-server, openssh-client) is missing and could not be installed"
  SSH_DIR=$CLUSTER_TMP/ssh
  SSH_PORT=$((20000 + RANDOM % 10000))
  mkdir -p "$SSH_DIR"
  chmod 700 "$SSH_DIR"
  # The privilege separation directory Debian's sshd insists on (the
  # package makes it at boot; nothing else is there).
  mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -C pvmng-test -f "$SSH_DIR/id_ed25519"
  : >"$SSH_DIR/known_hosts"
  for h in "${CLUSTER_HOSTS[@]}"; do
    name=$h
    d=$SSH_DIR/$name
    mkdir -p "$d"
    ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$d/host_ed25519_key"
    cp "$SSH_DIR/id_ed25519.pub" "$d/authorized_keys"
    ssh_known_line "$name" "$d/host_ed25519_key.pub" >>"$SSH_DIR/known_hosts"
    # sshd passes no environment on: a real machine's own /tmp and home
    # are this host's directories here (SetEnv).
    cat >"$d/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 0.0.0.0
HostKey $d/host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
SetEnv PVM_TMP=$CLUSTER_TMP/$name/tmp HOME=$CLUSTER_TMP/$name/home PVMNG_CLUSTER_HOST=$name
EOF
    cluster_spawn "$name" /usr/sbin/sshd -D -e -f "$d/sshd_config" >"$d/sshd.log" 2>&1
  done
  cat >"$SSH_DIR/ssh_config" <<EOF
Host *
  Port $SSH_PORT
  User root
  IdentityFile $SSH_DIR/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $SSH_DIR/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
  ConnectTimeout 5
EOF
  # shellcheck disable=SC2034 # read by the tests
  SSH_PVM_RSH="ssh -F $SSH_DIR/ssh_config"
  SSH_RSH=$SSH_DIR/pvm-ssh
  printf '#!/bin/sh\n# PVM_RSH of the ssh tests: ssh with the run'"'"'s own configuration.\nexec ssh -F %s "$@"\n' \
    "$SSH_DIR/ssh_config" >"$SSH_RSH"
  chmod 755 "$SSH_RSH"
  # Every sshd answers before the test goes on.
  for i in "${!CLUSTER_HOSTS[@]}"; do
    name=${CLUSTER_HOSTS[$i]}
    for _ in $(seq 50); do
      cluster_exec h1 "$SSH_RSH" "$name" true </dev/null 2>/dev/null && continue 2
      sleep 0.1
    done
    cat "$SSH_DIR/$name/sshd.log" >&2
    echo "FAIL: the sshd on $name does not answer" >&2
    exit 1
  done
  cluster__say "sshd on port $SSH_PORT on ${#CLUSTER_HOSTS[@]} hosts"
}
