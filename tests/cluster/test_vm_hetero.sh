#!/bin/bash
# hetero.vm_*: one virtual machine of an x86-64 master and one host per
# architecture named, whose daemon, console and tasks are that
# architecture's binaries (deploy/cross-build.sh), run by qemu-user through
# binfmt_misc inside the host's network namespace. Checks: the VM forms
# (pvm_config's narch, each host's arch and dsig, alike from every
# architecture's console), pvm_archcode knows every name, PvmTaskArch
# spawns each architecture's binary (found through ep= and PVM's $PVM_ARCH
# directories) from every host, and cl_hetero's messages of every type
# arrive with exact values both ways between every pair of architectures
# (PvmDataDefault, also 1000 messages each way through the daemons and as
# many over a direct link) or as the same bytes (PvmDataRaw), and every
# reduction of every type is exact at either root.
# Usage: test_vm_hetero.sh <bin dir> ARCH...   (ARCH: s390x, aarch64)
# Each cross build is $PVMNG_HETERO_BUILD_<ARCH> if set, else build-<arch>
# at the top of the source tree; its sysroot /opt/pvmng-sysroot/<arch>
# ($PVMNG_SYSROOT_<ARCH>). Without them the test skips.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 <bin dir> s390x|aarch64..." >&2 && exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
bindir=$1
shift
archs=("$@")
out=

skip() {
  echo "SKIP: $*"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, binfmt_misc)"
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null ||
    skip "binfmt_misc is not mounted and cannot be"
fi

# Per architecture: PVM's name, its data signature, the build, the sysroot.
declare -A pvm_arch dsig cross sysroot
for a in "${archs[@]}"; do
  case $a in
  s390x) pvm_arch[$a]=LINUXS390 dsig[$a]=0x658ef59 ;;
  aarch64) pvm_arch[$a]=LINUXAARCH64 dsig[$a]=0x408c41 ;;
  *) echo "unknown architecture $a" >&2 && exit 2 ;;
  esac
  var=PVMNG_HETERO_BUILD_${a^^}
  cross[$a]=${!var:-$src/build-$a}
  var=PVMNG_SYSROOT_${a^^}
  sysroot[$a]=${!var:-/opt/pvmng-sysroot/$a}
  for f in pvmd pvm cl_hetero; do
    [ -x "${cross[$a]}/bin/$f" ] ||
      skip "no $a build at ${cross[$a]} (deploy/cross-build.sh $a makes it)"
  done
  [ -d "${sysroot[$a]}/lib" ] ||
    skip "no $a sysroot at ${sysroot[$a]} (deploy/cross-build.sh $a)"
  grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$a" 2>/dev/null ||
    skip "no binfmt_misc entry for $a (apt-get install qemu-user-static)"
done

# shellcheck source=vm_test.sh
source "$here/vm_test.sh" "$bindir"

cluster_up $((${#archs[@]} + 1))
vm_env

# Host 1 is the x86-64 master; host k+1 runs archs[k-1]. PVM's convention:
# each architecture's programs in a directory named for it, found through
# ep=$PVM_ARCH as each daemon expands it. A foreign host's daemon starts
# through a dx= wrapper that gives qemu-user that architecture's loader and
# libraries (QEMU_LD_PREFIX), which the daemon hands on to its tasks.
bin=$CLUSTER_TMP/pvm3/bin
hosts=(h1) host_machine=(x86_64) host_arch=(LINUX64) host_dsig=(0x408c41) host_prog=("$bin/LINUX64/cl_hetero")
host_pvm=("$BIN/pvm") host_env=()
mkdir -p "$bin/LINUX64"
ln -s "$BIN/cl_hetero" "$bin/LINUX64/cl_hetero"
# shellcheck disable=SC2016 # $PVM_ARCH is expanded by each host's daemon
echo "$(cluster_name h1) ep=$bin/\$PVM_ARCH" >"$CLUSTER_TMP/hostfile"
k=1
for a in "${archs[@]}"; do
  k=$((k + 1))
  mkdir -p "$bin/${pvm_arch[$a]}"
  ln -s "${cross[$a]}/bin/cl_hetero" "$bin/${pvm_arch[$a]}/cl_hetero"
  cat >"$CLUSTER_TMP/pvmd-$a" <<EOF
#!/bin/sh
QEMU_LD_PREFIX='${sysroot[$a]}' exec '${cross[$a]}/bin/pvmd' "\$@"
EOF
  chmod +x "$CLUSTER_TMP/pvmd-$a"
  # shellcheck disable=SC2016
  echo "$(cluster_name "h$k") dx=$CLUSTER_TMP/pvmd-$a ep=$bin/\$PVM_ARCH" >>"$CLUSTER_TMP/hostfile"
  hosts+=("h$k") host_machine+=("$a") host_arch+=("${pvm_arch[$a]}") host_dsig+=("${dsig[$a]}")
  host_prog+=("$bin/${pvm_arch[$a]}/cl_hetero") host_pvm+=("${cross[$a]}/bin/pvm")
  host_env[k - 1]=QEMU_LD_PREFIX=${sysroot[$a]}
done
nhosts=${#hosts[@]}
# Messages of every type that cl_hetero sends each way on each route.
messages=1000
nformats=$(printf '%s\n' "${host_dsig[@]}" | sort -u | wc -l)

# A user's environment names the master's architecture; every daemon
# passes on its own to what it starts (PVM 3.4's pvmd sets PVM_ARCH).
export PVM_ARCH=LINUX64
start=$(date +%s%N)
cluster_exec h1 "$BIN/pvmd" "$CLUSTER_TMP/hostfile" || vm_fail "the master did not start"
vm_wait_hosts h1 "$nhosts"
echo "VM of ${host_arch[*]} formed in $((($(date +%s%N) - start) / 1000000)) ms"

# on I CMD...: runs CMD on host I (0-based) with that host's qemu prefix.
on() {
  local i=$1
  shift
  cluster_exec "${hosts[i]}" env ${host_env[i]:+"${host_env[i]}"} "$@"
}

# Each foreign daemon is that architecture's binary under qemu.
for ((i = 1; i < nhosts; i++)); do
  pid=$(vm_pvmd_on "${hosts[i]}") || vm_fail "no pvmd on ${hosts[i]}"
  exe=$(readlink "/proc/$pid/exe")
  case $exe in
  *qemu-*) echo "ok: the pvmd of ${hosts[i]} runs under $exe" ;;
  *) vm_fail "the pvmd of ${hosts[i]} is $exe, not run by qemu-user" ;;
  esac
done

# conf from every host's own console: N hosts, the formats, each host's
# arch and dsig (conf's columns: HOST DTID ARCH SPEED DSIG).
for ((i = 0; i < nhosts; i++)); do
  conf=$(on "$i" timeout 60 "${host_pvm[i]}" -c conf 2>&1)
  echo "$conf"
  echo "$conf" | grep -q "^$nhosts hosts, $nformats data format" ||
    vm_fail "conf on ${hosts[i]}: want $nhosts hosts and $nformats data formats"
  for ((j = 0; j < nhosts; j++)); do
    want="${host_arch[j]} $(printf '0x%08x' "${host_dsig[j]}")"
    got=$(echo "$conf" | awk -v h="$(cluster_name "${hosts[j]}")" '$1 == h { print $3, $5 }')
    [ "$got" = "$want" ] ||
      vm_fail "conf on ${hosts[i]}: ${hosts[j]} is '$got', want '$want'"
  done
done
echo "ok: conf on every architecture lists every host's arch and dsig"

# pair I J: cl_hetero on host I spawns its child on host J's architecture
# (PvmTaskArch) and both check every type both ways.
pair() {
  local i=$1 j=$2 name
  name=$(cluster_name "${hosts[j]}")
  out=$(on "$i" timeout 120 "${host_prog[i]}" "${host_arch[j]}" "$messages" 2>&1) || {
    echo "$out"
    vm_fail "cl_hetero ${host_arch[i]} -> ${host_arch[j]}"
  }
  echo "$out"
  if echo "$out" | grep -q '^FAIL\|^child: FAIL'; then
    vm_fail "cl_hetero ${host_arch[i]} -> ${host_arch[j]} reported a failure"
  fi
  [ "$(echo "$out" | grep -c '^ok: child->parent PvmDataDefault')" = 13 ] ||
    vm_fail "want 13 PvmDataDefault checks by the parent"
  [ "$(echo "$out" | grep -c '^child: ok: parent->child PvmDataDefault')" = 13 ] ||
    vm_fail "want 13 PvmDataDefault checks by the child"
  [ "$(echo "$out" | grep -c 'PvmDataRaw bytes unchanged')" = 2 ] ||
    vm_fail "want the raw bytes checked both ways"
  echo "$out" | grep -q "^ok: PvmTaskArch ${host_arch[j]}: task .* on $name," ||
    vm_fail "PvmTaskArch ${host_arch[j]} did not start the task on $name"
  echo "$out" | grep -q "^dsig: parent ${host_dsig[i]} child ${host_dsig[j]}$" ||
    vm_fail "want dsig ${host_dsig[i]} for the parent and ${host_dsig[j]} for the child"
  [ "$(echo "$out" | grep -c ": $messages of $messages PvmDataDefault messages of every type exact, in order$")" = 4 ] ||
    vm_fail "want $messages messages each way through the daemons and direct, all exact"
  [ "$(echo "$out" | grep -c 'pvm_reduce root inst .*: 30 of 30 .* exact$')" = 2 ] ||
    vm_fail "want every reduction exact at both roots"
  echo "$out" | grep -q "^child: ok: child machine=${host_machine[j]}$" ||
    vm_fail "the child does not run as ${host_machine[j]}"
  echo "$out" | grep -q "^child: ok: child PVM_ARCH=${host_arch[j]}$" ||
    vm_fail "the child's PVM_ARCH is not ${host_arch[j]}"
  echo "ok: ${host_arch[i]} parent, ${host_arch[j]} child: every type both ways, raw bytes, PvmTaskArch"
}

# Every ordered pair of unlike architectures.
for ((i = 0; i < nhosts; i++)); do
  for ((j = 0; j < nhosts; j++)); do
    if [ "$i" != "$j" ]; then pair "$i" "$j"; fi
  done
done

vm_halt h1
echo "PASS"
