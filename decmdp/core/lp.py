"""The witness LP of Lark / White pruning: a dense simplex in numba, with
certificates checked in unscaled arithmetic.

Costs are minimized, so a vector ``v`` is useful against a kept set ``W``
when some belief ``b`` sees it strictly below every kept vector:

    delta* = max_{b in simplex} min_{w in W} b . (w - v)            (P)

``v`` is dropped only when ``delta* <= tau`` is PROVEN, where ``tau`` is
the absolute witness margin of the prune (:mod:`decmdp.core.prune`).  (P)
is the value of a matrix game whose payoff is ``M[i, j] = w_j(i) - v(i)``:
the row player picks a state ``i`` (mixed: ``b``), the column player a kept
vector ``j`` (mixed: ``y``).  Both sides of a decision carry a proof:

* witness:  ``min_j b . (w_j - v) > tau`` priced directly at ``b``;
* no witness (weak duality): for ANY mixed strategy ``y`` over the kept
  vectors, ``delta* <= max_i (sum_j y_j w_j(i) - v(i))``.  The LP's optimal
  ``y`` makes this bound tight; :func:`drop_certificate` evaluates it on the
  original numbers, so a scaled tableau that lost precision cannot drop a
  needed vector: it only fails to prove, and the decision goes to HiGHS
  (:func:`witness_decide_highs`), whose answer is certified the same way.
  When neither proves anything the vector is kept (always safe).

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
optimal belief for (P); ``y / sum(y)`` is the column player's optimal
strategy.

Pivoting: Dantzig's largest reduced cost; after a run of degenerate pivots
the kernel switches to Bland's rule (smallest index enters, ties in the
ratio test leave by smallest basic index), which cannot cycle.  An
iteration cap bounds the work; hitting it is reported, never hidden.

Deciding many vectors (:func:`witness_decide`, :func:`witness_units`, :func:`witness_merge`)
-----------------------------------------------------------------------------------------
Only ``<= D + 1`` kept vectors are active at the optimum of (P), so
:func:`witness_decide` solves it by constraint generation over a small
working set, pricing all kept vectors at the current belief between LPs.
Kept vectors are stored as the columns of ``KT[D, M]`` so pricing runs
along contiguous rows.  The Lark/White loop runs in rounds
(:func:`decmdp.core.prune.prune_counted`): :func:`witness_units` decides
a group of work units of candidates against a fixed snapshot of the kept
set (the caller asks HiGHS where it proves nothing), and :func:`witness_merge`
applies a round's decisions in candidate order.

Every kernel of the witness step lives in this one file on purpose: numba's
on-disk cache is invalidated per source file, so a kernel calling a kernel
of another module could keep running stale compiled code after an edit.
"""

from __future__ import annotations

import numpy as np

from decmdp._numba import kernel
from decmdp.tolerances import DEFAULT_TOLERANCES, HIGHS_MIN_TOLERANCE

LP_OPTIMAL = 0
"""Status: solved; ``delta`` and the belief are valid."""
LP_ITERATION_LIMIT = 1
"""Status: the simplex hit its iteration cap; nothing is known."""
LP_NUMERICAL = 2
"""Status: numerical trouble (no pivot row, zero dual); nothing is known."""

WITNESS = 0
"""Decision: ``b`` is a witness, priced directly; the bound is the margin there."""
DROP = 1
"""Decision: no witness, proven; the bound is a certified upper bound on ``delta*``."""
DOUBT = 2
"""Decision: nothing could be proven; the vector must be kept."""

@kernel
def witness_lp(KT, cols, n_cols, v, feasibility, b, y):  # pragma: no cover - numba
    """Solve the witness LP (P) for ``v`` against columns ``KT[:, cols[:n_cols]]``.

    Inputs are trusted: ``KT`` float64[D, M] C-contiguous holds kept vectors
    as COLUMNS (pricing then runs along contiguous rows), ``cols`` int64
    column indices, ``v`` float64[D]; ``b`` float64[D] and ``y``
    float64[>= n_cols] are output buffers.

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
        ``delta*`` of (P) when optimal (``+inf`` when ``n_cols == 0``), as
        the scaled tableau computes it: a hint, never a certificate.  ``b``
        holds the optimal belief (the row player's strategy) and ``y[:n_cols]``
        the column player's optimal mixed strategy over ``cols``, which
        :func:`drop_certificate` turns into a proof in unscaled arithmetic.
    """
    D = KT.shape[0]
    m = n_cols
    if m == 0:
        for i in range(D):
            b[i] = 1.0 / D
        return LP_OPTIMAL, np.inf
    lo, hi = _payoff_range(KT, cols, m, v)
    if not hi > lo:
        # Every payoff equals lo: delta* = lo at any belief.
        for i in range(D):
            b[i] = 1.0 / D
        for jj in range(m):
            y[jj] = 1.0 / m
        return LP_OPTIMAL, lo
    r = hi - lo
    T, basis = _game_tableau(KT, cols, m, v, lo, r)
    status = _simplex(T, basis, m + D, feasibility, 100 + 10 * (m + D))
    if status != LP_OPTIMAL:
        return status, 0.0
    return _game_solution(T, basis, m, lo, r, b, y)


@kernel
def _payoff_range(KT, cols, m, v):  # pragma: no cover - numba
    """Smallest and largest payoff ``KT[i, cols[j]] - v[i]``."""
    lo = np.inf
    hi = -np.inf
    for jj in range(m):
        j = cols[jj]
        for i in range(KT.shape[0]):
            d = KT[i, j] - v[i]
            if d < lo:
                lo = d
            if d > hi:
                hi = d
    return lo, hi


@kernel
def _game_tableau(KT, cols, m, v, lo, r):  # pragma: no cover - numba
    """The tableau of ``max sum y  s.t.  A y <= 1, y >= 0`` with the payoff
    shifted and scaled into ``[1, 2]``, at the slack basis: rows ``0 .. D-1``
    the constraints, row ``D`` the objective, the last column the right-hand
    side; columns ``m .. m + D - 1`` the slacks."""
    D = KT.shape[0]
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
    return T, basis


@kernel
def _simplex(T, basis, n, feasibility, max_iter):  # pragma: no cover - numba
    """Pivot the tableau ``T`` (columns ``0 .. n - 1`` and the right-hand
    side last) to optimality: Dantzig's rule, then Bland's after a run of
    degenerate pivots.  Returns an ``LP_*`` status."""
    D = basis.shape[0]
    degenerate_run = 0
    bland = False
    it = 0
    while True:
        e = _entering(T, n, feasibility, bland)
        if e < 0:
            return LP_OPTIMAL
        if it >= max_iter:
            return LP_ITERATION_LIMIT
        it += 1
        p, ratio = _leaving(T, basis, e, feasibility)
        if p < 0:
            return LP_NUMERICAL
        if ratio <= 0.0:
            degenerate_run += 1
            if degenerate_run > D + 1:
                bland = True
        else:
            degenerate_run = 0
        _pivot(T, p, e)
        basis[p] = e


@kernel
def _entering(T, n, feasibility, bland):  # pragma: no cover - numba
    """The entering column: the largest reduced cost above ``feasibility``
    (Bland: the first such column), or -1 at the optimum."""
    D = T.shape[0] - 1
    e = -1
    if bland:
        for j in range(n):
            if T[D, j] > feasibility:
                return j
        return -1
    best = feasibility
    for j in range(n):
        if T[D, j] > best:
            best = T[D, j]
            e = j
    return e


@kernel
def _leaving(T, basis, e, feasibility):  # pragma: no cover - numba
    """Ratio test for column ``e``; ties leave by the smallest basic index
    (Bland).  Returns the pivot row (-1 when none) and its ratio."""
    rhs = T.shape[1] - 1
    p = -1
    best_ratio = np.inf
    for i in range(basis.shape[0]):
        a = T[i, e]
        if a > feasibility:
            ratio = T[i, rhs] / a
            if ratio < best_ratio or (ratio == best_ratio and basis[i] < basis[p]):
                best_ratio = ratio
                p = i
    return p, best_ratio


@kernel
def _pivot(T, p, e):  # pragma: no cover - numba
    """Pivot on ``(p, e)``; right-hand sides that rounding made negative are
    set to 0."""
    D = T.shape[0] - 1
    ncol = T.shape[1]
    rhs = ncol - 1
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


@kernel
def _game_solution(T, basis, m, lo, r, b, y):  # pragma: no cover - numba
    """Read the optimal belief ``b`` (the slacks' dual prices), the column
    strategy ``y[:m]`` and ``delta*`` (unscaled) off an optimal tableau."""
    D = basis.shape[0]
    rhs = T.shape[1] - 1
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
    for jj in range(m):
        y[jj] = 0.0
    for i in range(D):
        if basis[i] < m:
            y[basis[i]] = max(T[i, rhs], 0.0) / z
    return LP_OPTIMAL, (1.0 / z - 1.0) * r + lo


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
def drop_certificate(KT, cols, n_cols, y, v):  # pragma: no cover - numba
    """Weak-duality bound ``max_i (sum_j y_j KT[i, cols[j]] - v[i])`` on ``delta*``.

    ``y[:n_cols]`` is any mixed strategy (it is renormalized here; negative
    entries count as 0).  Evaluated on the unscaled vectors, so the bound
    holds whatever the LP that proposed ``y`` did; ``+inf`` when ``y`` is
    empty.  Trusted input.
    """
    D = KT.shape[0]
    total = 0.0
    for jj in range(n_cols):
        if y[jj] > 0.0:
            total += y[jj]
    if not total > 0.0:
        return np.inf
    worst = -np.inf
    for i in range(D):
        s = 0.0
        for jj in range(n_cols):
            if y[jj] > 0.0:
                s += (y[jj] / total) * KT[i, cols[jj]]
        d = s - v[i]
        if d > worst:
            worst = d
    return worst


@kernel
def witness_decide(KT, n_kept, v, tau, unit, feasibility, b, hint, n_hint):  # pragma: no cover - numba
    """Decide ``delta* > tau`` for ``v`` against ``KT[:, :n_kept]``, with proof.

    (P) needs at most ``D + 1`` of the kept vectors at its optimum, so the
    LP of :func:`witness_lp` is solved over a small working set only
    (constraint generation)::

        some kept w <= v + tau - (D + 2) unit pointwise -> DROP (a pure strategy)
        b  <- the warm-start LP's belief, or the vertex where v comes closest
              to beating the kept set
        loop:
            price every kept w at b:  delta_b = min_w b . (w - v)
            delta_b > tau + (D + 2) unit              -> WITNESS b  (priced)
            add the most blocking kept w (not yet in the working set)
            (y, b) <- witness_lp(working set)
            drop_certificate(y) + (nw + D + 2) unit <= tau -> DROP  (weak duality)
            the LP claims no witness, unproven         -> DOUBT

    Dropping constraints can only raise the LP's maximum, so a certificate
    over the working set bounds ``delta*`` over all kept vectors.  ``unit``
    (``4 u max|V|``) times the number of terms covers the rounding of a
    priced margin or of a certificate's sums (``nw`` = working set size), and
    is added to every certified bound returned.
    Trusted input as for :func:`witness_lp`.

    Returns
    -------
    decision : int
        :data:`WITNESS`, :data:`DROP` or :data:`DOUBT`.
    bound : float
        WITNESS: the priced margin at ``b``; DROP: the certified upper
        bound on ``delta*``; DOUBT: 0.
    lps : int
        Restricted LPs solved.
    n_hint : int
        Columns of the working set left in ``hint`` for the next call.
    """
    D = KT.shape[0]
    m = n_kept
    if m == 0:
        for i in range(D):
            b[i] = 1.0 / D
        return WITNESS, np.inf, 0, 0
    g = _nearest_dominance(KT, m, v, tau - (D + 2) * unit)
    if g <= tau - (D + 2) * unit:
        return DROP, g + (D + 2) * unit, 0, n_hint
    work = np.empty(m, dtype=np.int64)
    in_work = np.zeros(m, dtype=np.bool_)
    vals = np.empty(m)
    y = np.empty(m)
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
        outcome, d = _solve_working_set(KT, work, nw, v, tau, unit, feasibility, b, y)
        lps += 1
        if outcome == DOUBT or outcome == DROP:
            return outcome, d, lps, _keep_hint(work, nw, hint)
    else:
        _closest_vertex(KT, m, v, b)
    for _ in range(m + 1):
        delta_b = _price(KT, m, v, b, vals)
        if delta_b > tau + (D + 2) * unit:
            return WITNESS, delta_b, lps, _keep_hint(work, nw, hint)
        added = _add_blocking(vals, m, in_work, work, nw, 2 * (D + 1) if nw == 0 else D + 1)
        if added == 0:
            # Every kept vector is in the working set, yet the LP's belief
            # was refuted: the LP cannot be trusted here.
            return DOUBT, 0.0, lps, _keep_hint(work, nw, hint)
        nw += added
        outcome, d = _solve_working_set(KT, work, nw, v, tau, unit, feasibility, b, y)
        lps += 1
        if outcome == UNPROVEN:
            outcome = DOUBT
        if outcome != OPEN:
            return outcome, d, lps, _keep_hint(work, nw, hint)
    return DOUBT, 0.0, lps, _keep_hint(work, nw, hint)


OPEN = -1
"""Outcome of :func:`_solve_working_set`: the LP found a belief to price."""
UNPROVEN = -2
"""Outcome of :func:`_solve_working_set`: the LP claims no witness, but its
certificate does not prove it."""


@kernel
def _nearest_dominance(KT, m, v, threshold):  # pragma: no cover - numba
    """``max_i (KT[i, j] - v[i])`` of the first kept column ``j`` where it is
    at most ``threshold`` (weak duality with a pure strategy; each difference
    is one rounded operation), or ``inf`` when there is none."""
    for j in range(m):
        g = -np.inf
        for i in range(KT.shape[0]):
            x = KT[i, j] - v[i]
            if x > g:
                g = x
                if g > threshold:
                    break
        if g <= threshold:
            return g
    return np.inf


@kernel
def _closest_vertex(KT, m, v, b):  # pragma: no cover - numba
    """Set ``b`` to the vertex where ``v`` comes closest to beating the kept set."""
    D = KT.shape[0]
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


@kernel
def _add_blocking(vals, m, in_work, work, nw, want):  # pragma: no cover - numba
    """Add to the working set ``work[:nw]`` the ``want`` kept vectors not yet
    in it that block the current belief most (lowest priced ``vals``, ties:
    lowest index); returns how many were added."""
    cand = np.empty(m, dtype=np.int64)
    cand_vals = np.empty(m)
    nc = 0
    for j in range(m):
        if not in_work[j]:
            cand[nc] = j
            cand_vals[nc] = vals[j]
            nc += 1
    if nc == 0:
        return 0
    thr = np.partition(cand_vals[:nc], want - 1)[want - 1] if nc > want else np.inf
    added = 0
    for c in range(nc):
        if added < want and cand_vals[c] <= thr:
            in_work[cand[c]] = True
            work[nw + added] = cand[c]
            added += 1
    return added


@kernel
def _solve_working_set(KT, work, nw, v, tau, unit, feasibility, b, y):  # pragma: no cover - numba
    """Solve (P) over the working set ``work[:nw]``, leaving its belief in ``b``.

    Returns
    -------
    outcome, bound
        :data:`DROP` and the certified bound (weak duality on the original
        numbers); :data:`DOUBT` when the LP failed; :data:`UNPROVEN` when it
        claims no witness without proof; :data:`OPEN` when its belief
        should be priced against every kept vector.
    """
    status, delta_s = witness_lp(KT, work, nw, v, feasibility, b, y)
    if status != LP_OPTIMAL:
        return DOUBT, 0.0
    if delta_s > tau:
        return OPEN, 0.0
    d = drop_certificate(KT, work, nw, y, v) + (nw + KT.shape[0] + 2) * unit
    if d <= tau:
        return DROP, d
    return UNPROVEN, 0.0


@kernel
def _keep_hint(work, nw, hint):  # pragma: no cover - numba
    """Copy the most recent ``len(hint)`` working-set columns into ``hint``."""
    n = min(nw, hint.shape[0])
    for h in range(n):
        hint[h] = work[nw - n + h]
    return n


def witness_decide_highs(W: np.ndarray, v: np.ndarray, tau: float, unit: float,
                         feasibility: float) -> tuple[int, float, np.ndarray]:
    """Decide ``delta* > tau`` for ``v`` against the ROWS of ``W`` with HiGHS.

    The LP is solved on the payoff divided by its largest magnitude (HiGHS's
    tolerances are absolute); its answer is then proven on the original
    numbers exactly as :func:`witness_decide` does: a witness by pricing its
    belief, a drop by the weak-duality certificate of its dual solution.

    Parameters
    ----------
    W : float64[m, D]
        Kept vectors (``m >= 1``).
    v : float64[D]
    tau, unit : float
        Absolute witness margin and rounding unit of the prune (as for
        :func:`witness_decide`).
    feasibility : float
        Primal and dual feasibility tolerance for HiGHS (on the scaled LP).

    Returns
    -------
    decision, bound, b
        As :func:`witness_decide`; ``b`` the witness belief for WITNESS.
    """
    m, D = W.shape
    status, _, b, y = witness_lp_highs(W, v, feasibility)
    if status != LP_OPTIMAL:
        return DOUBT, 0.0, b
    delta_b = float(np.min(W @ b - v @ b))
    if delta_b > tau + (D + 2) * unit:
        return WITNESS, delta_b, b
    d = drop_certificate(np.ascontiguousarray(W.T), np.arange(m, dtype=np.int64), m, y, v) + (m + D + 2) * unit
    if d <= tau:
        return DROP, float(d), b
    return DOUBT, 0.0, b


def witness_lp_highs(W: np.ndarray, v: np.ndarray,
                     feasibility: float = DEFAULT_TOLERANCES.lp_feasibility
                     ) -> tuple[int, float, np.ndarray, np.ndarray]:
    """Solve (P) for ``v`` against the ROWS of ``W`` with scipy's HiGHS.

    Parameters
    ----------
    W : float64[m, D]
        Kept vectors (``m >= 1``).
    v : float64[D]
        The vector under test.
    feasibility : float
        HiGHS primal and dual feasibility tolerance, applied to the payoff
        scaled to largest magnitude 1 (``Tolerances.lp_feasibility``).

    Returns
    -------
    status, delta, b, y
        As :func:`witness_lp`: ``delta`` unscaled, ``b`` the optimal belief
        and ``y`` the column player's strategy (HiGHS's dual values) when
        optimal.

    Raises
    ------
    RuntimeError
        HiGHS reports the LP infeasible or unbounded (impossible for (P):
        it is always feasible and bounded), or an unknown status.
    """
    from scipy.optimize import linprog

    m, D = W.shape
    payoff = W - v[None, :]
    scale = float(np.max(np.abs(payoff))) if payoff.size else 0.0
    scale = scale if scale > 0.0 else 1.0
    # Variables (b_0 .. b_{D-1}, delta); maximize delta.
    c = np.zeros(D + 1)
    c[D] = -1.0
    A_ub = np.empty((m, D + 1))
    A_ub[:, :D] = -payoff / scale
    A_ub[:, D] = 1.0
    A_eq = np.zeros((1, D + 1))
    A_eq[0, :D] = 1.0
    bounds = [(0.0, None)] * D + [(None, None)]
    tol = max(feasibility, HIGHS_MIN_TOLERANCE)
    options = {"primal_feasibility_tolerance": tol, "dual_feasibility_tolerance": tol}
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(m), A_eq=A_eq, b_eq=np.ones(1), bounds=bounds,
                  method="highs", options=options)
    uniform, none = np.full(D, 1.0 / D), np.zeros(m)
    status = res.status
    if status == 0:
        x = np.asarray(res.x, dtype=np.float64)
        b = np.clip(x[:D], 0.0, None)
        total = b.sum()
        if not total > 0.0:
            return LP_NUMERICAL, 0.0, uniform, none
        y = np.clip(-np.asarray(res.ineqlin.marginals, dtype=np.float64), 0.0, None)
        return LP_OPTIMAL, float(x[D]) * scale, b / total, y
    if status == 1:
        return LP_ITERATION_LIMIT, 0.0, uniform, none
    if status == 4:
        return LP_NUMERICAL, 0.0, uniform, none
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


@kernel
def _ranks_before(LT, order, val_r, val_s, r, s):  # pragma: no cover - numba
    """Whether column ``r`` of ``LT`` (value ``val_r`` at some belief) ranks
    before column ``s``: smaller value, then the lexicographically smaller
    column, then the smaller ``order``."""
    if val_r != val_s:
        return val_r < val_s
    for i in range(LT.shape[0]):
        if LT[i, r] != LT[i, s]:
            return LT[i, r] < LT[i, s]
    return order[r] < order[s]


@kernel
def _value_at(LT, c, b):  # pragma: no cover - numba
    """``b . LT[:, c]``, added exactly as :func:`_best_column` adds it."""
    v = 0.0
    for i in range(LT.shape[0]):
        if b[i] != 0.0:
            v += b[i] * LT[i, c]
    return v


@kernel
def witness_units(KT, n_kept, rows, starts, tau, unit, feasibility, decision, bound,
                  B):  # pragma: no cover - numba
    """Decide every row of ``rows`` against the FIXED kept set ``KT[:, :n_kept]``.

    ``rows[starts[u]:starts[u + 1]]`` is work unit ``u`` of the batched
    Lark/White loop (:mod:`decmdp.core.prune`): :func:`witness_decide` for
    each candidate in order, the working set of one warm-starting the next;
    the hint starts empty in each unit, so a unit's answers depend on its
    candidates and the kept set only, never on how units are grouped into
    calls.  Fills ``decision[q]``, ``bound[q]`` and the witness belief
    ``B[q]``.

    Returns
    -------
    int
        Restricted LPs solved.
    """
    D = KT.shape[0]
    hint = np.empty(min(12 * (D + 1), max(2 * (D + 1), 200)), dtype=np.int64)
    b = np.empty(D)
    lps = 0
    for u in range(starts.shape[0] - 1):
        n_hint = 0
        for q in range(starts[u], starts[u + 1]):
            d, bd, n_lp, n_hint = witness_decide(KT, n_kept, rows[q], tau, unit, feasibility, b, hint,
                                                 n_hint)
            lps += n_lp
            decision[q] = d
            bound[q] = bd
            for i in range(D):
                B[q, i] = b[i]
    return lps


MERGE_STATE = 5
"""Length of the integer state of :func:`witness_merge`: next decision, next
row of ``B``, kept count, pool size, doubts."""


@kernel
def witness_merge(V, kept, KT, n_snap, und, pool, pool_row, pool_col, batch, decision, bound, B, tau, unit,
                  state, max_drop, block_best, n_block_best, scan_elsewhere, scratch):  # pragma: no cover - numba
    """Apply the decisions of one round, in candidate order, to the kept set.

    The round's candidates are ``und[batch]`` (positions), decided
    against ``KT[:, :n_snap]``; kept vectors added since then follow it in
    ``KT`` (up to the kept count, ``state[2]``).  In order, for candidate
    ``p``:

    * DROP      -> it leaves the undecided set (a drop against a subset of the
      final kept set holds against the final set);
    * WITNESS b -> priced again against the kept vectors added since the
      snapshot; if ``b`` is still a witness (margin ``> tau + (D + 2)
      unit``), the best undecided row at ``b`` (order of :func:`_ranks_before`,
      ties by position) joins the kept set; otherwise nothing happens.  The
      candidate stays undecided unless it was that row;
    * DOUBT     -> the candidate itself joins the kept set (always safe).

    ``B`` holds the witness beliefs of the WITNESS decisions only, in
    candidate order.  A candidate that already joined the kept set by an
    earlier pick is skipped.

    The undecided rows are the pool: ``pool[:, :n_pool]`` holds them as
    columns (in no particular order), ``pool_row[c]`` is the position in
    ``und`` of column ``c`` and ``pool_col[p]`` the column of position
    ``p`` (-1 once decided).  A decided row leaves the pool (the last
    column takes its place), so a pick scans undecided rows only.

    A pick that would scan a pool of at least ``scan_elsewhere`` entries
    (rows times components) is left to the caller, who can scan the pool in
    blocks in parallel (:func:`pool_best`): the merge stops and returns the
    row of ``B`` to scan at.  The caller calls again with the best column of
    each block in ``block_best[:n_block_best]``, and the merge picks the
    best of them and goes on; the answer is the same bit for bit.

    ``state`` (int64[:data:`MERGE_STATE`]) holds the next decision, the next
    row of ``B``, the kept count, the pool size and the doubts so far: zero,
    zero, the kept count, the pool size and zero for a new round.  ``max_drop``
    (float64[1]) is the largest certified bound of the rows dropped
    (``-inf`` when none), carried across calls.  ``scratch`` is a float64
    buffer of at least ``min(pool size, PICK_CHUNK)`` entries, for the
    values of a pick.

    Returns
    -------
    int
        The row of ``B`` whose pick is wanted, or -1 when the round is
        applied.
    """
    D = V.shape[1]
    q, nw, nk, n_pool, doubts = state[0], state[1], state[2], state[3], state[4]
    threshold = tau + (D + 2) * unit
    while q < decision.shape[0]:
        p = batch[q]
        bq = nw
        is_witness = decision[q] == WITNESS
        if pool_col[p] < 0:
            q += 1
            nw += is_witness
            continue
        j = -1
        if decision[q] == DROP:
            n_pool = _leave_pool(pool, pool_row, pool_col, n_pool, p)
            if bound[q] > max_drop[0]:
                max_drop[0] = bound[q]
            q += 1
            continue
        if decision[q] == DOUBT:
            j = p
            doubts += 1
        elif n_block_best > 0:  # resuming at the witness whose pick was scanned
            j = _best_of(pool, pool_row, block_best, n_block_best, B[bq])
            n_block_best = 0
        elif _still_witness(V, KT, n_snap, nk, B, bq, und[p], bound[q], threshold):
            if n_pool * D >= scan_elsewhere:
                state[0], state[1], state[2], state[3], state[4] = q, nw, nk, n_pool, doubts
                return bq
            j = _best_in_pool(pool, pool_row, n_pool, B[bq], scratch)
        if j >= 0:
            n_pool = _leave_pool(pool, pool_row, pool_col, n_pool, j)
            kept[nk] = und[j]
            for i in range(D):
                KT[i, nk] = V[und[j], i]
            nk += 1
        q += 1
        nw += is_witness
    state[0], state[1], state[2], state[3], state[4] = q, nw, nk, n_pool, doubts
    return -1


@kernel
def _still_witness(V, KT, n_snap, nk, B, bq, w, margin, threshold):  # pragma: no cover - numba
    """Whether witness ``B[bq]`` for row ``w`` of ``V`` (margin ``margin``
    against the snapshot) keeps a margin above ``threshold`` against the
    kept vectors ``KT[:, n_snap:nk]`` added since the snapshot.  The newest
    are priced first (the likeliest to refute it) and the scan stops at the
    first that does."""
    if not margin > threshold:
        return False
    D = V.shape[1]
    for c in range(nk - 1, n_snap - 1, -1):
        s = 0.0
        for i in range(D):
            s += B[bq, i] * (KT[i, c] - V[w, i])
        if s <= threshold:
            return False
    return True


@kernel
def pool_best(pool, pool_row, lo, hi, b):  # pragma: no cover - numba
    """The best of the pool columns ``lo .. hi - 1`` at ``b`` (order of
    :func:`_ranks_before`): one block of a parallel pick for :func:`witness_merge`."""
    return _best_column(pool, pool_row, lo, hi, b, np.empty(min(hi - lo, PICK_CHUNK)))


@kernel
def _best_of(pool, pool_row, cols, n, b):  # pragma: no cover - numba
    """The position (``pool_row``) of the best of the pool columns
    ``cols[:n]`` at ``b`` (order of :func:`_ranks_before`)."""
    best = cols[0]
    best_val = _value_at(pool, best, b)
    for k in range(1, n):
        c = cols[k]
        v = _value_at(pool, c, b)
        if _ranks_before(pool, pool_row, v, best_val, c, best):
            best, best_val = c, v
    return pool_row[best]


@kernel
def _leave_pool(pool, pool_row, pool_col, n_pool, p):  # pragma: no cover - numba
    """Remove position ``p`` from the pool (the last column moves into its
    place); returns the new pool size."""
    c = pool_col[p]
    last = n_pool - 1
    if c != last:
        for i in range(pool.shape[0]):
            pool[i, c] = pool[i, last]
        pool_row[c] = pool_row[last]
        pool_col[pool_row[c]] = c
    pool_col[p] = -1
    return last


@kernel
def _best_in_pool(pool, pool_row, n_pool, b, vals):  # pragma: no cover - numba
    """The best undecided row at ``b`` (order of :func:`_ranks_before`, ties
    by position in ``und``), as a position in ``und``, or -1 when none is
    left."""
    if n_pool == 0:
        return -1
    return pool_row[_best_column(pool, pool_row, 0, n_pool, b, vals)]


PICK_CHUNK = 512
"""Columns a pick prices at a time: their values stay in the L1 cache while
every component adds to them, so the pool is read once."""


@kernel
def _best_column(LT, order, lo, hi, b, vals):  # pragma: no cover - numba
    """The best of the columns ``lo .. hi - 1`` (``hi > lo``) of ``LT`` at ``b``
    (order of :func:`_ranks_before`); ``vals`` is scratch of at least
    ``min(hi - lo, PICK_CHUNK)`` entries."""
    best = lo
    best_val = 0.0
    for start in range(lo, hi, PICK_CHUNK):
        n = min(PICK_CHUNK, hi - start)
        for r in range(n):
            vals[r] = 0.0
        for i in range(LT.shape[0]):
            bi = b[i]
            if bi != 0.0:
                row = LT[i, start:start + n]
                for r in range(n):
                    vals[r] += bi * row[r]
        r0 = 0
        if start == lo:
            best_val = vals[0]
            r0 = 1
        for r in range(r0, n):
            if vals[r] <= best_val and (vals[r] < best_val or _ranks_before(LT, order, vals[r], best_val,
                                                                          start + r, best)):
                best = start + r
                best_val = vals[r]
    return best
