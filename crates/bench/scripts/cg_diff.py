#!/usr/bin/env python3
"""Per-operation instruction counts by function: (profile of 2N ops minus
profile of N ops) / N, from two callgrind output files. Setup and one-time
costs cancel out. Usage: cg_diff.py SMALL.out LARGE.out N [inclusive] [TOP]"""
import re
import subprocess
import sys


def profile(path, inclusive):
    out = subprocess.run(
        ["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100", "--auto=no", path],
        capture_output=True, text=True, check=True).stdout
    costs = {}
    total = 0
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$", line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        name = m.group(2)
        if name.startswith("PROGRAM TOTALS"):
            total = n
            continue
        name = re.sub(r"\s*\[[^\]]*\]\s*$", "", name)
        name = name.split(":", 1)[1] if ":" in name else name
        costs[name] = costs.get(name, 0) + n
    return total, costs


def main():
    small, large, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    inclusive = len(sys.argv) > 4 and sys.argv[4] == "inclusive"
    top = int(sys.argv[5]) if len(sys.argv) > 5 else 25
    t1, a = profile(small, inclusive)
    t2, b = profile(large, inclusive)
    print(f"instructions per operation: {(t2 - t1) / n:.0f}")
    diffs = sorted(((b.get(k, 0) - a.get(k, 0)) / n, k) for k in set(a) | set(b))
    for d, k in reversed(diffs[-top:]):
        if d >= 1:
            print(f"{d:8.0f}  {k[:150]}")


main()
