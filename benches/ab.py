#!/usr/bin/env python3
"""A/B runs of builds of the `workloads` bench: alternates every variant on
every workload, ROUNDS times, and prints the median wall time of each and
its ratio to the first variant. For deciding whether a change pays for
itself; benches/compare.sh is the side-by-side with Go and raw Tokio.

    benches/ab.py ROUNDS WORKLOAD[,WORKLOAD...] VARIANT...

A VARIANT is a copy of the workloads executable (its goro side runs),
`tokio:EXE` (that executable's raw-Tokio side), or `go` (the Go program
built with Go 1.27 by benches/compare.sh into target/compare/go127-<workload>;
run compare.sh once first). Build one copy per variant first, for example:

    cargo bench --bench workloads --no-run   # then copy target/release/deps/workloads-<hash>

FORM=goroutine runs every variant with the workload's body in a goroutine
that main awaits (`goro-go`, `tokio-go`, Go's `goroutine` argument); the
default, FORM=main, runs it in main itself (see benches/workloads/main.rs).
"""
import os
import statistics
import subprocess
import sys
import time

if len(sys.argv) < 4:
    sys.exit(__doc__)
rounds = int(sys.argv[1])
workloads = sys.argv[2].split(",")
variants = sys.argv[3:]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
form = os.environ.get("FORM", "main")
if form not in ("main", "goroutine"):
    sys.exit(f"ab.py: FORM must be main or goroutine, not {form}")
suffix = "" if form == "main" else "-go"


def command(variant, workload):
    if variant == "go":
        go = os.path.join(root, "target", "compare", f"go127-{workload}")
        return [go] if form == "main" else [go, "goroutine"]
    if variant.startswith("tokio:"):
        return [variant[len("tokio:"):], workload, "tokio" + suffix]
    return [variant, workload, "goro" + suffix]


times = {}
for _ in range(rounds):
    for workload in workloads:
        for variant in variants:
            start = time.perf_counter()
            subprocess.run(command(variant, workload), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            times.setdefault((workload, variant), []).append(time.perf_counter() - start)

for workload in workloads:
    base = statistics.median(times[(workload, variants[0])])
    cells = []
    for variant in variants:
        median = statistics.median(times[(workload, variant)])
        cells.append(f"{variant}={median:.3f}s ({median / base:.2f})")
    print(workload, "  ".join(cells))
