#!/usr/bin/env bash
# Timer accuracy and cost: goro, raw Tokio and Go 1.27.3 side by side.
# Builds benches/timers.rs and benches/go/timers, runs the three sides
# alternating ROUNDS times (default 5), and prints the median of each line
# (see benches/timers.rs for what each measures).
#
#   benches/timers.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
out=target/timers
mkdir -p "$out"
cargo bench --bench timers --no-run --message-format=json 2>"$out/cargo.log" \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "timers" and m.get("executable"):
        print(m["executable"])' >"$out/exe" || { cat "$out/cargo.log" >&2; exit 1; }
. benches/support/go127.sh
(cd benches/go && "$go127" build -o "../../$out/go-timers" ./timers)
for _ in $(seq "$rounds"); do
    for side in goro tokio go; do
        if [ "$side" = go ]; then
            "$out/go-timers"
        else
            "$(cat "$out/exe")" "$side"
        fi | sed "s/^/$side /"
    done
done | GO_VERSION=$go127_version python3 benches/support/medians.py goro tokio go
