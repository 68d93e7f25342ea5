"""Parallel prunes: the same answer, bit for bit, for every executor.

The work units are made tiny here (monkeypatched sizes) so that even small
problems are cut into many units, scheduled on threads and on a real Dask
``LocalCluster`` of 2 workers (threads of this process: ``processes=False``,
so the patched sizes reach the workers and the cluster starts in a second).
"""

from __future__ import annotations

import builtins
import functools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import decmdp
import decmdp.core.crosssum as crosssum_module
import decmdp.core.executors as executors_module
import decmdp.core.prune as prune_module
from decmdp.core.executors import SERIAL, Cancelled, Executor, ThreadExecutor, make_executor, tapering
from decmdp.core.prune import corner_split, dominance_filter, duplicate_filter, prune_counted
from decmdp.pomdp import read_pomdp
from decmdp.pomdp.solver import solve as solve_pomdp
from decmdp.pomdp.solver import solve_infinite as solve_infinite_pomdp
from tests.helpers import random_problem

distributed = pytest.importorskip("distributed")

DATA = __import__("pathlib").Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=":0")
    with distributed.Client(cluster, set_as_default=False) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def threads():
    with ThreadExecutor(2) as ex:
        yield ex


_PICKS_IN_BLOCKS = [0]


@pytest.fixture(autouse=True)
def count_picks_in_blocks(monkeypatch):
    real = prune_module._pick_in_blocks

    def counted(*args):
        _PICKS_IN_BLOCKS[0] += 1
        return real(*args)

    monkeypatch.setattr(prune_module, "_pick_in_blocks", counted)


@pytest.fixture(autouse=True)
def tiny_units(monkeypatch):
    from decmdp.core.dask_executor import DaskExecutor

    monkeypatch.setattr(ThreadExecutor, "min_work", 0.0)  # ship every map, however small
    monkeypatch.setattr(executors_module, "MIN_CONCURRENT_WORK", 0.0)  # and run every stage's pieces side by side
    monkeypatch.setattr(DaskExecutor, "min_work", 0.0)
    monkeypatch.setattr(prune_module, "WITNESS_UNIT", 2)
    monkeypatch.setattr(prune_module, "DOMINANCE_PART", 16)
    monkeypatch.setattr(prune_module, "DOMINANCE_UNIT", 4)
    monkeypatch.setattr(prune_module, "PARALLEL_PICK_POOL", 1)  # every pick of a merge scans in blocks
    monkeypatch.setattr(prune_module, "PICK_BLOCK_ENTRIES", 5)
    monkeypatch.setattr(prune_module, "PARALLEL_DUPLICATE_ROWS", 1)  # duplicates hashed in blocks, too
    monkeypatch.setattr(prune_module, "HASH_BLOCK_ROWS", 3)
    monkeypatch.setattr(crosssum_module, "CROSS_BLOCK_ENTRIES", 1)  # a block per row of a chain's last minimum
    monkeypatch.setattr(prune_module, "PARTITION_ROWS", 48)  # larger sets: a probe, then parts or the rest
    monkeypatch.setattr(prune_module, "PROBE_ROWS", 12)
    monkeypatch.setattr(prune_module, "PART_ROWS", 16)
    monkeypatch.setattr(prune_module, "SPARSE_PROBE", 0.5)


def _same_solution(a, b) -> None:
    assert a.value == b.value
    assert a.error_bound == b.error_bound
    assert a.policy.dumps() == b.policy.dumps()
    for sa, sb in zip(a.value_function, b.value_function):
        for x, y in zip(sa, sb):
            assert np.array_equal(x, y)
    assert [s.lps for s in a.stats] == [s.lps for s in b.stats]
    assert [s.work_units for s in a.stats] == [s.work_units for s in b.stats]


@settings(max_examples=8)
@given(seed=st.integers(0, 10_000), n2=st.integers(2, 3), horizon=st.integers(2, 4))
def test_identical_answers_serial_threads_dask(client, seed, n2, horizon):
    model = random_problem(seed, n2=n2, m2=2, horizon=horizon, discount=0.9)
    serial = decmdp.solve(model, jobs=1, bounds=False)
    assert sum(s.work_units for s in serial.stats) > 0 or sum(s.lps for s in serial.stats) == 0
    _same_solution(serial, decmdp.solve(model, jobs=2, bounds=False))
    _same_solution(serial, decmdp.solve(model, scheduler=client, bounds=False))


def test_the_blind_bound_runs_on_the_solves_executor_with_the_same_answer(client, monkeypatch):
    """solve's blind-player-2 bound is a second solve on the solve's own
    executor (threads, the cluster), and the same bit for bit as serially."""
    import decmdp.bounds as bounds

    used = []
    real = bounds.finite_stages

    def spy(*args, **kwargs):
        used.append(args[7])
        return real(*args, **kwargs)

    monkeypatch.setattr(bounds, "finite_stages", spy)
    monkeypatch.setattr(bounds, "BOUND_MIN_SECONDS", float("inf"))  # never cut short by a slow machine
    model = random_problem(3, n2=3, m2=2, horizon=4, discount=0.9)
    serial = decmdp.solve(model, jobs=1)
    assert serial.bounds.blind_player2 is not None
    for how in ({"jobs": 2}, {"scheduler": client}):
        assert decmdp.solve(model, **how).bounds == serial.bounds
    assert [type(executor).__name__ for executor in used] == ["Executor", "ThreadExecutor", "DaskExecutor"]


def test_pomdp_identical_answers(client):
    pomdp = read_pomdp(DATA / "shuttle.95.POMDP")
    serial = solve_pomdp(pomdp, 4, jobs=1)
    for other in (solve_pomdp(pomdp, 4, jobs=2), solve_pomdp(pomdp, 4, scheduler=client)):
        assert other.value() == serial.value()
        assert np.array_equal(other.vectors, serial.vectors)
        assert np.array_equal(other.actions, serial.actions)


def test_infinite_horizon_identical_answers(client):
    """The infinite-horizon iteration prunes on the executor too: the same
    iterations, value, certificate and controller for every backend (the
    .POMDP solve on threads only: 150 iterations of 2-row units on the
    in-process cluster take half a minute)."""
    model = random_problem(4, n2=2, horizon=3, discount=0.7)
    pomdp = read_pomdp(DATA / "tiger.95.POMDP")
    serial = decmdp.solve(model, horizon="infinite", epsilon=1e-4, jobs=1)
    serial_pomdp = solve_infinite_pomdp(pomdp, 1e-2, jobs=1)
    assert sum(s.work_units for s in serial.stats) > 0 and sum(s.work_units for s in serial_pomdp.stats) > 0
    for how in ({"jobs": 2}, {"scheduler": client}):
        other = decmdp.solve(model, horizon="infinite", epsilon=1e-4, **how)
        assert (other.value, other.error_bound, other.certificate) == (serial.value, serial.error_bound,
                                                                      serial.certificate)
        assert other.policy.dumps() == serial.policy.dumps()
        assert [s.lps for s in other.stats] == [s.lps for s in serial.stats]
    threaded = solve_infinite_pomdp(pomdp, 1e-2, jobs=2)
    assert threaded.value() == serial_pomdp.value() and threaded.certificate == serial_pomdp.certificate
    assert np.array_equal(threaded.vectors, serial_pomdp.vectors)
    assert threaded.to_dot() == serial_pomdp.to_dot()


def _hard_vectors(rng, n, d):
    """Points near a sphere (many on the envelope), with duplicates and dominated rows."""
    V = -rng.random((n, d))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    V = np.concatenate([V, V[: n // 4], V[: n // 4] + rng.random((n // 4, d))])
    return V[rng.permutation(V.shape[0])]


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), n=st.integers(8, 120), d=st.integers(2, 5),
       scale=st.sampled_from([1.0, 1e-6, 1e6]))
def test_prune_identical_for_every_executor(client, threads, seed, n, d, scale):
    from decmdp.core.dask_executor import DaskExecutor

    V = scale * _hard_vectors(np.random.default_rng(seed), n, d)
    ref = prune_counted(V)
    with DaskExecutor(client, 2) as dask_ex:
        for ex in (threads, dask_ex):
            picks_before = _PICKS_IN_BLOCKS[0]
            got = prune_counted(V, executor=ex)
            assert np.array_equal(got.kept, ref.kept) and got[1:] == ref[1:]
            if n <= prune_module.PARTITION_ROWS:  # one witness step: its picks can be counted
                picked = len(ref.kept) - ref.lp_trouble - len(corner_split(V, duplicate_filter(V))[0])
                assert _PICKS_IN_BLOCKS[0] > picks_before or ex.local_workers == 1 or picked == 0
    # every dropped row is within the proven error of the kept envelope
    rng = np.random.default_rng(seed + 1)
    beliefs = rng.dirichlet(np.ones(d), size=200)
    gap = (beliefs @ V[ref.kept].T).min(axis=1) - (beliefs @ V.T).min(axis=1)
    assert gap.max() <= ref.error + 1e-12 * np.abs(V).max()


@settings(max_examples=20)
@given(seed=st.integers(0, 10_000), n=st.integers(17, 200), d=st.integers(1, 4))
def test_partitioned_dominance_is_the_filter(threads, seed, n, d):
    rng = np.random.default_rng(seed)
    V = rng.integers(0, 4, size=(n, d)).astype(float)  # many duplicates and dominated rows
    want = dominance_filter(V, 0.0)
    for ex in (SERIAL, threads):
        assert np.array_equal(prune_module._dominance_survivors(V, 0.0, ex), want)


def test_units_are_counted_and_reported():
    heard = []

    class Listener:
        def __call__(self, stats):
            pass

        def on_unit(self, stage, done, submitted):
            heard.append((stage, done, submitted))

    solution = decmdp.solve(random_problem(3, n2=3, horizon=4), jobs=2, bounds=False, progress=Listener())
    assert heard and all(0 < done <= submitted for _, done, submitted in heard)
    units = {s.stage: s.work_units for s in solution.stats}
    assert all(done <= units[stage] for stage, done, _ in heard)
    for stage in {stage for stage, _, _ in heard}:  # each stage's counts only grow
        done = [d for s, d, _ in heard if s == stage]
        assert done == sorted(set(done))


def test_a_count_overtaken_by_a_newer_one_is_not_reported():
    """Threads finishing units at once may report in either order; only
    counts newer than the last reported one reach on_unit, and counts of an
    earlier stage never do."""
    heard = []
    ex = Executor()
    ex.on_unit = lambda *counts: heard.append(counts)
    ex.reset_counts(3)
    for done in (2, 5, 4, 5, 6):
        ex._report(3, done, 9)
    ex.reset_counts(2)
    ex._report(3, 7, 9)
    ex._report(2, 1, 4)
    assert heard == [(3, 2, 9), (3, 5, 9), (3, 6, 9), (2, 1, 4)]


def test_failed_unit_cancels_cluster_work(client):
    from decmdp.core.dask_executor import DaskExecutor

    def fail(shared, item):
        if item == 3:
            raise RuntimeError("unit 3 failed")
        return item

    with DaskExecutor(client, 2) as ex:
        with pytest.raises(RuntimeError, match="unit 3 failed"):
            ex.map(fail, None, list(range(40)))
        assert ex.map(lambda shared, item: item + shared, 1, [1, 2, 3]) == [2, 3, 4]


def test_bad_jobs_and_scheduler_are_problem_errors(monkeypatch):
    model = random_problem(0)
    with pytest.raises(decmdp.ProblemError, match="jobs"):
        decmdp.solve(model, jobs=0)
    with pytest.raises(decmdp.ProblemError, match="scheduler: is 'nowhere'"):
        decmdp.solve(model, scheduler="nowhere")
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(decmdp.ProblemError, match=r"pip install 'decmdp\[dask\]'"):
        make_executor(2, "local")


def test_cli_jobs_and_scheduler_errors():
    from click.testing import CliRunner

    from decmdp.cli import main

    shuttle = str(DATA / "shuttle.95.POMDP")
    runner = CliRunner()
    ok = runner.invoke(main, ["pomdp", "solve", shuttle, "--horizon", "3", "--jobs", "2", "--json"])
    serial = runner.invoke(main, ["pomdp", "solve", shuttle, "--horizon", "3", "--jobs", "1", "--json"])
    assert ok.exit_code == 0 and serial.exit_code == 0
    assert __import__("json").loads(ok.stdout)["value"] == __import__("json").loads(serial.stdout)["value"]
    bad = runner.invoke(main, ["pomdp", "solve", shuttle, "--horizon", "3", "--jobs", "0"])
    assert bad.exit_code == 2
    bad = runner.invoke(main, ["pomdp", "solve", shuttle, "--horizon", "3", "--scheduler", "nowhere"])
    assert bad.exit_code == 2 and "error: scheduler: is 'nowhere'" in bad.stderr
    bad = runner.invoke(main, ["pomdp", "solve", shuttle, "--infinite", "--scheduler", "nowhere"])
    assert bad.exit_code == 2 and "error: scheduler: is 'nowhere'" in bad.stderr
    tiger = str(DATA / "tiger.95.POMDP")
    runs = [runner.invoke(main, ["pomdp", "solve", tiger, "--infinite", "--epsilon", "1e-3", "--json", "-q",
                                 "--jobs", jobs]) for jobs in ("1", "2")]
    assert [r.exit_code for r in runs] == [0, 0]
    one, two = (__import__("json").loads(r.stdout) for r in runs)
    for out in (one, two):  # timings aside, the same value, bound, certificate and controller
        del out["seconds"]
        for stage in out["stats"]:
            del stage["seconds"]
    assert one == two


def test_executor_base_runs_in_order():
    ex = Executor()
    assert ex.map(lambda shared, item: shared * item, 3, [1, 2, 3]) == [3, 6, 9]
    assert (ex.done, ex.submitted) == (3, 3)


def test_map_local_runs_in_order_on_the_caller_and_the_driver_threads_and_counts_no_units(client):
    """Work on the driver's own data: in order, on the calling thread and a
    thread of the driver's pool at once, never a work unit."""
    import threading

    from decmdp.core.dask_executor import DaskExecutor

    here = threading.current_thread().name

    def where(shared, item):
        return shared + item, threading.current_thread().name

    assert SERIAL.map_local(where, 1, [1, 2]) == [(2, here), (3, here)]
    with ThreadExecutor(2) as ex, DaskExecutor(client, 2) as dask_ex:
        for executor in (ex, dask_ex):
            second_started = threading.Event()

            def first_waits_for_another_thread(shared, item):
                if item == 0:
                    assert second_started.wait(60), "no second thread took an item"
                else:
                    second_started.set()
                return where(shared, item)

            out = executor.map_local(first_waits_for_another_thread, 100, list(range(37)))
            assert [x for x, _ in out] == [100 + x for x in range(37)]
            names = {name for _, name in out}
            assert len(names) >= 2 and here in names and any(n.startswith("decmdp-unit") for n in names)
            assert (executor.done, executor.submitted) == (0, 0)


def test_run_helped_on_a_shut_down_pool_runs_every_item_on_the_caller():
    from concurrent.futures import ThreadPoolExecutor

    from decmdp.core.executors import run_helped

    pool = ThreadPoolExecutor(2)
    pool.shutdown()
    assert run_helped(pool, 2, lambda shared, item: shared * item, 3, list(range(6))) == [0, 3, 6, 9, 12, 15]


@pytest.mark.parametrize("failing", [0, 7, 39])
def test_map_local_raises_a_failed_item_after_every_helper_stopped(failing):
    """Whichever thread hits the failing item, its error reaches the caller
    and no helper is still running then."""
    import threading
    import time

    lock = threading.Lock()
    running = [0]

    def item_fn(shared, item):
        with lock:
            running[0] += 1
        try:
            time.sleep(0.002)
            if item == failing:
                raise ValueError(f"item {item}")
            return item
        finally:
            with lock:
                running[0] -= 1

    with ThreadExecutor(3) as ex:
        with pytest.raises(ValueError, match=f"item {failing}"):
            ex.map_local(item_fn, None, list(range(40)))
        assert running[0] == 0
        assert ex.map_local(lambda shared, item: item, None, list(range(5))) == list(range(5))


def test_map_groups_cuts_consecutive_groups_in_order():
    with ThreadExecutor(2) as ex:
        groups = ex.map_groups(lambda shared, group: [shared + x for x in group], 100, list(range(37)))
        assert 1 < len(groups) <= 37
        assert [x for group in groups for x in group] == [100 + x for x in range(37)]
        assert (ex.done, ex.submitted) == (37, 37)
    assert SERIAL.map_groups(lambda shared, group: list(group), None, []) == []


@given(n=st.integers(0, 300), parts=st.integers(1, 20))
def test_tapering_cuts_consecutive_groups_shorter_towards_the_end(n, parts):
    groups = tapering(list(range(n)), parts)
    assert [x for group in groups for x in group] == list(range(n))
    assert len(groups) == max(1, min(parts, n))
    assert all(len(a) >= len(b) for a, b in zip(groups, groups[1:]))
    assert n == 0 or all(groups)
    weights = len(groups) * (len(groups) + 1) // 2  # sizes about n * (parts - p) / weights
    for p, group in enumerate(groups):
        assert abs(len(group) - n * (len(groups) - p) / weights) <= 2


def test_a_piece_that_keeps_its_maps_runs_them_on_its_own_thread():
    import threading

    def names(shared, group):
        return [threading.current_thread().name for _ in group]

    with ThreadExecutor(2) as ex:
        def piece(fail=False):
            assert ex.maps_kept_here()
            out = [x for group in ex.map_groups(names, None, list(range(40))) for x in group]
            assert ex.map(lambda shared, item: item, None, [1, 2, 3]) == [1, 2, 3]
            if fail:
                raise ValueError("piece failed")
            return out

        def shipping():
            assert not ex.maps_kept_here()
            return [x for group in ex.map_groups(names, None, list(range(40))) for x in group]

        caller = threading.current_thread().name
        *kept, shipped = ex.concurrently([ex.keeping_maps(piece) for _ in range(3)] + [shipping])
        for got in kept:
            assert len(set(got)) == 1 and got[0].startswith("decmdp-driver")  # the piece's thread
        assert all(name.startswith("decmdp-unit") for name in shipped)  # the flag is the kept piece's thread's
        assert ex.keeping_maps(piece)() == [caller] * 40  # a piece run by the caller keeps them on the caller
        with pytest.raises(ValueError, match="piece failed"):
            ex.keeping_maps(functools.partial(piece, fail=True))()
        assert not ex.maps_kept_here()
        shipped = [x for group in ex.map_groups(names, None, list(range(40))) for x in group]
        assert all(name.startswith("decmdp-unit") for name in shipped)
        assert ex.done == ex.submitted == 3 * 43 + 40 + 2 * 43 + 40  # kept maps count their units too


def test_a_piece_that_keeps_its_maps_still_sends_a_large_one_to_the_cluster(client, monkeypatch):
    import threading

    from decmdp.core.dask_executor import DaskExecutor

    monkeypatch.setattr(ThreadExecutor, "min_work", 10.0)
    monkeypatch.setattr(DaskExecutor, "min_work", 1e6)
    here = []

    def names(shared, group):
        return [threading.current_thread().name for _ in group]

    with DaskExecutor(client, 2) as ex:
        def piece():
            here.append(threading.current_thread().name)
            small = ex.map_groups(names, None, list(range(20)), work=1e3)  # for the driver's threads: kept
            large = ex.map_groups(names, None, list(range(20)), work=1e9)  # for the cluster: sent there
            return [x for g in small for x in g], [x for g in large for x in g]

        (small, large), = ex.concurrently([ex.keeping_maps(piece)])
    assert set(small) == set(here) and not set(large) & set(here)


@pytest.mark.parametrize("jobs, kept", [(2, True), (3, False)])
def test_the_parts_of_a_prune_keep_their_maps_from_two_per_thread(monkeypatch, jobs, kept):
    """Four parts (the fixture's sizes): on two threads each part runs its
    rounds on its own thread; on three they ship them.  The probe and the
    union always ship theirs, and the answer is the serial one."""
    rng = np.random.default_rng(5)
    near = rng.random((6, 3))
    V = near[rng.integers(0, 6, 76)] + rng.random((76, 3)) * 0.3 + 0.01
    V[[3, 20, 41, 70]] = near[:4]
    ref = prune_counted(V)
    real = prune_module._prune_rows
    with ThreadExecutor(jobs) as ex:
        calls = []
        monkeypatch.setattr(prune_module, "_prune_rows",
                            lambda V, lo, hi, *a, **k: calls.append((lo, hi, ex.maps_kept_here()))
                            or real(V, lo, hi, *a, **k))
        got = prune_counted(V, executor=ex)
    assert np.array_equal(got.kept, ref.kept) and got[1:] == ref[1:]
    parts = [(lo, hi) for lo, hi, _ in calls[1:5]]
    assert calls[0] == (0, 12, False) and parts == [(12, 28), (28, 44), (44, 60), (60, 76)]
    assert [k for _, _, k in calls[1:5]] == [kept] * 4 and not any(k for _, _, k in calls[5:])


def test_results_in_order_come_while_later_groups_still_run():
    """The first group's result reaches the caller before a later group ends:
    that group waits for the caller to have taken the first one."""
    import threading

    first_taken = threading.Event()
    waited = []

    def fn(shared, group):
        if group[-1] == 39:
            waited.append(first_taken.wait(30))
        return list(group)

    with ThreadExecutor(2) as ex:
        with ex.map_groups_in_order(fn, None, list(range(40))) as results:
            groups = [next(results)]
            first_taken.set()
            groups += list(results)
    assert waited == [True]
    assert [x for group in groups for x in group] == list(range(40))


def test_take_ready_waits_for_the_next_result_and_takes_those_in_already():
    from concurrent.futures import Future

    from decmdp.core.executors import InOrder

    in_already = InOrder([1, 2, 3])
    assert in_already.take_ready() == [1, 2, 3] and in_already.take_ready() == []
    futures = [Future() for _ in range(4)]
    futures[0].set_result("a")
    futures[1].set_result("b")
    futures[3].set_result("d")
    ended = []
    results = InOrder(futures, take=lambda f: f.result(), end=ended.append, done=lambda f: f.done())
    assert results.take_ready() == ["a", "b"] and not results.ready()
    futures[2].set_result("c")
    assert results.ready() and results.take_ready() == ["c", "d"]
    assert results.take_ready() == [] and ended == [[]]


def test_closing_results_in_order_early_cancels_the_groups_not_started():
    import threading

    release, ran = threading.Event(), []

    def fn(shared, group):
        ran.append(group[0])
        if group[0] != 0:
            release.wait(30)
        return group

    size = {group[0]: len(group) for group in tapering(list(range(40)), 8)}
    ex = ThreadExecutor(2)  # 8 groups on 2 threads: the first ends, the others wait
    try:
        results = ex.map_groups_in_order(fn, None, list(range(40)))
        assert next(results)[0] == 0
        results.close()
    finally:
        release.set()
        ex._pool.shutdown(wait=True)  # without cancelling: what still runs was not cancelled by close
        ex.close()
    # at most the first three groups can have started (two threads, blocked until the release)
    assert 0 in ran and set(ran) <= set(list(size)[:3]) and ex.done == sum(size[g] for g in ran)
    with pytest.raises(StopIteration):
        next(results)


def test_a_group_raising_stop_iteration_is_an_error_not_the_end():
    def fn(shared, group):
        if 3 in group:
            raise StopIteration
        return group

    with ThreadExecutor(2) as ex:
        with pytest.raises(RuntimeError, match="StopIteration"):
            ex.map_groups(fn, None, list(range(16)))


def test_results_in_order_on_a_cluster_release_their_futures(client):
    from decmdp.core.dask_executor import DaskExecutor

    with DaskExecutor(client, 2) as ex:
        with ex.map_groups_in_order(lambda shared, group: [shared + x for x in group], 1, list(range(9))) as results:
            assert [x for group in results for x in group] == list(range(1, 10))
        assert not ex._futures and ex.done == 9
        results = ex.map_groups_in_order(lambda shared, group: group, None, list(range(9)))
        rest = list(ex._futures)
        assert next(results) == [0, 1, 2, 3, 4]
        results.close()
        assert not ex._futures
        assert all(f.status in ("cancelled", "finished") for f in rest)


def test_witness_units_decide_the_same_in_any_grouping():
    """A task carries only the rows of its own units; one group of all the
    units of a round decides each row as one group per unit does."""
    from decmdp.core.lp import WITNESS

    rng = np.random.default_rng(5)
    kept = rng.random((6, 4))
    rows = rng.random((23, 4))
    shared = prune_module.Snapshot(np.ascontiguousarray(kept.T), 6, 1e-9, 1e-15, 1e-12, True)
    units = [prune_module.Candidates(rows, np.arange(a, min(a + 5, 23))) for a in range(0, 23, 5)]
    together = prune_module.decide_units(shared, units)
    alone = [prune_module.decide_units(shared, [u]) for u in units]
    for k in range(3):
        assert np.array_equal(together[k], np.concatenate([r[k] for r in alone]))
    assert together[3] == sum(r[3] for r in alone) > 0
    assert together[2].shape[0] == np.count_nonzero(together[0] == WITNESS) > 0


def test_a_pool_filled_in_blocks_on_threads_is_the_serial_pool():
    rng = np.random.default_rng(4)
    V = rng.random((50, 3))
    und = rng.permutation(50)[:37].astype(np.int64)
    serial = prune_module._new_pool(V, und, SERIAL)
    with ThreadExecutor(3) as ex:  # the fixture cuts the fill into blocks of one row
        threaded = prune_module._new_pool(V, und, ex)
    for a, b in zip(serial[:3], threaded[:3]):
        assert np.array_equal(a, b)
    np.testing.assert_array_equal(serial[0], V[und].T)
    assert list(serial[3].take(37, serial[2])) == list(threaded[3].take(37, threaded[2])) == list(range(36, -1, -1))


def test_candidates_are_gathered_by_their_unit_and_pickled_as_rows():
    """A unit in the driver's process indexes the prune's rows; pickled for a
    cluster worker it carries its own rows only, and decides the same."""
    rng = np.random.default_rng(9)
    V = rng.random((40, 4))
    index = np.array([3, 17, 5, 39], dtype=np.int64)
    unit = prune_module.Candidates(V, index)
    shipped = pickle.loads(pickle.dumps(unit))
    assert shipped.index is None and shipped.count == unit.count == 4
    np.testing.assert_array_equal(shipped.rows(), V[index])
    shared = prune_module.Snapshot(np.ascontiguousarray(rng.random((6, 4)).T), 6, 1e-9, 1e-15, 1e-12, True)
    second = prune_module.Candidates(V, np.arange(20, 30))
    for a, b in zip(prune_module.decide_units(shared, [unit, second]),
                    prune_module.decide_units(shared, [shipped, pickle.loads(pickle.dumps(second))])):
        assert np.array_equal(a, b)


def test_a_small_round_is_cut_into_more_units(monkeypatch):
    """Unit sizes depend on the round's size only: full units for a large
    round, 64 smaller ones of at least 8 candidates for a small one."""
    monkeypatch.setattr(prune_module, "WITNESS_UNIT", 128)
    assert (prune_module.ROUND_UNITS, prune_module.MIN_WITNESS_UNIT) == (64, 8)
    for n, size in [(64 * 128 * 3 + 1, 128), (64 * 128, 128), (64 * 128 - 1, 128), (64 * 40 + 1, 41),
                    (64 * 40, 40), (64 * 8 + 1, 9), (64 * 8, 8), (100, 8), (1, 8)]:
        assert prune_module._unit_size(n) == size, n


@pytest.mark.parametrize("use_numba", [True, False])
def test_a_snapshot_reads_and_ships_its_kept_columns_only(use_numba):
    """On the driver a round's snapshot is the prune's whole buffer, whose
    later columns the merge fills; the units never read them, and a pickled
    snapshot (a cluster task) carries the kept columns only."""
    rng = np.random.default_rng(8)
    kept = np.ascontiguousarray(rng.random((6, 4)).T)
    buffer = np.full((4, 16), np.nan)
    buffer[:, :6] = kept
    rows = [prune_module.Candidates(rng.random((9, 4)))]
    compact = prune_module.Snapshot(kept, 6, 1e-9, 1e-15, 1e-12, use_numba)
    in_place = compact._replace(KT=buffer)
    expected = prune_module.decide_units(compact, rows)
    import cloudpickle

    buffers = []
    out_of_band = pickle.loads(pickle.dumps(in_place, protocol=5, buffer_callback=buffers.append), buffers=buffers)
    for got in (prune_module.decide_units(in_place, rows), pickle.loads(pickle.dumps(in_place)), out_of_band,
                cloudpickle.loads(cloudpickle.dumps(in_place))):
        if isinstance(got, prune_module.Snapshot):
            assert got[1:] == compact[1:] and np.array_equal(got.KT, kept)
            got = prune_module.decide_units(got, rows)
        for a, b in zip(got, expected):
            assert np.array_equal(a, b)


@pytest.mark.parametrize("make", [Executor, lambda: ThreadExecutor(3)])
def test_concurrently_runs_every_call_and_raises_the_first_error_in_order(make):
    ran = []

    def call(i):
        def run():
            ran.append(i)
            if i in (1, 3):
                raise (ValueError if i == 1 else RuntimeError)(f"call {i}")
            return i * i
        return run

    with make() as ex:
        assert ex.concurrently([call(i) for i in (0, 2, 4)]) == [0, 4, 16]
        ran.clear()
        with pytest.raises(ValueError, match="call 1"):
            ex.concurrently([call(i) for i in range(5)])
        expected = {0, 1} if ex.workers == 1 else {0, 1, 2, 3, 4}
        assert set(ran) == expected


def test_nested_pieces_run_in_order_helped_by_driver_threads_that_come_free():
    import threading

    with ThreadExecutor(2) as ex:
        def outer(i):
            return lambda: ex.concurrently([lambda j=j: (i, j) for j in range(3)])
        assert ex.concurrently([outer(i) for i in range(4)]) == [[(i, j) for j in range(3)] for i in range(4)]

        # piece 1's nested calls 0 and 1 meet at a barrier: only a thread that
        # piece 0 has freed can take call 1 while the caller waits in call 0
        meet = threading.Barrier(2, timeout=60)

        def nested(j):
            if j < 2:
                meet.wait()
            return threading.current_thread().name

        names = ex.concurrently([lambda: "done", lambda: ex.concurrently([lambda j=j: nested(j) for j in range(3)])])
        assert names[0] == "done" and len(set(names[1][:2])) == 2


def test_a_nested_piece_that_fails_raises_after_the_started_ones_end():
    with ThreadExecutor(2) as ex:
        def nested(j):
            if j == 1:
                raise ValueError("nested 1")
            return j

        with pytest.raises(ValueError, match="nested 1"):
            ex.concurrently([lambda: 0, lambda: ex.concurrently([lambda j=j: nested(j) for j in range(4)])])


def test_close_stops_pieces_at_their_next_check_without_waiting():
    import threading
    import time

    both_running, stopped, outcome = threading.Barrier(3), [], []
    ex = ThreadExecutor(2)

    def piece():
        both_running.wait()
        try:
            while True:  # a long prune: it checks between its maps
                ex.check_cancelled()
                time.sleep(0.01)
        except Cancelled:
            stopped.append(True)
            raise

    def caller():
        try:
            ex.concurrently([piece, piece])
        except Cancelled:
            outcome.append("cancelled")

    thread = threading.Thread(target=caller, daemon=True)
    thread.start()
    both_running.wait(30)
    ex.close()  # does not wait for the pieces (a Ctrl-C must leave at once)
    thread.join(30)
    assert not thread.is_alive() and stopped == [True, True] and outcome == ["cancelled"]
    with pytest.raises(Cancelled):
        ex.map_groups(lambda shared, group: group, None, [1, 2])


def test_dask_pieces_use_the_driver_cores(client):
    from decmdp.core.dask_executor import DaskExecutor
    from decmdp.core.executors import default_jobs

    with DaskExecutor(client, 2) as ex:
        assert ex.driver_threads == default_jobs()


def test_dask_maps_below_min_work_run_on_driver_threads(client, monkeypatch):
    """A map too small to ship runs on the driver's own threads, never on the
    cluster, with the same answer."""
    import threading

    from decmdp.core.dask_executor import DaskExecutor

    def no_cluster(*args):
        raise AssertionError("a map below min_work was sent to the cluster")

    threads_seen = set()
    decide = prune_module.decide_units

    def spy(shared, units):
        threads_seen.add(threading.current_thread().name)
        return decide(shared, units)

    pomdp = read_pomdp(DATA / "shuttle.95.POMDP")
    serial = solve_pomdp(pomdp, 5, jobs=1)
    monkeypatch.setattr(DaskExecutor, "min_work", float("inf"))
    monkeypatch.setattr(DaskExecutor, "_map_groups", no_cluster)
    monkeypatch.setattr(prune_module, "decide_units", spy)
    on_driver = solve_pomdp(pomdp, 5, scheduler=client)
    assert on_driver.value() == serial.value()
    assert np.array_equal(on_driver.vectors, serial.vectors)
    assert np.array_equal(on_driver.actions, serial.actions)
    assert any(name.startswith("decmdp-unit") for name in threads_seen), threads_seen
