r"""Discounted infinite-horizon value iteration with a certified stopping rule.

The backup ``T`` of :mod:`decmdp.core.value_iteration` (discount ``beta < 1``
inside the projections) is a ``beta``-contraction in the sup norm over all
``(y, b)``.  Starting from ``Gamma_0 = terminal`` we iterate
``Gamma_{n+1} = backup(Gamma_n)`` and measure the **Bellman residual**

    r_n = max_y sup_b | V_{n+1}(y, b) - V_n(y, b) |

exactly, by LPs over the simplex (:func:`residual`).  Each backup reports
the proven error of its prunes (``StageStats.prune_error``); with the
rounding of its arithmetic that is ``delta_n >= || V_{n+1} - T V_n ||``, and
with ``V*`` the optimum,

    || V_{n+1} - V* || <= (delta_n + beta r_n) / (1 - beta)  =: bound_n.

Iteration stops at the first ``n`` with ``bound_n <= epsilon``.

The residual LP
---------------
For two sets ``A``, ``C`` of cost vectors, ``V_A(b) = min_{a in A} a . b``,

    sup_b (V_A(b) - V_C(b)) = max_{c in C} max_{b in simplex} min_{a in A} (a - c) . b

and each inner problem is the LP ``max delta s.t. delta <= (a - c) . b``.
HiGHS returns a primal belief ``b`` and dual weights ``lambda >= 0`` on the
rows; for any ``lambda`` in the simplex (weak duality)

    max_b min_a (a - c) . b  <=  max_i  sum_a lambda_a (a - c)_i ,

so the value used is this **dual bound**, recomputed in numpy from the
normalized multipliers: it is an upper bound whatever HiGHS's tolerances
were.  If HiGHS fails (any status but optimal) the cheap bound
``min_a max_i (a - c)_i`` (take ``lambda`` a unit vector) is used instead.
Either way the residual is over-estimated, never under-estimated.

LPs are spent only when they can matter: each iteration first tries the
cheap bound alone (:func:`pointwise_residual`, no LP), which certifies the
stop when the vector sets have settled; and when the difference of the two
envelopes at a few probe beliefs (corners, centre, beliefs where earlier
residuals peaked) already shows that the stop cannot be certified, the LPs
are skipped for that iteration.
"""

from __future__ import annotations

import time
from typing import Callable, NamedTuple

import numpy as np

from decmdp._numba import kernel
from decmdp.core.executors import SERIAL, Executor
from decmdp.core.prune import LPSolver
from decmdp.core.types import BackupData, StageStats, StageValue
from decmdp.core.value_iteration import (
    Method,
    backup_stage,
    contraction,
    rounding_error,
    same_stage,
    terminal_stage,
)
from decmdp.tolerances import DEFAULT_TOLERANCES, Tolerances

DEFAULT_MAX_ITERATIONS = 100_000
"""Backups after which an infinite-horizon solve gives up (it reports it)."""


class ResidualBound(NamedTuple):
    """A certified upper bound on ``max_y sup_b |V_A(y, b) - V_C(y, b)|``.

    Attributes
    ----------
    value : float
        The bound (>= the true sup distance).
    lps : int
        LPs solved.
    fallbacks : int
        LPs whose solver failed; the cheap pointwise bound was used.
    beliefs : list of ndarray
        Per observed state, float64[P, S]: the optimal beliefs of the LPs
        solved (where the two envelopes differ most), for later probing.
    """

    value: float
    lps: int
    fallbacks: int
    beliefs: list


class InfiniteRun(NamedTuple):
    """Outcome of :func:`infinite_value_iteration`.

    Attributes
    ----------
    stage : StageValue
        ``Gamma_{n+1}``: the last set computed; its values approximate ``V*``.
    previous : StageValue
        ``Gamma_n``: the set ``stage``'s successor indices point into.
    iterations : int
        Backups performed (``n + 1``).
    residual : float
        Certified bound on ``sup |V_{n+1} - V_n|``.
    error_bound : float
        Certified ``|| V_{n+1} - V* || <= (slack + beta residual) / (1 - beta)``.
    slack : float
        The last backup's proven error ``delta_n`` (pruning and rounding)
        used in ``error_bound``.
    converged : bool
        ``error_bound <= epsilon``; False when ``max_iterations`` ran out.
    stats : list of StageStats
        One per backup (``stage`` field = iteration number, from 0).
    residual_lps, residual_fallbacks : int
        Totals over all residual computations.
    """

    stage: StageValue
    previous: StageValue
    iterations: int
    residual: float
    error_bound: float
    slack: float
    converged: bool
    stats: list
    residual_lps: int
    residual_fallbacks: int


# ------------------------------------------------------------------ residual


def _one_sided_lp(D: np.ndarray, cheap: float) -> tuple[float, bool, np.ndarray | None]:
    """Upper bound on ``max_b min_a D[a] . b``; True if HiGHS failed; the primal belief.

    ``D = A - c`` (rows ``a - c``); ``cheap = min_a max_s D[a, s]`` is
    returned when the LP fails and whenever it is the smaller bound.
    """
    from scipy.optimize import linprog

    m, S = D.shape
    if S == 1:
        return cheap, False, np.ones(1)
    # variables (b_0 .. b_{S-1}, delta): maximize delta, delta - D b <= 0, sum b = 1
    A_ub = np.hstack([-D, np.ones((m, 1))])
    res = linprog(np.r_[np.zeros(S), -1.0], A_ub=A_ub, b_ub=np.zeros(m),
                  A_eq=np.r_[np.ones(S), 0.0][None, :], b_eq=np.ones(1),
                  bounds=[(0.0, None)] * S + [(None, None)], method="highs")
    if res.status != 0 or res.ineqlin is None:
        return cheap, True, None
    lam = np.clip(-np.asarray(res.ineqlin.marginals, dtype=np.float64), 0.0, None)
    total = lam.sum()
    if not np.isfinite(total) or total <= 0.0:
        return cheap, True, None
    dual = float(np.max((lam / total) @ D))
    b = np.clip(np.asarray(res.x[:S], dtype=np.float64), 0.0, None)
    return min(dual, cheap), False, (b / b.sum() if b.sum() > 0 else None)


@kernel
def pointwise_gap(A, C):  # pragma: no cover - numba
    """``max_c min_a max_s (a - c)(s)`` over the rows of ``C`` and ``A``: an
    LP-free bound on ``sup_b (V_A - V_C)`` (``-inf`` when ``C`` is empty).

    A row ``a`` stops being scanned once its partial maximum cannot lower the
    minimum, and a row ``c`` once its minimum cannot raise the maximum; the
    differences are the same numbers either way, so the bound is exact.
    Trusted input.
    """
    D = A.shape[1]
    best = -np.inf
    for j in range(C.shape[0]):
        low = np.inf
        for i in range(A.shape[0]):
            high = -np.inf
            for s in range(D):
                d = A[i, s] - C[j, s]
                if d > high:
                    high = d
                    if high >= low:
                        break
            if high < low:
                low = high
                if low <= best:
                    break
        if low > best:
            best = low
    return best


def pointwise_residual(a: StageValue, c: StageValue) -> float:
    """LP-free upper bound on ``max_y sup_b |V_a(y, b) - V_c(y, b)|`` (>= :func:`residual`)."""
    best = 0.0
    for y in range(a.ptr.shape[0] - 1):
        A = a.values[a.ptr[y]:a.ptr[y + 1]]
        C = c.values[c.ptr[y]:c.ptr[y + 1]]
        best = max(best, pointwise_gap(A, C), pointwise_gap(C, A))
    return best


def probe_difference(a: StageValue, c: StageValue, probes: list) -> float:
    """``max |V_a(y, b) - V_c(y, b)|`` over the probe beliefs: a lower bound on the residual.

    ``probes[y]`` is a float64[P, S] array of beliefs for observed state ``y``.
    """
    best = 0.0
    for y in range(a.ptr.shape[0] - 1):
        B = probes[y]
        va = np.min(B @ a.values[a.ptr[y]:a.ptr[y + 1]].T, axis=1)
        vc = np.min(B @ c.values[c.ptr[y]:c.ptr[y + 1]].T, axis=1)
        best = max(best, float(np.max(np.abs(va - vc))))
    return best


def _sup_difference(A: np.ndarray, C: np.ndarray, best: float, beliefs: list) -> tuple[float, int, int]:
    """Bound on ``sup_b (V_A - V_C)``; rows of ``C`` that cannot beat ``best`` are skipped.

    The LPs' optimal beliefs are appended to ``beliefs``.
    """
    lps = fallbacks = 0
    bound = -np.inf
    for c in C:
        D = A - c[None, :]
        cheap = float(np.min(np.max(D, axis=1)))
        if cheap <= max(best, bound):
            continue  # includes every c that is (pointwise above) a row of A
        value, failed, b = _one_sided_lp(D, cheap)
        lps += 1
        fallbacks += int(failed)
        bound = max(bound, value)
        if b is not None:
            beliefs.append(b)
    return bound, lps, fallbacks


def residual(a: StageValue, c: StageValue) -> ResidualBound:
    """Certified bound on ``max_y sup_b |V_a(y, b) - V_c(y, b)|`` (module docstring).

    ``a`` and ``c`` must have the same observed states and hidden states.
    """
    best, lps, fallbacks, found = 0.0, 0, 0, []
    for y in range(a.ptr.shape[0] - 1):
        A = a.values[a.ptr[y]:a.ptr[y + 1]]
        C = c.values[c.ptr[y]:c.ptr[y + 1]]
        beliefs: list = []
        if not (A.shape == C.shape and np.array_equal(A, C)):
            for first, second in ((A, C), (C, A)):
                bound, n, f = _sup_difference(first, second, best, beliefs)
                best, lps, fallbacks = max(best, bound), lps + n, fallbacks + f
        found.append(np.array(beliefs).reshape(len(beliefs), A.shape[1]))
    return ResidualBound(float(best), lps, fallbacks, found)


# ------------------------------------------------------------------ iteration


MIN_WITNESS = 1e-11
"""The smallest relative witness margin an infinite-horizon solve tightens to:
below it the certificates of the prunes compete with rounding."""

TIGHTEN_FACTOR = 0.01
"""How much the witness margin shrinks when the pruning error, not the
residual, is what keeps ``epsilon`` from being certified."""


def infinite_value_iteration(
    data: BackupData,
    discount: float,
    epsilon: float,
    method: Method | str = Method.LIFTED,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    max_vectors: int | None = None,
    lp: LPSolver | str = LPSolver.NUMBA,
    progress: Callable[[StageStats], None] | None = None,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    *,
    executor: Executor = SERIAL,
) -> InfiniteRun:
    """Value iteration until ``|| V_{n+1} - V* || <= epsilon`` is certified.

    Parameters
    ----------
    data : BackupData
        Time-invariant cost (``cost.shape[0] == 1``); ``discount`` already
        inside ``projection``.
    discount : float
        ``beta`` in ``(0, 1)``.
    epsilon : float
        Target on the certified error bound (> 0).
    max_iterations : int
        Give up (``converged=False``) after this many backups.
    executor : Executor
        Runs the prunes' work units (:mod:`decmdp.core.executors`); the
        answer does not depend on it.

    Only two stages are held in memory at any time.  When a backup's proven
    pruning error alone would use up more than half of ``epsilon``, the
    witness (and dominance) margins shrink by :data:`TIGHTEN_FACTOR`, down
    to :data:`MIN_WITNESS`; past that, or when a backup returns exactly its
    input (:func:`same_stage`: a fixed point, where the bound cannot shrink
    any more), iteration stops with ``converged=False``.

    Raises
    ------
    ValueError
        If ``discount`` is not in ``(0, 1)`` or the cost is time-varying.
    """
    if not 0.0 < discount < 1.0:
        raise ValueError(f"discount: is {discount!r}, an infinite horizon needs 0 < discount < 1")
    # The backup's contraction factor: the discount, or more when the rows of a
    # .POMDP file sum to a little above 1 (they may, within its tolerance).
    factor = max(discount, contraction(data))
    if not factor < 1.0:
        raise ValueError(f"discount: the backup does not contract (factor {factor:.9g}; probability rows "
                         f"summing above 1 times the discount {discount:g}); an infinite horizon needs < 1")
    if not epsilon > 0.0:
        raise ValueError(f"epsilon: is {epsilon!r}, expected a positive number")
    if data.cost.shape[0] != 1:
        raise ValueError("cost: is time-varying; an infinite horizon needs a time-invariant cost")
    if max_iterations < 1:
        raise ValueError(f"max_iterations: is {max_iterations!r}, expected a positive integer")
    previous = terminal_stage(data)
    S = previous.values.shape[1]
    fixed = np.vstack([np.eye(S), np.full((1, S), 1.0 / S)])
    probes = [fixed] * (previous.ptr.shape[0] - 1)
    stats: list[StageStats] = []
    res_lps = res_fallbacks = 0

    def certifiable(residual_value: float) -> bool:
        return (slack + factor * residual_value) / (1.0 - factor) <= epsilon

    slack = 0.0
    for n in range(max_iterations):
        # cost.shape[0] == 1: the stage index only names the iteration (in stats and errors)
        executor.reset_counts(n)
        stage, st = backup_stage(data, n, previous, method, tolerances, max_vectors, lp, executor=executor)
        # This backup's proven distance to the exact backup of ``previous``.
        slack = st.prune_error + rounding_error(data, data.cost[0], previous, factor)
        t0 = time.perf_counter()
        r = pointwise_residual(stage, previous)
        if not certifiable(r) and certifiable(probe_difference(stage, previous, probes)):
            rb = residual(stage, previous)
            res_lps += rb.lps
            res_fallbacks += rb.fallbacks
            r = min(r, rb.value)
            probes = [np.vstack([fixed, found]) for found in rb.beliefs]
        st = st._replace(seconds=st.seconds + time.perf_counter() - t0)
        stats.append(st)
        if progress is not None:
            progress(st)
        bound = (slack + factor * r) / (1.0 - factor)
        if bound <= epsilon or n + 1 == max_iterations:
            return InfiniteRun(stage, previous, n + 1, r, bound, slack, bound <= epsilon, stats, res_lps,
                               res_fallbacks)
        if slack / (1.0 - factor) > epsilon / 2:
            if tolerances.witness <= MIN_WITNESS:
                # The pruning's precision, not the iteration, limits the bound.
                return InfiniteRun(stage, previous, n + 1, r, bound, slack, False, stats, res_lps,
                                   res_fallbacks)
            tolerances = tolerances._replace(witness=max(MIN_WITNESS, tolerances.witness * TIGHTEN_FACTOR),
                                             dominance=tolerances.dominance * TIGHTEN_FACTOR)
        elif same_stage(stage, previous):
            return InfiniteRun(stage, previous, n + 1, r, bound, slack, False, stats, res_lps,
                               res_fallbacks)
        previous = stage
    raise AssertionError("unreachable: the loop returns at its last iteration")


# ------------------------------------------------------------------ controller


def close_cycles(data: BackupData, run: InfiniteRun) -> np.ndarray:
    """Successor pointers of ``run.stage`` redirected into ``run.stage`` itself.

    Row ``n`` of ``Gamma_{n+1}`` was built from successor vectors
    ``alpha'`` of ``Gamma_n``.  Each is replaced by the vector ``beta`` of
    ``Gamma_{n+1}`` (same target observed state) with the least pointwise
    excess ``e = max_s (beta - alpha')(s)``, ties to the lowest row.  If
    every replacement has excess at most ``e``, following the closed graph
    costs at most ``beta e / (1 - beta)`` more than the vectors say, in
    every component; the exact value is computed separately anyway.

    Returns
    -------
    int64[N, n_labels]
        Global row of ``run.stage`` to follow after each label; -1 where the
        label is not a branch of the row's action.
    """
    stage, prev = run.stage, run.previous
    Y = stage.ptr.shape[0] - 1
    A = (data.branch_ptr.shape[0] - 1) // Y
    nxt = np.full(stage.successor.shape, -1, dtype=np.int64)
    for y in range(Y):
        for row in range(int(stage.ptr[y]), int(stage.ptr[y + 1])):
            a = int(stage.action[row])
            for k in range(int(data.branch_ptr[y * A + a]), int(data.branch_ptr[y * A + a + 1])):
                label, target = int(data.branch_label[k]), int(data.branch_target[k])
                old = prev.values[int(prev.ptr[target]) + int(stage.successor[row, label])]
                lo, hi = int(stage.ptr[target]), int(stage.ptr[target + 1])
                excess = np.max(stage.values[lo:hi] - old[None, :], axis=1)
                nxt[row, label] = lo + int(np.argmin(excess))
    return nxt
