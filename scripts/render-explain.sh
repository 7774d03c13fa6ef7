#!/usr/bin/env bash
# render-explain: shows an explanation picture (gat-train --explain NODE --explain-out FILE.svg)
# in a real browser, headless Chromium, takes a screenshot of it, and checks what it can see:
#
#   1. The screenshot has the picture's size (the SVG's width and height) and is not blank: at
#      least 2% of its pixels are not white, and it has at least 8 distinct colours.
#   2. Every node label is shown. Chromium lays the picture out and gives every
#      <text class='node-label'> a box (getBoundingClientRect); each box must lie inside the
#      picture, and a second screenshot of the same picture with the labels hidden must differ
#      from the first in at least 4 pixels inside that box: the label's own pixels were drawn
#      there, on top (not only some other ink, and not under something painted later).
#      The labels' texts are compared with the SVG's: the browser saw every one of them.
#   What it does not check: whether the picture reads well to a person. Look at the PNG.
#
# Chromium is installed for this script only (scripts/install-deps.sh chromium): Debian's
# package, run with no sandbox, GPU, network services or profile of its own.
#
# usage: scripts/render-explain.sh FILE.svg [SCREENSHOT.png]   (default: FILE.png beside FILE.svg)
# Exit status: 0 all checks pass, 1 a check failed (named on stderr), 2 usage.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") usage >&2; exit 2 ;;
esac
svg="$1"
png="${2:-${svg%.svg}.png}"
[ -f "$svg" ] || { echo "render-explain: $svg: no such file" >&2; exit 2; }
grep -q "class='node-label'" "$svg" || { echo "render-explain: $svg: no node labels (is it a gat-train --explain picture?)" >&2; exit 2; }

command -v chromium >/dev/null || bash "$here/install-deps.sh" chromium

# The picture's size, from its root element.
root=$(grep -m1 -o "<svg [^>]*>" "$svg")
width=$(sed -E "s/.* width='([0-9]+)(\\.[0-9]+)?'.*/\\1/" <<<"$root")
height=$(sed -E "s/.* height='([0-9]+)(\\.[0-9]+)?'.*/\\1/" <<<"$root")
[[ "$width" =~ ^[0-9]+$ && "$height" =~ ^[0-9]+$ ]] || { echo "render-explain: $svg: no width and height on <svg>" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/render-explain.XXXXXX")"
trap 'rm -rf "$work"' EXIT
chrome() {  # chromium headless, isolated, with a fresh profile each time; its chatter to a log
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars --force-device-scale-factor=1 \
    --user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" "$@" 2>>"$work/chromium.log"
}

# 1. The screenshot of the picture as it is, and of a copy with the labels hidden.
abs_svg="$(realpath "$svg")"
sed "/^<svg /a <style>.node-label { visibility: hidden }</style>" "$svg" >"$work/hidden.svg"
chrome --screenshot="$work/shown.png" --window-size="$width,$height" "file://$abs_svg" >/dev/null
chrome --screenshot="$work/hidden.png" --window-size="$width,$height" "file://$work/hidden.svg" >/dev/null
for f in shown hidden; do
  [ -s "$work/$f.png" ] || { echo "render-explain: chromium wrote no screenshot; its log:" >&2; cat "$work/chromium.log" >&2; exit 1; }
done

# 2. A page with the picture inline at the same place (0, 0) and both screenshots: the browser
# measures the label boxes and compares the pixels, and the result is read from its DOM.
{
  echo "<!DOCTYPE html><html><head><meta charset='utf-8'><style>html, body { margin: 0 }</style></head><body>"
  grep -v '^<?xml' "$svg"
  echo "<img id='shown' style='display:none' src='data:image/png;base64,$(base64 -w0 "$work/shown.png")'>"
  echo "<img id='hidden' style='display:none' src='data:image/png;base64,$(base64 -w0 "$work/hidden.png")'>"
  cat <<EOF
<script>
window.addEventListener('load', () => {
  const W = $width, H = $height, lines = [];
  const pixels = id => {
    const img = document.getElementById(id), c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext('2d'); g.drawImage(img, 0, 0);
    return { w: c.width, h: c.height, d: g.getImageData(0, 0, c.width, c.height).data };
  };
  const a = pixels('shown'), b = pixels('hidden');
  lines.push('size ' + a.w + ' ' + a.h);
  let ink = 0; const colours = new Set();
  for (let k = 0; k < a.d.length; k += 4) {
    if (a.d[k] < 245 || a.d[k + 1] < 245 || a.d[k + 2] < 245) ink++;
    if (colours.size < 1000) colours.add((a.d[k] << 16) | (a.d[k + 1] << 8) | a.d[k + 2]);
  }
  lines.push('ink ' + ink + ' ' + a.w * a.h + ' ' + colours.size);
  for (const t of document.querySelectorAll('svg text.node-label')) {
    const r = t.getBoundingClientRect();
    const x0 = Math.max(0, Math.floor(r.left) - 1), y0 = Math.max(0, Math.floor(r.top) - 1);
    const x1 = Math.min(a.w, Math.ceil(r.right) + 1), y1 = Math.min(a.h, Math.ceil(r.bottom) + 1);
    let changed = 0;
    for (let y = y0; y < y1; y++)
      for (let x = x0; x < x1; x++) {
        const k = 4 * (y * a.w + x);
        if (Math.abs(a.d[k] - b.d[k]) + Math.abs(a.d[k + 1] - b.d[k + 1]) + Math.abs(a.d[k + 2] - b.d[k + 2]) > 60) changed++;
      }
    const inside = r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= W && r.bottom <= H;
    lines.push('label ' + t.textContent + ' ' + (inside ? 1 : 0) + ' ' + changed + ' ' + Math.round(r.left) + ',' + Math.round(r.top));
  }
  const pre = document.createElement('pre');
  pre.id = 'result';
  pre.textContent = lines.join('\n');
  document.body.appendChild(pre);
});
</script></body></html>
EOF
} >"$work/check.html"
chrome --dump-dom --virtual-time-budget=10000 --window-size="$width,$height" "file://$work/check.html" >"$work/dom.html"
result=$(sed -n '/<pre id="result">/,/<\/pre>/p' "$work/dom.html" | sed -e 's/<pre id="result">//' -e 's/<\/pre>.*//')
[ -n "$result" ] || { echo "render-explain: the check page produced no result; chromium's log:" >&2; cat "$work/chromium.log" >&2; exit 1; }

cp "$work/shown.png" "$png"
failed=0
fail() { echo "render-explain: $*" >&2; failed=1; }
read -r _ got_w got_h <<<"$(grep '^size ' <<<"$result")"
[ "$got_w" = "$width" ] && [ "$got_h" = "$height" ] || fail "the screenshot is ${got_w}x${got_h}, the picture ${width}x${height}"
read -r _ ink total colours <<<"$(grep '^ink ' <<<"$result")"
[ $((ink * 50)) -ge "$total" ] || fail "the screenshot is blank: only $ink of $total pixels are not white"
[ "$colours" -ge 8 ] || fail "the screenshot has only $colours colours"
labels=$(grep -c '^label ' <<<"$result" || true)
svg_labels=$(grep -o "class='node-label'[^>]*>[^<]*<" "$svg" | sed -E 's/.*>([^<]*)</\1/' | sort)
dom_labels=$(grep '^label ' <<<"$result" | awk '{ print $2 }' | sort)
[ "$labels" -gt 0 ] || fail "the browser found no node label"
[ "$svg_labels" = "$dom_labels" ] || fail "the labels the browser laid out are not the SVG's"
while read -r _ text inside changed at; do
  [ "$inside" = 1 ] || fail "label '$text' at $at lies outside the picture or has an empty box"
  [ "$changed" -ge 4 ] || fail "label '$text' at $at: its box shows no pixels of its own ($changed changed)"
done < <(grep '^label ' <<<"$result")
distinct=$(sort -u <<<"$dom_labels" | wc -l)
if [ "$failed" = 0 ]; then
  printf 'render-explain: %s (%sx%s) -> %s: %s%% of the pixels drawn, %s colours; %s node labels (%s nodes), each inside the picture and drawn on top at its box\n' \
    "$svg" "$width" "$height" "$png" "$(awk -v a="$ink" -v b="$total" 'BEGIN { printf "%.1f", 100 * a / b }')" \
    "$([ "$colours" -ge 1000 ] && echo "1000+" || echo "$colours")" "$labels" "$distinct"
fi
exit "$failed"
