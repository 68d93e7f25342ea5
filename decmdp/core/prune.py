"""Pruning a set of cost vectors to its lower envelope.

A set ``V`` of vectors over ``D`` components represents the concave function
``f(b) = min_{v in V} b . v`` on the simplex.  :func:`prune` returns a subset
with the same ``f`` (up to ``Tolerances.witness``), cheapest test first
(AI-Toolbox ``Utils/Prune.hpp``)::

    candidates
        |  1. pointwise dominance: drop w when some kept v has
        |     v <= w + dominance everywhere (one of equal vectors survives)
        v
    survivors --- 2. corners: the best vector at each vertex e_i and at the
        |            uniform belief is on the envelope -> kept
        v
    undecided --- 3. Lark/White witness LP of v against kept:
                     delta > witness  -> b is a witness: the best UNDECIDED
                                         vector at b joins kept (v may stay
                                         undecided and is tested again)
                     otherwise        -> v is dropped
                     LP trouble       -> v is kept (always safe), counted

Every step keeps the envelope: a dropped vector is nowhere better than the
kept set by more than the tolerance.  Ties are broken lexicographically
(smaller vector first), so the result does not depend on timing.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

import numpy as np

from decmdp._numba import kernel
from decmdp.core.lp import LP_OPTIMAL, witness_lp, witness_lp_highs
from decmdp.tolerances import DEFAULT_TOLERANCES, Tolerances


class LPSolver(enum.Enum):
    """Which LP solver the witness step uses."""

    NUMBA = "numba"
    """The dense simplex kernel of :mod:`decmdp.core.lp` (fast, default)."""
    HIGHS = "highs"
    """scipy's HiGHS through ``linprog`` (slow; for cross-checking)."""

    @classmethod
    def parse(cls, value: LPSolver | str) -> LPSolver:
        """Accept a member or its name/value; otherwise list the valid ones."""
        if isinstance(value, cls):
            return value
        for member in cls:
            if isinstance(value, str) and value.lower() in (member.value, member.name.lower()):
                return member
        valid = ", ".join(repr(m.value) for m in cls)
        raise ValueError(f"unknown LP solver {value!r}; valid: {valid}")


class PruneResult(NamedTuple):
    """Outcome of :func:`prune_counted`.

    Attributes
    ----------
    kept : int64[n]
        Row indices of the kept vectors, ascending.
    lps : int
        Witness LPs solved.
    lp_trouble : int
        LPs that failed (iteration cap / numerics / disagreement); their
        vector was kept.
    """

    kept: np.ndarray
    lps: int
    lp_trouble: int


# ---------------------------------------------------------------- kernels


@kernel
def _lex_less(V, j, k):  # pragma: no cover - numba
    """``V[j] < V[k]`` lexicographically.  Trusted input."""
    for i in range(V.shape[1]):
        if V[j, i] < V[k, i]:
            return True
        if V[j, i] > V[k, i]:
            return False
    return False


@kernel
def dominance_filter(V, dominance):  # pragma: no cover - numba
    """Drop pointwise-dominated rows and duplicates of ``V`` (float64[N, D]).

    Row ``w`` is dropped when a surviving row ``v`` has ``v <= w + dominance``
    in every component.  Rows are visited in order of increasing sum, so
    dominators are usually met first.  Inputs are trusted.

    Returns
    -------
    int64[n]
        Surviving row indices, ascending.
    """
    N, D = V.shape
    sums = np.empty(N)
    for j in range(N):
        s = 0.0
        for i in range(D):
            s += V[j, i]
        sums[j] = s
    order = np.argsort(sums, kind="mergesort")
    surv = np.empty(N, dtype=np.int64)
    ns = 0
    for oi in range(N):
        w = order[oi]
        dominated = False
        removed = 0
        for k in range(ns):
            v = surv[k]
            v_le_w = True
            w_le_v = True
            for i in range(D):
                if V[v, i] > V[w, i] + dominance:
                    v_le_w = False
                if V[w, i] > V[v, i] + dominance:
                    w_le_v = False
                if not (v_le_w or w_le_v):
                    break
            if v_le_w:
                dominated = True
                break
            if w_le_v:
                surv[k] = -1
                removed += 1
        if removed > 0:
            n2 = 0
            for k in range(ns):
                if surv[k] >= 0:
                    surv[n2] = surv[k]
                    n2 += 1
            ns = n2
        if not dominated:
            surv[ns] = w
            ns += 1
    out = np.sort(surv[:ns])
    return out


@kernel
def _best_at(V, cand, n_cand, b):  # pragma: no cover - numba
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
        if s < best_val or (s == best_val and _lex_less(V, j, cand[best])):
            best_val = s
            best = p
    return best


@kernel
def corner_split(V, cand):  # pragma: no cover - numba
    """Split ``cand`` into rows best at some vertex / the centre, and the rest.

    The best row at each vertex ``e_i`` and at the uniform belief (ties:
    lexicographically smaller) is on the lower envelope.  Trusted input.

    Returns
    -------
    kept, undecided : int64[], int64[]
        Row indices (ascending), disjoint, together equal to ``cand``.
    """
    n = cand.shape[0]
    D = V.shape[1]
    is_kept = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return cand[:0].copy(), cand[:0].copy()
    b = np.zeros(D)
    for i in range(D + 1):
        if i < D:
            b[:] = 0.0
            b[i] = 1.0
        else:
            b[:] = 1.0 / D
        is_kept[_best_at(V, cand, n, b)] = True
    nk = 0
    for p in range(n):
        if is_kept[p]:
            nk += 1
    kept = np.empty(nk, dtype=np.int64)
    und = np.empty(n - nk, dtype=np.int64)
    a = 0
    c = 0
    for p in range(n):
        if is_kept[p]:
            kept[a] = cand[p]
            a += 1
        else:
            und[c] = cand[p]
            c += 1
    return kept, und


@kernel
def witness_filter(V, kept0, und0, witness, feasibility):  # pragma: no cover - numba
    """Lark/White step: decide every undecided row with witness LPs.

    ``kept0`` rows are known to be on the envelope; each row of ``und0`` is
    either dropped (no witness) or, through a witness belief, some undecided
    row joins the kept set.  Trusted input.

    Returns
    -------
    kept : int64[]
        Row indices, ascending.
    lps, trouble : int, int
        LPs solved; LPs whose outcome could not be trusted (vector kept).
    """
    N, D = V.shape
    nk = kept0.shape[0]
    nu = und0.shape[0]
    kept = np.empty(nk + nu, dtype=np.int64)
    kept[:nk] = kept0
    und = und0.copy()
    b = np.empty(D)
    lps = 0
    trouble = 0
    while nu > 0:
        vi = und[nu - 1]
        # Cheap exit: a kept vector no worse than v + witness everywhere.
        dropped = False
        for k in range(nk):
            w = kept[k]
            worst = -np.inf
            for i in range(D):
                d = V[w, i] - V[vi, i]
                if d > worst:
                    worst = d
                    if worst > witness:
                        break
            if worst <= witness:
                dropped = True
                break
        if dropped:
            nu -= 1
            continue
        status, delta = witness_lp(V, kept, nk, vi, feasibility, b)
        lps += 1
        if status != LP_OPTIMAL:
            trouble += 1
            kept[nk] = vi
            nk += 1
            nu -= 1
            continue
        if delta <= witness:
            nu -= 1
            continue
        # Verify the witness directly: v must beat every kept vector at b.
        vb = 0.0
        for i in range(D):
            vb += b[i] * V[vi, i]
        gap = np.inf
        for k in range(nk):
            s = 0.0
            w = kept[k]
            for i in range(D):
                s += b[i] * V[w, i]
            if s - vb < gap:
                gap = s - vb
        if not gap > witness:
            trouble += 1
            kept[nk] = vi
            nk += 1
            nu -= 1
            continue
        p = _best_at(V, und, nu, b)
        kept[nk] = und[p]
        nk += 1
        und[p] = und[nu - 1]
        nu -= 1
    return np.sort(kept[:nk]), lps, trouble


# ---------------------------------------------------------------- driver


def _witness_filter_highs(V, kept0, und0, tol: Tolerances):
    """:func:`witness_filter` with HiGHS as the LP solver (same decisions)."""
    kept = list(kept0)
    und = list(und0)
    lps = 0
    trouble = 0
    while und:
        vi = und[-1]
        W = V[kept]
        if kept and np.any(np.max(W - V[vi], axis=1) <= tol.witness):
            und.pop()
            continue
        status, delta, b = witness_lp_highs(W, V[vi])
        lps += 1
        if status != LP_OPTIMAL:
            trouble += 1
            kept.append(und.pop())
            continue
        if delta <= tol.witness:
            und.pop()
            continue
        gap = np.min(W @ b) - V[vi] @ b
        if not gap > tol.witness:
            trouble += 1
            kept.append(und.pop())
            continue
        und_arr = np.asarray(und, dtype=np.int64)
        p = _best_at(V, und_arr, len(und), b)
        kept.append(und[p])
        und[p] = und[-1]
        und.pop()
    return np.sort(np.asarray(kept, dtype=np.int64)), lps, trouble


def prune_counted(
    V: np.ndarray,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    lp: LPSolver | str = LPSolver.NUMBA,
) -> PruneResult:
    """Prune ``V`` (float64[N, D]) to its lower envelope; also count LPs.

    See the module docstring for the three steps.  ``V`` is trusted
    (finite); it is made C-contiguous float64 here.
    """
    solver = LPSolver.parse(lp)
    V = np.ascontiguousarray(V, dtype=np.float64)
    if V.ndim != 2:
        raise ValueError(f"prune: V must be 2-D (vectors x components), got shape {V.shape}")
    if V.shape[0] <= 1:
        return PruneResult(np.arange(V.shape[0], dtype=np.int64), 0, 0)
    surv = dominance_filter(V, tolerances.dominance)
    if surv.shape[0] <= 1:
        return PruneResult(surv, 0, 0)
    kept0, und0 = corner_split(V, surv)
    if und0.shape[0] == 0:
        return PruneResult(kept0, 0, 0)
    if solver is LPSolver.NUMBA:
        kept, lps, trouble = witness_filter(
            V, kept0, und0, tolerances.witness, tolerances.lp_feasibility
        )
    else:
        kept, lps, trouble = _witness_filter_highs(V, kept0, und0, tolerances)
    return PruneResult(kept, int(lps), int(trouble))


def prune(
    V: np.ndarray,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    lp: LPSolver | str = LPSolver.NUMBA,
) -> np.ndarray:
    """Indices (ascending) of a subset of the rows of ``V`` with the same
    lower envelope ``min_v b . v`` over the simplex.

    Parameters
    ----------
    V : float64[N, D]
        Cost vectors.
    tolerances : Tolerances
        ``dominance`` for the pointwise test, ``witness`` for the LP test,
        ``lp_feasibility`` inside the simplex.
    lp : LPSolver or {"numba", "highs"}
        LP solver for the witness step.
    """
    return prune_counted(V, tolerances, lp).kept
