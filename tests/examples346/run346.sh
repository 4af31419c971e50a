#!/bin/bash
# Runs the example suite's cases against Debian's PVM 3.4.6 itself (not a
# ctest test; by hand): builds the same unmodified sources against
# /usr/include/pvm3.h and the system's libpvm3, and runs every case (or the
# ones named) with cases.sh, each in a fresh private PVM 3.4.6 virtual
# machine (own HOME, PVM_TMP; started here, halted here). It shows that
# what cases.sh expects is what PVM 3.4.6 does.
#
# Usage: run346.sh <scratch dir> [case...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ]; then
  echo "usage: $0 <scratch dir> [case...]" >&2
  exit 2
fi
mkdir -p "$1" || exit 2
scratch=$(cd "$1" && pwd)
shift
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=(hello master1 fmaster1 spmd fspmd gexample
  fgexample timing dbwtest ibwtest pbwtest rbwtest hitc inherit1 inherit3
  inheritb task lmbi mhf mbox ptest joinleave gexamp tst thb ge tjl tjf gs
  trsg frsg)
root=/usr/lib/pvm3
for f in "$root/lib/pvmd" "$root/lib/pvm" /usr/include/pvm3.h; do
  if [ ! -e "$f" ]; then
    echo "SKIP: PVM 3.4.6 is not installed ($f; Debian packages pvm, pvm-dev)"
    exit 77
  fi
done
bash "$here/build.sh" "$scratch" pvm346 || exit 1

export HOME=$scratch/home PVM_ROOT=$root PVM_ARCH=LINUX64 PVM_TMP=$scratch/tmp
export PVM_ALLOW_ROOT=yes
unset PVM_PATH PVM_EXPORT PVM_VMID
bin=$HOME/pvm3/bin/LINUX64
mkdir -p "$bin" "$PVM_TMP" || exit 2
# PVM 3.4.6 spawns by name from ~/pvm3/bin/LINUX64; pvmgs is its group server.
for f in "$scratch"/bin/* "$root/lib/pvmgs"; do
  ln -sfn "$f" "$bin/$(basename "$f")"
done
export PATH=$bin:$PATH
# PVM 3.4.6's console does not wait for a spawn's output: give it time.
console=$scratch/console346
cat >"$console" <<EOS
#!/bin/bash
{ echo "\$1"; sleep \${CONS_WAIT:-10}; echo quit; } | $root/lib/pvm 2>&1 | sed 's/^pvm> //'
EOS
chmod +x "$console"
export EX_CONSOLE=$console

halt() {
  (echo halt | timeout 10 "$root/lib/pvm" >/dev/null 2>&1) 2>/dev/null
  sleep 1
  rm -f "$PVM_TMP"/pvm*
}
trap halt EXIT
failed=()
for c in "${cases[@]}"; do
  halt
  "$root/lib/pvmd" </dev/null >"$scratch/pvmd346.out" 2>&1 &
  sleep 2
  if bash "$here/cases.sh" "$c" "$scratch/run346/$c" >"$scratch/$c.346.log" 2>&1; then
    echo "run346: $c: OK"
  else
    echo "run346: $c: FAILED on PVM 3.4.6 (see $scratch/$c.346.log)"
    failed+=("$c")
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "run346: failed: ${failed[*]}"; exit 1; }
echo "run346: every case holds on PVM 3.4.6"
