#!/bin/bash
# lint.clang-tidy: clang-tidy's bugprone and cert checks find nothing in the
# C sources of the daemon, the libraries, the console, the tools and the
# Fortran binding, apart from the reviewed suppressions in clang-tidy.supp.
# Skipped (status 77) without clang-tidy or without the build's
# compile_commands.json. About 1 s a file; two files at a time.
#
# --full (or PVMNG_TIDY_FULL=1) adds the clang static analyzer
# (clang-analyzer-*): several seconds a file, so not in CI; run it before a
# release; tests/lint/README.md says what it reports and what is triaged.
#
# Usage: clang-tidy.sh <source dir> <build dir> [--full]
set -u
src=${1:?usage: $0 <source dir> <build dir> [--full]}
build=${2:?usage: $0 <source dir> <build dir> [--full]}
full=${PVMNG_TIDY_FULL:-0}
[ "${3:-}" = --full ] && full=1
tidy=$(command -v clang-tidy || command -v clang-tidy-14 || true)
if [ -z "$tidy" ]; then
  echo "SKIP: clang-tidy is not installed (Debian package clang-tidy)"
  exit 77
fi
if [ ! -f "$build/compile_commands.json" ]; then
  echo "SKIP: no $build/compile_commands.json (configure with CMake first)"
  exit 77
fi
src=$(cd "$src" && pwd) || exit 2
cd "$src" || exit 2

# Left out, each for a reason:
# - bugprone-easily-swappable-parameters: a style heuristic; PVM 3.4's API
#   fixes most of the signatures it names.
# - bugprone-implicit-widening-of-multiplication-result: every product it
#   names is of small constants (sizes in KiB, table strides) far from
#   overflow.
# - cert-err33-c is limited to the calls whose failure must be acted on
#   (allocation, opening files); the result of printing to stdio, of
#   fflush and of fclose on a read-only file is not acted on anywhere.
# - bugprone-sizeof-expression's pointer-to-aggregate warning: protobuf-c's
#   repeated fields are arrays of pointers, allocated as such.
checks='-*,bugprone-*,cert-*,-bugprone-easily-swappable-parameters,-bugprone-implicit-widening-of-multiplication-result'
# - In the analyzer run: the "insecure API" family asks for C11 Annex K
#   functions (memcpy_s, ...) that glibc does not have; optin.performance
#   is about struct padding, not correctness.
if [ "$full" = 1 ]; then
  checks="$checks,clang-analyzer-*,-clang-analyzer-security.insecureAPI.*,-clang-analyzer-optin.performance.*"
fi
config="{Checks: '$checks', CheckOptions: [
  {key: cert-err33-c.CheckedFunctions, value: '::aligned_alloc;::calloc;::malloc;::realloc;::fopen;::fdopen;::freopen;::tmpfile'},
  {key: bugprone-sizeof-expression.WarnOnSizeOfPointerToAggregate, value: false}]}"

mapfile -t files < <(ls daemon/*.c libpvm/*.c wire/*.c sec/*.c console/*.c deploy/*.c \
  bindings/fortran/*.c 2>/dev/null)
out=$(printf '%s\n' "${files[@]}" |
  xargs -P 2 -n 4 "$tidy" --quiet -p "$build" --config="$config" 2>/dev/null)

# Findings as "path:line:col: warning: text [check]", paths relative.
findings=$(echo "$out" | sed "s|^$src/||" |
  grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): .*\[[^]]+\]$' | sort -u)
# Reviewed suppressions: "path check" lines (# starts a comment).
supp=$(dirname "$0")/clang-tidy.supp
left=
while IFS= read -r f; do
  [ -n "$f" ] || continue
  path=${f%%:*}
  check=${f##*[}
  check=${check%]}
  if grep -v '^#' "$supp" | awk '{ print $1, $2 }' | grep -qxF "$path $check"; then
    continue
  fi
  left+="$f"$'\n'
done <<<"$findings"
if [ -n "$left" ]; then
  printf '%s' "$left"
  echo "lint.clang-tidy: $(printf '%s' "$left" | grep -c .) finding(s) above" \
    "(fix them, or add a reviewed line to tests/lint/clang-tidy.supp)"
  exit 1
fi
echo "lint.clang-tidy: no finding ($([ "$full" = 1 ] && echo "with" || echo "without") the static analyzer, ${#files[@]} files)"
