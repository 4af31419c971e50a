#!/bin/bash
# lint.format: every C source and header of the tree is formatted as
# .clang-format says (clang-format --dry-run finds nothing). Fortran
# include files (bindings/fortran/*.h that are Fortran, such as fpvm3.h)
# are left out. Skipped (status 77) without clang-format.
# Usage: format.sh <source dir>
set -u
src=${1:?usage: $0 <source dir>}
cd "$src" || exit 2
if ! command -v clang-format >/dev/null; then
  echo "SKIP: clang-format is not installed (Debian package clang-format)"
  exit 77
fi
if git rev-parse --show-toplevel >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.c' '*.h')
else
  mapfile -t files < <(find . -name '*.[ch]' -not -path './build*' -not -path './.git/*')
fi
keep=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  # A Fortran include: its first non-blank character is a Fortran comment
  # or statement, not C.
  case $f in bindings/fortran/fpvm3*.h) continue ;; esac
  keep+=("$f")
done
out=$(clang-format --dry-run "${keep[@]}" 2>&1)
if [ -n "$out" ]; then
  echo "$out" | grep 'warning:' | head -n 40
  echo "lint.format: $(echo "$out" | grep -c 'warning:') places differ from .clang-format in $(echo "$out" | grep 'warning:' | cut -d: -f1 | sort -u | wc -l) file(s); run clang-format -i on them"
  exit 1
fi
echo "lint.format: ${#keep[@]} files formatted as .clang-format says"
