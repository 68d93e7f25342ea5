"""Benchmark: discounted infinite-horizon solves with certified gaps.

Prints one table: problem, epsilon, iterations, controller nodes, the
controller's exact value (file's sense), the certified gap and the CPU
seconds of the solve (numba already compiled: one warm-up solve runs first).
Problems: the examples in ``problems/`` with discount < 1 and a
time-invariant cost, two seeded random two-player problems and the
discounted ``.POMDP`` files of ``tests/data``.

Run: ``python benchmarks/bench_infinite.py [--quick]`` (``--quick`` skips
shuttle.95 and epsilon 1e-6).  Figures are from one run on a shared
machine: compare ratios, not absolute seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import decmdp  # noqa: E402
from decmdp.pomdp import read_pomdp  # noqa: E402
from decmdp.pomdp.solver import solve_infinite  # noqa: E402
from helpers import random_problem  # noqa: E402

POMDPS = ["tiger.aaai", "tiger.95", "parr95.95", "cheese.95", "shuttle.95"]


def two_player_cases():
    for path in sorted((ROOT / "problems").glob("*.json")):
        model = decmdp.load(path)
        if model.discount < 1 and not model.is_time_varying:
            yield path.stem, model
    yield "random-2x3 (seed 2)", random_problem(2, n2=3, discount=0.9)
    yield "random-3x2 (seed 8)", random_problem(8, n1=3, discount=0.9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    epsilons = [1e-3] if args.quick else [1e-3, 1e-6]
    decmdp.solve(random_problem(0, discount=0.5), horizon="infinite", epsilon=1e-2)  # warm-up
    print(f"| {'problem':22} | epsilon | iterations | controller nodes | {'controller value':>18} | "
          f"{'certified gap':>13} | CPU s |")
    print(f"| {'-' * 22} | ------- | ---------- | ---------------- | {'-' * 18} | {'-' * 13} | ----- |")

    def row(name, eps, cert, nodes, seconds):
        print(f"| {name:22} | {eps:7.0e} | {cert.iterations:10d} | {nodes:16d} | "
              f"{cert.controller_value:18.10g} | {cert.gap:13.3g} | {seconds:5.2f} |", flush=True)

    for name, model in two_player_cases():
        for eps in epsilons:
            start = time.process_time()
            solution = decmdp.solve(model, horizon="infinite", epsilon=eps)
            row(name, eps, solution.certificate, len(solution.policy), time.process_time() - start)
    for name in POMDPS:
        if args.quick and name == "shuttle.95":
            continue
        pomdp = read_pomdp(ROOT / "tests" / "data" / f"{name}.POMDP")
        for eps in epsilons if name != "shuttle.95" else [1e-3]:
            start = time.process_time()
            solution = solve_infinite(pomdp, eps)
            row(name + " (POMDP)", eps, solution.certificate, len(solution.controller),
                time.process_time() - start)


if __name__ == "__main__":
    main()
