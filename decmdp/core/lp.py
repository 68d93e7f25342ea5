"""The witness LP of Lark / White pruning, as a dense simplex kernel.

Costs are minimized, so a vector ``v`` is useful against a kept set ``W``
when some belief ``b`` sees it strictly below every kept vector:

    delta* = max_{b in simplex} min_{w in W} b . (w - v)            (P)

``v`` has a witness iff ``delta* > witness``.  (P) is the value of a matrix
game whose payoff is ``M[i, j] = w_j(i) - v(i)``: the row player picks a
state ``i`` (mixed: ``b``), the column player a kept vector ``j``.

Solving it
----------
Shift and scale the payoff into ``[1, 2]`` (``lo``/``hi`` = min/max entry,
``r = hi - lo``)::

    A[i, j] = (M[i, j] - lo) / r + 1,        game value  vA = (delta* - lo) / r + 1

With ``A > 0`` the classic game-to-LP substitution gives the LP

    maximize  sum_j y_j   s.t.  A y <= 1,  y >= 0,           vA = 1 / max

whose slack basis ``y = 0`` is feasible, so no phase 1 is needed.  It has
only ``D`` rows (the belief dimension, at most a few dozen) and ``m + D``
columns (kept vectors plus slacks), which keeps every pivot cheap even for
thousands of kept vectors.  The optimal dual prices ``pi`` of the ``D`` rows
are the negated reduced costs of the slack columns and ``b = pi / sum(pi)``
is an optimal belief for (P): the witness.

Pivoting: Dantzig's largest reduced cost; after a run of degenerate pivots
the kernel switches to Bland's rule (smallest index enters, ties in the
ratio test leave by smallest basic index) which cannot cycle.  An iteration
cap bounds the work; hitting it is reported, never hidden.

:func:`witness_lp_highs` solves (P) directly with scipy's HiGHS for
cross-checking; every HiGHS status is handled explicitly.
"""

from __future__ import annotations

import numpy as np

from decmdp._numba import kernel

LP_OPTIMAL = 0
"""Status: solved; ``delta`` and the belief are valid."""
LP_ITERATION_LIMIT = 1
"""Status: the simplex hit its iteration cap; nothing is known."""
LP_NUMERICAL = 2
"""Status: numerical trouble (no pivot row, zero dual); nothing is known."""


@kernel
def witness_lp(V, kept, n_kept, vi, feasibility, b):  # pragma: no cover - numba
    """Solve the witness LP (P) for ``V[vi]`` against ``V[kept[:n_kept]]``.

    Inputs are trusted: ``V`` float64[N, D] C-contiguous, ``kept`` int64 row
    indices into ``V``, ``0 <= vi < N``, ``b`` float64[D] output buffer.

    Parameters
    ----------
    feasibility : float
        Pivot tolerance (``Tolerances.lp_feasibility``): a column entry must
        exceed it to be a pivot, a reduced cost must exceed it to enter.

    Returns
    -------
    status : int
        :data:`LP_OPTIMAL`, :data:`LP_ITERATION_LIMIT` or :data:`LP_NUMERICAL`.
    delta : float
        ``delta*`` of (P) when optimal (``+inf`` when ``n_kept == 0``).
        ``b`` holds the optimal belief.
    """
    D = V.shape[1]
    m = n_kept
    if m == 0:
        for i in range(D):
            b[i] = 1.0 / D
        return LP_OPTIMAL, np.inf
    lo = np.inf
    hi = -np.inf
    for jj in range(m):
        j = kept[jj]
        for i in range(D):
            d = V[j, i] - V[vi, i]
            if d < lo:
                lo = d
            if d > hi:
                hi = d
    if not hi > lo:
        # Every payoff equals lo: delta* = lo at any belief.
        for i in range(D):
            b[i] = 1.0 / D
        return LP_OPTIMAL, lo
    r = hi - lo
    ncol = m + D + 1
    rhs = ncol - 1
    T = np.zeros((D + 1, ncol))
    basis = np.empty(D, dtype=np.int64)
    for i in range(D):
        for jj in range(m):
            T[i, jj] = (V[kept[jj], i] - V[vi, i] - lo) / r + 1.0
        T[i, m + i] = 1.0
        T[i, rhs] = 1.0
        basis[i] = m + i
    for jj in range(m):
        T[D, jj] = 1.0
    max_iter = 100 + 10 * (m + D)
    degenerate_run = 0
    bland = False
    it = 0
    while True:
        # Entering column.
        e = -1
        if bland:
            for j in range(m + D):
                if T[D, j] > feasibility:
                    e = j
                    break
        else:
            best = feasibility
            for j in range(m + D):
                if T[D, j] > best:
                    best = T[D, j]
                    e = j
        if e < 0:
            break
        if it >= max_iter:
            return LP_ITERATION_LIMIT, 0.0
        it += 1
        # Ratio test; ties leave by smallest basic index (Bland).
        p = -1
        best_ratio = np.inf
        for i in range(D):
            a = T[i, e]
            if a > feasibility:
                ratio = T[i, rhs] / a
                if ratio < best_ratio or (ratio == best_ratio and basis[i] < basis[p]):
                    best_ratio = ratio
                    p = i
        if p < 0:
            return LP_NUMERICAL, 0.0
        if best_ratio <= 0.0:
            degenerate_run += 1
            if degenerate_run > D + 1:
                bland = True
        else:
            degenerate_run = 0
        # Pivot on (p, e).
        inv = 1.0 / T[p, e]
        for j in range(ncol):
            T[p, j] *= inv
        T[p, e] = 1.0
        for i in range(D + 1):
            if i != p:
                f = T[i, e]
                if f != 0.0:
                    for j in range(ncol):
                        T[i, j] -= f * T[p, j]
                    T[i, e] = 0.0
        for i in range(D):
            if T[i, rhs] < 0.0:
                T[i, rhs] = 0.0
        basis[p] = e
    z = -T[D, rhs]
    total = 0.0
    for i in range(D):
        pi = -T[D, m + i]
        if pi < 0.0:
            pi = 0.0
        b[i] = pi
        total += pi
    if not (total > 0.0 and z > 0.0):
        return LP_NUMERICAL, 0.0
    for i in range(D):
        b[i] /= total
    delta = (1.0 / z - 1.0) * r + lo
    return LP_OPTIMAL, delta


_HIGHS_OPTIONS = {
    # HiGHS defaults (1e-7) are far looser than the witness tolerance.
    "primal_feasibility_tolerance": 1e-10,
    "dual_feasibility_tolerance": 1e-10,
}


def witness_lp_highs(W: np.ndarray, v: np.ndarray) -> tuple[int, float, np.ndarray]:
    """Solve (P) for ``v`` against the rows of ``W`` with scipy's HiGHS.

    Parameters
    ----------
    W : float64[m, D]
        Kept vectors (``m >= 1``).
    v : float64[D]
        The vector under test.

    Returns
    -------
    status, delta, b
        As :func:`witness_lp`; ``b`` is the optimal belief when optimal.

    Raises
    ------
    RuntimeError
        HiGHS reports the LP infeasible or unbounded (impossible for (P):
        it is always feasible and bounded), or an unknown status.
    """
    from scipy.optimize import linprog

    m, D = W.shape
    # Variables (b_0 .. b_{D-1}, delta); maximize delta.
    c = np.zeros(D + 1)
    c[D] = -1.0
    A_ub = np.empty((m, D + 1))
    A_ub[:, :D] = -(W - v[None, :])
    A_ub[:, D] = 1.0
    b_ub = np.zeros(m)
    A_eq = np.zeros((1, D + 1))
    A_eq[0, :D] = 1.0
    bounds = [(0.0, None)] * D + [(None, None)]
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=b_ub,
        A_eq=A_eq,
        b_eq=np.ones(1),
        bounds=bounds,
        method="highs",
        options=_HIGHS_OPTIONS,
    )
    status = res.status
    if status == 0:
        x = np.asarray(res.x, dtype=np.float64)
        b = np.clip(x[:D], 0.0, None)
        total = b.sum()
        if not total > 0.0:
            return LP_NUMERICAL, 0.0, np.full(D, 1.0 / D)
        return LP_OPTIMAL, float(x[D]), b / total
    if status == 1:
        return LP_ITERATION_LIMIT, 0.0, np.full(D, 1.0 / D)
    if status == 4:
        return LP_NUMERICAL, 0.0, np.full(D, 1.0 / D)
    if status == 2:
        raise RuntimeError(
            f"HiGHS reports the witness LP infeasible (status 2: {res.message}); "
            "it is feasible by construction, so the input is corrupt"
        )
    if status == 3:
        raise RuntimeError(
            f"HiGHS reports the witness LP unbounded (status 3: {res.message}); "
            "it is bounded by construction, so the input is corrupt"
        )
    raise RuntimeError(f"HiGHS returned unknown status {status!r}: {res.message}")
