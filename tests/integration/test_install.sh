#!/bin/bash
# Installs the build into a private prefix and builds a PVM 3.4 program
# against the installed files the way users do: with an explicit
# `-I... -L... -lgpvm3 -lpvm3` line, through pkg-config (pvm3.pc, whose
# rpath alone must make it load our libpvm3) and through the CMake package
# (find_package(PVM-NG), PVM::pvm3). Each runs under the installed pvmd in a
# private VM; a program outside the prefix starts that pvmd with
# pvm_start_pvmd; the installed examples run.
# usage: test_install.sh <build dir> <source dir> [extra cflags]
set -euo pipefail
build=$1
: "$2" # <source dir>: required by the usage, not used
extra=${3:-}
work=$(mktemp -d)
export PVM_TMP=$work/run PVM_VMID=it-install-$$
mkdir -m 700 "$PVM_TMP"
cleanup() {
  if [ -x "$work/prefix/bin/pvm" ]; then
    "$work/prefix/bin/pvm" -c halt >/dev/null 2>&1 || true
  fi
  lock=$(ls "$PVM_TMP"/pvm-*/pvmd."$PVM_VMID".lock 2>/dev/null || true)
  if [ -n "$lock" ] && pid=$(cat "$lock" 2>/dev/null) && [ -n "$pid" ]; then
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
prefix=$work/prefix
# shellcheck disable=SC2012 # lib or lib64 of our own install prefix
libdir=$(ls -d "$prefix"/lib* | head -1)
for f in include/pvm3.h bin/pvmd bin/pvm bin/pvmcert; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
{ [ -e "$libdir/libpvm3.so" ] && [ -e "$libdir/libgpvm3.so" ]; } ||
  { echo "FAIL: libraries not installed in $libdir"; exit 1; }
# libpvm3 loads the TLS engine from its own directory, and only then
# OpenSSL: a task that opens no direct link to another host never loads it.
[ -e "$libdir/libpvm3tls.so.3" ] ||
  { echo "FAIL: libpvm3tls.so.3 not installed beside libpvm3"; exit 1; }
if ldd "$libdir/libpvm3.so.3" | grep -q -e libssl -e libcrypto; then
  echo "FAIL: libpvm3 links OpenSSL at start"
  exit 1
fi

cat > "$work/prog.c" <<'PROG'
#include <stdio.h>
#include "pvm3.h"
int main(void) {
  struct pvmhostinfo *hi;
  int nhost, narch, me = pvm_mytid();
  if (me < 0)
    return 1;
  if (pvm_config(&nhost, &narch, &hi) < 0 || nhost != 1)
    return 2;
  printf("tid t%x host %s arch %s\n", me, hi[0].hi_name, hi[0].hi_arch);
  pvm_exit();
  return 0;
}
PROG
# shellcheck disable=SC2086 # $extra split into flags on purpose
cc $extra -Wall -Werror -I"$prefix/include" "$work/prog.c" -L"$libdir" -lgpvm3 \
  -lpvm3 -Wl,-rpath,"$libdir" -o "$work/prog_plain"
flags=$(PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --cflags --libs pvm3)
case $flags in *"-lgpvm3 -lpvm3"*) ;; *) echo "FAIL: pkg-config libs: $flags"; exit 1;; esac
# pkg-config's flags carry the rpath: nothing else is needed for the
# program to load our libpvm3 rather than a system one of the same soname.
# shellcheck disable=SC2086 # $extra and $flags split into flags on purpose
cc $extra -Wall -Werror "$work/prog.c" $flags -o "$work/prog_pc"
progs="prog_plain prog_pc"

# The CMake package: find_package(PVM-NG) and its imported targets.
if command -v cmake >/dev/null; then
  mkdir "$work/consumer"
  cp "$work/prog.c" "$work/consumer/prog.c"
  cat >"$work/consumer/CMakeLists.txt" <<'CMK'
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(PVM-NG 0.1 REQUIRED)
add_executable(prog_cmake prog.c)
target_link_libraries(prog_cmake PRIVATE PVM::gpvm3 PVM::pvm3)
CMK
  cmake -S "$work/consumer" -B "$work/consumer/build" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$extra" >/dev/null ||
    { echo "FAIL: find_package(PVM-NG) did not configure"; exit 1; }
  cmake --build "$work/consumer/build" >/dev/null ||
    { echo "FAIL: a program linked with PVM::pvm3 did not build"; exit 1; }
  cp "$work/consumer/build/prog_cmake" "$work/prog_cmake"
  progs="$progs prog_cmake"
fi

# A program outside the prefix starts the installed daemon itself
# (pvm_start_pvmd finds pvmd beside the library it loaded).
cat >"$work/start.c" <<'PROG'
#include <stdio.h>
#include "pvm3.h"
int main(void) {
  int rc = pvm_start_pvmd(0, NULL, 1);
  if (rc < 0 || pvm_mytid() < 0)
    return 1;
  printf("started: t%x\n", pvm_mytid());
  pvm_halt();
  return 0;
}
PROG
# shellcheck disable=SC2086 # $extra and $flags split into flags on purpose
cc $extra -Wall -Werror "$work/start.c" $flags -o "$work/start"

# The program must use our library, not a system libpvm3.
for p in $progs start; do
  lib=$(ldd "$work/$p" | awk '$1 ~ /^libpvm3\.so/ {print $3}')
  [ "$(realpath "$lib")" = "$(realpath "$libdir/libpvm3.so.3")" ] ||
    { echo "FAIL: $p uses $lib, not the installed libpvm3"; exit 1; }
done

(cd / && env -u PVM_DPATH "$work/start") ||
  { echo "FAIL: pvm_start_pvmd from a program outside the prefix"; exit 1; }
echo "ok: pvm_start_pvmd found the installed pvmd"

# pvm_halt returns once the daemon has taken the request; it is gone a
# moment later (its lock released), and only then can the next one start.
for _ in $(seq 100); do
  lock=$(ls "$PVM_TMP"/pvm-*/pvmd."$PVM_VMID".lock 2>/dev/null || true)
  pid=
  if [ -n "$lock" ]; then
    pid=$(grep -o "[0-9]\+" "$lock" 2>/dev/null | head -n 1 || true)
  fi
  { [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; } && break
  sleep 0.05
done
"$prefix/bin/pvmd"
for p in $progs; do
  out=$("$work/$p")
  echo "$p: $out"
  case $out in "tid t"*" arch LINUX64") ;; *) echo "FAIL: $p said: $out"; exit 1;; esac
done
# The installed examples run from where they are.
ex=$prefix/share/pvm-ng/examples
{ [ -f "$ex/README.md" ] && [ -f "$ex/src/hello.c" ]; } ||
  { echo "FAIL: the examples' README or sources are not installed"; exit 1; }
out=$(cd / && "$ex/bin/hello")
echo "$out"
case $out in *"hello, world"*) ;; *) echo "FAIL: installed hello said: $out"; exit 1;; esac
"$prefix/bin/pvm" -c halt >/dev/null
echo "PASS: installed headers, libraries, pkg-config file, CMake package, examples and daemon work"
