"""Work units of the prunes on a ``dask.distributed`` cluster.

:meth:`DaskExecutor.map_groups` sends a map of work units as one task per worker
(consecutive units, so a task carries hundreds to thousands of LPs), each
carrying the map's shared data (the round's kept set): it travels once per
worker, with no separate scatter round trip.  Results are handed over in
unit order, each as soon as it and those before it are in, and the futures
are released once taken or given up.  When the caller fails or is
interrupted (Ctrl-C), the submitted tasks are cancelled.  Workers need
``decmdp`` importable (the same version as the driver); the worker count is
read when connecting.
"""

from __future__ import annotations

import weakref

from concurrent.futures import ThreadPoolExecutor

from decmdp.core.executors import SMALL, Cancelled, Executor, InOrder, ThreadExecutor, default_jobs, split
from decmdp.errors import ProblemError

INSTALL_HINT = "pip install 'decmdp[dask]'"

TASKS_PER_WORKER = 1
"""Tasks per worker and map.  The shared data travels inside each task, so
with one task per worker it is shipped once per worker: one message per
worker and map, no separate scatter round trip."""


CONNECT_TIMEOUT = "20s"
"""How long to try reaching a scheduler before giving up."""


def _import_distributed():
    try:
        import distributed
    except ImportError as exc:
        raise ProblemError(f"scheduler: dask.distributed is not installed; install it with {INSTALL_HINT}") from exc
    return distributed


_LIVE: weakref.WeakSet = weakref.WeakSet()


def cancel_all() -> None:
    """Cancel the cluster work of every open executor and release its cluster
    (the CLI calls this on Ctrl-C, just before it exits)."""
    for executor in list(_LIVE):
        try:
            executor.close()
        except Exception:  # noqa: BLE001 - leaving anyway; never hide the interrupt
            pass


class DaskExecutor(Executor):
    """Runs work units on a Dask cluster.

    A map estimated at less than :attr:`min_work` (some 10 ms of LPs, the
    price of a round trip to the cluster) runs on the driver, on threads
    over the driver's own cores (one after another below
    :attr:`ThreadExecutor.min_work <decmdp.core.executors.ThreadExecutor.min_work>`).

    Parameters
    ----------
    scheduler : str or distributed.Client
        ``"tcp://HOST:PORT"`` of a running scheduler, ``"local"`` to start a
        ``LocalCluster`` of ``jobs`` single-threaded worker processes (stopped
        by :meth:`close`), or a connected client (left open).
    jobs : int
        Workers of the local cluster (ignored for an existing scheduler).
    processes : bool
        Local cluster only: worker processes (default) or threads of this
        process.
    """

    min_work = 3e7

    def __init__(self, scheduler: str, jobs: int, processes: bool = True) -> None:
        super().__init__()
        distributed = _import_distributed()
        self._cluster = None
        self._own_client = not isinstance(scheduler, distributed.Client)
        if not self._own_client:
            self.client = scheduler
        elif scheduler == "local":
            self._cluster = distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=processes,
                                                     dashboard_address=":0")
            address = self._cluster
        elif isinstance(scheduler, str) and "://" in scheduler:
            address = scheduler
        else:
            raise ProblemError(f"scheduler: is {scheduler!r}, expected 'local' or an address like "
                               "'tcp://HOST:PORT'")
        if self._own_client:
            try:
                self.client = distributed.Client(address, set_as_default=False, timeout=CONNECT_TIMEOUT)
            except OSError as exc:
                self._close_cluster()
                raise ProblemError(f"scheduler: cannot reach {scheduler}: {exc}") from exc
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        self.driver_threads = self.local_workers = default_jobs()  # the driver's own cores, not the cluster's
        self._driver_units = ThreadPoolExecutor(max_workers=self.driver_threads, thread_name_prefix="decmdp-unit")
        self._futures: set = set()
        _LIVE.add(self)

    def _map_on_driver(self, fn, shared, items, work: float | None) -> InOrder:
        """Below :attr:`min_work`: on the driver's threads, unless too small even for them."""
        if (work is None or not ThreadExecutor.min_work <= work < self.min_work or len(items) <= SMALL
                or self.driver_threads <= 1):
            return super()._map_on_driver(fn, shared, items, work)
        return self._on_driver_threads(self._driver_units, self.driver_threads, fn, shared, items)

    def _local_pool(self) -> ThreadPoolExecutor:
        return self._driver_units

    def _map_groups(self, fn, shared, items) -> InOrder:
        client = self.client
        if client is None:  # closed by another thread meanwhile
            raise Cancelled("the solve was cancelled")
        groups = split(items, TASKS_PER_WORKER * self.workers)
        futures = [client.submit(fn, shared, g, pure=False) for g in groups]
        with self._lock:  # maps of concurrent pieces of a stage run side by side
            self._futures.update(futures)
        sizes = dict(zip(futures, map(len, groups)))

        def take(future):
            out = future.result()
            self._count(done=sizes.pop(future))
            return out

        def end(rest) -> None:
            try:
                if rest:
                    client.cancel(rest)
            finally:
                with self._lock:
                    self._futures.difference_update(futures)

        return InOrder(list(futures), take=take, end=end, done=lambda future: future.done())

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def close(self) -> None:
        _LIVE.discard(self)
        client, self.client = getattr(self, "client", None), None
        with self._lock:
            pending, self._futures = list(self._futures), set()
        if client is not None and pending:
            client.cancel(pending)
        if client is not None and self._own_client:
            client.close()
        self._close_cluster()
        super().close()
        units = getattr(self, "_driver_units", None)
        if units is not None:
            units.shutdown(wait=False, cancel_futures=True)
