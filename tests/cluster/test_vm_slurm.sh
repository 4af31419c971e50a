#!/bin/bash
# cluster.vm_slurm: a virtual machine inside a Slurm allocation (pvmd -S).
# slurm.sh runs munged, slurmctld and one slurmd per namespace host; a
# batch job of 4 nodes and 6 CPUs (sbatch --wait -N 4 -n 6 of
# deploy/slurm-job.sh) starts the VM with `pvm -S` (one daemon per node,
# each a job step started by srun), spawns two tasks per CPU and checks
# that each node got its share, then halts. A second job leaves its
# VM running: every daemon must end with the allocation.
set -euo pipefail
# shellcheck source=vm_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/vm_test.sh"
# shellcheck source=slurm.sh
source "$here/slurm.sh"

cluster_on_exit() {
  local f
  [ "$1" -eq 0 ] && return
  vm_logs
  slurm_logs
  for f in "$CLUSTER_TMP"/*.out; do
    [ -f "$f" ] || continue
    echo "== $f" >&2
    cat "$f" >&2
  done
}

cluster_up 4
slurm_up
vm_env
T=$CLUSTER_TMP

# The first job is deploy/slurm-job.sh (pvm -S, the program, halt) with
# this program: each host's speed is 1000 per CPU of the job there, so it
# spawns two tasks per CPU.
cat >"$T/spawn.sh" <<'EOF'
#!/bin/bash
set -eu
echo "allocation: $SLURM_JOB_NODELIST, CPUs $SLURM_JOB_CPUS_PER_NODE"
"$PVMNG_BIN/pvm" -c conf >conf.out
"$PVMNG_BIN/cl_spawnwhere" default "" "$(awk '$3 == "LINUX64" { s += $4 / 500 } END { print s }' conf.out)"
echo "job done"
EOF
# The second leaves its virtual machine running.
cat >"$T/leave.sh" <<'EOF'
#!/bin/bash
set -eu
start=$(date +%s%N)
"$PVMNG_BIN/pvm" -S -c conf
echo "formed in $((($(date +%s%N) - start) / 1000000)) ms"
"$PVMNG_BIN/cl_spawnwhere" default "" 8
echo "job done"
EOF
chmod 755 "$T/spawn.sh" "$T/leave.sh"
export PVMNG_BIN=$BIN

nodes=("$(cluster_name h1)" "$(cluster_name h2)" "$(cluster_name h3)" "$(cluster_name h4)")
cluster_exec h1 timeout 120 sbatch --wait -N 4 -n 6 -D "$T" -o "$T/job1.out" \
  "$here/../../deploy/slurm-job.sh" "$T/spawn.sh" || vm_fail "the first job failed"
cat "$T/job1.out"
[ "$(grep -c LINUX64 "$T/job1.out")" = 4 ] || vm_fail "the VM does not list 4 hosts"
total=0
for n in "${nodes[@]}"; do
  speed=$(awk -v n="$n" '$1 == n && $3 == "LINUX64" { print $4 }' "$T/job1.out")
  total=$((total + speed))
  got=$(sed -n "s/^on $n: //p" "$T/job1.out")
  [ "${got:-0}" = $((speed / 500)) ] ||
    vm_fail "$n (speed $speed) ran ${got:-0} tasks, wanted $((speed / 500))"
done
[ "$total" = 6000 ] || vm_fail "the speeds do not add up to the job's 6 CPUs"
grep -q "srun ... -w ${nodes[1]} " "$(vm_log h1)" ||
  vm_fail "the daemon on ${nodes[1]} was not started by srun"
grep -q "^job done" "$T/job1.out" || vm_fail "the job did not finish"
echo "ok: pvm -S in a 4-node batch job: the VM on the allocation, tasks placed by its CPUs"

# The VM ends with the allocation: a job that leaves it running.
cluster_exec h1 timeout 120 sbatch --wait -N 4 -D "$T" -o "$T/job2.out" "$T/leave.sh" ||
  vm_fail "the second job failed"
grep "^formed in" "$T/job2.out" || true
grep -q "^job done" "$T/job2.out" || { cat "$T/job2.out"; vm_fail "the second job did not finish"; }
for _ in $(seq 100); do
  [ "$(vm_pvmds)" = 0 ] && break
  sleep 0.2
done
[ "$(vm_pvmds)" = 0 ] || vm_fail "$(vm_pvmds) pvmd processes outlived their allocation"
echo "ok: every daemon of a VM left running ended with its allocation"
