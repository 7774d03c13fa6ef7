#!/usr/bin/env bash
# check-docs: the documentation still matches the code.
#
#   1. Links. Every link of README.md, docs/*.md and docs/zh/*.md (the Chinese editions) resolves: a relative link names a file or
#      folder that exists (relative to the page), and a #fragment into a Markdown page names one
#      of its headings (GitHub's anchors). Web links (http:, https:, mailto:) are not fetched.
#   2. Symbols. A link whose text is one code span naming an identifier and whose target is a
#      source file is a claim "this function lives in that file", and is checked as one:
#        [`segment_softmax`](../graph/segment_softmax.cpp)   the identifier appears in the file
#        [`GATConv::forward`](../models/gat_conv.cpp)        a qualified name appears as written
#      The file's comments are stripped first, so a name that survives only in a comment fails.
#      A trailing "()" or "(args)" in the code span is ignored. Write prose references this way
#      and they cannot go stale silently.
#   3. Editions. A page of docs/zh/ is the Chinese edition of an English page and says which
#      revision of it, on a line <!-- en: PAGE COMMIT --> (<!-- en: PAGE COMMIT part --> for an
#      edition of part of the page) whose COMMIT its text names too (`COMMIT`); PAGE must exist.
#      Notes, not failures (an English edit must not wait for its translation): PAGE changed
#      since COMMIT (git diff COMMIT -- PAGE; skipped without git history), and, for a whole
#      edition, a symbol reference of PAGE (section 2) that the Chinese page lacks.
#   4. API reference (not with --links-only). doxygen builds docs/Doxyfile from the repository
#      root with no warning at all (WARN_AS_ERROR = FAIL_ON_WARNINGS, and any output on stderr
#      counts as a failure). The HTML goes to --out DIR, or to a temporary folder that is
#      deleted afterwards: never into the repository.
#
# usage: scripts/check-docs.sh [--links-only] [--out DIR] [--root DIR]
#   --root DIR  check the tree at DIR instead of the one this script is in (for tests)
# Exit status: 0 all good, 1 something is broken (each problem is named on stderr), 2 usage.
set -euo pipefail

links_only=0
out=""
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
while [ $# -gt 0 ]; do
  case "$1" in
    --links-only) links_only=1 ;;
    --out) [ $# -ge 2 ] || { echo "check-docs: --out needs a directory" >&2; exit 2; }; out="$2"; shift ;;
    --root) [ $# -ge 2 ] || { echo "check-docs: --root needs a directory" >&2; exit 2; }; root="$2"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "check-docs: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -d "$root" ] || { echo "check-docs: --root $root is not a directory" >&2; exit 2; }
cd "$root"

# ---- 1 and 2: links and symbols (one Perl pass over the pages) ----
shopt -s nullglob
pages=(README.md docs/*.md docs/zh/*.md)
status=0
perl -CSD -Mutf8 -e '
  use strict; use warnings;
  my ($broken, $links, $symbols) = (0, 0, 0);
  my %anchors;  # page -> { anchor => 1 }

  sub slurp { my ($f) = @_; open(my $h, "<:encoding(UTF-8)", $f) or return undef; local $/; my $s = <$h>; close $h; return $s; }

  # GitHub heading anchors: lower case, drop punctuation but "-" and "_", spaces to "-",
  # repeated headings get -1, -2, ...
  sub anchors_of {
    my ($page) = @_;
    return $anchors{$page} if $anchors{$page};
    my %seen; my %set; my $fence = 0;
    my $text = slurp($page) // "";
    for my $line (split /\n/, $text) {
      if ($line =~ /^\s*(```|~~~)/) { $fence = !$fence; next; }
      next if $fence;
      next unless $line =~ /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
      my $h = lc $1;
      $h =~ s/`//g;
      $h =~ s/\[([^\]]*)\]\([^)]*\)/$1/g;      # a link in a heading keeps its text
      $h =~ s/[^\p{L}\p{N}\p{M} _-]//g;
      $h =~ s/ /-/g;
      my $a = $h;
      $a .= "-" . $seen{$h} if $seen{$h};
      $seen{$h}++;
      $set{$a} = 1;
    }
    return $anchors{$page} = \%set;
  }

  # The code of a C++ file: comments and string literals removed, so only real code is searched.
  sub code_of {
    my ($f) = @_;
    my $s = slurp($f) // "";
    $s =~ s{("(?:\\.|[^"\\\n])*")|(/\*.*?\*/)|(//[^\n]*)}{ defined $1 ? "\"\"" : " " }gse;
    return $s;
  }

  sub fail { my ($where, $msg) = @_; print STDERR "$where: $msg\n"; $broken++; }

  for my $page (@ARGV) {
    my $text = slurp($page);
    defined $text or do { fail($page, "cannot read the page"); next; };
    (my $dir = $page) =~ s{[^/]*$}{};
    $dir = "./" if $dir eq "";
    my $fence = 0; my $n = 0;
    for my $line (split /\n/, $text) {
      $n++;
      if ($line =~ /^\s*(```|~~~)/) { $fence = !$fence; next; }
      next if $fence;
      my @found;
      # inline links and images: [text](target "title"); text may hold one level of [...]
      while ($line =~ /!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g) { push @found, [$1, $2]; }
      # reference definitions: [label]: target
      push @found, [$1, $2] if $line =~ /^\s{0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/;
      for my $l (@found) {
        my ($label, $target) = @$l;
        my $where = "$page:$n: [$label]($target)";
        $links++;
        next if $target =~ m{^(?:https?|mailto|ftp):}i;
        my ($path, $frag) = $target =~ /^([^#]*)(?:#(.*))?$/;
        my $file = $path eq "" ? $page : $dir . $path;
        $file =~ s{/\./}{/}g;
        1 while $file =~ s{(^|/)(?!\.\./)[^/]+/\.\./}{$1};   # docs/../graph/x.cpp -> graph/x.cpp
        if ($path ne "" && !-e $file) { fail($where, "no such file or folder: $file"); next; }
        if (defined $frag && $frag ne "" && $file =~ /\.md$/i) {
          fail($where, "$file has no heading with anchor #$frag") unless anchors_of($file)->{$frag};
        }
        # Symbol links: [`name`](source file)
        next unless $label =~ /^`([^`]+)`$/;
        my $sym = $1;
        $sym =~ s/\s*\(.*\)\s*$//;
        next unless $sym =~ /^~?[A-Za-z_]\w*(?:::~?[A-Za-z_]\w*)*$/;
        next unless -f $file && $file =~ /\.(?:c|cc|cpp|cxx|h|hh|hpp|hxx|inc)$/;
        $symbols++;
        my $code = code_of($file);
        my $re = join("::", map { quotemeta } split /::/, $sym);
        fail($where, "`$sym` is not in the code of $file (comments do not count)")
          unless $code =~ /(?<![\w~])$re(?!\w)/;
      }
    }
  }
  print "check-docs: $links links in ", scalar(@ARGV), " pages, $symbols of them symbol references: ",
        ($broken ? "$broken broken" : "all resolve"), "\n";
  exit($broken ? 1 : 0);
' "${pages[@]}" || status=1

# ---- 3: the Chinese editions name their English page and its revision ----
# The symbol references of a page, as "name file" lines with the file relative to the root.
symbol_refs() {
  local dir
  dir=$(dirname "$1")
  grep -o '\[`[A-Za-z_:~][A-Za-z0-9_:~]*[^`]*`\]([^)#]*)' "$1" | sed -E 's/^\[`([A-Za-z0-9_:~]+)[^`]*`\]\(([^)]*)\)$/\1 \2/' |
    while read -r name file; do echo "$name $(realpath -m --relative-to=. "$dir/$file")"; done | sort -u
}
have_git=0
git rev-parse --is-inside-work-tree >/dev/null 2>&1 && have_git=1
editions=0
for zh in docs/zh/*.md; do
  editions=$((editions + 1))
  marker=$(grep -m1 -oE '<!-- en: [^ ]+ [0-9a-f]{7,40}( part)? -->' "$zh" || true)
  if [ -z "$marker" ]; then
    echo "$zh: no line <!-- en: PAGE COMMIT --> naming the English page and the revision it matches" >&2
    status=1
    continue
  fi
  read -r _ _ en rev part _ <<<"$marker"
  [ "$part" = "-->" ] && part=""
  if [ ! -f "$en" ]; then
    echo "$zh: its English page $en does not exist" >&2; status=1; continue
  fi
  if ! grep -q "\`$rev\`" "$zh"; then
    echo "$zh: the text does not name the revision \`$rev\` of its <!-- en: --> line" >&2; status=1
  fi
  if [ "$have_git" = 1 ]; then
    if ! git cat-file -e "$rev^{commit}" 2>/dev/null; then
      echo "check-docs: note: $zh: revision $rev of $en is not in this clone's history"
    elif ! git diff --quiet "$rev" -- "$en"; then
      echo "check-docs: note: $zh matches $en at $rev, which has changed since (git diff $rev -- $en): update the Chinese edition"
    fi
  fi
  if [ -z "$part" ]; then
    missing=$(comm -23 <(symbol_refs "$en") <(symbol_refs "$zh") | tr '\n' ' ')
    [ -z "$missing" ] || echo "check-docs: note: $zh lacks symbol references of $en: $missing"
  fi
done
echo "check-docs: $editions Chinese editions name their English page and revision"

if [ "$links_only" = 1 ]; then exit "$status"; fi

# ---- 4: the API reference ----
command -v doxygen >/dev/null || { echo "check-docs: doxygen is not installed (apt-get install doxygen)" >&2; exit 1; }
keep=1
if [ -z "$out" ]; then
  out="$(mktemp -d "${TMPDIR:-/tmp}/gatgrad-doxygen.XXXXXX")"
  keep=0
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
log="$out/doxygen-warnings.log"
# The Doxyfile, then the output folder: a later assignment wins.
if ! { cat docs/Doxyfile; echo "OUTPUT_DIRECTORY = $out"; } | doxygen - >"$out/doxygen-stdout.log" 2>"$log"; then
  echo "check-docs: doxygen failed:" >&2
  cat "$log" >&2
  exit 1
fi
if [ -s "$log" ]; then
  echo "check-docs: doxygen printed warnings:" >&2
  cat "$log" >&2
  exit 1
fi
if [ "$keep" = 1 ]; then
  echo "check-docs: doxygen: no warnings; API reference in $out/html/index.html"
else
  echo "check-docs: doxygen: no warnings"
fi
exit "$status"
