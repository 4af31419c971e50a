#!/bin/bash
# Installs the build into a private prefix and builds a PVM 3.4 program
# against the installed files the way users do: once with an explicit
# `-I... -L... -lgpvm3 -lpvm3` line and once through pkg-config (pvm3.pc).
# Both programs then run under the installed pvmd in a private VM.
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
# shellcheck disable=SC2086 # $extra and $flags split into flags on purpose
cc $extra -Wall -Werror "$work/prog.c" $flags -Wl,-rpath,"$libdir" -o "$work/prog_pc"
# The program must use our library, not a system libpvm3.
for p in prog_plain prog_pc; do
  lib=$(ldd "$work/$p" | awk '$1 ~ /^libpvm3\.so/ {print $3}')
  [ "$(realpath "$lib")" = "$(realpath "$libdir/libpvm3.so.3")" ] ||
    { echo "FAIL: $p uses $lib, not the installed libpvm3"; exit 1; }
done

"$prefix/bin/pvmd"
out1=$("$work/prog_plain")
out2=$("$work/prog_pc")
echo "$out1"
echo "$out2"
case $out1 in "tid t"*" arch LINUX64") ;; *) echo "FAIL: prog_plain said: $out1"; exit 1;; esac
case $out2 in "tid t"*" arch LINUX64") ;; *) echo "FAIL: prog_pc said: $out2"; exit 1;; esac
"$prefix/bin/pvm" -c halt >/dev/null
echo "PASS: installed headers, libraries, pkg-config file and daemon work"
