"""Benchmark: lifted vs enumerate on a ladder of random problems; CLI timings.

Prints two tables:

1. For seeded random problems of growing ``|X2|``, ``|U2|`` and horizon
   (a factored family, then a sparse joint one: two successors per
   transition row, ``x2'`` tied to the observed ``x1'``, where the vector
   sets grow fastest): CPU seconds for ``lifted`` and ``enumerate``, vectors
   kept at stage 1 (stage 0 holds one vector per initial ``x1``), LPs, and
   the speed ratio.  ``enumerate`` is skipped (shown as ``-``) once
   ``|U2|**|X2|`` makes it hopeless.
2. For every example in ``problems/``: the ``decmdp solve`` command's wall
   time cold (a fresh numba cache, so compilation included) and warm.

Run: ``python benchmarks/bench_solver.py [--quick]``.  Figures are from one
run on a shared machine: compare ratios, not absolute seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import decmdp  # noqa: E402
from tests.helpers import sparse_joint_problem  # noqa: E402

LADDER = [  # (n1, n2, m1, m2, horizon)
    (2, 2, 2, 2, 3),
    (2, 3, 2, 2, 3),
    (2, 2, 2, 3, 4),
    (2, 3, 2, 3, 3),
    (2, 4, 2, 3, 3),
    (2, 3, 2, 3, 5),
    (2, 4, 2, 3, 5),
    (2, 4, 2, 4, 3),
    (3, 5, 2, 3, 3),
    (2, 6, 2, 3, 3),
    (2, 4, 2, 3, 8),
    (3, 6, 3, 3, 4),
]
SPARSE_LADDER = [  # (n1, n2, m1, m2, horizon, seed)
    (2, 4, 2, 2, 8, 0),
    (2, 4, 2, 2, 8, 2),
    (2, 3, 2, 3, 8, 0),
    (2, 4, 2, 2, 9, 0),
]
ENUMERATE_LIMIT = 3**6  # largest |U2|**|X2| for which enumerate is attempted


def random_problem(n1: int, n2: int, m1: int, m2: int, horizon: int, seed: int) -> decmdp.TwoPlayerMDP:
    """A seeded random factored problem with sparse-ish dynamics."""
    rng = np.random.default_rng(seed)

    def stochastic(*shape):
        raw = rng.random(shape) * (rng.random(shape) < 0.6)
        raw[..., 0] += 1e-3 * (raw.sum(axis=-1) == 0)
        return raw / raw.sum(axis=-1, keepdims=True)

    return decmdp.TwoPlayerMDP.from_arrays(
        stochastic(n1 * n2).reshape(n1, n2), horizon=horizon,
        transition1=stochastic(n1, m1, n1), transition2=stochastic(n1, n2, m1, m2, n2),
        cost=rng.random((n1, n2, m1, m2)), discount=0.95,
        name=f"random-{n1}-{n2}-{m1}-{m2}-{horizon}")


def timed_solve(model, method, repeats: int = 3):
    """Least CPU time of ``repeats`` solves (the machines are shared and noisy)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        solution = decmdp.solve(model, method=method, bounds=False, max_vectors=None)
        best = min(best, time.process_time() - started)
    return best, solution


def ladder_table(ladder, build, title: str) -> None:
    print(f"{title}: least CPU seconds of 3, vectors at stage 1, LPs")
    header = (f"{'|X1| |X2| |U1| |U2| H':>22} {'|U2|^|X2|':>9} {'lifted s':>9} {'vectors':>8} "
              f"{'LPs':>8} {'enumerate s':>11} {'LPs':>8} {'ratio':>7} {'agree':>10}")
    print(header)
    print("-" * len(header))
    # warm the JIT once so the ladder measures solving, not compiling
    decmdp.solve(random_problem(2, 2, 2, 2, 2, 1), bounds=False)
    decmdp.solve(random_problem(2, 2, 2, 2, 2, 1), method="enumerate", bounds=False)
    for n1, n2, m1, m2, horizon, *seed in ladder:
        model = build(n1, n2, m1, m2, horizon, seed[0] if seed else 0)
        t_lifted, lifted = timed_solve(model, "lifted")
        vectors = sum(s.kept for s in lifted.stats if s.stage == 1)
        lps = sum(s.lps for s in lifted.stats)
        row = (f"{n1:>4} {n2:>4} {m1:>4} {m2:>4} {horizon:>3} {m2**n2:>9} {t_lifted:>9.3f} "
               f"{vectors:>8} {lps:>8}")
        if m2**n2 <= ENUMERATE_LIMIT:
            t_enum, enum = timed_solve(model, "enumerate")
            same = abs(enum.value - lifted.value) <= enum.error_bound + lifted.error_bound
            row += (f" {t_enum:>11.3f} {sum(s.lps for s in enum.stats):>8} "
                    f"{t_enum / max(t_lifted, 1e-3):>7.1f} {'yes' if same else 'NO':>10}")
        else:
            row += f" {'-':>11} {'-':>8} {'-':>7} {'-':>10}"
        print(row, flush=True)


def cli_table() -> None:
    print()
    print("decmdp solve on each example problem (wall seconds of the whole command)")
    header = f"{'problem':<28} {'cold (compile) s':>16} {'warm s':>8}"
    print(header)
    print("-" * len(header))
    for path in sorted((ROOT / "problems").glob("*.json")):
        times = []
        with tempfile.TemporaryDirectory() as cache:  # empty numba cache: the first run compiles
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            for _ in range(2):
                started = time.perf_counter()
                subprocess.run([sys.executable, str(ROOT / "cli.py"), "solve", str(path), "--quiet"],
                               env=env, check=True, capture_output=True)
                times.append(time.perf_counter() - started)
        print(f"{path.stem:<28} {times[0]:>16.2f} {times[1]:>8.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Only the first five ladder rows.")
    args = parser.parse_args()
    ladder_table(LADDER[:5] if args.quick else LADDER, random_problem, "random factored problems (seed 0)")
    print()
    ladder_table(SPARSE_LADDER[:2] if args.quick else SPARSE_LADDER, sparse_joint_problem,
                 "sparse joint problems (two successors per row)")
    cli_table()


if __name__ == "__main__":
    main()
