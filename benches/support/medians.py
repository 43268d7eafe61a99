"""Reads `side key value` lines from runs alternated over sides and prints,
for each key, each side's median and the first side's ratio to the last
(benches/timers.sh).

    python3 medians.py SIDE... < lines
"""
import collections
import os
import statistics
import sys

sides = sys.argv[1:]
runs = collections.defaultdict(list)
order = []
for line in sys.stdin:
    side, key, value = line.split()
    if key not in order:
        order.append(key)
    runs[side, key].append(float(value))
first, last = sides[0], sides[-1]
version = os.environ.get("GO_VERSION", "")
print(f"medians of {len(runs[first, order[0]])} alternated runs; {version}")
print(f"{'line':24}" + "".join(f"{s:>10}" for s in sides) + f"{first + '/' + last:>12}")
for key in order:
    m = [statistics.median(runs[s, key]) for s in sides]
    ratio = m[0] / m[-1] if m[-1] else float("nan")
    print(f"{key:24}" + "".join(f"{v:10.0f}" for v in m) + f"{ratio:12.2f}")
