#!/usr/bin/env bash
# The cost of goro's `trace` feature while GORO_TRACE is unset, and of
# recording. Builds benches/trace_cost.rs with and without the feature,
# alternates the two builds ROUNDS times (default 5), each run timing
# 1,000,000 spawns and completions of goro::spawn against tokio::spawn, and
# prints the goro/Tokio ratios of both builds and their median; then the
# recording costs (feature on).
#
#   benches/trace_cost.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
out=target/trace_cost
mkdir -p "$out"
build() {
    cargo bench --bench trace_cost --no-run --message-format=json "$@" 2>/dev/null \
        | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "trace_cost" and m.get("executable"):
        print(m["executable"])'
}
cp "$(build --no-default-features)" "$out/off"
cp "$(build)" "$out/on"
for _ in $(seq "$rounds"); do
    for side in off on; do
        GORO_WATCHDOG= "$out/$side" spawn 5 2>/dev/null | tee -a "$out/spawn.log"
    done
done | python3 -c 'import re,statistics,sys
ratios = {"on": [], "off": []}
for line in sys.stdin:
    print(line, end="")
    m = re.search(r"trace feature (on|off):.*goro/tokio ([0-9.]+)", line)
    if m:
        ratios[m.group(1)].append(float(m.group(2)))
on, off = statistics.median(ratios["on"]), statistics.median(ratios["off"])
print(f"median goro/tokio: feature on {on:.3}, off {off:.3}; on/off {on/off:.3}")'
"$out/on" record 7 2>/dev/null
