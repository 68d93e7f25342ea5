"""Lifted projection, cross-sum with incremental pruning, pointwise min.

For one ``(y, a)`` with branches ``k_1 .. k_n`` (``docs/theory.md`` sections 5-6)::

    Q(y, a) = cost[t][y, a]  (+)  G_k1[Gamma_{t+1}(target k1)]  (+) ... (+)  G_kn[...]

every set a set of lifted vectors over ``D = S * L`` components (flattened
``(s, l)``, ``l`` fastest).  Incremental pruning prunes each projected set and
every partial sum against the whole simplex over ``S x L``; for a fixed
weighting the minimizer of a cross-sum is the sum of minimizers, so nothing
that can matter is lost.

Merge order and bookkeeping (branches sorted by pruned size, smallest
first; ``prov`` holds one column per branch already merged, in merge
order; entries are LOCAL row indices into ``Gamma_{t+1}(target)``)::

    G_k = project(projection[k], Gamma_{t+1}(target k))       n_k rows
    P_k = prune(G_k)               rows  P_k[j]   <- local index sel_k[j]

    partial_0 = [ cost[t][y, a] ]          1 row,  prov_0 = (1 x 0)
        |
        |  cross_sum(partial, P_k1)           row  i * n1 + j
        v                                          = partial[i] + P_k1[j]
    partial_1 = prune(...)        prov_1[r] = ( prov_0[i] | sel_k1[j] )
        |
        |  cross_sum(partial, P_k2)           row  i * n2 + j
        v
    partial_2 = prune(...)        prov_2[r] = ( prov_1[i] | sel_k2[j] )
        :
    partial_n = Q(y, a)           successor[:, label[k_m]] = prov_n[:, m]

A cross-sum with a one-row side is a translation, which keeps a pruned set
pruned, so it is not pruned again.  Finally ``alpha(s) = min_l q(s, l)`` and
``prescription(s) = argmin_l`` (lowest ``l`` on ties), see :func:`lifted_min`;
when the last partial sum is not pruned in the lifted space,
:func:`cross_sum_min_rows` forms that minimum as it adds, so the largest
lifted set of the chain is never stored, and the minimum is pruned in ``S``
space before the prescription and successors of its kept rows are formed.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from decmdp._numba import kernel
from decmdp.core.executors import SERIAL, Executor, blocks


@kernel
def project(proj_k, succ):  # pragma: no cover - numba
    """Lifted projection of every successor vector through one branch.

    Trusted input: ``proj_k`` float64[S, L, S'], ``succ`` float64[n, S'].

    Returns
    -------
    float64[n, S * L]
        ``out[j, s * L + l] = sum_s' proj_k[s, l, s'] * succ[j, s']``.
    """
    S, L, S2 = proj_k.shape
    n = succ.shape[0]
    out = np.empty((n, S * L))
    for j in range(n):
        for s in range(S):
            for l in range(L):
                acc = 0.0
                for s2 in range(S2):
                    acc += proj_k[s, l, s2] * succ[j, s2]
                out[j, s * L + l] = acc
    return out


@kernel
def cross_sum(P, prov, G, sel):  # pragma: no cover - numba
    """Cross-sum of two vector sets with provenance.  Trusted input.

    ``P`` float64[np, D] with ``prov`` int64[np, c]; ``G`` float64[ng, D]
    with ``sel`` int64[ng] (local successor indices).

    Returns
    -------
    out : float64[np * ng, D]
        ``out[i * ng + j] = P[i] + G[j]``.
    out_prov : int64[np * ng, c + 1]
        ``out_prov[i * ng + j] = (prov[i], sel[j])``.
    """
    n_p, D = P.shape
    ng = G.shape[0]
    c = prov.shape[1]
    out = np.empty((n_p * ng, D))
    out_prov = np.empty((n_p * ng, c + 1), dtype=np.int64)
    for i in range(n_p):
        for j in range(ng):
            r = i * ng + j
            for d in range(D):
                out[r, d] = P[i, d] + G[j, d]
            for q in range(c):
                out_prov[r, q] = prov[i, q]
            out_prov[r, c] = sel[j]
    return out, out_prov


@kernel
def cross_sum_min_rows(P, G, S, L, lo, hi, alpha):  # pragma: no cover - numba
    """Rows ``i * ng + j`` for ``lo <= i < hi`` of :func:`lifted_min` of
    :func:`cross_sum` (``ng = G.shape[0]``), into ``alpha``
    (float64[np * ng, S]), without building the cross-sum.

    The lifted sum ``P[i] + G[j]`` (``S * L`` components) is minimized over
    ``l`` as it is formed: the same numbers bit for bit as
    ``lifted_min(cross_sum(...)[0], S, L)[0]``.  Trusted input.
    """
    ng = G.shape[0]
    for i in range(lo, hi):
        for j in range(ng):
            r = i * ng + j
            for s in range(S):
                best = P[i, s * L] + G[j, s * L]
                for l in range(1, L):
                    x = P[i, s * L + l] + G[j, s * L + l]
                    if x < best:
                        best = x
                alpha[r, s] = best


CROSS_BLOCK_ENTRIES = 1 << 20
"""Lifted entries (rows times components) per block of a pointwise minimum
of a cross-sum formed on the driver's threads (about a millisecond)."""


def _cross_sum_min(P, G, S: int, L: int, executor: Executor, block_entries: int = CROSS_BLOCK_ENTRIES) -> np.ndarray:
    """:func:`cross_sum_min_rows` of every row, in blocks of rows of ``P``
    (about ``block_entries`` lifted entries each) on the driver's threads
    (:meth:`~decmdp.core.executors.Executor.map_local`)."""
    n_p, ng = P.shape[0], G.shape[0]
    alpha = np.empty((n_p * ng, S))
    step = max(1, block_entries // max(1, ng * S * L))
    executor.map_local(_cross_min_block, (P, G, S, L, alpha), blocks(n_p, step))
    return alpha


def _cross_min_block(shared, block):
    P, G, S, L, alpha = shared
    cross_sum_min_rows(P, G, S, L, block[0], block[1], alpha)


@kernel
def lifted_min(Q, S, L):  # pragma: no cover - numba
    """Pointwise minimum over the inner action.  Trusted input.

    ``Q`` float64[n, S * L] (``l`` fastest).

    Returns
    -------
    alpha : float64[n, S]
        ``alpha[j, s] = min_l Q[j, s * L + l]``.
    prescription : int64[n, S]
        The minimizing ``l``, lowest on ties.
    """
    n = Q.shape[0]
    alpha = np.empty((n, S))
    presc = np.empty((n, S), dtype=np.int64)
    for j in range(n):
        for s in range(S):
            best = Q[j, s * L]
            arg = 0
            for l in range(1, L):
                x = Q[j, s * L + l]
                if x < best:
                    best = x
                    arg = l
            alpha[j, s] = best
            presc[j, s] = arg
    return alpha, presc


class ActionQ(NamedTuple):
    """Lifted candidates of one ``(y, a)``.

    Attributes
    ----------
    q : float64[n, S * L]
        Pruned lifted vectors (with ``inner``: the pointwise minimum over
        the inner action of the last cross-sum, pruned, float64[n, S]).
    successor : int64[n, n_labels]
        Local successor index per label, -1 for labels without a branch.
    prescription : int64[n, S] or None
        With ``inner``: the minimizing inner action of each component.
    """

    q: np.ndarray
    successor: np.ndarray
    prescription: np.ndarray | None = None


PruneFn = Callable[[np.ndarray], np.ndarray]
"""``prune(V) -> kept row indices``; the caller counts LPs and limits."""


def action_cross_sum(
    cost_row: np.ndarray,
    projections: list[np.ndarray],
    successors: list[np.ndarray],
    labels: list[int],
    n_labels: int,
    prune: PruneFn,
    count_generated: Callable[[int], None],
    check_limit: Callable[[int], None],
    check_raw: Callable[[int], None] = lambda n: None,
    prune_last: bool = True,
    inner: int | None = None,
    executor: Executor = SERIAL,
) -> ActionQ:
    """``Q(y, a)`` by incremental pruning in the lifted space.

    Parameters
    ----------
    cost_row : float64[S * L]
        ``cost[t][y, a]`` flattened (``l`` fastest).
    projections : list of float64[S, L, S]
        ``projection[k]`` per branch.
    successors : list of float64[n_k, S]
        ``Gamma_{t+1}(target k)`` per branch.
    labels : list of int
        ``branch_label[k]`` per branch.
    n_labels : int
        Successor columns.
    prune : callable
        Returns kept row indices of a vector set (counts LPs itself).
    count_generated : callable
        Told the size of every set produced before pruning.
    check_limit : callable
        Told the size of every pruned partial cross-sum (not of the last one
        when ``prune_last`` is False, unless ``inner`` is given: then of its
        pruned minimum); raises past a limit.
    check_raw : callable, optional
        Told the size of every raw cross-sum before it is built; raises past
        a limit (bounds memory).
    prune_last : bool, default True
        Prune the last cross-sum too.  A caller that reduces the result
        further passes False: with ``inner``, the reduction is done here;
        without, the caller's (the last prune in the lifted space would be
        work done twice).
    inner : int, optional
        With ``prune_last`` False: the number ``L`` of inner actions.  The
        result is then the pointwise minimum over ``l`` of the last
        cross-sum, formed as it is added (the lifted set itself is never
        built), pruned in ``S`` space (which drops everything a lifted prune
        would), with its prescription; the prescription and successors are
        formed for the kept rows only.
    executor : Executor, optional
        Its :meth:`~decmdp.core.executors.Executor.map_local` forms the
        minimum of a large last cross-sum in blocks on the driver's threads
        (the same numbers).
    """
    if inner is not None and prune_last:
        raise ValueError("action_cross_sum: inner needs prune_last=False (the minimum is of the unpruned last sum)")
    D = cost_row.shape[0]
    pruned = []
    for proj_k, succ in zip(projections, successors):
        G = project(proj_k, succ)
        count_generated(G.shape[0])
        sel = prune(G)
        pruned.append((np.ascontiguousarray(G[sel]), sel.astype(np.int64)))
    order = sorted(range(len(pruned)), key=lambda m: (pruned[m][0].shape[0], m))
    partial = np.ascontiguousarray(cost_row.reshape(1, D))
    prov = np.zeros((1, 0), dtype=np.int64)
    prescription = None
    for position, m in enumerate(order):
        G, sel = pruned[m]
        single = partial.shape[0] == 1 or G.shape[0] == 1
        check_raw(partial.shape[0] * G.shape[0])
        last = position == len(order) - 1
        if last and inner is not None:
            alpha = _cross_sum_min(partial, G, D // inner, inner, executor)
            count_generated(alpha.shape[0])
            keep = prune(alpha)
            check_limit(keep.shape[0])
            i, j = np.divmod(keep, G.shape[0])
            _, prescription = lifted_min(partial[i] + G[j], D // inner, inner)
            partial = np.ascontiguousarray(alpha[keep])
            prov = np.concatenate([prov[i], sel[j, None]], axis=1)
            break
        partial, prov = cross_sum(partial, prov, G, sel)
        count_generated(partial.shape[0])
        if not single and (prune_last or not last):
            keep = prune(partial)
            partial = np.ascontiguousarray(partial[keep])
            prov = np.ascontiguousarray(prov[keep])
        if prune_last or not last:  # an unpruned last set is the caller's to prune and count
            check_limit(partial.shape[0])
    if inner is not None and prescription is None:  # no branch: the cost alone, one row
        partial, prescription = lifted_min(partial, D // inner, inner)
        check_limit(prune(partial).shape[0])  # it stays; the prune checks time and cancellation as any does
    successor = np.full((partial.shape[0], n_labels), -1, dtype=np.int64)
    for col, m in enumerate(order):
        successor[:, labels[m]] = prov[:, col]
    return ActionQ(partial, successor, prescription)
