#!/bin/bash
# lint.manpages: the manual pages cover the libraries and render cleanly.
# - every symbol libpvm3 exports (nm -D --defined-only) and every Fortran
#   routine libfpvm3 exports (pvmf*_, pvmsum_ ...; the `pvm` module's
#   procedures aside) has a page or an alias in the built man tree;
# - every page renders without a warning (groff -ww -z -man, and man -l);
# - docs/man/README.md is what gen-index.sh writes from the sources;
# - after `cmake --install` into a scratch prefix, `man -w pvm_spawn` with
#   MANPATH=<prefix>/share/man finds PVM-NG's page, not another one.
# Skipped (77) without groff or man.
# Usage: manpages.sh <source dir> <build dir> <libpvm3> [<libfpvm3>]
set -u
if [ $# -lt 3 ]; then
  echo "usage: $0 <source dir> <build dir> <libpvm3> [<libfpvm3>]" >&2
  exit 2
fi
src=$1 build=$2 pvm3=$3 fpvm3=${4:-}
mantree=$build/man
for tool in groff man nm; do
  if ! command -v "$tool" >/dev/null; then
    echo "manpages.sh: $tool is missing (groff-base, man-db, binutils); skipped"
    exit 77
  fi
done
if [ ! -d "$mantree/man3" ]; then
  echo "manpages.sh: $mantree/man3 is missing; configure first" >&2
  exit 2
fi
fail=0

# 1. A page or an alias for every exported name (not the sanitizers' own
# __odr_asan.* markers of a sanitized build).
names=$(nm -D --defined-only "$pvm3" | awk 'NF == 3 && $3 !~ /^__/ { print $3 }')
if [ -n "$fpvm3" ]; then
  names+=$'\n'$(nm -D --defined-only "$fpvm3" |
    awk 'NF == 3 && $3 ~ /^pvm[a-z_]*_$/ { sub(/_$/, "", $3); print $3 }')
fi
missing=()
count=0
while read -r n; do
  [ -n "$n" ] || continue
  count=$((count + 1))
  [ -e "$mantree/man3/$n.3" ] || missing+=("$n")
done <<<"$(sort -u <<<"$names")"
if [ ${#missing[@]} -gt 0 ]; then
  echo "FAIL: no manual page for: ${missing[*]}"
  fail=1
fi
echo "$count exported names checked for a page"

# 2. Every page renders without warnings; every alias leads to a page.
pages=0
for page in "$mantree"/man[138]/*.[138]; do
  first=$(head -n 1 "$page")
  if [[ $first == .so\ * ]]; then
    target=$mantree/${first#.so }
    [ -f "$target" ] || {
      echo "FAIL: $page: alias of missing $target"
      fail=1
    }
    continue
  fi
  pages=$((pages + 1))
  out=$(groff -ww -z -t -man "$page" 2>&1)
  if [ -n "$out" ]; then
    echo "FAIL: groff warns on $page:"
    echo "$out"
    fail=1
  fi
  out=$(MANWIDTH=80 man -l -Tutf8 "$page" 2>&1 >/dev/null)
  if [ -n "$out" ]; then
    echo "FAIL: man -l warns on $page:"
    echo "$out"
    fail=1
  fi
  for section in NAME SYNOPSIS DESCRIPTION 'SEE ALSO'; do
    if ! grep -q "^\.SH $section" "$page"; then
      echo "FAIL: $page has no $section section"
      fail=1
    fi
  done
done
echo "$pages pages rendered"

# 3. The docs/ index is current.
if ! diff -u "$src/docs/man/README.md" \
  <(bash "$src/docs/man/gen-index.sh" "$src/docs/man") >/dev/null; then
  echo "FAIL: docs/man/README.md is stale: cmake --build <build> --target man-index"
  fail=1
fi

# 4. Installed, man finds PVM-NG's own page.
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
if cmake --install "$build" --prefix "$prefix" >"$prefix.log" 2>&1; then
  for n in pvm_spawn pvmfspawn pvm_pkint pvm pvmd pvmcert; do
    found=$(MANPATH=$prefix/share/man man -w "$n" 2>/dev/null | head -n 1)
    case $found in
    "$prefix"/share/man/*) ;;
    *)
      echo "FAIL: man -w $n found '${found:-nothing}', not a page under $prefix"
      fail=1
      ;;
    esac
  done
else
  echo "FAIL: cmake --install failed:"
  tail -n 5 "$prefix.log"
  fail=1
fi
rm -f "$prefix.log"

[ "$fail" -eq 0 ] && echo "OK"
exit "$fail"
