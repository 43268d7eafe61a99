#!/usr/bin/env bash
# Side-by-side: each channel workload in goro (benches/workloads.rs) and in
# Go 1.19 (benches/go/<name>/main.go), alternating goro and Go, ROUNDS times
# each (default 5); prints the median whole-process wall time and peak RSS
# of each, and the goro/Go ratios.
#
#   benches/compare.sh [ROUNDS] [WORKLOAD...]
#
# Installs Debian's golang-go and GNU time if missing (needs root and apt).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
shift || true
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(pingpong mpmc sieve select)

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
goro=$(cat "$out/goro-exe")

python3 - "$rounds" "$goro" "$out" "${workloads[@]}" <<'PY'
import statistics, subprocess, sys, time
rounds, goro, out, workloads = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]

def run(cmd):
    # GNU time reports the peak RSS of the program itself (KB).
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    rss = int(p.stderr.strip().splitlines()[-1])
    return wall, rss, p.stdout.strip()

print(f"{'workload':10} {'goro s':>8} {'go s':>8} {'goro/go':>8} {'goro MB':>8} {'go MB':>8}  (medians of {rounds})")
for w in workloads:
    g_t, g_m, o_t, o_m = [], [], [], []
    for _ in range(rounds):
        t, m, line_goro = run([goro, w]); g_t.append(t); g_m.append(m)
        t, m, line_go = run([f"{out}/go-{w}"]); o_t.append(t); o_m.append(m)
        if line_goro != line_go:
            sys.exit(f"{w}: goro printed {line_goro!r}, Go printed {line_go!r}")
    gt, ot = statistics.median(g_t), statistics.median(o_t)
    gm, om = statistics.median(g_m) / 1024, statistics.median(o_m) / 1024
    print(f"{w:10} {gt:8.3f} {ot:8.3f} {gt/ot:8.2f} {gm:8.1f} {om:8.1f}")
PY
