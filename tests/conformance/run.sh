#!/bin/bash
# Runs the conformance suite and prints a table: each program, its checks
# passed / failed (and known differences / expected failures) per system.
#
# Usage: run.sh [--against pvmng|pvm346|both] [--build DIR] [program...]
#   --against pvmng   (default) the programs ctest builds, each in a private
#                     PVM-NG virtual machine (tests/integration/vm.sh)
#   --against pvm346  builds the same sources against Debian's PVM 3.4.6
#                     (/usr/include/pvm3.h, -lpvm3 -lgpvm3) and runs each in
#                     a private PVM 3.4.6 virtual machine started and halted
#                     here (own HOME, PVM_TMP; PVM_ALLOW_ROOT as root)
#   --against both    both, side by side
#   --build DIR       PVM-NG build tree (default: build-test of the repo)
#   -v                print every check, not only the table
# program: conf_<name> or <name>; default all. Exit status 0 when no check
# failed (known PVM 3.4.6 differences and PVM-NG's expected failures are
# not failures).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
against=pvmng
build=$repo/build-test
verbose=
progs=()
while [ $# -gt 0 ]; do
  case $1 in
  --against) against=$2; shift 2 ;;
  --build) build=$2; shift 2 ;;
  -v) verbose=1; shift ;;
  -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
  -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  *) progs+=("conf_${1#conf_}"); shift ;;
  esac
done
case $against in pvmng | pvm346 | both) ;; *)
  echo "run.sh: --against takes pvmng, pvm346 or both" >&2; exit 2 ;;
esac
if [ ${#progs[@]} -eq 0 ]; then
  for f in "$here"/conf_*.c; do
    b=$(basename "$f" .c)
    progs+=("$b")
  done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pvmconf.XXXXXX") || exit 2
p346_pid=
p346_dir=
say() { echo "run.sh: $*" >&2; }

# ---- PVM 3.4.6: a private VM per program, never left running.
p346_env() {
  env HOME="$p346_dir/home" PVM_ROOT=/usr/lib/pvm3 PVM_ARCH=LINUX64 \
    PVM_TMP="$p346_dir/tmp" PVM_ALLOW_ROOT=yes "$@"
}
p346_stop() {
  [ -n "$p346_pid" ] || return 0
  if kill -0 "$p346_pid" 2>/dev/null; then
    echo halt | p346_env timeout 10 /usr/lib/pvm3/lib/pvm >/dev/null 2>&1
  fi
  for _ in $(seq 50); do
    kill -0 "$p346_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$p346_pid" 2>/dev/null; then
    say "PVM 3.4.6 pvmd (pid $p346_pid) did not halt; killing it"
    kill -TERM "$p346_pid" 2>/dev/null
    sleep 0.5
    kill -KILL "$p346_pid" 2>/dev/null
  fi
  wait "$p346_pid" 2>/dev/null
  # Tasks of that VM (pvmgs, test children) that outlived it.
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' '\n' <"$p/environ"; } 2>/dev/null |
      grep -qx "PVM_TMP=$p346_dir/tmp" && kill -KILL "${p#/proc/}" 2>/dev/null
  done
  p346_pid=
}
# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
  p346_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_346 <prog> <out>: one program in a fresh PVM 3.4.6 VM.
run_346() {
  p346_dir=$work/vm346.$1
  mkdir -p "$p346_dir/home/pvm3/bin/LINUX64" "$p346_dir/tmp"
  chmod 700 "$p346_dir"
  # pvmgs is started by name from $HOME/pvm3/bin/$PVM_ARCH.
  ln -s /usr/lib/pvm3/lib/pvmgs "$p346_dir/home/pvm3/bin/LINUX64/pvmgs"
  p346_env /usr/lib/pvm3/lib/pvmd </dev/null >"$p346_dir/pvmd.out" 2>&1 &
  p346_pid=$!
  for _ in $(seq 100); do
    [ -e "$p346_dir/tmp/pvmd.$(id -u)" ] && break
    kill -0 "$p346_pid" 2>/dev/null || break
    sleep 0.05
  done
  if [ -e "$p346_dir/tmp/pvmd.$(id -u)" ]; then
    (cd "$p346_dir" && p346_env timeout 120 "$work/bin346/$1" </dev/null) \
      >"$2" 2>&1
  else
    echo "PVM 3.4.6 pvmd did not come up" >"$2"
    cat "$p346_dir/pvmd.out" >>"$2"
  fi
  p346_stop
}

# run_ng <prog> <out>: one program in a private PVM-NG VM.
run_ng() {
  "$repo/tests/integration/vm.sh" --timeout 120 "$build/bin" "conf.${1#conf_}" \
    "$build/bin/$1" >"$2" 2>&1
}

systems=()
[ "$against" != pvm346 ] && systems+=(pvmng)
[ "$against" != pvmng ] && systems+=(pvm346)

if [[ " ${systems[*]} " == *" pvm346 "* ]]; then
  if [ ! -f /usr/include/pvm3.h ] || [ ! -x /usr/lib/pvm3/lib/pvmd ]; then
    say "PVM 3.4.6 (Debian's pvm, pvm-dev) is not installed"
    exit 2
  fi
  mkdir -p "$work/bin346"
  for p in "${progs[@]}"; do
    gcc -std=gnu11 -O1 -g -Wall -DCONF_PVM346 -I/usr/include \
      -o "$work/bin346/$p" "$here/$p.c" -lgpvm3 -lpvm3 \
      2>"$work/$p.build346" || { say "$p does not build against PVM 3.4.6:";
      cat "$work/$p.build346" >&2; }
  done
fi
if [[ " ${systems[*]} " == *" pvmng "* ]]; then
  for p in "${progs[@]}"; do
    [ -x "$build/bin/$p" ] ||
      { say "$build/bin/$p is missing: build PVM-NG first"; exit 2; }
  done
fi

# cell <out file>: "pass/fail" (+known, +xfail) from the summary line.
cell() {
  local s
  s=$(grep -m1 '^SUMMARY ' "$1" 2>/dev/null) ||
    { echo "no summary (crashed?)"; return; }
  # shellcheck disable=SC2086 # word splitting of the summary line wanted
  set -- $s
  local pass=${4#pass=} fail=${5#fail=} known=${6#known=} xfail=${7#xfail=}
  local c="$pass passed, $fail failed"
  [ "$known" != 0 ] && c="$c, $known known 3.4.6 diff"
  [ "$xfail" != 0 ] && c="$c, $xfail expected fail"
  echo "$c"
}

status=0
declare -A tot
for s in "${systems[@]}"; do
  for k in pass fail known xfail; do tot[$s.$k]=0; done
done
# add_totals <system> <out file>: adds the summary's counts to tot.
add_totals() {
  local line f
  line=$(grep -m1 '^SUMMARY ' "$2" 2>/dev/null) || return 0
  for f in $line; do
    case $f in
    pass=* | fail=* | known=* | xfail=*) tot[$1.${f%%=*}]=$((tot[$1.${f%%=*}] + ${f#*=})) ;;
    esac
  done
}
header="| program |"
rule="|---|"
for s in "${systems[@]}"; do
  header="$header $s |"
  rule="$rule---|"
done
rows=()
for p in "${progs[@]}"; do
  row="| $p |"
  for s in "${systems[@]}"; do
    out=$work/$p.$s.out
    if [ "$s" = pvm346 ]; then
      if [ -x "$work/bin346/$p" ]; then run_346 "$p" "$out"; else
        echo "build failed" >"$out"; fi
    else
      run_ng "$p" "$out"
    fi
    if ! grep -q '^SUMMARY .* fail=0 ' "$out"; then
      status=1
      say "$p on $s:"
      grep -E '^(FAIL|XFAIL|KNOWN)' "$out" >&2 || tail -n 20 "$out" >&2
    fi
    [ -n "$verbose" ] && cat "$out"
    add_totals "$s" "$out"
    row="$row $(cell "$out") |"
  done
  rows+=("$row")
done
echo "$header"
echo "$rule"
printf '%s\n' "${rows[@]}"
row="| total |"
for s in "${systems[@]}"; do
  c="${tot[$s.pass]} passed, ${tot[$s.fail]} failed"
  [ "${tot[$s.known]}" != 0 ] && c="$c, ${tot[$s.known]} known 3.4.6 diff"
  [ "${tot[$s.xfail]}" != 0 ] && c="$c, ${tot[$s.xfail]} expected fail"
  row="$row $c |"
done
echo "$row"
exit $status
