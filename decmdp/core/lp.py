"""The witness LP of Lark / White pruning: a dense simplex in numba.

Costs are minimized, so a vector ``v`` is useful against a kept set ``W``
when some belief ``b`` sees it strictly below every kept vector:

    delta* = max_{b in simplex} min_{w in W} b . (w - v)            (P)

``v`` has a witness iff ``delta* > witness``.  (P) is the value of a matrix
game whose payoff is ``M[i, j] = w_j(i) - v(i)``: the row player picks a
state ``i`` (mixed: ``b``), the column player a kept vector ``j``.

Solving it (:func:`witness_lp`)
-------------------------------
Shift and scale the payoff into ``[1, 2]`` (``lo``/``hi`` = min/max entry,
``r = hi - lo``)::

    A[i, j] = (M[i, j] - lo) / r + 1,        game value  vA = (delta* - lo) / r + 1

With ``A > 0`` the classic game-to-LP substitution gives the LP

    maximize  sum_j y_j   s.t.  A y <= 1,  y >= 0,           vA = 1 / max

whose slack basis ``y = 0`` is feasible, so no phase 1 is needed.  It has
only ``D`` rows (the belief dimension) and ``m + D`` columns, so a pivot
costs ``O(D (m + D))``.  The optimal dual prices ``pi`` of the ``D`` rows are
the negated reduced costs of the slack columns and ``b = pi / sum(pi)`` is an
optimal belief for (P): the witness.

Pivoting: Dantzig's largest reduced cost; after a run of degenerate pivots
the kernel switches to Bland's rule (smallest index enters, ties in the
ratio test leave by smallest basic index), which cannot cycle.  An
iteration cap bounds the work; hitting it is reported, never hidden.

Deciding many vectors (:func:`witness_decide`, :func:`witness_filter`)
--------------------------------------------------------------------
Only ``<= D + 1`` kept vectors are active at the optimum of (P), so
:func:`witness_decide` solves it by constraint generation over a small
working set, pricing all kept vectors at the current belief between LPs;
both of its exits are exact tests (see its docstring).  Kept vectors are
stored as the columns of ``KT[D, M]`` so pricing runs along contiguous rows.
:func:`witness_filter` is the Lark/White loop of :mod:`decmdp.core.prune`.

:func:`witness_lp_highs` solves (P) directly with scipy's HiGHS for
cross-checking; every HiGHS status is handled explicitly.

Every kernel of the witness step lives in this one file on purpose: numba's
on-disk cache is invalidated per source file, so a kernel calling a kernel
of another module could keep running stale compiled code after an edit.
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
def witness_lp(KT, cols, n_cols, v, feasibility, b):  # pragma: no cover - numba
    """Solve the witness LP (P) for ``v`` against columns ``KT[:, cols[:n_cols]]``.

    Inputs are trusted: ``KT`` float64[D, M] C-contiguous holds kept vectors
    as COLUMNS (pricing then runs along contiguous rows), ``cols`` int64
    column indices, ``v`` float64[D], ``b`` float64[D] output buffer.

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
        ``delta*`` of (P) when optimal (``+inf`` when ``n_cols == 0``).
        ``b`` holds the optimal belief.
    """
    D = KT.shape[0]
    m = n_cols
    if m == 0:
        for i in range(D):
            b[i] = 1.0 / D
        return LP_OPTIMAL, np.inf
    lo = np.inf
    hi = -np.inf
    for jj in range(m):
        j = cols[jj]
        for i in range(D):
            d = KT[i, j] - v[i]
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
            T[i, jj] = (KT[i, cols[jj]] - v[i] - lo) / r + 1.0
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


@kernel
def _price(KT, m, v, b, vals):  # pragma: no cover - numba
    """``vals[j] = b . (KT[:, j] - v)`` for ``j < m``; returns the minimum."""
    D = KT.shape[0]
    bv = 0.0
    for i in range(D):
        bv += b[i] * v[i]
    for j in range(m):
        vals[j] = -bv
    for i in range(D):
        bi = b[i]
        if bi != 0.0:
            for j in range(m):
                vals[j] += bi * KT[i, j]
    low = np.inf
    for j in range(m):
        if vals[j] < low:
            low = vals[j]
    return low


@kernel
def witness_decide(KT, n_kept, v, witness, feasibility, b, hint, n_hint):  # pragma: no cover - numba
    """Decide ``delta* > witness`` for ``v`` against ``KT[:, :n_kept]``.

    (P) needs at most ``D + 1`` of the kept vectors at its optimum, so the
    LP of :func:`witness_lp` is solved over a small working set only
    (constraint generation)::

        b  <- the vertex where v comes closest to beating the kept set
        loop:
            price every kept w at b:  delta_b = min_w b . (w - v)
            delta_b > witness                 -> witness b      (exact test)
            add the most blocking kept w (b . (w - v) <= witness, not yet
            in the working set) to the working set
            (delta_s, b) <- witness_lp(working set)
            delta_s <= witness                -> no witness     (delta* <= delta_s)

    Both exits are rigorous: ``delta_b`` is evaluated directly at ``b``, and
    dropping constraints can only raise the LP's maximum.  Trusted input as
    for :func:`witness_lp`.

    Returns
    -------
    status : int
        :data:`LP_OPTIMAL` when decided; :data:`LP_ITERATION_LIMIT` or
        :data:`LP_NUMERICAL` (e.g. the LP claims a witness that pricing
        refutes while every blocking vector is already in the working set).
    delta : float
        ``> witness``: ``b`` is a witness and ``delta`` the margin there;
        ``<= witness``: no witness.
    lps : int
        Restricted LPs solved.
    """
    D = KT.shape[0]
    m = n_kept
    if m == 0:
        for i in range(D):
            b[i] = 1.0 / D
        return LP_OPTIMAL, np.inf, 0, 0
    work = np.empty(m, dtype=np.int64)
    in_work = np.zeros(m, dtype=np.bool_)
    vals = np.empty(m)
    cand = np.empty(m, dtype=np.int64)
    cand_vals = np.empty(m)
    nw = 0
    lps = 0
    for h in range(n_hint):
        j = hint[h]
        if j < m and not in_work[j]:
            in_work[j] = True
            work[nw] = j
            nw += 1
    if nw > 0:
        # Warm start: the previous vector's working set (often a neighbour).
        status, delta_s = witness_lp(KT, work, nw, v, feasibility, b)
        lps += 1
        if status != LP_OPTIMAL:
            return status, 0.0, lps, _keep_hint(work, nw, hint)
        if delta_s <= witness:
            return LP_OPTIMAL, delta_s, lps, _keep_hint(work, nw, hint)
    else:
        # Cold start at the vertex where v comes closest to the kept set.
        i0 = 0
        best_gap = -np.inf
        for i in range(D):
            g = np.inf
            for j in range(m):
                if KT[i, j] < g:
                    g = KT[i, j]
            g -= v[i]
            if g > best_gap:
                best_gap = g
                i0 = i
        for i in range(D):
            b[i] = 0.0
        b[i0] = 1.0
    first = 2 * (D + 1)
    batch = D + 1
    for _ in range(m + 1):
        delta_b = _price(KT, m, v, b, vals)
        if delta_b > witness:
            return LP_OPTIMAL, delta_b, lps, _keep_hint(work, nw, hint)
        want = first if nw == 0 else batch
        nc = 0
        for j in range(m):
            if vals[j] <= witness and not in_work[j]:
                cand[nc] = j
                cand_vals[nc] = vals[j]
                nc += 1
        if nc == 0:
            return LP_NUMERICAL, 0.0, lps, _keep_hint(work, nw, hint)
        if nc > want:
            thr = np.partition(cand_vals[:nc], want - 1)[want - 1]
        else:
            thr = np.inf
        added = 0
        for c in range(nc):
            if added < want and cand_vals[c] <= thr:
                j = cand[c]
                in_work[j] = True
                work[nw] = j
                nw += 1
                added += 1
        status, delta_s = witness_lp(KT, work, nw, v, feasibility, b)
        lps += 1
        if status != LP_OPTIMAL:
            return status, 0.0, lps, _keep_hint(work, nw, hint)
        if delta_s <= witness:
            return LP_OPTIMAL, delta_s, lps, _keep_hint(work, nw, hint)
    return LP_ITERATION_LIMIT, 0.0, lps, _keep_hint(work, nw, hint)


@kernel
def _keep_hint(work, nw, hint):  # pragma: no cover - numba
    """Copy the most recent ``len(hint)`` working-set columns into ``hint``."""
    n = min(nw, hint.shape[0])
    for h in range(n):
        hint[h] = work[nw - n + h]
    return n


@kernel
def _lex_less(V, j, k):  # pragma: no cover - numba
    """Whether row ``j`` of ``V`` is lexicographically smaller than row ``k``."""
    for i in range(V.shape[1]):
        if V[j, i] != V[k, i]:
            return V[j, i] < V[k, i]
    return False


@kernel
def best_at(V, cand, n_cand, b):  # pragma: no cover - numba
    """Position in ``cand[:n_cand]`` of the row minimizing ``b . V[row]``.

    Exact ties go to the lexicographically smaller row.  Trusted input,
    ``n_cand >= 1``.
    """
    D = V.shape[1]
    best = 0
    best_val = np.inf
    for p in range(n_cand):
        j = cand[p]
        s = 0.0
        for i in range(D):
            s += b[i] * V[j, i]
        if s < best_val:
            best_val = s
            best = p
        elif s == best_val and _lex_less(V, j, cand[best]):
            best = p
    return best


@kernel
def _best_undecided(UT, nu, b, vals, V, und):  # pragma: no cover - numba
    """Position ``p < nu`` minimizing ``b . UT[:, p]``; exact ties go to the
    lexicographically smaller row ``V[und[p]]``.  Trusted input."""
    D = UT.shape[0]
    for p in range(nu):
        vals[p] = 0.0
    for i in range(D):
        bi = b[i]
        if bi != 0.0:
            for p in range(nu):
                vals[p] += bi * UT[i, p]
    best = 0
    for p in range(1, nu):
        if vals[p] < vals[best]:
            best = p
    low = vals[best]
    for p in range(best + 1, nu):
        if vals[p] == low and _lex_less(V, und[p], und[best]):
            best = p
    return best


@kernel
def witness_filter(V, kept0, und0, witness, feasibility):  # pragma: no cover - numba
    """Lark/White step: decide every undecided row of ``V`` by witness LPs.

    ``kept0`` rows are known to be on the envelope.  Each undecided row is
    either dropped (no witness, :func:`witness_decide`) or yields a witness
    ``b``, and then the best UNDECIDED row at ``b`` joins the kept set (it
    beats every kept row there by more than ``witness``, and no other
    candidate beats it there, so it belongs to the final envelope).  A row
    whose decision fails is kept (always safe) and counted.  Kept and
    undecided rows are held column-major (``KT``, ``UT``) for pricing.
    Trusted input.

    Returns
    -------
    kept : int64[]
        Row indices, ascending.
    lps, trouble : int, int
        LPs solved; decisions that could not be trusted (row kept).
    """
    N, D = V.shape
    nk = kept0.shape[0]
    nu = und0.shape[0]
    kept = np.empty(nk + nu, dtype=np.int64)
    KT = np.empty((D, nk + nu))
    for k in range(nk):
        kept[k] = kept0[k]
        for i in range(D):
            KT[i, k] = V[kept0[k], i]
    und = und0.copy()
    UT = np.empty((D, nu))
    for p in range(nu):
        for i in range(D):
            UT[i, p] = V[und[p], i]
    b = np.empty(D)
    vals = np.empty(nu)
    hint = np.empty(min(12 * (D + 1), max(2 * (D + 1), 200)), dtype=np.int64)
    n_hint = 0
    lps = 0
    trouble = 0
    while nu > 0:
        v = V[und[nu - 1]]
        status, delta, n_lp, n_hint = witness_decide(
            KT, nk, v, witness, feasibility, b, hint, n_hint
        )
        lps += n_lp
        if status != LP_OPTIMAL:
            trouble += 1
            pick = nu - 1
        elif delta <= witness:
            nu -= 1
            continue
        else:
            # delta is the margin of v at b over every kept row, priced
            # directly: b is a witness.
            pick = _best_undecided(UT, nu, b, vals, V, und)
        j = und[pick]
        kept[nk] = j
        for i in range(D):
            KT[i, nk] = V[j, i]
        nk += 1
        und[pick] = und[nu - 1]
        for i in range(D):
            UT[i, pick] = UT[i, nu - 1]
        nu -= 1
    return np.sort(kept[:nk]), lps, trouble


_HIGHS_OPTIONS = {
    # HiGHS defaults (1e-7) are far looser than the witness tolerance.
    "primal_feasibility_tolerance": 1e-10,
    "dual_feasibility_tolerance": 1e-10,
}


def witness_lp_highs(W: np.ndarray, v: np.ndarray) -> tuple[int, float, np.ndarray]:
    """Solve (P) for ``v`` against the ROWS of ``W`` with scipy's HiGHS.

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
