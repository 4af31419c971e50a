# shellcheck shell=bash
# A Slurm cluster over the namespace hosts of a run (netns.sh's
# cluster_up): `slurm_up` starts one munged and the slurmctld on h1 and a
# slurmd on every host, with a key, a slurm.conf and every spool, pid and
# log file generated in $CLUSTER_TMP/slurm for this run only, and exports
# SLURM_CONF so that salloc, sbatch, srun and scontrol use it. The daemons
# live in the hosts' namespaces, so teardown kills them on every way out.
# Source after netns.sh.

SLURM__LIB=$(readlink -f "${BASH_SOURCE[0]}")
SLURM_DIR=

# Installs Debian's slurmctld, slurmd, slurm-client and munge if missing
# (apt serialised with the other runs); fails if that cannot be done.
slurm__need() {
  local t
  slurm__have() {
    for t in slurmctld slurmd srun sbatch scontrol sinfo munged; do
      command -v "$t" >/dev/null || return 1
    done
  }
  slurm__have && return 0
  (
    flock 9
    bash "${SLURM__LIB%/*}/../../deploy/quickstart.sh" --deps-only slurmctld \
      slurmd slurm-client munge >/dev/null 2>&1
  ) 9>"$CLUSTER__STATE_ROOT/lock"
  slurm__have
}

# slurm__running NAME: how many processes called NAME run on the hosts.
slurm__running() {
  local h p n=0
  for h in "${CLUSTER_HOSTS[@]}"; do
    for p in $(ip netns pids "$h" 2>/dev/null); do
      [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] && n=$((n + 1))
    done
  done
  echo "$n"
}

# slurm_logs: the Slurm daemons' logs (for cluster_on_exit).
slurm_logs() {
  local f
  for f in "$SLURM_DIR"/*.log; do
    [ -f "$f" ] || continue
    echo "== $f" >&2
    tail -25 "$f" >&2
  done
}

# slurm_up: munged, slurmctld and one slurmd per host; returns once every
# node is idle. Prints "SKIP: ..." and exits 77 if Slurm cannot be
# installed.
slurm_up() {
  local d h nodes _ idle=0
  slurm__need || cluster__skip "Slurm (Debian slurmctld, slurmd, slurm-client, munge) is missing and could not be installed"
  SLURM_DIR=$CLUSTER_TMP/slurm
  d=$SLURM_DIR
  mkdir -p "$d/state" "$d/spool"
  chmod 700 "$d"
  head -c 1024 /dev/urandom >"$d/munge.key"
  chmod 400 "$d/munge.key"
  cluster_spawn h1 munged --foreground --force --key-file="$d/munge.key" \
    --socket="$d/munge.sock" --pid-file="$d/munged.pid" \
    --seed-file="$d/munged.seed" --log-file="$d/munged.log" \
    >"$d/munged.out" 2>&1
  nodes=$(
    IFS=,
    echo "${CLUSTER_HOSTS[*]}"
  )
  # Each task learns its host's own PVM_TMP, as a real machine has its own
  # /tmp (the hosts share one file system here).
  cat >"$d/taskprolog" <<EOF
#!/bin/sh
echo "export PVM_TMP=$CLUSTER_TMP/\$SLURMD_NODENAME/tmp"
EOF
  chmod 755 "$d/taskprolog"
  cat >"$d/slurm.conf" <<EOF
ClusterName=pvmng
SlurmctldHost=$(cluster_name h1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$d/munge.sock
CredType=cred/munge
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool/%n
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.%n.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.%n.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
TaskProlog=$d/taskprolog
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
KillWait=2
InactiveLimit=0
NodeName=$nodes CPUs=2 State=UNKNOWN
PartitionName=pvm Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  # slurmd loads a cgroup plugin even with proctrack/pgid and task/none, and
  # its autodetection finds no cgroup file system in the sysfs of its own
  # that `ip netns exec` mounts: cgroup.conf names the plugin (v2 without
  # systemd where the machine has cgroup v2) and the machine's tree through
  # pid 1's root. With proctrack/pgid nothing is created there.
  if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
    printf '%s\n' CgroupPlugin=cgroup/v2 IgnoreSystemd=yes \
      IgnoreSystemdOnFailure=yes >"$d/cgroup.conf"
  else
    printf '%s\n' CgroupPlugin=cgroup/v1 CgroupAutomount=no >"$d/cgroup.conf"
  fi
  echo "CgroupMountpoint=/proc/1/root/sys/fs/cgroup" >>"$d/cgroup.conf"
  for h in "${CLUSTER_HOSTS[@]}"; do
    mkdir -p "$d/spool/$h"
  done
  export SLURM_CONF=$d/slurm.conf
  for _ in $(seq 50); do
    [ -S "$d/munge.sock" ] && break
    sleep 0.1
  done
  [ -S "$d/munge.sock" ] || { slurm_logs; echo "FAIL: munged did not start" >&2; exit 1; }
  cluster_spawn h1 slurmctld -D -i -f "$d/slurm.conf" >"$d/slurmctld.out" 2>&1
  for h in "${CLUSTER_HOSTS[@]}"; do
    cluster_spawn "$h" slurmd -D -f "$d/slurm.conf" -N "$h" >"$d/slurmd.$h.out" 2>&1
  done
  for _ in $(seq 150); do
    idle=$(cluster_exec h1 sinfo -h -N -o '%T' 2>/dev/null | grep -c '^idle' || true)
    [ "$idle" = "${#CLUSTER_HOSTS[@]}" ] && break
    sleep 0.2
  done
  if [ "$idle" != "${#CLUSTER_HOSTS[@]}" ]; then
    cluster_exec h1 sinfo -N >&2 || true
    slurm_logs
    # A slurmd that cannot start on this machine (its cgroups, say) is the
    # machine's limit, not a failure of what is tested.
    local why
    why=$(grep -h 'error:' "$d"/slurmd.*.log 2>/dev/null |
      grep -v 'initialization failed' | tail -1 || true)
    if [ -n "$why" ] && [ "$(slurm__running slurmd)" = 0 ]; then
      cluster__skip "slurmd cannot run here: ${why#*error: }"
    fi
    echo "FAIL: $idle of ${#CLUSTER_HOSTS[@]} Slurm nodes idle" >&2
    exit 1
  fi
  cluster__say "Slurm: slurmctld on $(cluster_name h1), ${#CLUSTER_HOSTS[@]} slurmd idle"
}
