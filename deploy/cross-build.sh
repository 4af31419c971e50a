#!/usr/bin/env bash
# Builds PVM-NG for another architecture (s390x or aarch64) on a Debian
# amd64 host and runs its unit tests under qemu-user. The foreign
# libraries come as Debian packages unpacked into a sysroot
# (/opt/pvmng-sysroot/<arch>), never installed into the host's dpkg:
# multiarch co-installation needs equal versions on every architecture,
# which the archive does not always have. See docs/heterogeneous.md.
#
#   deploy/cross-build.sh ARCH [--build DIR] [--target T]... [--no-install]
#                         [--no-test]
#
# --target builds only the targets named (tests/run-all.sh builds what the
# heterogeneous cluster tests run: pvmd, pvm, cl_hetero) instead of
# everything; --no-install uses what is there (fails without a sysroot);
# --no-test skips the unit tests. PVMNG_SYSROOT overrides the sysroot
# directory. Exit status: 0 when the build (and the unit tests, unless
# --no-test) passed.
set -euo pipefail

usage() {
	echo "usage: $0 s390x|aarch64 [--build DIR] [--target T]... [--no-install] [--no-test]" >&2
	exit 2
}

[[ $# -ge 1 ]] || usage
arch=$1
shift
case "$arch" in
s390x) deb_arch=s390x triplet=s390x-linux-gnu ;;
aarch64) deb_arch=arm64 triplet=aarch64-linux-gnu ;;
*) usage ;;
esac

src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build-$arch
install=1
run_tests=1
targets=()
while [[ $# -gt 0 ]]; do
	case "$1" in
	--build)
		build=$2
		shift
		;;
	--target)
		targets+=(--target "$2")
		shift
		;;
	--no-install) install=0 ;;
	--no-test) run_tests=0 ;;
	*) usage ;;
	esac
	shift
done
sysroot=${PVMNG_SYSROOT:-/opt/pvmng-sysroot/$arch}

# What PVM-NG links against, with what those need at link and run time.
# The C library comes from the same archive so that the sysroot is whole
# (qemu -L uses its loader).
packages=(
	libc6 libc6-dev linux-libc-dev libgcc-s1 libcrypt1 libcrypt-dev
	libuv1 libuv1-dev
	libprotobuf-c1 libprotobuf-c-dev
	libssl3 libssl-dev
	libcmocka0 libcmocka-dev
	libedit2 libedit-dev libbsd0 libbsd-dev libmd0 libmd-dev
	libtinfo6 libncursesw6 libncurses6 libncurses-dev
	libjansson4 libjansson-dev
	libgfortran5 libstdc++6
)

log() { printf 'cross-build[%s]: %s\n' "$arch" "$*"; }

# 1. Cross compilers and the emulator (host packages).
if [[ $install == 1 ]]; then
	need=()
	command -v "$triplet-gcc" >/dev/null || need+=("gcc-$triplet")
	command -v "$triplet-gfortran" >/dev/null || need+=("gfortran-$triplet")
	command -v "qemu-$arch-static" >/dev/null || need+=(qemu-user-static)
	if [[ ${#need[@]} -gt 0 ]]; then
		log "installing ${need[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
	fi
fi
command -v "$triplet-gcc" >/dev/null || {
	echo "cross-build: $triplet-gcc missing (apt-get install gcc-$triplet)" >&2
	exit 1
}

# 2. The sysroot, unpacked once; a stamp holding the package list tells
# whether it is complete and current.
stamp=$sysroot/.pvmng-sysroot
want="${packages[*]}"
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
	[[ $install == 1 ]] || {
		echo "cross-build: no sysroot at $sysroot (run without --no-install)" >&2
		exit 1
	}
	if ! dpkg --print-foreign-architectures | grep -qx "$deb_arch"; then
		log "adding architecture $deb_arch to apt (its package lists only)"
		dpkg --add-architecture "$deb_arch"
		apt-get update -qq
	fi
	debs=$sysroot.debs
	rm -rf "$sysroot" "$debs"
	mkdir -p "$sysroot" "$debs"
	list=()
	for p in "${packages[@]}"; do
		list+=("$p:$deb_arch")
	done
	log "downloading ${#list[@]} packages"
	(cd "$debs" && apt-get download -qq "${list[@]}")
	for d in "$debs"/*.deb; do
		dpkg-deb -x "$d" "$sysroot"
	done
	# Absolute symbolic links (libfoo.so -> /lib/<triplet>/libfoo.so.N)
	# would point into the host; make them relative to the sysroot.
	while IFS= read -r -d '' l; do
		t=$(readlink "$l")
		[[ $t == /* ]] || continue
		ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$sysroot$t")" "$l"
	done < <(find "$sysroot" -type l -print0)
	rm -rf "$debs"
	echo "$want" >"$stamp"
	log "sysroot ready: $sysroot"
fi

# 3. The build, in its own directory, warnings as errors.
export PVMNG_SYSROOT=$sysroot
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPVMNG_WERROR=ON \
	-DCMAKE_TOOLCHAIN_FILE="$src/cmake/toolchain-$arch.cmake" \
	-DPVMNG_SYSROOT="$sysroot"
cmake --build "$build" -j2 "${targets[@]}"

# 4. The unit tests, each program run through qemu-$arch-static.
if [[ $run_tests == 1 && ${#targets[@]} == 0 ]]; then
	ctest --test-dir "$build" -L unit --output-on-failure
fi
