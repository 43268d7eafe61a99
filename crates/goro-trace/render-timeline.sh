#!/usr/bin/env bash
# Renders a goro timeline.html to a PNG with headless Chromium and fails if
# the picture is empty (nearly all one colour, or too few colours).
#
#   crates/goro-trace/render-timeline.sh HTML PNG
#
# Needs Debian's chromium (apt-get install -y chromium) and python3 (no
# modules beyond the standard library: the PNG is decoded with zlib).
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 HTML PNG" >&2
    exit 2
fi
html=$1
png=$2
[ -f "$html" ] || { echo "$0: no such file: $html" >&2; exit 2; }

chromium=""
for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then chromium=$c; break; fi
done
if [ -z "$chromium" ]; then
    echo "$0: no chromium; install it with: apt-get update && apt-get install -y chromium" >&2
    exit 2
fi

# The window: the SVG's own size plus the page margin, so nothing is cut.
read -r width height < <(python3 - "$html" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<svg[^>]*\bwidth="(\d+)"[^>]*\bheight="(\d+)"', text)
w, h = (int(m.group(1)), int(m.group(2))) if m else (1600, 900)
print(w + 24, min(h + 24, 16000))
EOF
)

abs_html=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
mkdir -p "$(dirname "$png")"
rm -f "$png"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$profile" --no-first-run --disable-extensions \
    --window-size="$width,$height" --screenshot="$png" "file://$abs_html" \
    >"$profile/chromium.log" 2>&1 || { cat "$profile/chromium.log" >&2; exit 1; }
[ -s "$png" ] || { echo "$0: chromium wrote no picture" >&2; cat "$profile/chromium.log" >&2; exit 1; }

python3 - "$png" <<'EOF'
import struct, sys, zlib
from collections import Counter

path = sys.argv[1]
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"{path}: not a PNG")
pos, chunks = 8, []
while pos < len(data):
    (length,) = struct.unpack(">I", data[pos:pos + 4])
    kind = data[pos + 4:pos + 8]
    chunks.append((kind, data[pos + 8:pos + 8 + length]))
    pos += 12 + length
ihdr = dict(chunks)[b"IHDR"]
width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
if depth != 8 or colour not in (2, 6) or interlace:
    sys.exit(f"{path}: unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
bpp = 3 if colour == 2 else 4
raw = zlib.decompress(b"".join(d for k, d in chunks if k == b"IDAT"))
stride = width * bpp
prev = bytearray(stride)
counts = Counter()
for y in range(height):
    base = y * (stride + 1)
    kind, line = raw[base], bytearray(raw[base + 1:base + 1 + stride])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + a) & 255
        elif kind == 2:
            line[i] = (line[i] + b) & 255
        elif kind == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 2 == 0:  # every other row is plenty for a histogram
        for x in range(0, stride, bpp * 2):
            counts[bytes(line[x:x + 3])] += 1
total = sum(counts.values())
top, top_n = counts.most_common(1)[0]
share = top_n / total
colours = len(counts)
print(f"{path}: {width}x{height}, {colours} colours, most common #{top.hex()} on {share:.1%} of the picture")
if share > 0.97 or colours < 8:
    sys.exit(f"{path}: the picture looks empty")
EOF
