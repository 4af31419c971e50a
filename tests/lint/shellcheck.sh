#!/bin/bash
# lint.shellcheck: every shell script of the source tree passes
# `shellcheck -x` with no finding of any severity. Each script is checked
# from its own directory, so that its `source` lines resolve as they do when
# it runs. The scripts are the files named *.sh and those whose first line is
# a sh or bash shebang: among the tracked files (git ls-files) when the tree
# is a git checkout, else all files below it (build trees and .git left out).
# Skipped (status 77) when shellcheck is not installed.
# Usage: shellcheck.sh <source dir>
set -u

if [ $# -ne 1 ]; then
  echo "usage: $0 <source dir>" >&2
  exit 2
fi
src=$(cd "$1" 2>/dev/null && pwd -P) || {
  echo "shellcheck.sh: no such directory: $1" >&2
  exit 2
}
if ! command -v shellcheck >/dev/null; then
  echo "SKIP: shellcheck is not installed (Debian package shellcheck)"
  exit 77
fi

# The candidate files, NUL-terminated, as paths relative to $src.
candidates() {
  local top
  if command -v git >/dev/null &&
    top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null) &&
    [ "$(cd "$top" && pwd -P)" = "$src" ]; then
    git -C "$src" ls-files -z
  else
    (cd "$src" && find . \( -name .git -o -type d -exec test -e '{}/CMakeCache.txt' \; \) \
      -prune -o -type f -printf '%P\0')
  fi
}

# Is the file a shell script: named *.sh, or a sh/bash/dash/ksh shebang?
is_script() {
  local first=
  case $1 in
  *.sh) return 0 ;;
  esac
  IFS= read -r -n 256 first <"$src/$1" 2>/dev/null || [ -n "$first" ] || return 1
  [[ $first =~ ^#!.*[/[:space:]](ba|da|k)?sh([[:space:]]|$) ]]
}

scripts=()
while IFS= read -r -d '' f; do
  [ -f "$src/$f" ] || continue # tracked but deleted in the work tree
  is_script "$f" && scripts+=("$f")
done < <(candidates)
if [ ${#scripts[@]} -eq 0 ]; then
  echo "FAIL: no shell scripts found in $src"
  exit 1
fi

echo "$(shellcheck --version | sed -n 's/^version: /shellcheck /p'), ${#scripts[@]} scripts in $src"
bad=()
for f in "${scripts[@]}"; do
  dir=$(dirname "$f")
  out=$(cd "$src/$dir" && shellcheck -x -- "$(basename "$f")" 2>&1)
  st=$?
  if [ "$st" -ne 0 ] || [ -n "$out" ]; then
    bad+=("$f")
    echo "---- $f (shellcheck -x from $dir, status $st) ----"
    echo "$out"
  fi
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "FAIL: shellcheck findings in ${#bad[@]} of ${#scripts[@]} scripts:"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "PASS: ${#scripts[@]} scripts, no findings"
