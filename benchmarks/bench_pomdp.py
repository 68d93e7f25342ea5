"""Benchmark: the classic POMDPs solved exactly by the core, by horizon.

Prints seconds (warm: the JIT is compiled before timing), vectors at stage 0,
LPs, and pomdp-solve 5.5's figures from ``tests/data/refs.json`` where it
lists them, plus the published reference times for shuttle.95 at horizons 9
and 10 (14.3 s, 21.5 s) and tiger.95 at 30 (0.93 s).

Run: ``python benchmarks/bench_pomdp.py [--max-seconds 600]``.  Figures come
from one run on a shared machine: compare ratios, not absolute seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from decmdp.pomdp import read_pomdp  # noqa: E402
from decmdp.pomdp.solver import solve  # noqa: E402

DATA = ROOT / "tests" / "data"
PUBLISHED = {("shuttle.95.POMDP", 9): (14.3, 1176), ("shuttle.95.POMDP", 10): (21.5, None),
             ("tiger.95.POMDP", 30): (0.93, None)}
EXTRA = {"shuttle.95.POMDP": [9, 10], "cheese.95.POMDP": [20], "tiger.95.POMDP": [40]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-seconds", type=float, default=600.0,
                        help="Skip larger horizons of a problem once one takes longer.")
    args = parser.parse_args()
    refs = json.loads((DATA / "refs.json").read_text())
    solve(read_pomdp(DATA / "tiger.95.POMDP"), 2)  # compile outside the timings

    header = (f"{'problem':<18} {'H':>3} {'seconds':>8} {'vectors':>8} {'LPs':>9} "
              f"{'pomdp-solve s':>13} {'its vectors':>11} {'speed-up':>8}")
    print(header)
    print("-" * len(header))
    for name, ref in refs.items():
        model = read_pomdp(DATA / name)
        horizons = sorted({int(h) for h in ref["horizons"]} | set(EXTRA.get(name, [])))
        for h in horizons:
            started = time.perf_counter()
            solution = solve(model, h)
            seconds = time.perf_counter() - started
            listed = ref["horizons"].get(str(h))
            theirs, their_vectors = ((listed["pomdp_solve_seconds"], listed["vectors"]) if listed
                                     else PUBLISHED.get((name, h), (None, None)))
            if (name, h) in PUBLISHED:
                theirs, their_vectors = PUBLISHED[(name, h)][0], their_vectors or PUBLISHED[(name, h)][1]
            speedup = f"{theirs / seconds:8.1f}" if theirs else f"{'-':>8}"
            print(f"{name.removesuffix('.POMDP'):<18} {h:>3} {seconds:>8.3f} {solution.vectors.shape[0]:>8} "
                  f"{sum(s.lps for s in solution.stats):>9} {theirs if theirs else '-':>13} "
                  f"{their_vectors if their_vectors else '-':>11} {speedup}", flush=True)
            if seconds > args.max_seconds:
                break


if __name__ == "__main__":
    main()
