"""Benchmark: stage backups on 1 and 2 threads and on a 2-worker Dask LocalCluster.

For each problem, ``--repeats`` (2) runs each of ``jobs=1`` and ``jobs=2``,
alternating, and one of ``scheduler="local"`` (2 single-threaded worker
processes, started before the clock runs): wall seconds of the faster run
(the machine is shared: noise only ever adds time), CPU seconds (this
process plus, for the cluster, its worker processes), the speed-up over
``jobs=1`` and that of each pair of runs; every run must give the same
value (checked).  Then the work-span model of a serial
run that clocks every work unit: the work ``W``, the driver's share ``f``
(outside every work unit and every block of a scan the driver's threads
share, ``Executor.map_local``: cross-sums, corners, merging the decisions
of a round, sorting), and the span ``S``, the longest chain of dependent
work (a map of units or blocks counts its slowest one, and the merge of a
round's decisions only where it overlaps no unit still running; the
independent candidate sets of a stage, and the parts of a large prune,
which run concurrently, count the slowest: the model gives every piece
its own thread, and the parts of a prune keep their units on their own
thread from 64 parts, as with ``jobs=32``).  Greedy
scheduling on ``n`` workers takes at most ``W / n + S``, so
``W / (W / n + S)`` is the speed-up projected for 2, 8, 32 and 128
workers.  A scan in blocks on the driver's threads counts its slowest
block, as with ``jobs=n`` on one machine of ``n`` cores; on a cluster whose
driver has fewer cores, those scans (picks, filling a prune's pool, the
duplicate filter, the minimum of a chain's last cross-sum) take longer.
For comparison, Amdahl's law with the driver's share as the only
serial part: a bound that ignores how the units of a round wait for its
slowest one.

Problems: two seeded two-player problems, one of the random factored
family of ``bench_solver.py`` and one with a sparse joint transition (two
nonzeros per row); 4x3.95 and shuttle.95 (shuttle's stages stop changing
after a few dozen, so no horizon makes it hard).  Run: ``python benchmarks/bench_parallel.py
[--quick]``.  Figures are from one run on a shared machine: compare ratios.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import decmdp  # noqa: E402
from bench_pomdp import data_path  # noqa: E402
from bench_solver import random_problem  # noqa: E402
from decmdp.core.executors import Executor, InOrder  # noqa: E402
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


ROWS = [  # (label, kind, argument); the serial path takes 10-75 s on the first four
    ("random factored 4,8,3,4 T=10 seed 0", "factored", (4, 8, 3, 4, 10, 0)),
    ("sparse joint 2,4,2,2 T=18 seed 7", "two", (2, 4, 2, 2, 18, 7)),
    ("4x3.95 H=12", "pomdp", ("4x3.95.POMDP", 12)),
    ("4x3.95 H=11", "pomdp", ("4x3.95.POMDP", 11)),
    ("shuttle.95 H=40", "pomdp", ("shuttle.95.POMDP", 40)),
]
QUICK = [
    ("sparse joint 2,4,2,2 T=9 seed 3", "two", (2, 4, 2, 2, 9, 3)),
    ("shuttle.95 H=12", "pomdp", ("shuttle.95.POMDP", 12)),
]


WORKERS = (8, 32, 128)


class TimedUnits(Executor):
    """Serial executor that clocks every work unit and every concurrent piece,
    for the work-span model of a run.

    Everything runs on the caller's thread, one unit at a time.  The span
    is the longest chain of dependent work: a map counts its slowest unit
    (the caller's work between taking the results of units in order, such as
    merging a round's decisions, overlaps with the units still running),
    and a phase of :meth:`concurrently` its slowest piece; in a piece that
    keeps its maps (:meth:`~decmdp.core.executors.Executor.keeping_maps`), a
    map counts all of its units.
    """

    driver_threads = 32  # parts of a prune keep their units as with jobs=32; every piece still has a thread
    local_workers = 1 << 20

    def __init__(self) -> None:
        super().__init__()
        self.unit_seconds = 0.0
        self.widest = 0
        self._adjust = [0.0]  # per open piece: its span minus its wall time so far

    def map_groups_in_order(self, fn, shared, items, work=None):
        self.check_cancelled()
        items = list(items)
        self._count(submitted=len(items))
        if self.maps_kept_here():  # the piece runs its units itself: they count in full in its span
            started = time.perf_counter()
            results = Executor._map_on_driver(self, fn, shared, items, work)
            self.unit_seconds += time.perf_counter() - started
            self.widest = max(self.widest, len(items))
            return results
        return _InOrderClocked(self, [functools.partial(fn, shared, [item]) for item in items])

    def map_local(self, fn, shared, items):
        return self._clocked([functools.partial(fn, shared, item) for item in items])

    def _clocked(self, calls) -> list:
        """Run the calls (the units of one map) one at a time, each clocked."""
        out, slowest, total = [], 0.0, 0.0
        for call in calls:
            started = time.perf_counter()
            out.append(call())
            seconds = time.perf_counter() - started
            total += seconds
            slowest = max(slowest, seconds)
        self.unit_seconds += total
        self._adjust[-1] += slowest - total
        self.widest = max(self.widest, len(out))
        return out

    def concurrently(self, calls, work=None):
        started = time.perf_counter()
        results, longest = [], 0.0
        for call in calls:
            self._adjust.append(0.0)
            piece_started = time.perf_counter()
            results.append(call())
            longest = max(longest, time.perf_counter() - piece_started + self._adjust.pop())
        self._adjust[-1] += longest - (time.perf_counter() - started)
        return results

    def span(self, wall: float) -> float:
        """The span of a run that took ``wall`` seconds."""
        return wall + self._adjust[0]


class _InOrderClocked(InOrder):
    """The units of one map, each run and clocked when the caller first asks
    for it.  With a worker per unit, all start at once; the caller takes
    unit ``g`` when it has ended and the caller's work on the units before it
    is done, so the map's span is ``c_g = max(c_{g-1}, d_g) + m_g`` for the
    last ``g`` (``d_g`` the unit's seconds, ``m_g`` the caller's work after
    taking it, at its own span); the next unit is ready when ``d_g <= c``."""

    def __init__(self, executor: TimedUnits, calls) -> None:
        super().__init__([])
        self.executor, self.calls = executor, calls
        self.taken = 0
        self.ran = []  # (result, seconds) of the units run so far
        self.span = self.wall = 0.0
        self.open = True
        self.since = None  # (clock, span adjustment) since the caller's work began

    def _callers_work(self) -> None:
        if self.since is not None:
            clock, adjust = self.since
            seconds = time.perf_counter() - clock
            nested = self.executor._adjust[-1] - adjust  # maps the caller ran meanwhile
            self.executor._adjust[-1] = adjust
            self.span += seconds + nested
            self.wall += seconds
            self.since = None

    def _resume_callers_work(self) -> None:
        self.since = (time.perf_counter(), self.executor._adjust[-1])

    def _run_next(self) -> None:
        if len(self.ran) == self.taken:
            started = time.perf_counter()
            out = self.calls[self.taken]()
            seconds = time.perf_counter() - started
            self.executor._count(done=1)
            self.executor.unit_seconds += seconds
            self.wall += seconds
            self.ran.append((out, seconds))

    def ready(self) -> bool:
        if not self.open or self.taken == len(self.calls):
            return False
        self._callers_work()
        self._run_next()
        self._resume_callers_work()
        return self.ran[self.taken][1] <= self.span

    def __next__(self):
        self._callers_work()
        if not self.open or self.taken == len(self.calls):
            self.close()
            raise StopIteration
        self._run_next()
        out, seconds = self.ran[self.taken]
        self.ran[self.taken] = None
        self.taken += 1
        self.span = max(self.span, seconds)
        self._resume_callers_work()
        return out

    def close(self) -> None:
        if self.open:
            self.open = False
            self._callers_work()
            self.executor._adjust[-1] += self.span - self.wall
            self.executor.widest = max(self.executor.widest, len(self.calls))


def problem(kind, arg):
    if kind == "factored":
        return random_problem(*arg)
    if kind == "two":
        return sparse_joint(*arg)
    return read_pomdp(data_path(arg[0])), arg[1]


def run(kind, arg, **how) -> float:
    if kind != "pomdp":
        return decmdp.solve(problem(kind, arg), bounds=False, max_vectors=None, **how).value
    pomdp, horizon = problem(kind, arg)
    return solve_pomdp(pomdp, horizon, max_vectors=None, **how).value()


def work_span(kind, arg) -> tuple[float, float, float, int]:
    """A serial run's work ``W`` (seconds), the driver's share of it (outside
    any work unit), its span ``S`` and the widest map."""
    ex = TimedUnits()
    if kind != "pomdp":
        model = problem(kind, arg)
        data, horizon, beliefs = reduce_two_player(model), model.horizon, model.initial
    else:
        pomdp, horizon = problem(kind, arg)
        data, beliefs = reduce_pomdp(pomdp), None
    started = time.perf_counter()
    value_iteration(data, horizon, final_beliefs=beliefs, executor=ex)
    work = time.perf_counter() - started
    return work, (work - ex.unit_seconds) / work, ex.span(work), ex.widest


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
    parser.add_argument("--span-only", action="store_true", help="Only the work-span table.")
    parser.add_argument("--repeats", type=int, default=2, help="Runs each of jobs=1 and jobs=2 (default 2).")
    args = parser.parse_args()
    rows = QUICK if args.quick else ROWS
    if args.span_only:
        run("two", (2, 2, 2, 2, 3, 1), jobs=1)
        span_table([(label, *work_span(kind, arg)) for label, kind, arg in rows])
        return
    run("two", (2, 2, 2, 2, 3, 1), jobs=1)  # compile the kernels before any clock runs
    # jobs=1 and jobs=2 alternate, before the cluster exists (its scheduler runs in this process)
    threads = [[(timed(lambda: run(kind, arg, jobs=1)), timed(lambda: run(kind, arg, jobs=2)))
                for _ in range(args.repeats)] for _, kind, arg in rows]
    cluster_runs = on_local_cluster(rows)
    print(f"wall / CPU seconds: the faster of {args.repeats} runs each for jobs=1 and jobs=2 (alternating), one "
          "run on the cluster;\nspeed-up = wall(jobs=1) / wall; pairs: the speed-up of each jobs=1, jobs=2 pair")
    header = (f"{'problem':<36} {'jobs=1 s':>9} {'cpu':>6} {'jobs=2 s':>9} {'cpu':>6} {'x':>5} {'pairs':>11} "
              f"{'dask 2w s':>9} {'cpu':>6} {'x':>5} {'vs jobs=2':>9} {'same':>5}")
    print(header)
    print("-" * len(header))
    for (label, _, _), pairs, (wd, cd, vd) in zip(rows, threads, cluster_runs):
        w1, c1, _ = min((one for one, _ in pairs), key=lambda r: r[0])
        w2, c2, _ = min((two for _, two in pairs), key=lambda r: r[0])
        same = "yes" if {r[2] for pair in pairs for r in pair} == {vd} else "NO"
        each = " ".join(f"{one[0] / two[0]:.2f}" for one, two in pairs)
        print(f"{label:<36} {w1:>9.2f} {c1:>6.1f} {w2:>9.2f} {c2:>6.1f} {w1 / w2:>5.2f} {each:>11} "
              f"{wd:>9.2f} {cd:>6.1f} {w1 / wd:>5.2f} {wd / w2:>9.2f} {same:>5}", flush=True)
    print()
    span_table([(label, *work_span(kind, arg)) for label, kind, arg in rows])


def on_local_cluster(rows) -> list:
    """``timed`` runs of ``rows`` on a 2-worker LocalCluster (CPU: this
    process and the worker processes)."""
    import distributed
    import psutil

    me = psutil.Process()

    def children_cpu() -> float:
        return sum(sum(c.cpu_times()[:2]) for c in me.children(recursive=True))

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        run("two", (2, 2, 2, 2, 3, 1), scheduler=client)  # compile (or load) the kernels on the workers
        return [timed(lambda: run(kind, arg, scheduler=client), children_cpu) for _, kind, arg in rows]


def span_table(rows) -> None:
    print("work-span model of a serial run: work W, driver share f (outside work units), span S;\n"
          "projected speed-up on n workers W / (W / n + S) (greedy scheduling: T_n <= W / n + S);\n"
          "Amdahl 32: 1 / (f + (1 - f) / 32), the speed-up on 32 workers if only the driver's share were "
          "serial")
    header = (f"{'problem':<36} {'W s':>7} {'f':>6} {'S / W':>7} {'n=2':>5} {'8':>5} {'32':>5} {'128':>5} "
              f"{'Amdahl 32':>9} {'widest map':>10}")
    print(header)
    print("-" * len(header))
    for label, work, driver, span, widest in rows:
        projected = [work / (work / n + span) for n in (2, *WORKERS)]
        amdahl = 1.0 / (driver + (1.0 - driver) / 32)
        print(f"{label:<36} {work:>7.2f} {driver:>6.3f} {span / work:>7.4f} "
              + " ".join(f"{x:>5.1f}" for x in projected) + f" {amdahl:>9.1f} {widest:>10}", flush=True)


if __name__ == "__main__":
    main()
