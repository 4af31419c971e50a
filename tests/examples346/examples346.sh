#!/bin/bash
# One case of the PVM 3.4.6 example suite (ctest examples346.<case>): builds
# PVM 3.4.6's example programs, unmodified, against PVM-NG's headers and
# libraries into a scratch directory (once for all cases, under a lock,
# again when libpvm3 changes), checks with ldd that they load PVM-NG's
# libraries, and runs the case (cases.sh) in a private one-host virtual
# machine of PVM-NG (tests/integration/vm.sh) with the examples on PVM_PATH.
# Exits 77 (skip) when Debian's pvm-examples is not installed, or for a
# Fortran case without a Fortran compiler.
#
# Usage: examples346.sh <case> <scratch dir> <PVM-NG bin dir> <PVM-NG lib dir>
#                       <include dirs, :-separated> <fortran include dir>
set -u
if [ $# -ne 6 ]; then
  echo "usage: $0 <case> <scratch> <bindir> <libdir> <incdirs> <fortran incdir>" >&2
  exit 2
fi
case_name=$1
scratch=$2
bindir=$(cd "$3" && pwd) || exit 2
libdir=$(cd "$4" && pwd) || exit 2
incdirs=$5
fortinc=$6
here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../integration/vm.sh
say() { echo "examples346[$case_name]: $*"; }

# The programs each case runs or spawns (all must have built).
case $case_name in
hello) progs="hello hello_other" ;;
master1) progs="master1 slave1" ;;
fmaster1) progs="fmaster1 fslave1" ;;
spmd | fspmd | gexample | fgexample | ptest | joinleave | gexamp | tst | ge | \
  tjl | tjf | gs | trsg | frsg | mbox)
  progs=$case_name ;;
timing) progs="timing timing_slave" ;;
dbwtest | ibwtest | pbwtest | rbwtest) progs=$case_name ;;
hitc) progs="hitc hitc_slave" ;;
inherit1) progs="inherita inherit1 inherit2" ;;
inherit3) progs="inherita inherit3 inherit2" ;;
inheritb) progs="inheritb inherit2" ;;
task) progs="task0 task1 task_end" ;;
lmbi) progs="lmbi gmbi rme" ;;
mhf) progs="mhf_server mhf_tickle" ;;
thb) progs="thb tnb" ;;
*)
  say "unknown case"
  exit 2
  ;;
esac

pkgdoc=${PVMNG_EXAMPLES_DIR:-/usr/share/doc/pvm-examples}
if [ ! -f "$pkgdoc/examples.tar.gz" ] || [ ! -f "$pkgdoc/gexamples.tar.gz" ]; then
  echo "SKIP: PVM 3.4.6's examples are not installed ($pkgdoc/examples.tar.gz;" \
    "Debian package pvm-examples)"
  exit 77
fi
mkdir -p "$scratch" || exit 2
scratch=$(cd "$scratch" && pwd)
lib=$libdir/libpvm3.so.3
[ -e "$lib" ] || {
  say "$lib is missing; build first"
  exit 2
}

# Build once for all cases; again when the library, the include files' tree
# or the build script changed since.
exec 9>"$scratch/.lock"
flock 9
stamp=$scratch/.built
if [ ! -e "$stamp" ] || [ "$lib" -nt "$stamp" ] || [ "$here/build.sh" -nt "$stamp" ] ||
  [ "$(cat "$stamp" 2>/dev/null)" != "$libdir $incdirs $fortinc ${EX346_LDFLAGS:-}" ]; then
  say "building PVM 3.4.6's examples against PVM-NG ($libdir)"
  rm -f "$stamp" "$scratch/skip"
  bash "$here/build.sh" "$scratch" pvmng "$incdirs" "$libdir" "$fortinc" \
    >"$scratch/build.out" 2>&1
  st=$?
  cat "$scratch/build.out"
  if [ "$st" -eq 77 ]; then
    cp "$scratch/build.out" "$scratch/skip"
  elif [ "$st" -ne 0 ]; then
    say "the examples did not build"
    exit 1
  fi
  echo "$libdir $incdirs $fortinc ${EX346_LDFLAGS:-}" >"$stamp"
fi
flock -u 9
if [ -e "$scratch/skip" ]; then
  cat "$scratch/skip"
  exit 77
fi

for p in $progs; do
  if grep -qx "$p" "$scratch/nofortran" 2>/dev/null; then
    echo "SKIP: no Fortran compiler for $p"
    exit 77
  fi
  if grep -qx "$p" "$scratch/failed"; then
    say "FAIL: $p did not build against PVM-NG:"
    sed 's/^/  | /' "$scratch/log/$p.log"
    exit 1
  fi
  # PVM-NG's libraries, never the system's PVM 3.4.6.
  bad=$(ldd "$scratch/bin/$p" | grep -E 'lib(f|g)?pvm3\.so' | grep -v "=> $libdir/")
  if [ -n "$bad" ] || ! ldd "$scratch/bin/$p" | grep -q "libpvm3.so.3 => $libdir/"; then
    say "FAIL: $p does not load PVM-NG's libpvm3 from $libdir:"
    ldd "$scratch/bin/$p" | sed 's/^/  | /'
    exit 1
  fi
done
say "ldd: $progs load libpvm3 from $libdir"

# The VM's bin dir for vm.sh: PVM-NG's daemon and console beside the
# examples; every example on the VM's PATH and PVM_PATH by its plain name.
ln -sfn "$bindir/pvmd" "$scratch/bin/pvmd"
ln -sfn "$bindir/pvm" "$scratch/bin/pvm"
links=()
for f in "$scratch"/bin/*; do
  n=$(basename "$f")
  case $n in pvmd | pvm) continue ;; esac
  links+=(--path-link "$n=$n")
done
work=$scratch/run/$case_name
rm -rf "$work"
export EX_CONSOLE="$scratch/bin/pvm -c"
exec "$vm" --timeout "${EX_TIMEOUT:-240}" "${links[@]}" "$scratch/bin" \
  "ex346.$case_name" "$here/cases.sh" "$case_name" "$work"
