#!/bin/bash
# lint.docrefs: the tree's documents refer only to files inside the tree, so
# that a reader of a checkout (or of the source package) can follow every
# reference. Three findings fail the test:
#  - an absolute path into a workspace (top folder "work": a build
#    machine's layout, not the project's) in any tracked text file, or
#    into a home directory (top folder "home", "root" or "Users") in a
#    document;
#  - in a document, a relative path (../x) that, read from the document's
#    own folder, climbs above the top of the tree or names nothing in it;
#  - in a document, an upper-case document name (DESIGN.md, NOTES.md, ...)
#    that no file of the tree carries.
# Documents are the tracked *.md, *.txt, *.rst and *.adoc files.
# Usage: docrefs.sh <source dir>
set -u
src=${1:?usage: $0 <source dir>}
cd "$src" || exit 2
top=$(pwd -P)

if git rev-parse --show-toplevel >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files)
else
  mapfile -t files < <(find . -type f -not -path './build*' -not -path './.git/*' |
    sed 's|^\./||')
fi

docs=()
declare -A names=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  names[$(basename "$f")]=1
  case $f in
  *.md | *.txt | *.rst | *.adoc) docs+=("$f") ;;
  esac
done

bad=0
report() {
  echo "$1: $2"
  bad=$((bad + 1))
}

# 1. Workspace paths. Text files only (grep -I), the fuzz corpora left out.
# (Written so that this file does not match itself.)
ws_any='(^|[^A-Za-z0-9_.~$-])/w[o]rk/'
ws_doc='(^|[[:space:]`"'"'"'(<])/(home|root|Users)/[A-Za-z0-9_.-]'
texts=()
for f in "${files[@]}"; do
  case $f in tests/fuzz/corpus/*) continue ;; esac
  [ -f "$f" ] && texts+=("$f")
done
while IFS= read -r hit; do
  f=${hit%%:*} rest=${hit#*:}
  report "$f" "line ${rest%%:*}: workspace path: ${rest#*:}"
done < <(grep -InE "$ws_any" "${texts[@]}" /dev/null 2>/dev/null)
for f in "${docs[@]}"; do
  while IFS= read -r hit; do
    report "$f" "line ${hit%%:*}: absolute path into a home directory: ${hit#*:}"
  done < <(grep -nE "$ws_doc" "$f")
done

# 2. Relative paths, read from the document's folder: inside the tree, and
# naming something there (../shared/x from docs/ is no file of the tree).
for f in "${docs[@]}"; do
  dir=$(dirname "$f")
  while IFS=: read -r line rel; do
    [ -n "$rel" ] || continue
    # The folders climbed and the rest, without following links: the path
    # need not exist to be outside.
    path=$top/$dir/$rel
    resolved=$(realpath -m -s "$path")
    case $resolved/ in
    "$top"/*)
      [ -e "$resolved" ] ||
        report "$f" "line $line: $rel (from $dir/) names no file of the tree"
      ;;
    *) report "$f" "line $line: $rel leaves the tree" ;;
    esac
  done < <(grep -noE '(^|[^A-Za-z0-9_.-])(\.\./)+[A-Za-z0-9_./-]*' "$f" |
    sed -E 's/^([0-9]+):[^.]*/\1:/')
done

# 3. Upper-case document names that the tree does not have.
for f in "${docs[@]}"; do
  while IFS=: read -r line name; do
    [ -n "${names[$name]:-}" ] ||
      report "$f" "line $line: $name is not a file of this tree"
  done < <(grep -noE '\b[A-Z][A-Z0-9_-]*\.(md|txt|rst|adoc)\b' "$f")
done

if [ "$bad" -gt 0 ]; then
  echo "lint.docrefs: $bad reference(s) to files outside the tree; a document"
  echo "must carry what it needs or name a file of this tree"
  exit 1
fi
echo "lint.docrefs: ${#docs[@]} documents refer only to files of the tree"
