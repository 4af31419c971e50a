#!/bin/bash
# hetero.vm_<arch>: one virtual machine of an x86-64 master and a host of
# another architecture whose daemon, console and tasks are that
# architecture's binaries (deploy/cross-build.sh), run by qemu-user through
# binfmt_misc inside the host's network namespace. Checks: the VM forms with
# two data formats (pvm_config's narch, each host's arch and dsig, the same
# from the foreign console), pvm_archcode knows both names, PvmTaskArch
# spawns the foreign binary (found through ep= and PVM's $PVM_ARCH
# directories) from either side, and cl_hetero's messages of every type
# arrive with exact values both ways (PvmDataDefault) or as the same bytes
# (PvmDataRaw).
# Usage: test_vm_hetero.sh <bin dir> <arch>   (arch: s390x or aarch64)
# The cross build is $PVMNG_HETERO_BUILD_<ARCH> if set, else build-<arch>
# at the top of the source tree; its sysroot $PVMNG_SYSROOT, else
# /opt/pvmng-sysroot/<arch>. Without them the test skips.
set -euo pipefail
arch=${2:?usage: $0 <bin dir> s390x|aarch64}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)

skip() {
  echo "SKIP: $*"
  exit 77
}
case $arch in
s390x) pvm_arch=LINUXS390 dsig=0x658ef59 ;;
aarch64) pvm_arch=LINUXAARCH64 dsig=0x408c41 ;;
*) echo "unknown architecture $arch" >&2 && exit 2 ;;
esac
out=
var=PVMNG_HETERO_BUILD_${arch^^}
cross=${!var:-$src/build-$arch}
sysroot=${PVMNG_SYSROOT:-/opt/pvmng-sysroot/$arch}
for f in pvmd pvm cl_hetero; do
  [ -x "$cross/bin/$f" ] ||
    skip "no $arch build at $cross (deploy/cross-build.sh $arch makes it)"
done
[ -d "$sysroot/lib" ] || skip "no $arch sysroot at $sysroot (deploy/cross-build.sh $arch)"
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, binfmt_misc)"
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null ||
    skip "binfmt_misc is not mounted and cannot be"
fi
grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$arch" 2>/dev/null ||
  skip "no binfmt_misc entry for $arch (apt-get install qemu-user-static)"
# qemu-user finds the foreign loader and libraries under this prefix; the
# daemons hand the variable on to the tasks they start.
export QEMU_LD_PREFIX=$sysroot

# shellcheck source=vm_test.sh
source "$here/vm_test.sh" "$1"

cluster_up 2
h1=$(cluster_name h1) h2=$(cluster_name h2)
vm_env

# PVM's convention: each architecture's programs in a directory named for it.
bin=$CLUSTER_TMP/pvm3/bin
mkdir -p "$bin/LINUX64" "$bin/$pvm_arch"
ln -s "$BIN/cl_hetero" "$bin/LINUX64/cl_hetero"
ln -s "$cross/bin/cl_hetero" "$bin/$pvm_arch/cl_hetero"
# shellcheck disable=SC2016 # $PVM_ARCH is expanded by each host's daemon
cat >"$CLUSTER_TMP/hostfile" <<EOF
$h1 ep=$bin/\$PVM_ARCH
$h2 dx=$cross/bin/pvmd ep=$bin/\$PVM_ARCH
EOF
start=$(date +%s%N)
cluster_exec h1 "$BIN/pvmd" "$CLUSTER_TMP/hostfile" || vm_fail "the master did not start"
vm_wait_hosts h1 2
echo "VM of LINUX64 and $pvm_arch formed in $((($(date +%s%N) - start) / 1000000)) ms"

# conf from both consoles: the foreign one is the cross-built pvm.
for c in "h1 $BIN/pvm" "h2 $cross/bin/pvm"; do
  # shellcheck disable=SC2086 # host and program
  set -- $c
  conf=$(cluster_exec "$1" "$2" -c conf 2>&1)
  echo "$conf"
  echo "$conf" | grep -q "2 hosts, 2 data formats" ||
    vm_fail "conf on $1: want 2 hosts and 2 data formats"
  # conf's columns: HOST DTID ARCH SPEED DSIG
  [ "$(echo "$conf" | awk -v h="$h1" '$1 == h { print $3, $5 }')" = "LINUX64 0x00408c41" ] ||
    vm_fail "conf on $1: $h1 is not LINUX64 with dsig 0x00408c41"
  [ "$(echo "$conf" | awk -v h="$h2" '$1 == h { print $3, $5 }')" = "$pvm_arch $(printf '0x%08x' "$dsig")" ] ||
    vm_fail "conf on $1: $h2 is not $pvm_arch with dsig $dsig"
done
echo "ok: conf on both architectures lists LINUX64 and $pvm_arch with their dsigs"

# check OUT: cl_hetero's output has no FAIL line and the checks ran.
check() {
  echo "$out" | grep -q '^FAIL\|^child: FAIL' && vm_fail "cl_hetero reported a failure"
  [ "$(echo "$out" | grep -c '^ok: child->parent PvmDataDefault')" = 13 ] ||
    vm_fail "want 13 PvmDataDefault checks from the parent"
  [ "$(echo "$out" | grep -c '^child: ok: parent->child PvmDataDefault')" = 13 ] ||
    vm_fail "want 13 PvmDataDefault checks from the child"
  echo "$out" | grep -q "PvmDataRaw bytes unchanged" || vm_fail "no raw check"
}

# From the master: the child is the foreign binary.
vm_run h1 "$bin/LINUX64/cl_hetero" "$pvm_arch"
check
echo "$out" | grep -q "^ok: PvmTaskArch $pvm_arch: task .* on $h2, arch $pvm_arch" ||
  vm_fail "PvmTaskArch $pvm_arch did not start the task on $h2"
echo "$out" | grep -q "^dsig: parent 0x408c41 child $dsig" ||
  vm_fail "want dsig 0x408c41 on $h1 and $dsig on $h2"
echo "ok: LINUX64 parent, $pvm_arch child: every type both ways, raw bytes, PvmTaskArch"

# From the foreign host: its own binary spawns the x86-64 one.
vm_run h2 "$bin/$pvm_arch/cl_hetero" LINUX64
check
echo "$out" | grep -q "^ok: PvmTaskArch LINUX64: task .* on $h1, arch LINUX64" ||
  vm_fail "PvmTaskArch LINUX64 from $h2 did not start the task on $h1"
echo "ok: $pvm_arch parent, LINUX64 child: every type both ways, raw bytes, PvmTaskArch"

vm_halt h1
echo "PASS"
