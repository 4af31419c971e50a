#!/bin/bash
# A Slurm batch script that runs a PVM program on a virtual machine of the
# job's nodes: `pvm -S` starts a daemon on every node (the others as srun
# job steps, so the virtual machine ends with the job at the latest), the
# program runs on the first node, and the virtual machine is halted.
#
#   sbatch --nodes=4 --ntasks=8 deploy/slurm-job.sh ./master 16
#
# pvm must be on PATH (or set PVMNG_BIN to its directory). The job's exit
# status is the program's.
#SBATCH --job-name=pvm
#SBATCH --time=00:10:00
set -u
bin=${PVMNG_BIN:+$PVMNG_BIN/}
[ $# -gt 0 ] || { echo "usage: sbatch [options] $0 PROGRAM [ARGS...]" >&2; exit 2; }
"${bin}pvm" -S -c conf || { echo "$0: the virtual machine did not start" >&2; exit 1; }
status=0
"$@" || status=$?
"${bin}pvm" -c halt >/dev/null
exit "$status"
