#!/usr/bin/env python3
"""A/B runs of builds of the `workloads` bench: alternates every variant on
every workload, ROUNDS times, and prints the median wall time of each and
its ratio to the first variant. For deciding whether a change pays for
itself; benches/compare.sh is the side-by-side with Go and raw Tokio.

    benches/ab.py ROUNDS WORKLOAD[,WORKLOAD...] VARIANT...

A VARIANT is a copy of the workloads executable (its goro side runs),
`tokio:EXE` (that executable's raw-Tokio side), or `go` (the Go program,
built by benches/compare.sh into target/compare/go-<workload>). Build one
copy per variant first, for example:

    cargo bench --bench workloads --no-run   # then copy target/release/deps/workloads-<hash>
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


def command(variant, workload):
    if variant == "go":
        return [os.path.join(root, "target", "compare", f"go-{workload}")]
    if variant.startswith("tokio:"):
        return [variant[len("tokio:"):], workload, "tokio"]
    return [variant, workload, "goro"]


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
