#!/usr/bin/env bash
# The side-by-side comparison: each workload of benches/workloads/ in goro,
# in Go 1.19 (benches/go/<name>/main.go) and in raw Tokio, alternating
# goro, Go, Tokio, ROUNDS times (default 5). Prints the median whole-process
# wall time and peak RSS of each, with the goro/Go and goro/Tokio ratios,
# and writes the ratios as an SVG bar chart to target/compare/ratios.svg.
#
#   benches/compare.sh [ROUNDS] [WORKLOAD...]
#
# Workloads: spawn chain idle blocking pingpong mpmc sieve select (all by
# default). Installs Debian's golang-go and GNU time if missing (needs root
# and apt).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
shift || true
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(spawn chain idle blocking pingpong mpmc sieve select)

if ! command -v go >/dev/null 2>&1 || [ ! -x /usr/bin/time ]; then
    echo "installing Go (Debian's golang-go) and GNU time..." >&2
    apt-get update -qq >/dev/null && apt-get install -y -qq golang-go time >/dev/null
fi

out=target/compare
mkdir -p "$out"
(cd benches/go && for w in "${workloads[@]}"; do go build -o "../../$out/go-$w" "./$w"; done)
cargo bench --bench workloads --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "workloads" and m.get("executable"):
        print(m["executable"])' > "$out/goro-exe"
exe=$(cat "$out/goro-exe")

python3 - "$rounds" "$exe" "$out" "${workloads[@]}" <<'PY'
import statistics, subprocess, sys, time
rounds, exe, out, workloads = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
sides = {
    "goro": lambda w: [exe, w, "goro"],
    "go": lambda w: [f"{out}/go-{w}"],
    "tokio": lambda w: [exe, w, "tokio"],
}

def run(cmd):
    # GNU time reports the peak RSS of the program itself (KB).
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{cmd} failed: {p.stderr}")
    return wall, int(p.stderr.strip().splitlines()[-1]), p.stdout.strip()

rows = []
header = f"{'workload':9} {'goro s':>7} {'go s':>7} {'tokio s':>7} {'goro/go':>8} {'goro/tokio':>10} {'goro MB':>8} {'go MB':>8} {'tokio MB':>8}"
print(header + f"  (medians of {rounds})")
for w in workloads:
    times = {s: [] for s in sides}
    rss = {s: [] for s in sides}
    for _ in range(rounds):
        lines = set()
        for side, cmd in sides.items():
            t, m, line = run(cmd(w))
            times[side].append(t)
            rss[side].append(m)
            lines.add(line)
        if len(lines) != 1:
            sys.exit(f"{w}: the programs disagree: {lines}")
    t = {s: statistics.median(v) for s, v in times.items()}
    m = {s: statistics.median(v) / 1024 for s, v in rss.items()}
    row = (w, t["goro"] / t["go"], t["goro"] / t["tokio"], m["goro"] / m["go"])
    rows.append(row)
    print(f"{w:9} {t['goro']:7.3f} {t['go']:7.3f} {t['tokio']:7.3f} {row[1]:8.2f} {row[2]:10.2f} "
          f"{m['goro']:8.1f} {m['go']:8.1f} {m['tokio']:8.1f}")

# The chart: for each workload, bars for goro/Go time, goro/Tokio time and
# goro/Go peak memory, on a scale where 1.0 (a tie) is marked.
width, bar, gap = 760, 14, 18
# Ratios above 4 are drawn to the edge; their labels give the value.
top = min(max(max(r[1], r[2], r[3]) for r in rows), 4.0)
top = max(top, 1.0) * 1.1
left, plot = 90, width - 150
height = 60 + len(rows) * (3 * bar + gap)
colors = [("#3b7dd8", "time goro/Go"), ("#e08a1e", "time goro/Tokio"), ("#5aa469", "peak RSS goro/Go")]
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
       f'<rect width="{width}" height="{height}" fill="white"/>',
       f'<text x="{left}" y="18" font-size="14">goro against Go 1.19 and raw Tokio: ratios (lower is better for goro), medians of {rounds}</text>']
for i, (color, label) in enumerate(colors):
    svg.append(f'<rect x="{left + i * 200}" y="28" width="12" height="12" fill="{color}"/>')
    svg.append(f'<text x="{left + i * 200 + 16}" y="39">{label}</text>')
y = 50
for w, *ratios in rows:
    svg.append(f'<text x="{left - 8}" y="{y + 1.5 * bar + 4}" text-anchor="end">{w}</text>')
    for i, r in enumerate(ratios):
        length = plot * min(r, top) / top
        svg.append(f'<rect x="{left}" y="{y + i * bar}" width="{length:.1f}" height="{bar - 2}" fill="{colors[i][0]}"/>')
        svg.append(f'<text x="{left + length + 4:.1f}" y="{y + i * bar + bar - 4}">{r:.2f}</text>')
    y += 3 * bar + gap
one = left + plot / top
svg.append(f'<line x1="{one:.1f}" y1="46" x2="{one:.1f}" y2="{height - 8}" stroke="black" stroke-dasharray="4 3"/>')
svg.append(f'<text x="{one + 3:.1f}" y="{height - 10}">1.0</text>')
svg.append("</svg>")
with open(f"{out}/ratios.svg", "w") as f:
    f.write("\n".join(svg))
print(f"chart: {out}/ratios.svg")
PY
