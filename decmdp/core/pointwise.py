"""The last backup at given beliefs only: the best vector, not the whole set.

A two-player solve only ever evaluates ``V_0(y, b)`` at the initial belief
``b0(y)`` of each observed state, so the final backup needs just the best
vector there, with its provenance.  For one ``(y, a)`` with branches
``k = 1..K`` and a fixed (unnormalized) belief ``b``::

    V(y, a, b) = min_g  sum_s b(s) c(s, g(s))
                      + sum_k min_{alpha in Gamma_1(target k)} sum_s b(s) G_k[alpha](s, g(s))

For a FIXED prescription ``g`` the branches decouple (each picks its own
best successor), but ``g`` couples them, and there are ``L**S``
prescriptions.  :func:`best_prescription` searches them by depth-first
branch and bound over the states with ``b(s) > 0``, in order; with the
states ``s_1 .. s_d`` fixed, a lower bound on every completion is::

    sum_{e <= d} b c(s_e, g(s_e))  +  sum_{e > d} min_l b c(s_e, l)
      + sum_k min_alpha [ sum_{e <= d} H_k[alpha](s_e, g(s_e))
                          + sum_{e > d} min_l H_k[alpha](s_e, l) ]

(``H = b * G``), because a minimum of sums is at least the sum of minima.
The search is exact; a node budget bounds its time, and past it the caller
computes the full set for that ``y`` instead (also exact).
"""

from __future__ import annotations

import numpy as np

from decmdp._numba import kernel

BNB_OK = 0
"""Status: the search finished; the answer is optimal."""
BNB_BUDGET = 1
"""Status: the node budget ran out; nothing is returned."""


@kernel
def _suffix_bounds(cb, H, hptr, support):  # pragma: no cover - numba
    """Bounds and branching order of :func:`best_prescription`.

    Returns
    -------
    R : float64[n + 1, N]
        ``R[d, j] = sum_{e >= d} min_l H[j, support[e], l]``.
    Rc : float64[n + 1]
        The same for the cost: ``sum_{e >= d} min_l cb[support[e], l]``.
    lorder : int64[n, L]
        The inner actions of each depth, most promising first (cost plus
        the best row of each branch, each state on its own).
    """
    S, L = cb.shape
    N = H.shape[0]
    K = hptr.shape[0] - 1
    n = support.shape[0]
    R = np.zeros((n + 1, N))
    Rc = np.zeros(n + 1)
    lorder = np.empty((n, L), dtype=np.int64)
    score = np.empty(L)
    for d in range(n - 1, -1, -1):
        s = support[d]
        low = np.inf
        for l in range(L):
            if cb[s, l] < low:
                low = cb[s, l]
        Rc[d] = Rc[d + 1] + low
        for j in range(N):
            m = H[j, s, 0]
            for l in range(1, L):
                if H[j, s, l] < m:
                    m = H[j, s, l]
            R[d, j] = R[d + 1, j] + m
        for l in range(L):
            score[l] = cb[s, l]
            for k in range(K):
                m = np.inf
                for j in range(hptr[k], hptr[k + 1]):
                    if H[j, s, l] < m:
                        m = H[j, s, l]
                score[l] += m
        lorder[d] = np.argsort(score, kind="mergesort")
    return R, Rc, lorder


@kernel
def best_prescription(cb, H, hptr, support, node_budget):  # pragma: no cover - numba
    """Exact ``min`` over prescriptions and successors at one belief.

    Trusted input: ``cb`` float64[S, L] = ``b(s) c(s, l)``; ``H``
    float64[N, S, L], the ``b``-weighted lifted projections of the successor
    rows of all branches, branch ``k`` owning rows ``hptr[k]:hptr[k+1]``;
    ``support`` int64[n], ``n >= 1``, the states with ``b(s) > 0`` in
    branching order.

    Returns
    -------
    status : int
        :data:`BNB_OK` or :data:`BNB_BUDGET`.
    value : float
        The minimum (``+inf`` with :data:`BNB_BUDGET`).
    g : int64[S]
        The optimal inner action of each support state (0 elsewhere).
    choice : int64[K]
        The optimal row of ``H`` of each branch.
    """
    S, L = cb.shape
    N = H.shape[0]
    K = hptr.shape[0] - 1
    n = support.shape[0]
    g = np.zeros(S, dtype=np.int64)
    best_g = np.zeros(S, dtype=np.int64)
    choice = np.zeros(K, dtype=np.int64)
    R, Rc, lorder = _suffix_bounds(cb, H, hptr, support)
    acc = np.zeros((n + 1, N))
    cacc = np.zeros(n + 1)
    pos = np.zeros(n + 1, dtype=np.int64)
    best = np.inf
    nodes = 0
    d = 0
    while d >= 0:
        if pos[d] == L:
            d -= 1
            continue
        l = lorder[d, pos[d]]
        pos[d] += 1
        nodes += 1
        if nodes > node_budget:
            return BNB_BUDGET, np.inf, best_g, choice
        s = support[d]
        g[s] = l
        cacc[d + 1] = cacc[d] + cb[s, l]
        for j in range(N):
            acc[d + 1, j] = acc[d, j] + H[j, s, l]
        bound = cacc[d + 1] + Rc[d + 1]
        for k in range(K):
            m = np.inf
            for j in range(hptr[k], hptr[k + 1]):
                x = acc[d + 1, j] + R[d + 1, j]
                if x < m:
                    m = x
            bound += m
        if not bound < best:
            continue
        if d + 1 == n:
            # A leaf: the bound is the exact value.
            best = bound
            for e in range(n):
                best_g[support[e]] = g[support[e]]
            for k in range(K):
                m = np.inf
                for j in range(hptr[k], hptr[k + 1]):
                    if acc[n, j] < m:
                        m = acc[n, j]
                        choice[k] = j
        else:
            d += 1
            pos[d] = 0
    return BNB_OK, best, best_g, choice
