"""Exact finite-horizon value iteration with a lifted action dimension.

The coordinator's value (``docs/theory.md`` sections 4-6), in minimization form, is

    V_t(y, b) = min_{alpha in Gamma_t(y)} b . alpha,    Gamma_T(y) = { terminal[y] }

and one backup builds ``Gamma_t(y)`` from the ``Gamma_{t+1}``:

    Q(y, a)    = cost[t][y, a]  (+)  G_k1[Gamma_{t+1}(target k1)]  (+) ...
                 (lifted vectors over S x L; k runs over the branches of (y, a))
    alpha(s)   = min_l q(s, l),   prescription(s) = argmin_l q(s, l)
    Gamma_t(y) = prune( union_a { alpha : q in Q(y, a) } )

with ``G_k[alpha](s, l) = sum_s' projection[k, s, l, s'] alpha(s')``.

:attr:`Method.LIFTED` prunes incrementally in the lifted space
(:mod:`decmdp.core.crosssum`), never enumerating the ``L**S`` prescriptions.
:attr:`Method.ENUMERATE` is the naive backup: for every ``(a, g)`` with
``g in L**S`` it forms the ordinary action with cost ``c(s, g(s))`` and
projections ``projection[k, s, g(s), :]``, runs ordinary incremental pruning
in ``S`` space and prunes the union over all ``(a, g)``.  It is the
cross-check and the benchmark baseline.

With ``Y = 1`` and ``L = 1`` (branches = observations,
``projection[k, s, 0, s'] = beta T(s'|s, a) O(o|s', a)``) this is exactly
Cassandra-Littman-Zhang incremental pruning for a POMDP.
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
from typing import Callable

import numpy as np

from decmdp.common import Choice
from decmdp.core.crosssum import action_cross_sum, lifted_min, project
from decmdp.core.executors import SERIAL, Executor
from decmdp.core.pointwise import BNB_OK, best_prescription
from decmdp.core.prune import LPSolver, PruneResult, prune_counted
from decmdp.core.types import BackupData, StageStats, StageValue
from decmdp.errors import MemoryLimitError, TimeLimitError, VectorLimitError
from decmdp.tolerances import DEFAULT_TOLERANCES, Tolerances, rounding_bound


RAW_CROSS_SUM_FACTOR = 64
"""An unpruned cross-sum may hold at most this many times ``max_vectors`` rows
(it is built in full before it is pruned, so this bounds the memory)."""

MAX_STORED_BYTES = 2 * 2**30
"""Default limit on the memory of the stored stages of one solve (see
:class:`~decmdp.errors.MemoryLimitError`)."""

STAGE_OVERHEAD_BYTES = 4096
"""Bytes counted per stored stage beyond its arrays: the Python objects, its
statistics and its share of the policy graph built from it."""

POINTWISE_WORK_BUDGET = 200_000_000
"""Work (search nodes x successor rows) the branch and bound of a last
backup at given beliefs may spend on one ``(y, a)`` before the full set of
that ``y`` is computed instead (:mod:`decmdp.core.pointwise`)."""


class Method(Choice, what="method"):
    """How the backup handles the inner action dimension
    (:meth:`~decmdp.common.Choice.parse` accepts a member or its name)."""

    LIFTED = "lifted"
    """Incremental pruning in the lifted ``S x L`` space (default)."""
    ENUMERATE = "enumerate"
    """Enumerate all ``L**S`` prescriptions (cross-check, baseline)."""


def same_stage(a: StageValue, b: StageValue) -> bool:
    """True when two stages are identical: same vectors, provenance and pointers.

    Then ``b`` is a fixed point of the (deterministic) backup with a
    time-invariant cost, and every earlier stage equals it as well.
    """
    return all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))


def terminal_stage(data: BackupData) -> StageValue:
    """``Gamma_T(y) = { terminal[y] }`` with empty provenance."""
    terminal = np.ascontiguousarray(data.terminal, dtype=np.float64)
    Y, S = terminal.shape
    return StageValue(
        ptr=np.arange(Y + 1, dtype=np.int64),
        values=terminal.copy(),
        action=np.full(Y, -1, dtype=np.int64),
        prescription=np.full((Y, S), -1, dtype=np.int64),
        successor=np.full((Y, int(data.n_labels)), -1, dtype=np.int64),
    )


class _Stage:
    """Counters and the vector limit for one stage (driver side only).

    The candidate sets of a stage may be built concurrently
    (:meth:`~decmdp.core.executors.Executor.concurrently`), so the counters
    are updated under a lock.
    """

    def __init__(self, t: int, tolerances: Tolerances, lp: LPSolver, max_vectors: int | None,
                 deadline: tuple[float, float] | None = None, executor: Executor = SERIAL):
        self.t = t
        self.executor = executor
        self.tolerances = tolerances
        self.lp = lp
        self.max_vectors = max_vectors
        self.deadline = deadline
        """``(perf_counter time, the limit in seconds)`` or None."""
        self.generated = 0
        self.lps = 0
        self.trouble = 0
        self.fallbacks = 0
        self.units_before = executor.done
        self._lock = threading.Lock()

    def prune(self, V: np.ndarray) -> PruneResult:
        self.check_time()
        res = prune_counted(V, self.tolerances, self.lp, executor=self.executor)
        with self._lock:
            self.lps += res.lps
            self.trouble += res.lp_trouble
            self.fallbacks += res.lp_fallbacks
        return res

    def check_time(self) -> None:
        self.executor.check_cancelled()
        if self.deadline is not None and time.perf_counter() > self.deadline[0]:
            raise TimeLimitError(stage=self.t, seconds=self.deadline[1])

    def count_generated(self, n: int) -> None:
        with self._lock:
            self.generated += int(n)

    def check_limit(self, n: int) -> None:
        if self.max_vectors is not None and n > self.max_vectors:
            raise VectorLimitError(stage=self.t, count=n, limit=self.max_vectors)

    def check_raw(self, n: int) -> None:
        """Refuse to build an unpruned cross-sum far beyond the vector limit."""
        if self.max_vectors is not None and n > RAW_CROSS_SUM_FACTOR * self.max_vectors:
            raise VectorLimitError(stage=self.t, count=n, limit=RAW_CROSS_SUM_FACTOR * self.max_vectors,
                                   what="raw cross-sum vectors before pruning")


class _Chain:
    """The prunes that build one candidate set, with their errors added up
    (an error made early in a chain of cross-sums carries through it)."""

    def __init__(self, stage: _Stage) -> None:
        self.stage = stage
        self.error = 0.0

    def prune(self, V: np.ndarray) -> np.ndarray:
        res = self.stage.prune(V)
        self.error += res.error
        return res.kept


def _branches(data: BackupData, nxt: StageValue, y: int, a: int):
    """The branches ``k`` of ``(y, a)`` and the successor set ``Gamma_{t+1}``
    of each one's target."""
    A = data.cost.shape[2]
    ks = range(int(data.branch_ptr[y * A + a]), int(data.branch_ptr[y * A + a + 1]))
    return ks, [nxt.values[nxt.ptr[int(data.branch_target[k])]:nxt.ptr[int(data.branch_target[k]) + 1]]
                for k in ks]


def _action_sets(data, cost_t, y, a, nxt: StageValue, method: Method, st: _Stage):
    """The candidate sets of one ``(y, a)`` with provenance, as a list of
    (values, action, prescription, successor), and the largest error bound
    of their chains of prunes (one chain per set)."""
    _, A, S, L = cost_t.shape
    proj = data.projection
    ks, successors = _branches(data, nxt, y, a)
    labels = [int(data.branch_label[k]) for k in ks]

    def cross(chain, cost_row, projections, prune_last=True, inner=None):
        return action_cross_sum(cost_row, projections, successors, labels, data.n_labels, chain.prune,
                                st.count_generated, st.check_limit, st.check_raw, prune_last, inner, st.executor)

    if method is Method.LIFTED:
        chain = _Chain(st)
        if L == 1:
            aq = cross(chain, cost_t[y, a].reshape(S), [proj[k] for k in ks])
            return [(aq.q, a, np.zeros(aq.q.shape, dtype=np.int64), aq.successor)], chain.error
        aq = cross(chain, cost_t[y, a].reshape(S * L), [proj[k] for k in ks], prune_last=False, inner=L)
        return [(aq.q, a, aq.prescription, aq.successor)], chain.error
    ar = np.arange(S)
    sets, worst = [], 0.0
    for g in itertools.product(range(L), repeat=S):
        g = np.asarray(g, dtype=np.int64)
        chain = _Chain(st)
        aq = cross(chain, np.ascontiguousarray(cost_t[y, a, ar, g]),
                   [np.ascontiguousarray(proj[k][ar, g, :].reshape(S, 1, S)) for k in ks])
        worst = max(worst, chain.error)
        sets.append((aq.q, a, np.broadcast_to(g, aq.q.shape).copy(), aq.successor))
    return sets, worst


def _union(sets, st: _Stage):
    """``Gamma_t(y)``: the union of the candidate sets of one ``y``, pruned.

    Returns ``(values, action, prescription, successor)`` and the union
    prune's error bound.
    """
    values = np.concatenate([s[0] for s in sets])
    action = np.concatenate([np.full(s[0].shape[0], s[1], dtype=np.int64) for s in sets])
    presc = np.concatenate([s[2] for s in sets])
    succ = np.concatenate([s[3] for s in sets])
    error = 0.0
    if len(sets) > 1:
        res = st.prune(values)
        values, action, presc, succ = (x[res.kept] for x in (values, action, presc, succ))
        error = res.error
    st.check_limit(values.shape[0])
    return tuple(np.ascontiguousarray(x) for x in (values, action, presc, succ)), error


def _backup_ys(data, cost_t, ys, nxt: StageValue, method: Method, st: _Stage):
    """``Gamma_t(y)`` for each ``y`` of ``ys``, with provenance, and the
    error bound of its prunes: the worst chain of one candidate set plus the
    union prune.

    The ``y`` are taken in windows of as many as the executor runs pieces
    at once on the driver: the candidate sets of every ``(y, a)`` of the
    window, then the unions of its ``y``, run concurrently
    (:meth:`~decmdp.core.executors.Executor.concurrently`; one ``y`` at a time,
    in order, on one thread).  Each is a function of the data only, so the
    answer does not depend on it.
    """
    ys = list(ys)
    A, S, L = cost_t.shape[1:]
    per_target = np.diff(nxt.ptr)
    work = float(per_target[data.branch_target].sum()) * S * S * L / max(len(ys), 1)
    window = max(1, st.executor.driver_threads)
    out = []
    for start in range(0, len(ys), window):
        chunk = ys[start:start + window]
        built = st.executor.concurrently(
            [functools.partial(_action_sets, data, cost_t, y, a, nxt, method, st) for y in chunk for a in range(A)],
            work=work * len(chunk))
        unions = st.executor.concurrently(
            [functools.partial(_union, [s for sets, _ in built[i * A:(i + 1) * A] for s in sets], st)
             for i in range(len(chunk))], work=work * len(chunk))
        out += [(arrays, max((e for _, e in built[i * A:(i + 1) * A]), default=0.0) + union_error)
                for i, (arrays, union_error) in enumerate(unions)]
    return out


def _normalize(data: BackupData) -> BackupData:
    """Make every array C-contiguous with the dtype the kernels expect."""
    return BackupData(
        cost=np.ascontiguousarray(data.cost, dtype=np.float64),
        terminal=np.ascontiguousarray(data.terminal, dtype=np.float64),
        branch_ptr=np.ascontiguousarray(data.branch_ptr, dtype=np.int64),
        branch_target=np.ascontiguousarray(data.branch_target, dtype=np.int64),
        branch_label=np.ascontiguousarray(data.branch_label, dtype=np.int64),
        n_labels=int(data.n_labels),
        projection=np.ascontiguousarray(data.projection, dtype=np.float64),
    )


def _stage_cost(data: BackupData, t: int) -> np.ndarray:
    return data.cost[0] if data.cost.shape[0] == 1 else data.cost[t]


def _stage_value(parts) -> StageValue:
    """Stack per-``y`` (values, action, prescription, successor) into a stage."""
    counts = np.array([p[0].shape[0] for p in parts], dtype=np.int64)
    ptr = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return StageValue(ptr=ptr, values=np.concatenate([p[0] for p in parts]),
                      action=np.concatenate([p[1] for p in parts]),
                      prescription=np.concatenate([p[2] for p in parts]),
                      successor=np.concatenate([p[3] for p in parts]))


def backup_stage(
    data: BackupData,
    t: int,
    nxt: StageValue,
    method: Method | str = Method.LIFTED,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    max_vectors: int | None = None,
    lp: LPSolver | str = LPSolver.NUMBA,
    deadline: tuple[float, float] | None = None,
    *,
    executor: Executor = SERIAL,
) -> tuple[StageValue, StageStats]:
    """One backup: ``Gamma_t`` (all ``y``) from ``Gamma_{t+1} = nxt``.

    ``data`` is trusted and should already be normalized (C-contiguous,
    float64 / int64) as :func:`value_iteration` does.  The returned
    statistics carry this stage's own pruning error in ``prune_error``;
    ``error_bound`` is left for :func:`value_iteration` to accumulate.
    ``deadline`` is ``(perf_counter time, the limit in seconds)``.
    ``executor`` runs the prunes' work units (:mod:`decmdp.core.executors`);
    the answer does not depend on it.
    """
    method = Method.parse(method)
    st = _Stage(t, tolerances, LPSolver.parse(lp), max_vectors, deadline, executor)
    t0 = time.perf_counter()
    cost_t = _stage_cost(data, t)
    results = _backup_ys(data, cost_t, range(cost_t.shape[0]), nxt, method, st)
    sv = _stage_value([r[0] for r in results])
    st.check_limit(int(sv.ptr[-1]))
    return sv, _stats(st, sv, t0, max(r[1] for r in results))


def _stats(st: _Stage, sv: StageValue, t0: float, prune_error: float) -> StageStats:
    return StageStats(stage=st.t, generated=st.generated, kept=int(sv.ptr[-1]), lps=st.lps,
                      seconds=time.perf_counter() - t0, lp_trouble=st.trouble,
                      lp_fallbacks=st.fallbacks, prune_error=float(prune_error),
                      work_units=st.executor.done - st.units_before)


def backup_at_beliefs(
    data: BackupData,
    t: int,
    nxt: StageValue,
    beliefs: np.ndarray,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    max_vectors: int | None = None,
    lp: LPSolver | str = LPSolver.NUMBA,
    deadline: tuple[float, float] | None = None,
    *,
    executor: Executor = SERIAL,
) -> tuple[StageValue, StageStats]:
    """The last backup at one belief per ``y``: only the best vector there.

    Parameters
    ----------
    beliefs : float64[Y, S]
        Unnormalized belief of each observed state (the initial
        distribution's rows); a row of zero mass gets no vector.

    Returns
    -------
    StageValue, StageStats
        ``Gamma_t(y)`` holds the one vector optimal at ``beliefs[y]`` (exact
        branch and bound, :mod:`decmdp.core.pointwise`; when its budget runs
        out, the best row of the full ``Gamma_t(y)`` instead), with
        provenance.  No vector is dropped by a tolerance, so ``prune_error``
        is 0 unless the full set had to be built.
    """
    st = _Stage(t, tolerances, LPSolver.parse(lp), max_vectors, deadline, executor)
    t0 = time.perf_counter()
    cost_t = _stage_cost(data, t)
    Y, A, S, L = cost_t.shape
    parts, prune_error = [], 0.0
    for y in range(Y):
        b = np.ascontiguousarray(beliefs[y], dtype=np.float64)
        if not b.sum() > 0.0:
            parts.append((np.zeros((0, S)), np.zeros(0, dtype=np.int64), np.zeros((0, S), dtype=np.int64),
                          np.zeros((0, data.n_labels), dtype=np.int64)))
            continue
        best = _best_at_belief(data, cost_t, y, nxt, b, st)
        if best is None:
            [((values, action, presc, succ), error)] = _backup_ys(data, cost_t, [y], nxt, Method.LIFTED, st)
            row = int(np.argmin(values @ b))
            best = (values[row:row + 1], action[row:row + 1], presc[row:row + 1], succ[row:row + 1])
            prune_error = max(prune_error, error)
        parts.append(best)
    sv = _stage_value(parts)
    return sv, _stats(st, sv, t0, prune_error)


def _best_at_belief(data, cost_t, y, nxt: StageValue, b: np.ndarray, st: _Stage):
    """The best ``(values, action, prescription, successor)`` row of ``Gamma_t(y)``
    at ``b``, or None when a branch and bound exceeds its budget."""
    _, A, S, L = cost_t.shape
    support = np.flatnonzero(b > 0.0)
    support = np.ascontiguousarray(support[np.argsort(-b[support], kind="stable")], dtype=np.int64)
    best_value, best = np.inf, None
    for a in range(A):
        st.check_time()
        ks, successors = _branches(data, nxt, y, a)
        lifted = [project(data.projection[k], succ) for k, succ in zip(ks, successors)]
        hptr = np.zeros(len(lifted) + 1, dtype=np.int64)
        np.cumsum([G.shape[0] for G in lifted], out=hptr[1:])
        H = (np.concatenate(lifted).reshape(-1, S, L) if lifted else np.zeros((0, S, L))) * b[None, :, None]
        st.count_generated(H.shape[0])
        budget = max(1, POINTWISE_WORK_BUDGET // max(H.shape[0], 1))
        status, value, _, choice = best_prescription(
            np.ascontiguousarray(b[:, None] * cost_t[y, a]), np.ascontiguousarray(H), hptr, support, budget)
        if status != BNB_OK:
            return None
        if value < best_value:
            q = cost_t[y, a].reshape(S * L).copy()
            successor = np.full((1, data.n_labels), -1, dtype=np.int64)
            for m, k in enumerate(ks):
                local = int(choice[m] - hptr[m])
                q += lifted[m][local]
                successor[0, int(data.branch_label[k])] = local
            alpha, presc = lifted_min(q.reshape(1, S * L), S, L)
            best_value, best = value, (alpha, np.array([a], dtype=np.int64), presc, successor)
    return best


def contraction(data: BackupData) -> float:
    """How much an error in ``Gamma_{t+1}`` can grow through one backup.

    ``max_{y, a, s, l} sum_{k in branches(y, a)} sum_s' projection[k, s, l, s']``:
    an error of ``e`` in every ``V_{t+1}(y', .)`` moves ``V_t`` by at most
    this times ``e`` (the discount, for stochastic transitions).
    """
    mass = data.projection.sum(axis=3)  # [K, S, L]
    ptr = data.branch_ptr
    worst = 0.0
    for ya in range(ptr.shape[0] - 1):
        if ptr[ya + 1] > ptr[ya]:
            worst = max(worst, float(mass[ptr[ya]:ptr[ya + 1]].sum(axis=0).max()))
    return worst


def rounding_error(data: BackupData, cost_t: np.ndarray, nxt: StageValue, factor: float) -> float:
    """Rounding bound of one backup's arithmetic: every entry of a lifted
    vector is a sum of ``1 + K * S`` products (cost plus projections)."""
    widest = int(np.max(np.diff(data.branch_ptr))) if data.branch_ptr.shape[0] > 1 else 0
    S = data.terminal.shape[1]
    magnitude = float(np.max(np.abs(cost_t))) + factor * float(np.max(np.abs(nxt.values), initial=0.0))
    return rounding_bound(2 + widest * S, magnitude)


def value_iteration(
    data: BackupData,
    horizon: int,
    method: Method | str = Method.LIFTED,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    max_vectors: int | None = None,
    progress: Callable[[StageStats], None] | None = None,
    lp: LPSolver | str = LPSolver.NUMBA,
    final_beliefs: np.ndarray | None = None,
    time_limit: float | None = None,
    max_stored_bytes: int | None = None,
    *,
    executor: Executor = SERIAL,
) -> tuple[list[StageValue], list[StageStats]]:
    """Exact finite-horizon value iteration.

    Parameters
    ----------
    data : BackupData
        Trusted model arrays (minimization form).
    horizon : int
        Number of decision stages ``H >= 0``.
    method : Method or {"lifted", "enumerate"}
        Backup variant (module docstring).
    tolerances : Tolerances
        Pruning tolerances.
    max_vectors : int, optional
        Raise :class:`~decmdp.errors.VectorLimitError` when any pruned partial
        cross-sum, any ``Gamma_t(y)`` or a stage total exceeds it.
    progress : callable, optional
        Called with the :class:`StageStats` of each stage once it is done.
    lp : LPSolver or {"numba", "highs"}
        Witness LP solver.
    final_beliefs : float64[Y, S], optional
        With the lifted method, stage 0 is computed only at these beliefs
        (:func:`backup_at_beliefs`): one vector per ``y`` of positive mass.
    time_limit : float, optional
        Raise :class:`~decmdp.errors.TimeLimitError` once this many seconds
        have passed (checked between prunes).
    max_stored_bytes : int, optional
        Raise :class:`~decmdp.errors.MemoryLimitError` once the stages stored
        so far take more (arrays plus :data:`STAGE_OVERHEAD_BYTES` each).
        Repeating stages are stored once and counted once.  The solvers pass
        :data:`MAX_STORED_BYTES`; None: no limit.
    executor : Executor
        Runs the work units of the prunes (:mod:`decmdp.core.executors`):
        on this thread (default), on threads or on a Dask cluster, with the
        same answer.

    Returns
    -------
    stages : list of StageValue, length ``horizon + 1``
        ``stages[t]`` is ``Gamma_t``; ``stages[horizon]`` the terminal one.
        With a time-invariant cost, once ``Gamma_t`` equals ``Gamma_{t+1}``
        (:func:`same_stage`) the backup has reached a fixed point: the
        stages ``0 .. t`` are then the very object ``stages[t + 1]``
        (stored once, not computed again; see :func:`repeating_from`).
    stats : list of StageStats
        In computation order, ``t = horizon - 1`` down to the last stage
        computed.  Each carries ``error_bound``: a proven bound on
        ``sup_b |V_t(y, b) - exact|`` from the pruning errors, the rounding of
        the backups and their propagation (``e_t = c * e_{t+1} +
        prune_error_t + rounding_t`` with ``c`` = :func:`contraction`).  When
        the stages repeat, the last entry's ``error_bound`` is already
        carried on to stage 0 (every repeated backup would have added the
        same errors).
    """
    method = Method.parse(method)
    lp = LPSolver.parse(lp)
    horizon = int(horizon)
    if horizon < 0:
        raise ValueError(f"horizon must be >= 0, got {horizon}")
    if max_vectors is not None and int(max_vectors) < 1:
        raise ValueError(f"max_vectors must be >= 1, got {max_vectors}")
    data = _normalize(data)
    if data.cost.shape[0] != 1 and data.cost.shape[0] < horizon:
        raise ValueError(
            f"cost has {data.cost.shape[0]} stages (time-varying) but horizon is {horizon}"
        )
    deadline = None if time_limit is None else (time.perf_counter() + float(time_limit), float(time_limit))
    factor = contraction(data)
    stages: list[StageValue | None] = [None] * (horizon + 1)
    stages[horizon] = terminal_stage(data)
    all_stats: list[StageStats] = []
    error = 0.0
    stored = 0
    for t in range(horizon - 1, -1, -1):
        executor.reset_counts(t)
        if t == 0 and final_beliefs is not None and method is Method.LIFTED:
            sv, stats = backup_at_beliefs(data, t, stages[t + 1], final_beliefs, tolerances, max_vectors,
                                          lp, deadline, executor=executor)
        else:
            sv, stats = backup_stage(data, t, stages[t + 1], method, tolerances, max_vectors, lp, deadline,
                                     executor=executor)
        added = stats.prune_error + rounding_error(data, _stage_cost(data, t), stages[t + 1], factor)
        error = factor * error + added
        repeats = data.cost.shape[0] == 1 and same_stage(sv, stages[t + 1])
        if repeats:
            for _ in range(t):
                error = factor * error + added
        stats = stats._replace(error_bound=error)
        all_stats.append(stats)
        if progress is not None:
            progress(stats)
        if repeats:
            stages[: t + 1] = [stages[t + 1]] * (t + 1)  # a fixed point: stored once
            break
        stored += STAGE_OVERHEAD_BYTES + sum(array.nbytes for array in sv)
        if max_stored_bytes is not None and stored > max_stored_bytes:
            raise MemoryLimitError(stage=t, estimate=stored, limit=max_stored_bytes)
        stages[t] = sv
    return stages, all_stats


def repeating_from(stages: list[StageValue]) -> int | None:
    """The last stage ``s`` such that ``stages[0 .. s]`` are one stored object.

    None when stage 0 is stored on its own (no fixed point was reached).
    """
    last = None
    for t in range(len(stages) - 1):
        if stages[t] is not stages[t + 1]:
            break
        last = t + 1
    return last
