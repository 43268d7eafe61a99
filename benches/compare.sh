#!/usr/bin/env bash
# The side-by-side comparison: each workload of benches/workloads/ in goro,
# in Go 1.19 (benches/go/<name>/main.go) and in raw Tokio, alternating
# goro, Go, Tokio, ROUNDS times (default 5). Prints the median whole-process
# wall time and peak RSS of each, with the goro/Go and goro/Tokio ratios,
# and writes the ratios as an SVG bar chart to target/compare/ratios.svg.
#
#   benches/compare.sh [ROUNDS] [WORKLOAD...]
#
# Workloads: spawn chain idle blocking pingpong mpmc sieve select exit (all
# by default). Installs Debian's golang-go and GNU time if missing (needs
# root and apt).
#
# `exit` measures something else: the time from main's end (a line
# `main-end <ns since the epoch>` the program prints just before it) to the
# moment the process has exited, with 100k goroutines parked and 8 blocking
# calls stuck for an hour. It runs a fourth side, tokio-main, whose runtime
# is dropped at main's end as `#[tokio::main]` does (the tokio side calls
# Runtime::shutdown_background(), as goro does); a side still running 5 s
# after main's end is killed and reported as "did not exit".
#
# ALLOC=mimalloc builds the Rust sides (goro and Tokio alike) with mimalloc
# as the global allocator (the root package's `mimalloc` feature); Go always
# uses its runtime's own allocator. The default is the system's malloc.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
shift || true
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(spawn chain idle blocking pingpong mpmc sieve select exit)

if ! command -v go >/dev/null 2>&1 || [ ! -x /usr/bin/time ]; then
    echo "installing Go (Debian's golang-go) and GNU time..." >&2
    apt-get update -qq >/dev/null && apt-get install -y -qq golang-go time >/dev/null
fi

out=target/compare
mkdir -p "$out"
(cd benches/go && for w in "${workloads[@]}"; do go build -o "../../$out/go-$w" "./$w"; done)
features=()
case "${ALLOC:-system}" in
    system) ;;
    mimalloc) features=(--features mimalloc) ;;
    *) echo "compare.sh: ALLOC must be system or mimalloc, not ${ALLOC}" >&2; exit 2 ;;
esac
echo "Rust sides allocate with: ${ALLOC:-system}" >&2
cargo bench --bench workloads --no-run --message-format=json "${features[@]}" 2>/dev/null \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "workloads" and m.get("executable"):
        print(m["executable"])' > "$out/goro-exe"
exe=$(cat "$out/goro-exe")

python3 - "$rounds" "$exe" "$out" "${workloads[@]}" <<'PY'
import math, os, select, signal, statistics, subprocess, sys, time
rounds, exe, out, workloads = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
sides = {
    "goro": lambda w: [exe, w, "goro"],
    "go": lambda w: [f"{out}/go-{w}"],
    "tokio": lambda w: [exe, w, "tokio"],
}
# exit only: Tokio's runtime dropped at main's end, as #[tokio::main] does.
exit_sides = {**sides, "tokio-main": lambda w: [exe, w, "tokio-main"]}
GRACE = 5.0  # seconds after main's end; a child still running is killed
DID_NOT_EXIT = math.inf  # sorts after every latency, so medians stay meaningful

def run(cmd):
    # GNU time reports the peak RSS of the program itself (KB).
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{cmd} failed: {p.stderr}")
    return wall, int(p.stderr.strip().splitlines()[-1]), p.stdout.strip()

def run_exit(cmd):
    # The child prints `main-end <ns>` (CLOCK_REALTIME, as time.time_ns())
    # just before main's end; its exit is seen through a pidfd, which
    # becomes readable when waitpid would return. No GNU time in between:
    # wait4 gives the peak RSS (KB). Returns the latency in seconds, or
    # DID_NOT_EXIT if the child was still running GRACE s after main's end.
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    pidfd = os.pidfd_open(p.pid)
    lines = []
    while not lines or not lines[-1].startswith("main-end "):
        line = p.stdout.readline()
        if not line:
            p.wait()
            sys.exit(f"{cmd} ended without printing main-end (status {p.returncode})")
        lines.append(line.strip())
    main_end = int(lines.pop().split()[1])
    timeout = max(0.0, main_end / 1e9 + GRACE - time.time())
    exited = select.select([pidfd], [], [], timeout)[0]
    seen = time.time_ns()
    os.close(pidfd)
    if not exited:
        os.kill(p.pid, signal.SIGKILL)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    lines += p.stdout.read().split("\n")
    p.stdout.close()
    if exited and p.returncode != 0:
        sys.exit(f"{cmd} exited with status {p.returncode}")
    latency = (seen - main_end) / 1e9 if exited else DID_NOT_EXIT
    return latency, usage.ru_maxrss, "\n".join(l for l in lines if l)

def ratio(a, b, other):
    # (a / b, None), or (None, why) when goro's side (a) or the other (b)
    # did not exit.
    if DID_NOT_EXIT not in (a, b):
        return a / b, None
    gone = [n for n, x in (("goro", a), (other, b)) if x == DID_NOT_EXIT]
    return None, " and ".join(gone) + " did not exit"

# Chart rows: (workload, [(ratio or None, why)] for time goro/Go, time
# goro/Tokio, peak RSS goro/Go).
rows = []
notes = []
timed = [w for w in workloads if w != "exit"]
if timed:
    header = f"{'workload':9} {'goro s':>7} {'go s':>7} {'tokio s':>7} {'goro/go':>8} {'goro/tokio':>10} {'goro MB':>8} {'go MB':>8} {'tokio MB':>8}"
    print(header + f"  (medians of {rounds})")
def measure(w, sides, runner):
    """Runs workload w on each side, alternating, `rounds` times; returns the
    runs, the median time and memory (MB) of each side, and the ratios."""
    times = {s: [] for s in sides}
    rss = {s: [] for s in sides}
    for _ in range(rounds):
        lines = set()
        for side, cmd in sides.items():
            t, m, line = runner(cmd(w))
            times[side].append(t)
            rss[side].append(m)
            lines.add(line)
        if len(lines) != 1:
            sys.exit(f"{w}: the programs disagree: {lines}")
    t = {s: statistics.median(v) for s, v in times.items()}
    m = {s: statistics.median(v) / 1024 for s, v in rss.items()}
    ratios = [ratio(t["goro"], t["go"], "Go"), ratio(t["goro"], t["tokio"], "Tokio"), ratio(m["goro"], m["go"], "Go")]
    rows.append((w, ratios))
    return times, t, m, ratios

for w in timed:
    times, t, m, ratios = measure(w, sides, run)
    print(f"{w:9} {t['goro']:7.3f} {t['go']:7.3f} {t['tokio']:7.3f} {ratios[0][0]:8.2f} {ratios[1][0]:10.2f} "
          f"{m['goro']:8.1f} {m['go']:8.1f} {m['tokio']:8.1f}")

def ms(latency):
    return "did not exit" if latency == DID_NOT_EXIT else f"{latency * 1e3:.2f}"

def fmt_ratio(r, width):
    return f"{r[0]:{width}.2f}" if r[0] is not None else f"{'-':>{width}}"

if "exit" in workloads:
    w = "exit"
    times, t, m, ratios = measure(w, exit_sides, run_exit)
    notes.append("exit: time is main's end to process exit; Tokio ends with Runtime::shutdown_background()")
    notes.append("exit, Tokio with #[tokio::main] (runtime dropped): "
                 + (f"{ms(t['tokio-main'])} ms" if t["tokio-main"] != DID_NOT_EXIT else f"did not exit within {GRACE:g} s"))
    if timed:
        print()
    print(f"{'workload':9} {'goro ms':>12} {'go ms':>12} {'tokio ms':>12} {'tokio-main ms':>13} {'goro/go':>8} {'goro/tokio':>10} "
          f"{'goro MB':>8} {'go MB':>8} {'tokio MB':>8}  (main's end to exit, medians of {rounds})")
    print(f"{w:9} {ms(t['goro']):>12} {ms(t['go']):>12} {ms(t['tokio']):>12} {ms(t['tokio-main']):>13} "
          f"{fmt_ratio(ratios[0], 8)} {fmt_ratio(ratios[1], 10)} {m['goro']:8.1f} {m['go']:8.1f} {m['tokio']:8.1f}")
    print("  each run (ms): " + "; ".join(f"{s} " + " ".join(ms(x) for x in v) for s, v in times.items()))
    print(f"  tokio: Runtime::shutdown_background() at main's end; tokio-main: the runtime dropped, as "
          f"#[tokio::main] does, which waits for the stuck calls (killed {GRACE:g} s after main's end)")

# The chart: for each workload, bars for goro/Go time, goro/Tokio time and
# goro/Go peak memory, on a scale where 1.0 (a tie) is marked.
width, bar, gap = 760, 14, 18
# Ratios above 4 are drawn to the edge; their labels give the value.
drawn = [r for _, ratios in rows for r, _ in ratios if r is not None]
top = min(max(drawn, default=1.0), 4.0)
top = max(top, 1.0) * 1.1
left, plot = 90, width - 150
height = 60 + len(rows) * (3 * bar + gap) + 16 * len(notes)
colors = [("#3b7dd8", "time goro/Go"), ("#e08a1e", "time goro/Tokio"), ("#5aa469", "peak RSS goro/Go")]
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
       f'<rect width="{width}" height="{height}" fill="white"/>',
       f'<text x="{left}" y="18" font-size="14">goro against Go 1.19 and raw Tokio: ratios (lower is better for goro), medians of {rounds}</text>']
for i, (color, label) in enumerate(colors):
    svg.append(f'<rect x="{left + i * 200}" y="28" width="12" height="12" fill="{color}"/>')
    svg.append(f'<text x="{left + i * 200 + 16}" y="39">{label}</text>')
y = 50
for w, ratios in rows:
    svg.append(f'<text x="{left - 8}" y="{y + 1.5 * bar + 4}" text-anchor="end">{w}</text>')
    for i, (r, why) in enumerate(ratios):
        if r is None:
            svg.append(f'<text x="{left + 4}" y="{y + i * bar + bar - 4}" fill="{colors[i][0]}">{why}</text>')
            continue
        length = plot * min(r, top) / top
        svg.append(f'<rect x="{left}" y="{y + i * bar}" width="{length:.1f}" height="{bar - 2}" fill="{colors[i][0]}"/>')
        svg.append(f'<text x="{left + length + 4:.1f}" y="{y + i * bar + bar - 4}">{r:.2f}</text>')
    y += 3 * bar + gap
one = left + plot / top
svg.append(f'<line x1="{one:.1f}" y1="46" x2="{one:.1f}" y2="{y - gap + 4}" stroke="black" stroke-dasharray="4 3"/>')
svg.append(f'<text x="{one + 3:.1f}" y="{y - gap + 16}">1.0</text>')
for note in notes:
    y += 16
    svg.append(f'<text x="{left}" y="{y}">{note}</text>')
svg.append("</svg>")
with open(f"{out}/ratios.svg", "w") as f:
    f.write("\n".join(svg))
print(f"chart: {out}/ratios.svg")
PY
