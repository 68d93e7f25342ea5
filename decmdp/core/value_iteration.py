"""Exact finite-horizon value iteration with a lifted action dimension.

The coordinator's value (DESIGN.md sections 2-3), in minimization form, is

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

import enum
import itertools
import time
from typing import Callable

import numpy as np

from decmdp.core.crosssum import action_cross_sum, lifted_min
from decmdp.core.prune import LPSolver, prune_counted
from decmdp.core.types import BackupData, StageStats, StageValue, parse_choice
from decmdp.errors import VectorLimitError
from decmdp.tolerances import DEFAULT_TOLERANCES, Tolerances


RAW_CROSS_SUM_FACTOR = 64
"""An unpruned cross-sum may hold at most this many times ``max_vectors`` rows
(it is built in full before it is pruned, so this bounds the memory)."""


class Method(enum.Enum):
    """How the backup handles the inner action dimension."""

    LIFTED = "lifted"
    """Incremental pruning in the lifted ``S x L`` space (default)."""
    ENUMERATE = "enumerate"
    """Enumerate all ``L**S`` prescriptions (cross-check, baseline)."""

    @classmethod
    def parse(cls, value: Method | str) -> Method:
        """Accept a member or its name/value; otherwise list the valid ones."""
        return parse_choice(cls, value, "method")


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
    """Counters and the vector limit for one stage (driver side only)."""

    def __init__(self, t: int, tolerances: Tolerances, lp: LPSolver, max_vectors: int | None):
        self.t = t
        self.tolerances = tolerances
        self.lp = lp
        self.max_vectors = max_vectors
        self.generated = 0
        self.lps = 0
        self.trouble = 0

    def prune(self, V: np.ndarray) -> np.ndarray:
        res = prune_counted(V, self.tolerances, self.lp)
        self.lps += res.lps
        self.trouble += res.lp_trouble
        return res.kept

    def count_generated(self, n: int) -> None:
        self.generated += int(n)

    def check_limit(self, n: int) -> None:
        if self.max_vectors is not None and n > self.max_vectors:
            raise VectorLimitError(stage=self.t, count=n, limit=self.max_vectors)

    def check_raw(self, n: int) -> None:
        """Refuse to build an unpruned cross-sum far beyond the vector limit."""
        if self.max_vectors is not None and n > RAW_CROSS_SUM_FACTOR * self.max_vectors:
            raise VectorLimitError(stage=self.t, count=n, limit=RAW_CROSS_SUM_FACTOR * self.max_vectors,
                                   what="raw cross-sum vectors before pruning")


def _backup_y(data, cost_t, y, nxt: StageValue, method: Method, st: _Stage):
    """``Gamma_t(y)`` with provenance: (values, action, prescription, successor)."""
    _, A, S, L = cost_t.shape
    proj = data.projection
    ptr = data.branch_ptr
    sets = []  # (alpha, action, prescription, successor)
    ar = np.arange(S)
    for a in range(A):
        ks = range(int(ptr[y * A + a]), int(ptr[y * A + a + 1]))
        successors = []
        for k in ks:
            tg = int(data.branch_target[k])
            successors.append(nxt.values[nxt.ptr[tg] : nxt.ptr[tg + 1]])
        labels = [int(data.branch_label[k]) for k in ks]

        def cross(cost_row, projections):
            return action_cross_sum(cost_row, projections, successors, labels, data.n_labels,
                                    st.prune, st.count_generated, st.check_limit, st.check_raw)

        if method is Method.LIFTED:
            aq = cross(cost_t[y, a].reshape(S * L), [proj[k] for k in ks])
            if L > 1:
                alpha, presc = lifted_min(aq.q, S, L)
                keep = st.prune(alpha)
                alpha, presc, succ = alpha[keep], presc[keep], aq.successor[keep]
            else:
                alpha = aq.q
                presc = np.zeros(alpha.shape, dtype=np.int64)
                succ = aq.successor
            sets.append((alpha, a, presc, succ))
        else:
            for g in itertools.product(range(L), repeat=S):
                g = np.asarray(g, dtype=np.int64)
                aq = cross(np.ascontiguousarray(cost_t[y, a, ar, g]),
                           [np.ascontiguousarray(proj[k][ar, g, :].reshape(S, 1, S)) for k in ks])
                presc = np.broadcast_to(g, aq.q.shape).copy()
                sets.append((aq.q, a, presc, aq.successor))
    values = np.concatenate([s[0] for s in sets])
    action = np.concatenate([np.full(s[0].shape[0], s[1], dtype=np.int64) for s in sets])
    presc = np.concatenate([s[2] for s in sets])
    succ = np.concatenate([s[3] for s in sets])
    if len(sets) > 1:
        keep = st.prune(values)
        values, action, presc, succ = values[keep], action[keep], presc[keep], succ[keep]
    st.check_limit(values.shape[0])
    return (
        np.ascontiguousarray(values),
        np.ascontiguousarray(action),
        np.ascontiguousarray(presc),
        np.ascontiguousarray(succ),
    )


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


def backup_stage(
    data: BackupData,
    t: int,
    nxt: StageValue,
    method: Method | str = Method.LIFTED,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    max_vectors: int | None = None,
    lp: LPSolver | str = LPSolver.NUMBA,
) -> tuple[StageValue, StageStats]:
    """One backup: ``Gamma_t`` (all ``y``) from ``Gamma_{t+1} = nxt``.

    ``data`` is trusted and should already be normalized (C-contiguous,
    float64 / int64) as :func:`value_iteration` does.
    """
    method = Method.parse(method)
    st = _Stage(t, tolerances, LPSolver.parse(lp), max_vectors)
    t0 = time.perf_counter()
    cost = data.cost
    cost_t = cost[0] if cost.shape[0] == 1 else cost[t]
    Y = cost_t.shape[0]
    parts = [_backup_y(data, cost_t, y, nxt, method, st) for y in range(Y)]
    counts = np.array([p[0].shape[0] for p in parts], dtype=np.int64)
    ptr = np.zeros(Y + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    st.check_limit(int(ptr[-1]))
    sv = StageValue(
        ptr=ptr,
        values=np.concatenate([p[0] for p in parts]),
        action=np.concatenate([p[1] for p in parts]),
        prescription=np.concatenate([p[2] for p in parts]),
        successor=np.concatenate([p[3] for p in parts]),
    )
    stats = StageStats(
        stage=t,
        generated=st.generated,
        kept=int(ptr[-1]),
        lps=st.lps,
        seconds=time.perf_counter() - t0,
        lp_trouble=st.trouble,
    )
    return sv, stats


def value_iteration(
    data: BackupData,
    horizon: int,
    method: Method | str = Method.LIFTED,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    max_vectors: int | None = None,
    progress: Callable[[StageStats], None] | None = None,
    lp: LPSolver | str = LPSolver.NUMBA,
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
        computed.
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
    stages: list[StageValue | None] = [None] * (horizon + 1)
    stages[horizon] = terminal_stage(data)
    all_stats: list[StageStats] = []
    for t in range(horizon - 1, -1, -1):
        sv, stats = backup_stage(data, t, stages[t + 1], method, tolerances, max_vectors, lp)
        all_stats.append(stats)
        if progress is not None:
            progress(stats)
        if data.cost.shape[0] == 1 and same_stage(sv, stages[t + 1]):
            stages[: t + 1] = [stages[t + 1]] * (t + 1)  # a fixed point: stored once
            break
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
