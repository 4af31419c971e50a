#!/bin/bash
# lint.cppcheck: cppcheck finds no warning (bugs, undefined behaviour) or
# portability problem in the C sources of the daemon, the libraries, the
# console, the tools and the Fortran binding. Skipped (status 77) without
# cppcheck. Usage: cppcheck.sh <source dir> <build dir>
set -u
src=${1:?usage: $0 <source dir> <build dir>}
build=${2:?usage: $0 <source dir> <build dir>}
if ! command -v cppcheck >/dev/null; then
  echo "SKIP: cppcheck is not installed (Debian package cppcheck)"
  exit 77
fi
cd "$src" || exit 2
out=$(cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
  --inline-suppr --std=c11 -I wire -I libpvm -I libpvm/include -I daemon \
  -I "$build/proto-gen" --suppress=missingIncludeSystem -j2 \
  wire libpvm daemon console deploy bindings/fortran 2>&1)
st=$?
if [ $st -ne 0 ] || [ -n "$out" ]; then
  echo "$out"
  echo "lint.cppcheck: findings above"
  exit 1
fi
echo "lint.cppcheck: no finding"
