#!/usr/bin/env bash
# check-layering: every #include "..." of the tree points down, as docs/architecture.md says.
#
# The rules are the two tables of docs/architecture.md, read from the page itself:
#   "What each folder may include": a row `folder/` | job | the `folders/` it may include.
#     A file may include its own folder's headers and those of the folders in its row.
#   "Private headers": a row `header or folder/` | the `files or folders/` that may include it.
# Checked: the #include "..." lines (not <...>) of every .cpp, .hpp and .h file git tracks or
# would track (untracked, not ignored). An include without a folder ("testing.hpp") is the
# file's own folder's. A file in a folder the first table lacks, or a table that cannot be
# read, is an error too.
#
# usage: scripts/check-layering.sh [--root DIR]   (DIR: the tree to check, for tests)
# Exit status: 0 every include is allowed, 1 some are not (each named on stderr), 2 usage.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || { echo "check-layering: --root needs a directory" >&2; exit 2; }; root="$2"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "check-layering: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
cd "$root"
page=docs/architecture.md
[ -f "$page" ] || { echo "check-layering: $page not found" >&2; exit 1; }

# The code spans of one table cell, space-separated: "| `a/`, `b/` |" -> "a/ b/".
# table SECTION prints "first-cell-spans<TAB>last-cell-spans" for each row of the table under
# the heading SECTION.
table() {
  awk -v section="$1" '
    /^## / { inside = ($0 == "## " section); next }
    inside && /^\|/ && !/^\| *---/ {
      n = split($0, cell, "|")
      first = spans(cell[2]); last = spans(cell[n - 1])
      if (first != "") print first "\t" last
    }
    function spans(text,   out, s) {
      out = ""
      while (match(text, /`[^`]+`/)) {
        s = substr(text, RSTART + 1, RLENGTH - 2)
        out = out (out == "" ? "" : " ") s
        text = substr(text, RSTART + RLENGTH)
      }
      return out
    }' "$page"
}

declare -A may_include  # folder -> "autograd/ io/ ..."
while IFS=$'\t' read -r folder allowed; do
  may_include[${folder%/}]=$allowed
done < <(table "What each folder may include")
declare -A private_from  # private header or folder/ -> "places/ allowed"
while IFS=$'\t' read -r headers allowed; do
  for h in $headers; do private_from[$h]=$allowed; done
done < <(table "Private headers")
[ ${#may_include[@]} -gt 0 ] || { echo "check-layering: no rows under '## What each folder may include' in $page" >&2; exit 1; }
[ ${#private_from[@]} -gt 0 ] || { echo "check-layering: no rows under '## Private headers' in $page" >&2; exit 1; }

# True when path $1 is, or lies inside, one of the entries $2 ("a/ b.hpp ...").
covered() {
  local path=$1 entry
  for entry in $2; do
    case $entry in
      */) [[ $path == "$entry"* ]] && return 0 ;;
      *) [ "$path" = "$entry" ] && return 0 ;;
    esac
  done
  return 1
}

status=0 checked=0 files=0
broken() { echo "$1: $2" >&2; status=1; }
while IFS= read -r file; do
  files=$((files + 1))
  folder=${file%%/*}
  [ "$folder" = "$file" ] && folder=.  # a file at the top of the tree
  if [ -z "${may_include[$folder]+set}" ]; then
    broken "$file" "its folder $folder/ is not in the table of $page"
    continue
  fi
  while IFS=: read -r line include; do
    checked=$((checked + 1))
    target=${include%%/*}
    [ "$target" = "$include" ] && target=$folder  # "testing.hpp": the file's own folder
    for private in "${!private_from[@]}"; do
      if covered "$include" "$private" && ! covered "$file" "${private_from[$private]}"; then
        broken "$file:$line" "includes \"$include\", which is private (allowed from: ${private_from[$private]})"
      fi
    done
    [ "$target" = "$folder" ] && continue
    covered "$target/" "${may_include[$folder]}" ||
      broken "$file:$line" "includes \"$include\": $folder/ may include ${may_include[$folder]:-nothing outside it}, not $target/"
  done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" |
           sed -E 's/^([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]*)".*/\1:\2/' || true)
done < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' '*.h')

if [ $status -eq 0 ]; then
  echo "check-layering: $checked includes in $files files follow $page"
fi
exit $status
