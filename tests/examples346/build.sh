#!/bin/bash
# Builds PVM 3.4.6's own example programs, unmodified, from the sources that
# Debian's package pvm-examples installs (examples.tar.gz, gexamples.tar.gz),
# into a scratch directory: <out>/src holds the extracted sources, <out>/bin
# the programs, <out>/log one compiler log per program, <out>/failed the
# programs that did not build. Each program is compiled the way PVM 3.4.6's
# Makefile.aimk compiles it, against the pvm3.h and libraries named here.
#
# Usage: build.sh <out> pvmng <include dir>[:<include dir>...] <lib dir> <fortran include dir>
#        build.sh <out> pvm346
# pvmng: PVM-NG's headers and libraries by explicit path (with an rpath);
# pvm346: PVM 3.4.6's from the system paths (the reference for comparisons).
# Exits 77 when the package is not installed, 1 when no program was built.
set -u

pkgdoc=${PVMNG_EXAMPLES_DIR:-/usr/share/doc/pvm-examples}
if [ ! -f "$pkgdoc/examples.tar.gz" ] || [ ! -f "$pkgdoc/gexamples.tar.gz" ]; then
  echo "SKIP: PVM 3.4.6's examples are not installed ($pkgdoc/examples.tar.gz;" \
    "Debian package pvm-examples)"
  exit 77
fi
if [ $# -lt 2 ]; then
  echo "usage: $0 <out> pvmng <incdirs> <libdir> <fortran incdir> | <out> pvm346" >&2
  exit 2
fi
out=$1
flavour=$2
case $flavour in
pvmng)
  if [ $# -ne 5 ]; then
    echo "build.sh: pvmng needs <include dirs> <lib dir> <fortran include dir>" >&2
    exit 2
  fi
  cflags=()
  IFS=: read -r -a incs <<<"$3"
  for d in "${incs[@]}"; do
    [ -n "$d" ] && cflags+=("-I$d")
  done
  libdir=$(cd "$4" && pwd) || exit 2
  # "none": the build has no Fortran binding; the Fortran programs skip.
  fortinc=
  if [ "$5" != none ]; then
    fortinc=$(cd "$5" && pwd) || exit 2
  fi
  ldflags=("-L$libdir" "-Wl,-rpath,$libdir" "-Wl,--enable-new-dtags")
  ;;
pvm346)
  cflags=(-I/usr/include)
  ldflags=()
  fortinc=/usr/include
  libdir=
  ;;
*)
  echo "build.sh: unknown flavour $flavour (pvmng or pvm346)" >&2
  exit 2
  ;;
esac

for d in src bin obj log failed nofortran; do
  rm -rf "${out:?}/$d"
done
mkdir -p "$out/src" "$out/bin" "$out/obj" "$out/log" || exit 2
: >"$out/failed"
if ! tar -xzf "$pkgdoc/examples.tar.gz" -C "$out/src" ||
  ! tar -xzf "$pkgdoc/gexamples.tar.gz" -C "$out/src"; then
  echo "build.sh: cannot extract the example sources from $pkgdoc" >&2
  exit 1
fi
# Leftovers of Debian's build (objects and programs) are not used.
rm -rf "$out/src/examples/LINUX64" "$out/src/gexamples/LINUX64"
# The Fortran sources include '../include/fpvm3.h', relative to themselves.
mkdir -p "$out/src/include"
[ -n "$fortinc" ] && ln -sf "$fortinc/fpvm3.h" "$out/src/include/fpvm3.h"

# starter.c is left out: Makefile.aimk does not build it, and it does not
# compile with a C compiler of today (exit() without its argument).
# As Makefile.aimk: -g, the sources' own defines for Linux, old-style C, and
# gfortran told to accept PVM 3's untyped buffer arguments.
ccflags=(-g -w -std=gnu89 -DHASSTDLIB -DSYSVSTR "${cflags[@]}")
# A sanitizer build's libraries need their runtime linked into the program
# (EX346_LDFLAGS, from CMake for such builds).
read -r -a extra <<<"${EX346_LDFLAGS:-}"
fcflags=(-g -w -fallow-argument-mismatch)
have_fc=
[ -n "$fortinc" ] && command -v gfortran >/dev/null 2>&1 && have_fc=1

built=0
# cc <program> <sources and options...>: each source compiled, then linked
# (a sanitizer build's runtime goes into the link only: the examples' own
# code is not instrumented, PVM-NG's libraries are).
cc_prog() {
  local name=$1 a objs=() opts=()
  shift
  for a in "$@"; do
    case $a in
    *.c) ;;
    *) opts+=("$a") ;;
    esac
  done
  mkdir -p "$out/obj/$name"
  if (cd "$out/src/examples" &&
    for a in "$@"; do
      case $a in
      *.c)
        cc "${ccflags[@]}" "${opts[@]}" -c "$a" \
          -o "$out/obj/$name/$(basename "$a" .c).o" || exit 1
        ;;
      esac
    done) >"$out/log/$name.log" 2>&1; then
    for a in "$@"; do
      case $a in *.c) objs+=("$out/obj/$name/$(basename "$a" .c).o") ;; esac
    done
    if cc -o "$out/bin/$name" "${objs[@]}" "${ldflags[@]}" "${extra[@]}" \
      -lgpvm3 -lpvm3 -lm >>"$out/log/$name.log" 2>&1; then
      built=$((built + 1))
      return
    fi
  fi
  echo "$name" >>"$out/failed"
}
# fc <program> <dir> <source>
fc_prog() {
  local name=$1 dir=$2 src=$3
  if [ -z "$have_fc" ]; then
    echo "no Fortran compiler (gfortran) or no Fortran binding" >"$out/log/$name.log"
    echo "$name" >>"$out/nofortran"
    return
  fi
  if (cd "$out/src/$dir" &&
    gfortran "${fcflags[@]}" -c "$src" -o "$out/obj/$name.o" &&
    gfortran -o "$out/bin/$name" "$out/obj/$name.o" "${ldflags[@]}" \
      "${extra[@]}" -lfpvm3 -lgpvm3 -lpvm3) >"$out/log/$name.log" 2>&1; then
    built=$((built + 1))
  else
    echo "$name" >>"$out/failed"
  fi
}

for p in hello hello_other master1 slave1 spmd timing timing_slave gexample \
  inherita inheritb inherit1 inherit2 inherit3 mhf_server mhf_tickle mbox \
  ptest; do
  cc_prog "$p" "$p.c"
done
cc_prog dbwtest -DENCODE=PvmDataDefault -DPACK bwtest.c
cc_prog ibwtest -DPACK -DENCODE=PvmDataInPlace bwtest.c
cc_prog pbwtest bwtest.c
cc_prog rbwtest -DPACK -DENCODE=PvmDataRaw bwtest.c
for p in task0 task1 task_end rme lmbi gmbi; do
  cc_prog "$p" "$p.c" taskf.c
done
for p in joinleave gexamp tst thb tnb ge tjl tjf trsg gs; do
  cc_prog "$p" "../gexamples/$p.c"
done
fc_prog fgexample examples gexample.f
fc_prog fmaster1 examples master1.f
fc_prog fslave1 examples slave1.f
fc_prog fspmd examples spmd.f
fc_prog hitc examples hitc.f
fc_prog hitc_slave examples hitc_slave.f
fc_prog frsg gexamples frsg.f

echo "build.sh: built $built programs into $out/bin ($flavour)"
if [ -s "$out/failed" ]; then
  echo "build.sh: did not build: $(tr '\n' ' ' <"$out/failed")"
fi
[ "$built" -gt 0 ]
