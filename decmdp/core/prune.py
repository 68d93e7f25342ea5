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
    undecided --- 3. Lark/White witness LP of v against kept (solved by
                     constraint generation in decmdp.core.lp):
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
from decmdp.core.lp import LP_OPTIMAL, best_at, witness_filter, witness_lp_highs
from decmdp.core.types import parse_choice
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
        return parse_choice(cls, value, "LP solver")


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


_BLOCK = 128
"""Survivors are scanned in blocks of this many columns (SIMD + early exit)."""


@kernel
def dominance_filter(V, dominance):  # pragma: no cover - numba
    """Drop pointwise-dominated rows and duplicates of ``V`` (float64[N, D]).

    Row ``w`` is dropped when a surviving row ``v`` has ``v <= w + dominance``
    in every component (so one of several equal rows survives).  Inputs are
    trusted.

    Rows are visited in order of increasing sum, so a row can only dominate
    a survivor whose sum is within ``D * dominance`` of its own: those sit at
    the tail of the survivor list and only they are checked backwards.
    Survivors are stored as columns and scanned in blocks, component by
    component, until every column of the block has failed.

    Returns
    -------
    int64[n]
        Surviving row indices, ascending.
    """
    N, D = V.shape
    sums = np.empty(N)
    scale = 0.0
    for j in range(N):
        s = 0.0
        for i in range(D):
            s += V[j, i]
            if abs(V[j, i]) > scale:
                scale = abs(V[j, i])
        sums[j] = s
    margin = D * dominance + 1e-9 * D * (1.0 + scale)
    order = np.argsort(sums, kind="mergesort")
    ST = np.empty((D, N))
    ssum = np.empty(N)
    surv = np.empty(N, dtype=np.int64)
    ok = np.empty(_BLOCK, dtype=np.bool_)
    ns = 0
    for oi in range(N):
        w = order[oi]
        dominated = False
        for start in range(0, ns, _BLOCK):
            nb = min(_BLOCK, ns - start)
            for j in range(nb):
                ok[j] = True
            alive = True
            for i in range(D):
                wi = V[w, i] + dominance
                cnt = 0
                for j in range(nb):
                    ok[j] &= ST[i, start + j] <= wi
                    cnt += ok[j]
                if cnt == 0:
                    alive = False
                    break
            if alive:
                dominated = True
                break
        if dominated:
            continue
        removed = 0
        k = ns - 1
        while k >= 0 and ssum[k] >= sums[w] - margin:
            w_le_s = True
            for i in range(D):
                if V[w, i] > ST[i, k] + dominance:
                    w_le_s = False
                    break
            if w_le_s:
                surv[k] = -1
                removed += 1
            k -= 1
        if removed > 0:
            n2 = 0
            for k in range(ns):
                if surv[k] >= 0:
                    surv[n2] = surv[k]
                    ssum[n2] = ssum[k]
                    for i in range(D):
                        ST[i, n2] = ST[i, k]
                    n2 += 1
            ns = n2
        surv[ns] = w
        ssum[ns] = sums[w]
        for i in range(D):
            ST[i, ns] = V[w, i]
        ns += 1
    return np.sort(surv[:ns])


@kernel
def corner_split(V, cand):  # pragma: no cover - numba
    """Split ``cand`` into rows best at some vertex / the centre, and the rest.

    The best row at each vertex ``e_i`` and at the uniform belief (exact
    ties: lexicographically smaller row) is on the lower envelope.  Trusted
    input.  (Self-contained on purpose: numba's on-disk cache is invalidated
    per source file, so kernels here call no kernel of another module.)

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
    for c in range(D + 1):
        best = 0
        best_val = np.inf
        for p in range(n):
            j = cand[p]
            if c < D:
                s = V[j, c]
            else:
                s = 0.0
                for i in range(D):
                    s += V[j, i]
                s /= D
            if s < best_val:
                best_val = s
                best = p
            elif s == best_val:
                k = cand[best]
                for i in range(D):
                    if V[j, i] != V[k, i]:
                        if V[j, i] < V[k, i]:
                            best = p
                        break
        is_kept[best] = True
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
        p = best_at(V, und_arr, len(und), b)
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
