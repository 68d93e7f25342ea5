"""Benchmark: stage backups on 1 and 2 threads and on a 2-worker Dask LocalCluster.

For each problem, one run each of ``jobs=1``, ``jobs=2`` and
``scheduler="local"`` (2 single-threaded worker processes, started before
the clock runs): wall seconds, CPU seconds (this process plus, for the
cluster, its worker processes) and the speed-up over ``jobs=1``; every run
must give the same value (checked).  Then, from a serial run that clocks
every map of work units, the serial fraction ``f``: the share of the wall
time spent outside the work units (on the driver: cross-sums, corners,
merging the decisions of a round, sorting), and Amdahl's speed-up
``1 / (f + (1 - f) / n)`` it allows for 8, 32 and 128 workers; next to it
the projection that also respects each map's width ``w`` (a map of ``w``
units runs at most ``min(w, n)`` times faster): ``T / (driver + sum
map_seconds / min(w, n))``, and the widest map.

Problems: seeded two-player problems with a sparse joint transition (two
nonzeros per row) and shuttle.95.  Run: ``python benchmarks/bench_parallel.py
[--quick]``.  Figures are from one run on a shared machine: compare ratios.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import decmdp  # noqa: E402
from decmdp.core.executors import Executor  # noqa: E402
from decmdp.core.value_iteration import value_iteration  # noqa: E402
from decmdp.pomdp import read_pomdp  # noqa: E402
from decmdp.pomdp.solver import solve as solve_pomdp  # noqa: E402
from decmdp.reduce import reduce_pomdp, reduce_two_player  # noqa: E402


def sparse_joint(n1: int, n2: int, m1: int, m2: int, horizon: int, seed: int) -> decmdp.TwoPlayerMDP:
    """Two nonzeros per row of the joint transition, one-sided coupled."""
    rng = np.random.default_rng(seed)
    K = np.zeros((n1, n2, m1, m2, n1, n2))
    for x1 in range(n1):
        for u1 in range(m1):
            a, b = rng.choice(n1, 2, replace=False)
            p = rng.random()
            for x2 in range(n2):
                for u2 in range(m2):
                    c, d = rng.choice(n2, 2, replace=False)
                    K[x1, x2, u1, u2, a, c] += p
                    K[x1, x2, u1, u2, b, d] += 1 - p
    return decmdp.TwoPlayerMDP.from_arrays(np.full((n1, n2), 1 / (n1 * n2)), horizon=horizon, transition=K,
                                           cost=rng.random((n1, n2, m1, m2)), discount=0.95,
                                           name=f"sparse-joint-{n1}{n2}{m1}{m2}-T{horizon}-s{seed}")


ROWS = [  # (label, kind, argument)
    ("sparse joint 2,4,2,2 T=16 seed 3", "two", (2, 4, 2, 2, 16, 3)),
    ("sparse joint 2,4,2,2 T=13 seed 7", "two", (2, 4, 2, 2, 13, 7)),
    ("shuttle.95 H=40", "pomdp", ("shuttle.95.POMDP", 40)),
]
QUICK = [
    ("sparse joint 2,4,2,2 T=9 seed 3", "two", (2, 4, 2, 2, 9, 3)),
    ("shuttle.95 H=12", "pomdp", ("shuttle.95.POMDP", 12)),
]


WORKERS = (8, 32, 128)


class TimedUnits(Executor):
    """Serial executor that clocks the time spent inside work units."""

    def __init__(self) -> None:
        super().__init__()
        self.maps: list[tuple[int, float]] = []  # (units, seconds)

    def map(self, fn, shared, items, work=None):
        items = list(items)
        started = time.perf_counter()
        out = super().map(fn, shared, items, work)
        self.maps.append((len(items), time.perf_counter() - started))
        return out


def problem(kind, arg):
    if kind == "two":
        return sparse_joint(*arg)
    return read_pomdp(ROOT / "tests" / "data" / arg[0]), arg[1]


def run(kind, arg, **how) -> float:
    if kind == "two":
        return decmdp.solve(problem(kind, arg), bounds=False, max_vectors=None, **how).value
    pomdp, horizon = problem(kind, arg)
    return solve_pomdp(pomdp, horizon, max_vectors=None, **how).value()


def serial_fraction(kind, arg) -> tuple[float, list[float], int]:
    """Driver share of a serial run's wall time, the width-aware projected
    speed-ups for 8, 32 and 128 workers, and the widest map."""
    ex = TimedUnits()
    if kind == "two":
        model = problem(kind, arg)
        data, horizon, beliefs = reduce_two_player(model), model.horizon, model.initial
    else:
        pomdp, horizon = problem(kind, arg)
        data, beliefs = reduce_pomdp(pomdp), None
    started = time.perf_counter()
    value_iteration(data, horizon, final_beliefs=beliefs, executor=ex)
    total = time.perf_counter() - started
    maps = np.array(ex.maps, dtype=float).reshape(-1, 2)
    driver = total - maps[:, 1].sum()
    projected = [total / (driver + (maps[:, 1] / np.minimum(maps[:, 0], n)).sum()) for n in WORKERS]
    return driver / total, projected, int(maps[:, 0].max(initial=0))


def timed(fn, children=None):
    cpu0 = time.process_time() + (children() if children else 0.0)
    wall0 = time.perf_counter()
    value = fn()
    wall = time.perf_counter() - wall0
    cpu = time.process_time() + (children() if children else 0.0) - cpu0
    return wall, cpu, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Two small rows only.")
    parser.add_argument("--fraction-only", action="store_true", help="Only the serial-fraction table.")
    args = parser.parse_args()
    rows = QUICK if args.quick else ROWS
    if args.fraction_only:
        run("two", (2, 2, 2, 2, 3, 1), jobs=1)
        fraction_table([(label, *serial_fraction(kind, arg)) for label, kind, arg in rows])
        return
    import distributed
    import psutil

    run("two", (2, 2, 2, 2, 3, 1), jobs=1)  # compile the kernels before any clock runs
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = distributed.Client(cluster, set_as_default=False)
    me = psutil.Process()

    def children_cpu() -> float:
        return sum(sum(c.cpu_times()[:2]) for c in me.children(recursive=True))

    run("two", (2, 2, 2, 2, 3, 1), scheduler=client)  # compile (or load) the kernels on the workers
    print("wall / CPU seconds of one run each; speed-up = wall(jobs=1) / wall")
    header = (f"{'problem':<34} {'jobs=1 s':>9} {'cpu':>6} {'jobs=2 s':>9} {'cpu':>6} {'x':>5} "
              f"{'dask 2w s':>9} {'cpu':>6} {'x':>5} {'vs jobs=2':>9} {'same':>5}")
    print(header)
    print("-" * len(header))
    fractions = []
    for label, kind, arg in rows:
        w1, c1, v1 = timed(lambda: run(kind, arg, jobs=1))
        w2, c2, v2 = timed(lambda: run(kind, arg, jobs=2))
        wd, cd, vd = timed(lambda: run(kind, arg, scheduler=client), children_cpu)
        same = "yes" if v1 == v2 == vd else "NO"
        print(f"{label:<34} {w1:>9.2f} {c1:>6.1f} {w2:>9.2f} {c2:>6.1f} {w1 / w2:>5.2f} "
              f"{wd:>9.2f} {cd:>6.1f} {w1 / wd:>5.2f} {wd / w2:>9.2f} {same:>5}", flush=True)
        fractions.append((label, *serial_fraction(kind, arg)))
    client.close()
    cluster.close()
    print()
    fraction_table(fractions)


def fraction_table(fractions) -> None:
    print("serial fraction f (driver share of a serial run); Amdahl 1 / (f + (1 - f) / n); "
          "and with each map's width")
    header = (f"{'problem':<34} {'f':>7} {'Amdahl n=8':>10} {'32':>6} {'128':>6} "
              f"{'width-aware n=8':>15} {'32':>6} {'128':>6} {'widest map':>10}")
    print(header)
    print("-" * len(header))
    for label, f, projected, widest in fractions:
        amdahl = [1.0 / (f + (1.0 - f) / n) for n in WORKERS]
        print(f"{label:<34} {f:>7.4f} {amdahl[0]:>10.1f} {amdahl[1]:>6.1f} {amdahl[2]:>6.1f} "
              f"{projected[0]:>15.1f} {projected[1]:>6.1f} {projected[2]:>6.1f} {widest:>10}", flush=True)


if __name__ == "__main__":
    main()
