"""Who runs the work units of a prune: the driver, threads, or a Dask cluster.

A prune (:mod:`decmdp.core.prune`) cuts its work into units whose number
and content depend on the data only, and combines their results in a fixed
order; an executor only decides WHERE the units run.  So every executor
gives the same answer, bit for bit.

``executor.map_groups(fn, shared, items)`` cuts ``items`` into groups of
consecutive units and returns ``[fn(shared, group) for group in groups]``,
so that one call (one kernel call, one task) serves many units; the caller
combines the groups' results in order, so the grouping never changes the
answer.  ``executor.map(fn, shared, items)`` is the one-unit-at-a-time form,
``[fn(shared, item) for item in items]``.
``executor.map_groups_in_order(fn, shared, items)`` hands the groups'
results over one at a time, in order, as they finish, so that the caller
can combine the first while the others run.  ``shared`` (the kept set of a
round, the sorted union of a dominance check) is sent once per worker, not
once per unit.  ``executor.map_local(fn, shared, items)`` is for work on the
driver's own data (a scan of a prune's undecided rows, hashing for the
duplicate filter): the calling thread runs the items, helped by idle
threads of the driver's process, never by a cluster.

Independent pieces of a stage (the candidate sets of the ``(y, a)``
pairs, the unions of the ``y``, and within them the parts of a large
prune) run concurrently on threads of the driver
(:meth:`Executor.concurrently`), each mapping its own work units; so the
driver's share of one piece (merging a round's decisions, cross-sums)
overlaps with the work of the others.

* :data:`SERIAL` runs them on the caller's thread.
* :class:`ThreadExecutor` runs them on threads: the kernels release the GIL
  (numba ``nogil``), and threads share the vector sets without copying.
* :class:`DaskExecutor` (:mod:`decmdp.core.dask_executor`) runs them on a
  ``dask.distributed`` cluster.

Executors count the units they finish (:attr:`Executor.done`,
:attr:`Executor.submitted`, since :meth:`Executor.reset_counts` at the
start of stage :attr:`Executor.stage`) and call ``on_unit(stage, done,
submitted)`` as units finish, for progress lines (from any thread, one
call at a time, with counts that only grow within a stage; ``on_unit``
must not call the executor).
"""

from __future__ import annotations

import functools
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Callable

SMALL = 1
"""A map of this many units or fewer runs on the caller's thread."""

GROUPS_PER_WORKER = 4
"""Groups per thread and map: more than one, so a worker that drew cheap
units takes the next group while another is still busy."""

MIN_CONCURRENT_WORK = 2e4
"""Pieces whose estimated work together is below this run one after another
on the caller's thread (handing them to the driver's threads would cost
more).  The estimate counts the projections only, and a stage's prunes cost
far more than that, so the threshold is low: at 2e5 the mid-size backups of
an infinite-horizon iteration ran their pieces one after another."""

_DRIVER_THREAD = "decmdp-driver"


class Cancelled(Exception):
    """The executor was closed (or interrupted) while this work was running."""


class Executor:
    """Runs work units serially on the caller's thread (the base behaviour)."""

    workers = 1
    """Where work units run at once."""
    driver_threads = 1
    """How many pieces of a stage run at once on the driver (:meth:`concurrently`)."""
    min_work = 0.0
    """A map whose estimated work (about one flop per unit of it) is below
    this runs on the caller's thread: shipping it would cost more."""
    local_workers = 1
    """Threads of the driver's own process that :meth:`map_local` spreads over."""

    def __init__(self) -> None:
        self.submitted = 0
        self.done = 0
        self.stage = -1
        self.on_unit: Callable[[int, int, int], None] | None = None
        self._lock = threading.Lock()
        self._report_lock = threading.Lock()
        self._reported = 0
        self._driver_pool: ThreadPoolExecutor | None = None
        self._cancelled = threading.Event()
        self._here = threading.local()

    def check_cancelled(self) -> None:
        """Raise :class:`Cancelled` once the executor is closed or interrupted
        (work in flight stops at its next check: each map and each prune)."""
        if self._cancelled.is_set():
            raise Cancelled("the solve was cancelled")

    def map_groups(self, fn, shared, items, work: float | None = None) -> list:
        """``[fn(shared, group) for group in groups]``, in order, where the
        groups are consecutive runs of ``items`` (how many depends on the
        executor: ``fn`` must treat the units of a group independently).
        ``work`` estimates the map's cost (scheduling only, never the answer).
        """
        with self.map_groups_in_order(fn, shared, items, work) as results:
            return list(results)

    def map_groups_in_order(self, fn, shared, items, work: float | None = None) -> InOrder:
        """The results of :meth:`map_groups` one group at a time, in order,
        each as soon as it has finished, while later groups still run: the
        caller can combine the first groups meanwhile (the witness step of a
        prune does; an executor overrides this, not :meth:`map_groups`).

        The groups are submitted before this returns.  Use the result as a
        context manager (or close it): leaving early cancels the groups that
        have not started (those running finish, and are counted).
        """
        self.check_cancelled()
        items = list(items)
        self._count(submitted=len(items))
        if not items:
            return InOrder([])
        if len(items) <= SMALL or self.workers <= 1 or (work is not None and work < self.min_work):
            return self._map_on_driver(fn, shared, items, work)
        return self._map_groups(fn, shared, items)

    def _map_on_driver(self, fn, shared, items, work: float | None) -> InOrder:
        """A map too small to hand to the workers: one group, on the caller's thread."""
        out = fn(shared, items)
        self._count(done=len(items))
        return InOrder([out])

    def keeping_maps(self, call: Callable) -> Callable:
        """``call`` as a piece whose maps stay on the thread that runs it:
        a map that would go to the driver's threads runs there as one group,
        as the serial executor runs it (a map large enough for a cluster is
        still sent there, and :meth:`map_local` is unchanged).  Only that
        thread keeps its maps: pieces that ``call`` hands to other threads
        do not.

        For pieces that are many next to the threads, such as the parts of
        a large prune: they keep the threads busy by themselves, and handing
        their small rounds to the unit threads as well costs more than it
        gains (up to 1.6x the CPU seconds of a prune in parts, measured).
        """
        return functools.partial(self._keeping_maps, call)

    def _keeping_maps(self, call: Callable):
        kept = self.maps_kept_here()
        self._here.kept = True
        try:
            return call()
        finally:
            self._here.kept = kept

    def maps_kept_here(self) -> bool:
        """Whether the calling thread runs a piece of :meth:`keeping_maps`."""
        return getattr(self._here, "kept", False)

    def _on_driver_threads(self, pool: ThreadPoolExecutor, threads: int, fn, shared, items) -> InOrder:
        """A map for the driver's threads (:func:`start_on_threads`), or on
        the caller's thread in a piece that keeps its maps."""
        if self.maps_kept_here():
            return Executor._map_on_driver(self, fn, shared, items, None)
        return start_on_threads(pool, threads, fn, shared, items, self._count)

    def map_local(self, fn, shared, items) -> list:
        """``[fn(shared, item) for item in items]``, in order, on the calling
        thread helped by up to :attr:`local_workers` ``- 1`` idle threads of
        the driver's own process.

        For work whose data lives on the driver and changes between calls
        (a scan of a prune's undecided rows while it merges a round):
        shipping it to a cluster would cost more than doing it.  The caller
        works through the items itself and threads join in as they come
        free, so when every thread is busy with work units this costs no
        more than a loop.  Not counted as work units.
        """
        self.check_cancelled()
        items = list(items)
        if len(items) <= SMALL or self.local_workers <= 1:
            return [fn(shared, item) for item in items]
        return run_helped(self._local_pool(), self.local_workers - 1, fn, shared, items)

    def _local_pool(self) -> ThreadPoolExecutor:  # pragma: no cover - overridden
        raise NotImplementedError

    def concurrently(self, calls, work: float | None = None) -> list:
        """``[call() for call in calls]``, on up to :attr:`driver_threads`
        threads of the driver (for independent pieces of a stage, each of
        which may map work units itself).

        The calls run one after another on the caller's thread when there is
        one thread, one call, or too little ``work`` (estimated as for
        :meth:`map_groups`, below :data:`MIN_CONCURRENT_WORK`).  When the
        caller is itself a piece (the parts of a large prune inside the
        backup of a stage), it works through the calls itself, helped by
        driver threads as they come free (as :meth:`map_local` does), so
        that nested pieces never wait for a thread their callers hold; the
        first exception stops the calls not started and is raised once
        every started call has ended.  Otherwise every call runs to its end
        and the first exception in call order is raised, as a serial run
        would; when the caller is interrupted (Ctrl-C), the executor is
        cancelled, so that the pieces stop at their next check.
        """
        calls = list(calls)
        if self.driver_threads <= 1 or len(calls) <= 1 or (work is not None and work < MIN_CONCURRENT_WORK):
            return [call() for call in calls]
        if threading.current_thread().name.startswith(_DRIVER_THREAD):
            return run_helped(self._driver_pool, self.driver_threads - 1, _call, None, calls)
        with self._lock:
            if self._driver_pool is None:
                self._driver_pool = ThreadPoolExecutor(max_workers=self.driver_threads,
                                                       thread_name_prefix=_DRIVER_THREAD)
            pool = self._driver_pool
        futures = [pool.submit(call) for call in calls]
        try:
            wait(futures)
        except BaseException:
            self._cancelled.set()
            for f in futures:
                f.cancel()
            raise
        if any(f.cancelled() for f in futures):  # the executor was closed meanwhile
            raise Cancelled("the solve was cancelled")
        return [f.result() for f in futures]

    def map(self, fn, shared, items, work: float | None = None) -> list:
        """``[fn(shared, item) for item in items]``, in order (see :meth:`map_groups`)."""
        groups = self.map_groups(functools.partial(each, fn), shared, items, work)
        return [result for group in groups for result in group]

    def _map_groups(self, fn, shared, items) -> InOrder:  # pragma: no cover - overridden
        raise NotImplementedError

    def _count(self, submitted: int = 0, done: int = 0) -> None:
        with self._lock:
            self.submitted += submitted
            self.done += done
            counts = (self.stage, self.done, self.submitted)
        if done and self.on_unit is not None:
            self._report(*counts)

    def _report(self, stage: int, done: int, submitted: int) -> None:
        """Pass the counts to ``on_unit`` unless newer ones already went
        (threads that finish units at once may get here in either order)."""
        with self._report_lock:
            if stage == self.stage and done > self._reported:
                self._reported = done
                self.on_unit(stage, done, submitted)

    def reset_counts(self, stage: int = -1) -> None:
        """Start counting units afresh, at the start of ``stage``."""
        with self._lock, self._report_lock:
            self.submitted = self.done = self._reported = 0
            self.stage = stage

    def close(self) -> None:
        """Release the workers (idempotent); pieces still running on the
        driver stop at their next check (:meth:`check_cancelled`)."""
        self._cancelled.set()
        pool, self._driver_pool = self._driver_pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Shared(Executor):
    """The shared serial executor: closing it would cancel every later user."""

    def close(self) -> None:
        pass


SERIAL = _Shared()
"""Runs every unit on the caller's thread (the counts of this shared instance
are not meaningful; it is never closed)."""


class ThreadExecutor(Executor):
    """Runs work units on ``jobs`` threads of this process.

    Units are grouped into :data:`GROUPS_PER_WORKER` tasks per thread
    (consecutive units, so each task's Python overhead is paid once); a
    unit's answer does not depend on the grouping.
    """

    min_work = 2e5

    def __init__(self, jobs: int) -> None:
        super().__init__()
        self.workers = self.driver_threads = self.local_workers = int(jobs)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="decmdp-unit")

    def _map_groups(self, fn, shared, items) -> InOrder:
        return self._on_driver_threads(self._pool, self.workers, fn, shared, items)

    def _local_pool(self) -> ThreadPoolExecutor:
        return self._pool

    def close(self) -> None:
        super().close()
        self._pool.shutdown(wait=True, cancel_futures=True)


class InOrder:
    """Results of a map's groups, in group order, each taken as it is ready.

    ``pending`` are the groups' handles (futures, or the results themselves);
    ``take(handle)`` waits for one and returns its result; ``done(handle)``
    says whether it would not wait; ``end(rest)`` is called once, with the
    handles not taken, when the results run out, one fails, or
    :meth:`close` is called (to cancel them).
    """

    def __init__(self, pending: list, take: Callable = lambda result: result,
                 end: Callable[[list], None] = lambda rest: None,
                 done: Callable[[object], bool] = lambda handle: True) -> None:
        self._pending, self._take, self._end, self._done = pending, take, end, done
        self._next = 0
        self._open = True

    def ready(self) -> bool:
        """Whether the next result is in already (taking it would not wait)."""
        return self._open and self._next < len(self._pending) and self._done(self._pending[self._next])

    def __iter__(self) -> InOrder:
        return self

    def __next__(self):
        if not self._open or self._next >= len(self._pending):
            self.close()
            raise StopIteration
        try:
            result = self._take(self._pending[self._next])
        except StopIteration as exc:  # from a group: never a silent end of the results
            self.close()
            raise RuntimeError("a group of work units raised StopIteration") from exc
        except BaseException:
            self.close()
            raise
        self._pending[self._next] = None  # a taken handle is not held
        self._next += 1
        return result

    def take_ready(self) -> list:
        """The next result (waiting for it) and every one after it that is
        in already; ``[]`` when the results have run out."""
        out = []
        for result in self:
            out.append(result)
            if not self.ready():
                break
        return out

    def close(self) -> None:
        """Give up the results not taken yet (idempotent)."""
        if self._open:
            self._open = False
            rest, self._pending = self._pending[self._next:], []
            self._next = 0
            end, self._take, self._end = self._end, None, None
            end(rest)

    def __enter__(self) -> InOrder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def start_on_threads(pool: ThreadPoolExecutor, threads: int, fn, shared, items: list, count) -> InOrder:
    """Submit ``fn(shared, group)`` for the groups of ``items`` to ``pool``,
    :data:`GROUPS_PER_WORKER` groups per thread, shorter towards the end
    (:func:`tapering`), calling ``count(done=n)`` as each group of ``n``
    units ends; the results in order."""
    def run(group):
        out = fn(shared, group)
        count(done=len(group))
        return out

    def cancel(rest) -> None:
        for future in rest:
            future.cancel()

    futures = [pool.submit(run, g) for g in tapering(items, GROUPS_PER_WORKER * threads)]
    return InOrder(list(futures), take=lambda future: future.result(), end=cancel, done=lambda future: future.done())


def run_helped(pool: ThreadPoolExecutor, helpers: int, fn, shared, items: list) -> list:
    """``[fn(shared, item) for item in items]`` on the calling thread, with
    up to ``helpers`` tasks of ``pool`` taking items too once they start.

    Items are claimed one at a time, so a helper still queued behind other
    work when the caller has finished is cancelled, not waited for.  When
    an item fails, no thread claims another; the first error is raised once
    every helper that started has stopped.  A pool already shut down sends
    no helper: the caller runs every item (a closed executor stops the solve
    at its next check, :meth:`Executor.check_cancelled`).
    """
    results = [None] * len(items)
    claims = itertools.count()
    claim_lock = threading.Lock()
    failed = threading.Event()

    def work() -> None:
        while not failed.is_set():
            with claim_lock:
                k = next(claims)
            if k >= len(items):
                return
            try:
                results[k] = fn(shared, items[k])
            except BaseException:
                failed.set()
                raise

    tasks = []
    for _ in range(min(helpers, len(items) - 1)):
        try:
            tasks.append(pool.submit(work))
        except RuntimeError:  # the pool was shut down (the executor closed): no help, and no error here
            break
    try:
        work()
    finally:
        # a cancelled task counts as done only once a pool thread has taken it:
        # wait for the started ones only, or nested callers holding every
        # thread of the pool would wait for each other
        wait([task for task in tasks if not task.cancel()])
    for task in tasks:
        if not task.cancelled():
            task.result()
    return results


def _call(_, call):
    return call()


def each(fn, shared, group) -> list:
    """``[fn(shared, item) for item in group]``: a per-unit function as a group function."""
    return [fn(shared, item) for item in group]


def blocks(n: int, step: int) -> list[tuple[int, int]]:
    """The ranges ``(a, min(a + step, n))`` for ``a = 0, step, 2 step, ... < n``,
    which cover ``range(n)`` in order."""
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def split(items: list, parts: int) -> list[list]:
    """``items`` cut into at most ``parts`` consecutive groups of near-equal size."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for p in range(parts):
        stop = start + size + (p < extra)
        out.append(items[start:stop])
        start = stop
    return out


def tapering(items: list, parts: int) -> list[list]:
    """``items`` cut into at most ``parts`` consecutive groups, each at least
    as large as the ones after it, in sizes falling about linearly from twice the
    mean to a little above nothing (1 : 2 : ... : parts, last to first).

    Threads take groups in order, and the caller waits for the last one to
    end: with short groups at the end, the thread that finishes first
    finds a short group to take, not a long one left for the other.  On a
    prune's large rounds (two threads, eight groups) this cut the time a
    thread waited for the last group of its round from 14% of the prune's
    wall time to 4-6%.
    """
    parts = max(1, min(parts, len(items)))
    weight_total = parts * (parts + 1) // 2
    spare = len(items) - parts  # beyond one item per group
    sizes = [1 + spare * (parts - p) // weight_total for p in range(parts)]
    for p in range(len(items) - sum(sizes)):  # what the rounding left, one more to each of the first
        sizes[p] += 1
    out, start = [], 0
    for size in sizes:
        out.append(items[start:start + size])
        start += size
    return out


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def make_executor(jobs: int | None = None, scheduler=None) -> Executor:
    """The executor for ``jobs`` workers (None: all cores) or a Dask ``scheduler``.

    Parameters
    ----------
    jobs : int, optional
        Threads on this machine; 1 runs everything on the caller's thread.
        With ``scheduler="local"``, the workers of the local cluster.
    scheduler : str or distributed.Client, optional
        ``"tcp://HOST:PORT"``: an existing ``dask.distributed`` scheduler;
        ``"local"``: a ``LocalCluster`` started (and stopped) here; a
        connected client: used as it is.

    Raises
    ------
    ProblemError
        ``jobs < 1``, or a scheduler that is neither ``"local"`` nor an
        address, or cannot be reached; or dask is not installed (the
        message names the extra to install).
    """
    if jobs is not None and (isinstance(jobs, bool) or int(jobs) < 1):
        from decmdp.errors import ProblemError

        raise ProblemError(f"jobs: is {jobs!r}, expected a positive integer")
    jobs = default_jobs() if jobs is None else int(jobs)
    if scheduler is not None:
        from decmdp.core.dask_executor import DaskExecutor

        return DaskExecutor(scheduler, jobs)
    return Executor() if jobs == 1 else ThreadExecutor(jobs)
