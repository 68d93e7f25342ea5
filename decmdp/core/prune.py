"""Pruning a set of cost vectors to its lower envelope.

A set ``V`` of vectors over ``D`` components represents the concave function
``f(b) = min_{v in V} b . v`` on the simplex.  :func:`prune` returns a subset
whose envelope exceeds ``f`` by at most a PROVEN amount, cheapest test first
(AI-Toolbox ``Utils/Prune.hpp``).  The margins are relative to the spread of
the set, ``spread = max V - min V``: ``dominance * spread`` and
``tau = witness * spread`` (at least :data:`TAU_FLOOR_UNITS` rounding units),
so scaling the costs scales the margins and adding a constant to every cost
changes nothing (:mod:`decmdp.tolerances`)::

    candidates
        |  1. duplicates: one of several equal vectors survives; with
        |     dominance > 0 also drop w when some kept v has
        |     v <= w + dominance * spread everywhere
        v
    survivors --- 2. corners: the best vector at each vertex e_i and at the
        |            uniform belief is on the envelope -> kept
        v
    undecided --- 3. Lark/White witness test of v against kept, in rounds
                     (the LP is a parameter):
                     some kept w <= v + tau pointwise -> v is dropped (no LP)
                     witness b, priced   -> the best UNDECIDED vector at b
                                            joins kept (v is tested again)
                     delta* <= tau, by a weak-duality certificate on the
                     original numbers    -> v is dropped
                     numba LP unproven   -> HiGHS decides, with the same
                                            proofs ("fallback")
                     nothing proven      -> v is kept (always safe), counted

A full pointwise-dominance scan over all candidates costs ``O(N^2 D)`` and
was most of the time on large sets; the pointwise test against the KEPT
vectors only (step 3) costs ``O(N K D)`` with ``K`` the envelope's size and
drops the same dominated vectors, so the scan runs only when a dominance
margin is asked for.

The prune's error is the largest certified ``delta*`` bound of a dropped
vector (plus, with ``dominance > 0``, the dominance margin once per
dominance-dropped vector, which bounds any chain of them).  Ties are
broken lexicographically (smaller vector first), so the result does not
depend on timing.

Large sets: a probe, then parts
-------------------------------
A set of more than :data:`PARTITION_ROWS` rows whose envelope is small
next to it (the largest minimum of a cross-sum: a million rows or more,
a thousand kept) is pruned in parts (:func:`_prune`).  Its first
:data:`PROBE_ROWS` rows are pruned first; when they keep at most
:data:`SPARSE_PROBE` of themselves, the rest is cut into parts pruned
concurrently, then the union of their kept rows is pruned.  One prune of
such a set is a long chain of dependent rounds (each waits for the last)
whose merges scan a pool of a million rows; its parts have short chains
over small pools, and together they cost about as many CPU seconds.
When the probe keeps more, the envelope is dense and the parts would
each rebuild most of it, so the rest is pruned whole.  Each level of
parts certifies its own drops, so the error of a prune in parts is the
sum of its levels' errors: at most one witness margin per level.

Work units (identical answers on any executor)
----------------------------------------------
Steps 1 and 3 are cut into work units whose number and content depend on
the data only, run by an executor (:mod:`decmdp.core.executors`: this
thread, threads, or a Dask cluster) and combined in a fixed order:

* dominance with a margin, beyond :data:`DOMINANCE_PART` rows: each partition of that
  many rows is filtered on its own, then the union of the survivors,
  sorted by row sum, is checked in blocks of :data:`DOMINANCE_UNIT` rows
  against the rows before them;
* witness step: each round takes the last ``_round_size(kept, undecided)``
  undecided vectors, decides them in units of :data:`WITNESS_UNIT`
  (:func:`_unit_size`: a small round in smaller units) against
  the kept set as it was at the start of the round (a drop proven against
  a subset of the final kept set holds against the final set), and
  applies the decisions in candidate order, each group of units as it
  arrives while later ones still run (they read only the snapshot's
  columns, which the merge never writes), pricing each witness again
  against the vectors the round has added so far: a refuted witness adds
  nothing and its vector is tested again in the next round.

Work on data that lives on the driver runs on the driver's own threads
(:meth:`~decmdp.core.executors.Executor.map_local`) when there are several
and the data is large, with the same answer: the witness step's array of
undecided rows is filled and a pick of the merge scans it in blocks
(:data:`PARALLEL_PICK_POOL`), and the duplicate filter hashes in blocks
and marks its parts side by side (:data:`PARALLEL_DUPLICATE_ROWS`).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from decmdp._numba import kernel
from decmdp.common import Choice
from decmdp.core.executors import SERIAL, Executor, blocks
from decmdp.core.lp import (DOUBT, MERGE_STATE, PICK_CHUNK, WITNESS, pool_best, witness_decide_highs, witness_merge,
                            witness_units)
from decmdp.tolerances import DEFAULT_TOLERANCES, FLOAT64_UNIT_ROUNDOFF, Tolerances


class LPSolver(Choice, what="LP solver"):
    """Which LP solver the witness step uses (:meth:`~decmdp.common.Choice.parse`
    accepts a member or its name)."""

    NUMBA = "numba"
    """The dense simplex kernel of :mod:`decmdp.core.lp` (fast, default)."""
    HIGHS = "highs"
    """scipy's HiGHS through ``linprog`` (slow; for cross-checking)."""


class PruneResult(NamedTuple):
    """Outcome of :func:`prune_counted`.

    Attributes
    ----------
    kept : int64[n]
        Row indices of the kept vectors, ascending.
    lps : int
        Witness LPs solved.
    lp_trouble : int
        Vectors kept because no LP could prove either way (always safe).
    lp_fallbacks : int
        Decisions the numba LP could not prove and HiGHS was asked for.
    error : float
        Proven bound on how far the kept envelope lies above the envelope of
        all of ``V``, at any belief (0 when nothing was dropped but exact
        duplicates or exactly dominated vectors).
    """

    kept: np.ndarray
    lps: int
    lp_trouble: int
    lp_fallbacks: int = 0
    error: float = 0.0


# ---------------------------------------------------------------- kernels


TAU_FLOOR_UNITS = 1024
"""The witness margin is at least this many rounding units (``4 u max|V|``),
so that a set whose spread is tiny next to its magnitude (a constant shift)
can still be certified; this floor is far below float64's resolution of
the values themselves."""

_BLOCK = 128
"""Survivors are scanned in blocks of this many columns (SIMD + early exit)."""


@kernel
def _dominated_by_prefix(ST, n, x, dominance, ok):  # pragma: no cover - numba
    """Whether one of the columns ``ST[:, :n]`` is ``<= x + dominance`` everywhere.

    Columns are scanned in blocks of :data:`_BLOCK`, component by component,
    until every column of a block has failed.  ``ok`` is a bool[_BLOCK]
    scratch buffer.  Trusted input.
    """
    D = ST.shape[0]
    for start in range(0, n, _BLOCK):
        nb = min(_BLOCK, n - start)
        for j in range(nb):
            ok[j] = True
        alive = True
        for i in range(D):
            xi = x[i] + dominance
            cnt = 0
            for j in range(nb):
                ok[j] &= ST[i, start + j] <= xi
                cnt += ok[j]
            if cnt == 0:
                alive = False
                break
        if alive:
            return True
    return False


@kernel
def _row_sums(V):  # pragma: no cover - numba
    """The sum of each row of ``V``, added in component order."""
    N, D = V.shape
    sums = np.empty(N)
    for j in range(N):
        s = 0.0
        for i in range(D):
            s += V[j, i]
        sums[j] = s
    return sums


@kernel
def extremes(V):  # pragma: no cover - numba
    """``(min V, max V)`` in one pass (``(0.0, 0.0)`` for an empty ``V``)."""
    if V.shape[0] == 0 or V.shape[1] == 0:
        return 0.0, 0.0
    lo = hi = V[0, 0]
    for j in range(V.shape[0]):
        for i in range(V.shape[1]):
            x = V[j, i]
            if x < lo:
                lo = x
            elif x > hi:
                hi = x
    return lo, hi


@kernel
def rows_as_columns(V, rows):  # pragma: no cover - numba
    """``V[rows].T`` as a C-contiguous float64[D, n] (one gather pass)."""
    D = V.shape[1]
    out = np.empty((D, rows.shape[0]))
    for c in range(rows.shape[0]):
        r = rows[c]
        for i in range(D):
            out[i, c] = V[r, i]
    return out


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
    sums = _row_sums(V)
    scale = np.max(np.abs(V)) if N > 0 else 0.0
    # Rounding of the sums themselves widens the window (a wider window only
    # costs time, never a wrong drop).
    margin = D * dominance + 4.0 * D * D * FLOAT64_UNIT_ROUNDOFF * scale
    order = np.argsort(sums, kind="mergesort")
    ST = np.empty((D, N))
    ssum = np.empty(N)
    surv = np.empty(N, dtype=np.int64)
    ok = np.empty(_BLOCK, dtype=np.bool_)
    ns = 0
    for oi in range(N):
        w = order[oi]
        if _dominated_by_prefix(ST, ns, V[w], dominance, ok):
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
def duplicate_filter(V):  # pragma: no cover - numba
    """Drop exact duplicate rows of ``V`` (float64[N, D]); the lowest index of
    each group of equal rows survives.  Rows are hashed by their bits
    (``-0.0`` counted as ``0.0``) and split by hash into
    :func:`duplicate_parts` parts (equal rows share one), each with its own
    open-addressing hash table small enough to stay in cache, filled in
    index order, so the expected time is ``O(N D)``.  Trusted input.

    Returns
    -------
    int64[n]
        The index of the first row of each group of equal rows, ascending.
    """
    N = V.shape[0]
    hashes = np.empty(N, dtype=np.uint64)
    row_hashes(V, 0, N, hashes)
    parts = duplicate_parts(N)
    order, starts = rows_by_part(hashes, parts)
    alive = np.ones(N, dtype=np.bool_)
    for part in range(parts):
        mark_repeats(V, hashes, order, starts[part], starts[part + 1], parts, alive)
    return np.flatnonzero(alive).astype(np.int64)


DUPLICATE_PART_ROWS = 1 << 17
"""Rows per part of the duplicate filter (a table of at most twice as many
slots: 2 MiB)."""


@kernel
def duplicate_parts(N):  # pragma: no cover - numba
    """How many parts the duplicate filter of ``N`` rows hashes into (a power
    of two, at most 64)."""
    parts = 1
    while N > parts * DUPLICATE_PART_ROWS and parts < 64:
        parts *= 2
    return parts


@kernel
def row_hashes(V, lo, hi, out):  # pragma: no cover - numba
    """``out[j]`` = the hash of row ``j`` of ``V`` for ``lo <= j < hi``: FNV-1a
    over the bits of its components (``-0.0`` as ``0.0``), then the murmur
    finalizer, which mixes every component into the low bits."""
    scratch = np.empty(1)
    bits = scratch.view(np.uint64)
    for j in range(lo, hi):
        h = np.uint64(14695981039346656037)
        for i in range(V.shape[1]):
            scratch[0] = V[j, i] + 0.0
            h = (h ^ bits[0]) * np.uint64(1099511628211)
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
        h *= np.uint64(0xC4CEB9FE1A85EC53)
        h ^= h >> np.uint64(33)
        out[j] = h


@kernel
def rows_by_part(hashes, parts):  # pragma: no cover - numba
    """The row indices grouped by part (``hash % parts``), ascending within a
    part: part ``p`` is ``order[starts[p]:starts[p + 1]]``."""
    mask = np.uint64(parts - 1)
    starts = np.zeros(parts + 1, dtype=np.int64)
    for j in range(hashes.shape[0]):
        starts[np.int64(hashes[j] & mask) + 1] += 1
    for p in range(parts):
        starts[p + 1] += starts[p]
    fill = starts[:parts].copy()
    order = np.empty(hashes.shape[0], dtype=np.int64)
    for j in range(hashes.shape[0]):
        p = np.int64(hashes[j] & mask)
        order[fill[p]] = j
        fill[p] += 1
    return order, starts


@kernel
def mark_repeats(V, hashes, order, lo, hi, parts, alive):  # pragma: no cover - numba
    """``alive[j] = False`` for every row ``j`` of ``order[lo:hi]`` (one part,
    ascending) equal to an earlier row of it, through an open-addressing
    table indexed by the hash bits above the part's."""
    bits = 0
    while (1 << bits) < parts:
        bits += 1
    shift = np.uint64(bits)
    size = 2
    while size < 2 * (hi - lo):
        size *= 2
    mask = np.uint64(size - 1)
    table = np.full(size, -1, dtype=np.int64)
    for q in range(lo, hi):
        j = order[q]
        slot = (hashes[j] >> shift) & mask
        while True:
            k = table[slot]
            if k < 0:
                table[slot] = j
                break
            same = True
            for i in range(V.shape[1]):
                if V[j, i] != V[k, i]:
                    same = False
                    break
            if same:
                alive[j] = False
                break
            slot = (slot + np.uint64(1)) & mask


@kernel
def dominated_after_sort(ST, sums, lo, hi, dominance):  # pragma: no cover - numba
    """Which of the columns ``lo .. hi - 1`` of ``ST`` a column before them drops.

    ``ST`` float64[D, n] holds rows as columns, sorted by increasing row sum
    (``sums``; exact ties by original index).  Column ``p`` is dropped when
    an EARLIER column ``q < p`` has ``ST[:, q] <= ST[:, p] + dominance``
    everywhere; with ``dominance == 0`` also when a later column of the same
    sum is exactly smaller everywhere and not equal (so every dominated row
    is found and one of several equal rows survives, the earliest).  The
    order makes the drops acyclic: every chain ends at a survivor.  One work
    unit of the partitioned dominance filter; trusted input.

    Returns
    -------
    bool[hi - lo]
    """
    D, n = ST.shape
    out = np.zeros(hi - lo, dtype=np.bool_)
    ok = np.empty(_BLOCK, dtype=np.bool_)
    for p in range(lo, hi):
        dominated = _dominated_by_prefix(ST, p, ST[:, p], dominance, ok)
        if not dominated and dominance == 0.0:
            q = p + 1
            while q < n and sums[q] == sums[p] and not dominated:
                le, differs = True, False
                for i in range(D):
                    if ST[i, q] > ST[i, p]:
                        le = False
                        break
                    if ST[i, q] != ST[i, p]:
                        differs = True
                dominated = le and differs
                q += 1
        out[p - lo] = dominated
    return out


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
    best = np.zeros(D + 1, dtype=np.int64)
    best_val = np.full(D + 1, np.inf)
    for p in range(n):  # one pass over the rows, every corner at once
        j = cand[p]
        centre = 0.0
        for c in range(D + 1):
            if c < D:
                s = V[j, c]
                centre += s
            else:
                s = centre / D
            if s < best_val[c]:
                best_val[c] = s
                best[c] = p
            elif s == best_val[c]:
                k = cand[best[c]]
                for i in range(D):
                    if V[j, i] != V[k, i]:
                        if V[j, i] < V[k, i]:
                            best[c] = p
                        break
    for c in range(D + 1):
        is_kept[best[c]] = True
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


WITNESS_UNIT = 128
"""Candidates per work unit of the witness step (each decided by a few LPs)."""

DOMINANCE_PART = 8192
"""A dominance filter over more rows than this runs on partitions of this
many rows first; the union of their survivors is then checked in blocks of
:data:`DOMINANCE_UNIT` rows."""

DOMINANCE_UNIT = 1024


ROUND_UNITS = 64
"""A round of fewer than this many times :data:`WITNESS_UNIT` candidates is
cut into at most this many smaller units (:func:`_unit_size`)."""

MIN_WITNESS_UNIT = 8
"""The fewest candidates per unit of a small round."""


def _unit_size(n: int) -> int:
    """Candidates per work unit of a round of ``n``.

    :data:`WITNESS_UNIT`, but a small round is cut into at most
    :data:`ROUND_UNITS` units of at least :data:`MIN_WITNESS_UNIT`: its slowest unit is what the
    next round waits for, and an executor groups consecutive units into one
    task anyway.  A smaller unit costs a few LPs, since each unit starts
    without a warm start.  A function of the data only.
    """
    return min(WITNESS_UNIT, max(MIN_WITNESS_UNIT, -(-n // ROUND_UNITS)))


def _round_size(n_kept: int, n_pending: int) -> int:
    """Candidates decided against one snapshot of the kept set.

    A function of the data only (never of the worker count), so the answer
    is the same however the units are scheduled.  Rounds grow with the kept
    set (a witness found against a small kept set is often refuted by the
    vectors the same round adds) and take at least a quarter of the pending
    candidates (most are dropped by the cheap pointwise test, whatever the
    round size).
    """
    units = max(1, (2 * n_kept) // WITNESS_UNIT, -(-n_pending // (4 * WITNESS_UNIT)))
    return min(n_pending, units * WITNESS_UNIT)


class Snapshot(NamedTuple):
    """The kept set of one round and the prune's margins, shared by the
    round's work units.

    The kept set is ``KT[:, :n_kept]`` (vectors as columns).  On the driver
    ``KT`` is the prune's whole buffer, read in place: the merge only
    appends columns, so the first ``n_kept`` never change while a unit (even
    one left running by a cancelled map, or while the merge applies the
    decisions of earlier units) reads them.  A snapshot pickled for
    another process (a cluster task) carries those columns only.
    """

    KT: np.ndarray
    n_kept: int
    tau: float
    unit: float
    feasibility: float
    use_numba: bool

    def __reduce__(self):
        return Snapshot, (np.ascontiguousarray(self.KT[:, :self.n_kept]),) + tuple(self[1:])


class Candidates:
    """The candidate rows of one work unit: rows ``index`` of ``V``
    (float64[N, D]; all of them when ``index`` is None).

    In the driver's process the unit gathers its rows itself, on the thread
    that runs it, not on the driver's; pickled for a cluster task it
    carries its gathered rows only.
    """

    __slots__ = ("V", "index")

    def __init__(self, V: np.ndarray, index: np.ndarray | None = None) -> None:
        self.V, self.index = V, index

    @property
    def count(self) -> int:
        return self.V.shape[0] if self.index is None else self.index.shape[0]

    def rows(self) -> np.ndarray:
        return self.V if self.index is None else self.V[self.index]

    def __reduce__(self):
        return Candidates, (self.rows(),)


def _gathered(units) -> np.ndarray:
    """The rows of consecutive units end to end (one gather when they index
    the same array)."""
    first = units[0]
    if len(units) == 1:
        return first.rows()
    if all(u.index is not None and u.V is first.V for u in units):
        return first.V[np.concatenate([u.index for u in units])]
    return np.concatenate([u.rows() for u in units])


def decide_units(shared: Snapshot, units):
    """A group of consecutive work units of one round, in one kernel call.

    ``shared`` is the round's :class:`Snapshot`; ``units`` are the
    :class:`Candidates` of each unit, so a task sent to a cluster worker
    carries its own candidates only.  The numba LP decides first
    (:func:`~decmdp.core.lp.witness_units`) and HiGHS decides what it cannot
    prove.

    Returns
    -------
    decision, bound, B, lps, fallbacks
        Per row of the group, as filled by :func:`~decmdp.core.lp.witness_units`
        (``decision`` as int8, and ``B`` only for the rows decided
        :data:`~decmdp.core.lp.WITNESS`, in order: a result travels back from
        a cluster worker, and most rows are dropped), and the group's LP and
        HiGHS-fallback counts.
    """
    KT, n_kept, tau, unit, feasibility, use_numba = shared
    group = _gathered(units)
    starts = np.zeros(len(units) + 1, dtype=np.int64)
    np.cumsum([u.count for u in units], out=starts[1:])
    n, D = group.shape
    decision = np.full(n, DOUBT, dtype=np.int64)
    bound = np.zeros(n)
    B = np.zeros((n, D))
    lps = fallbacks = 0
    if use_numba:
        lps = int(witness_units(KT, n_kept, group, starts, tau, unit, feasibility, decision, bound, B))
    W = None
    for q in np.flatnonzero(decision == DOUBT):
        W = np.ascontiguousarray(KT[:, :n_kept].T) if W is None else W
        decision[q], bound[q], B[q] = witness_decide_highs(W, group[q], tau, unit, feasibility)
        lps += 1
        fallbacks += use_numba
    return decision.astype(np.int8), bound, B[decision == WITNESS], lps, fallbacks


def _witness_step(V, kept0, und0, margins: _Margins, executor: Executor):
    """The Lark/White loop in rounds: the next pending candidates, in fixed
    units (:func:`_unit_size`), are decided against a snapshot of the kept
    set (in parallel) and :func:`~decmdp.core.lp.witness_merge` applies the
    decisions in candidate order, group by group as the groups finish;
    candidates still undecided go to the end of the queue.  Returns
    ``(kept, lps, trouble, fallbacks, max_drop)``."""
    N, D = V.shape
    nk, nu = kept0.shape[0], und0.shape[0]
    kept = np.empty(nk + nu, dtype=np.int64)
    kept[:nk] = kept0
    KT = np.empty((D, nk + nu))
    KT[:, :nk] = rows_as_columns(V, kept0)
    und = und0
    pool, pool_row, pool_col, queue = _new_pool(V, und, executor)
    n_pool = nu
    use_numba = margins.solver is LPSolver.NUMBA
    tau, unit = margins.tau, margins.unit
    lps = trouble = fallbacks = 0
    max_drop = np.full(1, -np.inf)
    scan_elsewhere = float(PARALLEL_PICK_POOL) if executor.local_workers > 1 else np.inf
    state = np.empty(MERGE_STATE, dtype=np.int64)
    scratch = np.empty(min(nu, PICK_CHUNK))
    while n_pool > 0:
        batch = queue.take(_round_size(nk, n_pool), pool_col)
        n = batch.shape[0]
        snapshot = Snapshot(KT, nk, tau, unit, margins.feasibility, use_numba)
        candidates = und[batch]
        units = [Candidates(V, candidates[a:b]) for a, b in blocks(n, _unit_size(n))]
        decision = np.empty(n, dtype=np.int64)
        bound = np.empty(n)
        B = np.empty((n, D))
        decided = witnesses = 0
        state[:] = (0, 0, nk, n_pool, 0)
        with executor.map_groups_in_order(decide_units, snapshot, units, work=float(n) * nk * D) as results:
            while got := results.take_ready():  # merge what is in while later groups run
                start, decided = decided, decided + sum(r[0].shape[0] for r in got)
                decision[start:decided] = _joined(got, 0)
                bound[start:decided] = _joined(got, 1)
                start, witnesses = witnesses, witnesses + sum(r[2].shape[0] for r in got)
                B[start:witnesses] = _joined(got, 2)
                lps += sum(r[3] for r in got)
                fallbacks += sum(r[4] for r in got)
                _merge_decided(V, kept, KT, nk, und, pool, pool_row, pool_col, batch[:decided], decision[:decided],
                               bound[:decided], B[:witnesses], tau, unit, state, max_drop, scan_elsewhere, scratch,
                               executor)
                executor.check_cancelled()
        if decided != n:
            raise RuntimeError(f"witness step: {decided} of {n} candidates decided (a bug)")
        nk, n_pool = int(state[2]), int(state[3])
        trouble += int(state[4])
        queue.put(batch[pool_col[batch] >= 0])
    return np.sort(kept[:nk]), lps, trouble, fallbacks, float(max_drop[0])


def _joined(results, k):
    """Field ``k`` of the groups' results, end to end."""
    return results[0][k] if len(results) == 1 else np.concatenate([r[k] for r in results])


def _merge_decided(V, kept, KT, n_snap, und, pool, pool_row, pool_col, batch, decision, bound, B, tau, unit,
                   state, max_drop, scan_elsewhere, scratch, executor: Executor) -> None:
    """:func:`~decmdp.core.lp.witness_merge` of the decisions so far (a
    prefix of the round's, where ``state`` says the merge stands), each
    large pick scanned in blocks (:func:`_pick_in_blocks`)."""
    block_best = _NO_COLUMNS
    while True:
        at = witness_merge(V, kept, KT, n_snap, und, pool, pool_row, pool_col, batch, decision, bound, B, tau,
                           unit, state, max_drop, block_best, block_best.shape[0], scan_elsewhere, scratch)
        if at < 0:
            return
        block_best = _pick_in_blocks(pool, pool_row, int(state[3]), np.ascontiguousarray(B[at]), executor)


PARALLEL_PICK_POOL = 1_000_000
"""Pool size (undecided rows times components) from which a pick of a
round's merge scans the pool in blocks on the driver's threads."""

PICK_BLOCK_ENTRIES = 1 << 18
"""Pool entries (columns times components) per block of a parallel pick:
2 MiB of the pool, some 100 us of scanning."""

_NO_COLUMNS = np.empty(0, dtype=np.int64)


def _pick_in_blocks(pool, pool_row, n_pool: int, b, executor: Executor) -> np.ndarray:
    """The best pool column of each block of :data:`PICK_BLOCK_ENTRIES` entries
    at ``b`` (:func:`~decmdp.core.lp.pool_best`), the blocks on the driver's
    threads (:meth:`~decmdp.core.executors.Executor.map_local`)."""
    step = max(1, PICK_BLOCK_ENTRIES // pool.shape[0])
    return np.array(executor.map_local(_pick_unit, (pool, pool_row, b), blocks(n_pool, step)), dtype=np.int64)


def _pick_unit(shared, block):
    pool, pool_row, b = shared
    return pool_best(pool, pool_row, block[0], block[1], b)


def _new_pool(V, und, executor: Executor):
    """The pool of a witness step (every undecided row, as columns, with its
    maps ``pool_row`` and ``pool_col``) and its queue, in the last position
    first; filled in blocks on the driver's threads for a large pool."""
    nu, D = und.shape[0], V.shape[1]
    pool = np.empty((D, nu))
    pool_row = np.empty(nu, dtype=np.int64)
    pool_col = np.empty(nu, dtype=np.int64)
    queue = np.empty(2 * nu, dtype=np.int64)
    step = max(1, nu) if nu * D < PARALLEL_PICK_POOL else max(1, PICK_BLOCK_ENTRIES // D)
    executor.map_local(_fill_pool_unit, (V, und, pool, pool_row, pool_col, queue), blocks(nu, step))
    return pool, pool_row, pool_col, _Queue(queue, nu)


def _fill_pool_unit(shared, block):
    fill_pool(*shared[:2], block[0], block[1], *shared[2:])


@kernel
def fill_pool(V, und, lo, hi, pool, pool_row, pool_col, queue):  # pragma: no cover - numba
    """Positions ``lo .. hi - 1`` of a new pool (:func:`_new_pool`): row
    ``und[p]`` of ``V`` as column ``p``, ``pool_row[p] = pool_col[p] = p``,
    and ``p`` at ``queue[nu - 1 - p]``.  Trusted input."""
    nu = und.shape[0]
    for p in range(lo, hi):
        r = und[p]
        for i in range(V.shape[1]):
            pool[i, p] = V[r, i]
        pool_row[p] = p
        pool_col[p] = p
        queue[nu - 1 - p] = p


class _Queue:
    """The undecided positions of a witness step, in test order.

    Every undecided position is in the queue once; a position a pick has
    taken (``pool_col[p] < 0``) stays until it comes up and is skipped then,
    so a round costs the size of its batch, not of the queue.
    """

    def __init__(self, items: np.ndarray, n: int) -> None:
        """``items[:n]`` are the positions in test order; ``items`` holds
        ``2 n``."""
        self.items = items
        self.head, self.tail = 0, n

    def take(self, size: int, pool_col: np.ndarray) -> np.ndarray:
        """The next ``size`` undecided positions (``size >= 1``, and there
        must be as many)."""
        parts = []
        while size > 0:
            chunk = self.items[self.head:min(self.head + size, self.tail)]
            if chunk.shape[0] == 0:
                raise RuntimeError("witness step: fewer queued positions than undecided rows (a bug)")
            self.head += chunk.shape[0]
            chunk = chunk[pool_col[chunk] >= 0]
            parts.append(chunk)
            size -= chunk.shape[0]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def put(self, positions: np.ndarray) -> None:
        """Append ``positions`` at the end (the queue holds each position at
        most once, so after moving its entries to the front it has room)."""
        n = positions.shape[0]
        if self.tail + n > self.items.shape[0]:
            live = self.tail - self.head
            self.items[:live] = self.items[self.head:self.tail]
            self.head, self.tail = 0, live
        self.items[self.tail:self.tail + n] = positions
        self.tail += n


def _dominance_survivors(V, margin: float, executor: Executor) -> np.ndarray:
    """Rows of ``V`` not dropped by (near-)dominance, ascending.

    Up to :data:`DOMINANCE_PART` rows: :func:`dominance_filter`.  Beyond,
    the partitions of that many rows are filtered as work units, and the
    union of their survivors, sorted by row sum, is checked in blocks
    (:func:`dominated_after_sort`): a row dominated in ``V`` is dominated by
    a survivor of the union (dominance is transitive), so with the default
    exact dominance the survivors are the same as one filter's.
    """
    N = V.shape[0]
    if N <= DOMINANCE_PART:
        return dominance_filter(V, margin)
    starts = range(0, N, DOMINANCE_PART)
    parts = executor.map(_filter_unit, margin, [V[a:a + DOMINANCE_PART] for a in starts], work=float(N) * N)
    union = np.concatenate([a + part for a, part in zip(starts, parts)])
    sums = V[union].sum(axis=1)
    by_sum = np.argsort(sums, kind="stable")
    order = union[by_sum]
    ST = rows_as_columns(V, order)
    sorted_sums = np.ascontiguousarray(sums[by_sum])
    n = order.shape[0]
    dominated = executor.map(_dominated_unit, (ST, sorted_sums, margin), blocks(n, DOMINANCE_UNIT), work=float(n) * n)
    return np.sort(order[~np.concatenate(dominated)])


PARALLEL_DUPLICATE_ROWS = 1 << 17
"""From this many rows the duplicate filter hashes and fills its parts on
the driver's threads (:meth:`~decmdp.core.executors.Executor.map_local`)."""

HASH_BLOCK_ROWS = 1 << 16
"""Rows per block of the parallel hashing."""


def _duplicate_survivors(V, executor: Executor) -> np.ndarray:
    """:func:`duplicate_filter`, its hashing and its parts run on the driver's
    threads for a large ``V``: the same kernels, so the same rows."""
    N = V.shape[0]
    if N < PARALLEL_DUPLICATE_ROWS or executor.local_workers <= 1:
        return duplicate_filter(V)
    hashes = np.empty(N, dtype=np.uint64)
    executor.map_local(_hash_block, (V, hashes), blocks(N, HASH_BLOCK_ROWS))
    parts = int(duplicate_parts(N))
    order, starts = rows_by_part(hashes, parts)
    alive = np.ones(N, dtype=np.bool_)
    executor.map_local(_mark_part, (V, hashes, order, starts, parts, alive), range(parts))
    return np.flatnonzero(alive).astype(np.int64)


def _hash_block(shared, block):
    V, hashes = shared
    row_hashes(V, block[0], block[1], hashes)


def _mark_part(shared, part):
    V, hashes, order, starts, parts, alive = shared
    mark_repeats(V, hashes, order, starts[part], starts[part + 1], parts, alive)


def _filter_unit(margin, rows):
    return dominance_filter(np.ascontiguousarray(rows), margin)


def _dominated_unit(shared, block):
    ST, sums, margin = shared
    return dominated_after_sort(ST, sums, block[0], block[1], margin)


def prune_counted(
    V: np.ndarray,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    lp: LPSolver | str = LPSolver.NUMBA,
    *,
    executor: Executor | None = None,
) -> PruneResult:
    """Prune ``V`` (float64[N, D]) to its lower envelope; also count LPs and
    bound the error.

    See the module docstring for the three steps and for large sets, which
    are pruned in parts.  ``V`` is trusted (finite); it is made C-contiguous
    float64 here.  ``executor`` runs the work units
    (:mod:`decmdp.core.executors`; default: serially, here); the answer does
    not depend on it.
    """
    solver = LPSolver.parse(lp)
    V = np.ascontiguousarray(V, dtype=np.float64)
    if V.ndim != 2:
        raise ValueError(f"prune: V must be 2-D (vectors x components), got shape {V.shape}")
    N = V.shape[0]
    if N <= 1:
        return PruneResult(np.arange(N, dtype=np.int64), 0, 0)
    low, high = extremes(V)
    magnitude = max(abs(low), abs(high))
    spread = high - low
    # Rounding of a certificate or a priced margin, per term summed: each term
    # is at most 2 * magnitude, with a factor 2 to spare.
    unit = 4.0 * FLOAT64_UNIT_ROUNDOFF * magnitude
    margins = _Margins(tolerances.dominance * spread, max(tolerances.witness * spread, TAU_FLOOR_UNITS * unit),
                       unit, tolerances.lp_feasibility, solver)
    return _prune(V, margins, executor or SERIAL)


class _Margins(NamedTuple):
    """What a prune may drop: fixed from all of ``V`` and used for each part
    of it, too."""

    dominance: float
    tau: float
    unit: float
    feasibility: float
    solver: LPSolver


PARTITION_ROWS = 1 << 16
"""A prune of more rows than this may run in parts (:func:`_prune`)."""

PROBE_ROWS = 1 << 12
"""The first rows of a large prune, pruned first to see how much of them
the envelope keeps."""

SPARSE_PROBE = 0.05
"""The largest share of the probe's rows it may keep for the rest to be
pruned in parts."""

PART_ROWS = 1 << 15
"""The most rows of a part (the rest is cut into near-equal parts)."""

KEEPING_PARTS_PER_THREAD = 2
"""With this many parts per driver thread or more, each part runs its own
rounds on its own thread (:meth:`~decmdp.core.executors.Executor.keeping_maps`;
a round large enough for a cluster still goes there): the parts keep the
threads busy by themselves until the last few, and handing their small
rounds to the unit threads as well cost up to 1.6x the CPU seconds.  With
fewer, a part's rounds go to the unit threads, so that threads whose parts
have ended help the ones still running."""


def _prune(V, margins: _Margins, executor: Executor) -> PruneResult:
    """Prune ``V``, in parts when it is large and its envelope small.

    Pruning distributes over a union: the envelope of a part's kept rows is
    within the part's error of the part's envelope, so the union of the
    kept rows of all parts is within the largest part error of the envelope
    of ``V``, and the prune of that union adds its own error.  The error of
    a prune in parts is the sum of its levels' errors.

    Up to :data:`PARTITION_ROWS` rows, ``V`` is pruned whole.  Beyond, its
    first :data:`PROBE_ROWS` rows are pruned first.  When they keep more
    than :data:`SPARSE_PROBE` of themselves, the envelope is dense: each
    part would keep much of its rows, and establishing each part's own
    envelope would cost more than it saves, so the rest is pruned whole,
    together with the probe's kept rows.  Otherwise the rest is cut into
    parts of at most :data:`PART_ROWS` rows, pruned concurrently
    (:meth:`~decmdp.core.executors.Executor.concurrently`), each with its
    own rounds of work units (on its own thread when there are
    :data:`KEEPING_PARTS_PER_THREAD` parts or more per driver thread:
    :meth:`~decmdp.core.executors.Executor.keeping_maps`), and then the
    union of every part's kept rows
    (in parts again while it is large and at most half of ``V``).  The
    parts have short chains of dependent rounds over small pools, where
    one prune of ``V`` has a long chain over a large one.  Every choice is
    a function of the data only, so every executor gives the same answer.
    """
    N = V.shape[0]
    if N <= PARTITION_ROWS:
        return _prune_whole(V, margins, executor)
    probe = _prune_rows(V, 0, PROBE_ROWS, margins, executor)
    if probe.kept.shape[0] > SPARSE_PROBE * PROBE_ROWS:
        rest = _prune_rows(V, PROBE_ROWS, N, margins, executor, extra=probe.kept)
        return _after(rest.kept, [probe], rest)
    rest_rows = N - PROBE_ROWS
    step = -(-rest_rows // -(-rest_rows // PART_ROWS))
    calls = [functools.partial(_prune_rows, V, PROBE_ROWS + a, PROBE_ROWS + b, margins, executor)
             for a, b in blocks(rest_rows, step)]
    if len(calls) >= KEEPING_PARTS_PER_THREAD * executor.driver_threads:
        calls = [executor.keeping_maps(call) for call in calls]
    parts = executor.concurrently(calls, work=float(N) * V.shape[1])
    union = np.concatenate([probe.kept] + [part.kept for part in parts])  # ascending: the parts are in order
    again = _prune if 2 * union.shape[0] <= N else _prune_whole
    rest = again(V[union], margins, executor)  # a gather is C-contiguous
    return _after(union[rest.kept], [probe] + parts, rest)


def _after(kept: np.ndarray, parts: list, rest: PruneResult) -> PruneResult:
    """The outcome of parts whose kept rows were pruned together into
    ``rest``: ``kept`` (rows of ``V``, ascending), every LP counted, and
    the error of ``rest`` plus the largest of the parts'."""
    return PruneResult(kept, rest.lps + sum(p.lps for p in parts), rest.lp_trouble + sum(p.lp_trouble for p in parts),
                       rest.lp_fallbacks + sum(p.lp_fallbacks for p in parts),
                       rest.error + max(p.error for p in parts))


def _prune_whole(V, margins: _Margins, executor: Executor) -> PruneResult:
    """The three steps of the module docstring on all of ``V``."""
    return _prune_rows(V, 0, V.shape[0], margins, executor)


_NO_ROWS = np.empty(0, dtype=np.int64)


def _prune_rows(V, lo: int, hi: int, margins: _Margins, executor: Executor, extra=_NO_ROWS) -> PruneResult:
    """The three steps of the module docstring on rows ``lo .. hi - 1`` of
    ``V`` and the rows ``extra`` (ascending, below ``lo``; the duplicate
    filter sees the range only): the kept rows of ``V``, ascending."""
    part = V[lo:hi]
    if margins.dominance > 0.0:
        surv = _dominance_survivors(part, margins.dominance, executor)
    else:  # exact dominance is left to the witness step's pointwise test
        surv = _duplicate_survivors(part, executor)
    error = margins.dominance * (hi - lo - surv.shape[0])
    cand = np.concatenate([extra, lo + surv]) if extra.shape[0] else lo + surv
    if cand.shape[0] <= 1:
        return PruneResult(cand, 0, 0, 0, error)
    kept0, und0 = corner_split(V, cand)
    if und0.shape[0] == 0:
        return PruneResult(kept0, 0, 0, 0, error)
    kept, lps, trouble, fallbacks, max_drop = _witness_step(V, kept0, und0, margins, executor)
    return PruneResult(kept, lps, trouble, fallbacks, error + max(max_drop, 0.0))


def prune(
    V: np.ndarray,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    lp: LPSolver | str = LPSolver.NUMBA,
) -> np.ndarray:
    """Indices (ascending) of a subset of the rows of ``V`` with the same
    lower envelope ``min_v b . v`` over the simplex, up to the tolerances.

    Parameters
    ----------
    V : float64[N, D]
        Cost vectors.
    tolerances : Tolerances
        ``dominance`` and ``witness`` (relative to the spread ``max V - min V``) and
        ``lp_feasibility`` inside the LP solvers.
    lp : LPSolver or {"numba", "highs"}
        LP solver for the witness step ("numba" falls back to HiGHS where
        it cannot prove a decision).
    """
    return prune_counted(V, tolerances, lp).kept
