#!/bin/bash
# lint.exports: the shared libraries export their interface and nothing
# else. For each library given, the dynamic symbols it defines (nm -D
# --defined-only) must contain no internal name: lpvm_ (libpvm), pvmw_
# (wire), pvmng__ (generated protobuf code) or fpvm_ (libfpvm3's helpers).
# For libpvm3 in addition, every function and variable that pvm3.h,
# pvmng.h and pvmtev.h declare, and the public symbols of PVM 3.4.6's
# libpvm3 that no header declares, must be exported.
# Usage: exports.sh <cc> <include dir> <libpvm3> [<other library>...]
set -u

if [ $# -lt 3 ]; then
  echo "usage: $0 <cc> <include dir> <libpvm3> [<library>...]" >&2
  exit 2
fi
cc=$1
inc=$2
shift 2
if ! command -v nm >/dev/null; then
  echo "exports.sh: nm is missing (binutils)" >&2
  exit 2
fi

# Undeclared in pvm3.h, exported by PVM 3.4.6 and used by programs.
defacto="pvmsleep pvm_vpackf pvm_vunpackf pvmlogprintf vpvmlogprintf
pvmlogerror pvmlogperror pvmgetroot pvmgethome pvmgetpvmd pvm_useruid
lpvmerr pvmgetclock pvmdebmask pvmdisplaymhfinfo pvmtevinfo"

fail=0
exported() {
  nm -D --defined-only "$1" | awk 'NF == 3 { print $3 }' | sort -u
}

for lib in "$@"; do
  if [ ! -f "$lib" ]; then
    echo "exports.sh: $lib is missing; build first" >&2
    exit 2
  fi
  syms=$(exported "$lib")
  bad=$(grep -E '^(lpvm_|pvmw_|pvmng__|fpvm_)' <<<"$syms")
  echo "$(basename "$lib"): $(grep -c . <<<"$syms") symbols exported"
  if [ -n "$bad" ]; then
    echo "FAIL: $(basename "$lib") exports internal names:" \
      "$(tr '\n' ' ' <<<"$bad")"
    fail=1
  fi
done

# Every name libpvm3's public headers declare (functions and variables,
# compatibility sections included), read off the preprocessed headers
# (pvmtev.h's array type Pvmtmask is a type, not a symbol).
pvm3=$1
syms=$(exported "$pvm3")
declared=$(printf '#include "pvmng.h"\n#include "pvmtev.h"\n' |
  "$cc" -E -P -DPVM33COMPAT -DNOTMPNAM -I"$inc" -x c - |
  grep -oE '\b[Pp]vm[A-Za-z0-9_]*[[:space:]]*(\(|\[|;)' |
  grep -oE '^[Pp]vm[A-Za-z0-9_]*' | grep -vx 'Pvmtmask' | sort -u)
if [ -z "$declared" ]; then
  echo "FAIL: no declarations found in $inc/pvm3.h, pvmng.h and pvmtev.h"
  fail=1
fi
# shellcheck disable=SC2086 # $defacto: a list of words, split here
missing=$(comm -23 <(printf '%s\n' "$declared" $defacto | sort -u) \
  <(printf '%s\n' "$syms"))
if [ -n "$missing" ]; then
  echo "FAIL: $(basename "$pvm3") does not export:" \
    "$(tr '\n' ' ' <<<"$missing")"
  fail=1
fi
echo "$(basename "$pvm3"): $(grep -c . <<<"$declared") declared names and" \
  "$(wc -w <<<"$defacto") undeclared PVM 3.4.6 symbols checked"
[ "$fail" -eq 0 ] && echo "OK"
exit "$fail"
