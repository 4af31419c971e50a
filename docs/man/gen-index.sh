#!/bin/bash
# Writes the index of PVM-NG's manual pages (docs/man/README.md) on stdout,
# read from the roff sources: each page's NAME line, and the alias names
# (docs/man/aliases) that lead to it.
# Usage: gen-index.sh <docs/man directory>
set -eu
dir=${1:?usage: gen-index.sh <docs/man directory>}
cd "$dir"

# name_line PAGE: the NAME section joined into one line, roff escapes
# removed.
name_line() {
  awk '/^\.SH/ { if (on) exit; on = ($2 == "NAME"); next }
       on { printf "%s%s", sep, $0; sep = " " }' "$1" |
    sed -e 's/\\-/-/g' -e 's/\\(em/--/g' -e 's/\\f[BIRP]//g' -e 's/\\//g'
}

cat <<'HEAD'
# PVM-NG manual pages

Generated from the roff sources beside this file by `gen-index.sh`
(`cmake --build <build> --target man-index`); do not edit by hand.
After `cmake --install`, read them with `man pvm_spawn` (with
`<prefix>/share/man` on `MANPATH`), or here with `man -l man3/pvm_spawn.3`.
Section 3 documents the calls of `pvm3.h` and `pvmng.h`; each page also
gives the Fortran form of its calls, and the `pvmf*` names are installed
as aliases of that page (as PVM 3.4's manual grouped them). Section 1 and
8 document the programs.

HEAD
for sec in 1 8 3; do
  case $sec in
  1) echo "## Programs (section 1)" ;;
  8) echo "## The daemon (section 8)" ;;
  3) echo "## Calls (section 3)" ;;
  esac
  echo
  echo "| page | names | what it documents |"
  echo "| --- | --- | --- |"
  for page in man"$sec"/*."$sec"; do
    [ -e "$page" ] || continue
    line=$(name_line "$page")
    names=${line%% - *}
    what=${line#* - }
    base=$(basename "$page")
    # The alias names the NAME line does not already give (Fortran's).
    others=$(awk -v t="$page" -v names=", $names," '
      $2 == t && index(names, ", " $1 ",") == 0 {
        printf "%s%s", sep, $1; sep = ", "
      }' aliases)
    [ -n "$others" ] && names="$names; also $others"
    echo "| [${base%.*}($sec)]($page) | $names | $what |"
  done
  echo
done
