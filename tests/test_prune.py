"""Properties of pruning and of the witness LP (STYLE.md lesson 10).

Vector sets are drawn from a seed with numpy so that hypothesis explores
shapes and degenerate cases (integer grids give ties, duplicates and
degenerate LPs) while staying fast.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decmdp.core.lp import (
    DROP,
    LP_OPTIMAL,
    PICK_CHUNK,
    WITNESS,
    _best_in_pool,
    _best_of,
    _leave_pool,
    _still_witness,
    drop_certificate,
    pool_best,
    witness_decide,
    witness_lp,
    witness_lp_highs,
)
from decmdp.core.prune import (
    TAU_FLOOR_UNITS,
    LPSolver,
    dominance_filter,
    duplicate_filter,
    corner_split,
    extremes,
    mark_repeats,
    prune,
    prune_counted,
    row_hashes,
    rows_as_columns,
    rows_by_part,
)
from decmdp.tolerances import DEFAULT_TOLERANCES, Tolerances

SETTINGS = settings(deadline=None)  # the profile (conftest.py) decides derandomization


@st.composite
def vector_sets(draw, max_n=40, max_d=6):
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    seed = draw(st.integers(0, 2**32 - 1))
    kind = draw(st.sampled_from(["uniform", "grid", "spread"]))
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        V = rng.random((n, d))
    elif kind == "grid":  # ties, duplicates, degenerate LPs
        V = rng.integers(0, 4, size=(n, d)).astype(float)
    else:  # different scales, negative values
        V = rng.normal(size=(n, d)) * 10.0 ** rng.integers(-2, 3)
    return V


def beliefs(d, n=300, seed=1):
    """Random beliefs, the vertices and the centre of the simplex."""
    rng = np.random.default_rng(seed)
    B = rng.dirichlet(np.ones(d) * 0.5, size=n)
    return np.vstack([B, np.eye(d), np.full((1, d), 1.0 / d)])


def envelope(V, B):
    return (B @ V.T).min(axis=1)


def assert_same_envelope(V, W, atol=1e-9):
    B = beliefs(V.shape[1])
    scale = max(1.0, float(np.abs(V).max()))
    np.testing.assert_allclose(envelope(W, B), envelope(V, B), rtol=0, atol=atol * scale)


def assert_envelope_within(V, res, tolerances=DEFAULT_TOLERANCES):
    """The kept envelope is above the full one by at most the prune's proven
    error (plus the rounding of this check), and that error is within the
    documented tolerance."""
    B = beliefs(V.shape[1])
    magnitude = float(np.abs(V).max()) if V.size else 0.0
    spread = float(np.ptp(V)) if V.size else 0.0
    unit = 4 * 2.0**-53 * magnitude
    rounding = V.shape[1] * unit
    gap = envelope(V[res.kept], B) - envelope(V, B)
    assert gap.min() >= -rounding
    assert gap.max() <= res.error + rounding
    dropped = len(V) - len(res.kept)
    tau = max(tolerances.witness * spread, TAU_FLOOR_UNITS * unit)
    assert res.error <= tau + dropped * tolerances.dominance * spread + rounding


@SETTINGS
@given(vector_sets())
def test_prune_returns_sorted_subset_within_its_error(V):
    res = prune_counted(V)
    kept = res.kept
    assert kept.dtype == np.int64
    assert len(kept) >= 1
    assert np.all(np.diff(kept) > 0)
    assert kept.min() >= 0 and kept.max() < len(V)
    assert_envelope_within(V, res)
    assert list(prune(V)) == list(kept)


@SETTINGS
@given(vector_sets(), st.integers(0, 2**32 - 1))
def test_prune_does_not_depend_on_order(V, seed):
    perm = np.random.default_rng(seed).permutation(len(V))
    assert_envelope_within(V[perm], prune_counted(V[perm]))
    a, b = V[prune(V)], V[perm][prune(V[perm])]
    B = beliefs(V.shape[1])
    tau = DEFAULT_TOLERANCES.witness * float(np.abs(V).max())
    np.testing.assert_allclose(envelope(a, B), envelope(b, B), rtol=0, atol=tau + 1e-15)


@SETTINGS
@given(vector_sets(max_n=25, max_d=5))
def test_prune_with_highs_is_certified_the_same_way(V):
    a = prune_counted(V, lp="numba")
    b = prune_counted(V, lp=LPSolver.HIGHS)
    assert_envelope_within(V, a)
    assert_envelope_within(V, b)
    assert a.lp_trouble == 0 and b.lp_trouble == 0


@SETTINGS
@given(vector_sets(max_n=30, max_d=6), st.integers(0, 10**6))
def test_numba_lp_agrees_with_highs_and_its_strategy_certifies(V, pick):
    n, d = V.shape
    if n < 2:
        V = np.vstack([V, V[::-1] + 1.0])
        n = len(V)
    vi = pick % n
    kept = np.array([j for j in range(n) if j != vi], dtype=np.int64)
    b, y = np.empty(d), np.empty(len(kept))
    KT = np.ascontiguousarray(V[kept].T)
    cols = np.arange(len(kept), dtype=np.int64)
    status, delta = witness_lp(KT, cols, len(kept), V[vi].copy(), DEFAULT_TOLERANCES.lp_feasibility, b, y)
    status_h, delta_h, b_h, y_h = witness_lp_highs(V[kept], V[vi])
    assert status == LP_OPTIMAL and status_h == LP_OPTIMAL
    scale = max(1.0, float(np.ptp(V)))
    assert delta == pytest.approx(delta_h, abs=1e-8 * scale)
    # b achieves delta, and y proves that nothing does better (weak duality).
    assert np.all(b >= 0) and b.sum() == pytest.approx(1.0)
    achieved = np.min((V[kept] - V[vi]) @ b)
    assert achieved == pytest.approx(delta, abs=1e-8 * scale)
    assert np.all(y >= 0) and y.sum() == pytest.approx(1.0)
    certified = drop_certificate(KT, cols, len(kept), y, V[vi].copy())
    assert certified == pytest.approx(delta, abs=1e-8 * scale)
    assert drop_certificate(KT, cols, len(kept), y_h, V[vi].copy()) == pytest.approx(delta_h, abs=1e-7 * scale)


@SETTINGS
@given(vector_sets(max_n=40, max_d=6), st.integers(0, 10**6), st.integers(0, 30))
def test_constraint_generation_decisions_carry_proofs(V, pick, n_hint):
    n, d = V.shape
    if n < 2:
        V = np.vstack([V, V[::-1] + 1.0])
        n = len(V)
    vi = pick % n
    others = [j for j in range(n) if j != vi]
    KT = np.ascontiguousarray(V[others].T)
    v = V[vi].copy()
    tol = DEFAULT_TOLERANCES
    scale = float(np.abs(V).max())
    tau, unit = tol.witness * scale, 4 * 2.0**-53 * scale
    _, delta_h, _, _ = witness_lp_highs(V[others], v)
    hint = np.arange(n_hint, dtype=np.int64) % len(others)  # any stale hint is allowed
    b = np.empty(d)
    decision, bound, lps, n_new = witness_decide(KT, len(others), v, tau, unit, tol.lp_feasibility, b,
                                                 hint, len(hint))
    assert decision in (WITNESS, DROP)
    assert 0 <= n_new <= len(hint)
    if abs(delta_h - tau) > 1e-8 * max(scale, 1.0):  # clear-cut cases only
        assert (decision == WITNESS) == (delta_h > tau)
    if decision == WITNESS:  # the witness is real, priced directly
        assert np.all(b >= 0) and b.sum() == pytest.approx(1.0)
        assert np.min((V[others] - v) @ b) == pytest.approx(bound, abs=1e-12 * scale)
        assert tau < bound <= delta_h + 1e-8 * scale
    else:  # the certificate bounds delta* from above
        assert bound <= tau
        assert delta_h <= bound + 1e-9 * max(scale, 1.0)


def test_lp_drops_a_vector_dominated_only_by_a_combination():
    V = np.array([[0.0, 1.0], [1.0, 0.0], [0.6, 0.6], [0.4, 0.4]])
    res = prune_counted(V)
    assert list(res.kept) == [0, 1, 3]
    V2 = np.array([[0.0, 1.0], [1.0, 0.0], [0.6, 0.6]])
    res2 = prune_counted(V2)
    assert list(res2.kept) == [0, 1]
    assert res2.lps >= 1  # not decided by dominance or corners


def test_witness_brings_in_the_best_undecided_vector():
    # Corners pick rows 0 and 1; the centre picks row 4; rows 2 and 3 remain.
    V = np.array(
        [[0.0, 10.0, 10.0], [10.0, 0.0, 10.0], [4.0, 4.0, 9.0], [3.0, 3.0, 9.5], [2.0, 2.0, 2.0]]
    )
    kept = prune(V)
    assert_same_envelope(V, V[kept])
    assert 2 not in kept or 3 in kept


def test_duplicates_keep_exactly_one():
    V = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [1.0, 2.0]])
    assert list(prune(V)) == [0, 2]
    assert list(dominance_filter(V, 0.0)) == [0, 2]
    assert list(duplicate_filter(V)) == [0, 2]


def test_a_negative_zero_equals_zero_for_the_duplicate_filter():
    grid = np.array([(a, b) for a in range(40) for b in range(40)], dtype=float)
    signed = np.where(grid == 0.0, -0.0, grid)  # the rows of grid, some with -0.0
    assert np.signbit(signed).sum() == 80  # entries: 79 rows have one
    assert list(duplicate_filter(np.vstack([grid, signed, grid + 0.5]))) == list(range(1600)) + list(
        range(3200, 4800))


@SETTINGS
@given(st.integers(0, 300), st.integers(1, 5), st.sampled_from([1, 2, 4, 8]), st.integers(0, 2**32 - 1))
def test_duplicates_found_part_by_part_are_the_first_rows_of_their_groups(n, d, parts, seed):
    """The duplicate filter's pieces, as its parallel path runs them: rows
    hashed in blocks, grouped by part, each part marked on its own."""
    rng = np.random.default_rng(seed)
    V = rng.integers(-2, 3, size=(n, d)).astype(float)
    V[(V == 0.0) & (rng.random(V.shape) < 0.5)] *= -1.0
    hashes = np.empty(n, dtype=np.uint64)
    for a in range(0, n, 7):
        row_hashes(V, a, min(a + 7, n), hashes)
    order, starts = rows_by_part(hashes, parts)
    assert sorted(order) == list(range(n)) and starts[0] == 0 and starts[-1] == n
    for p in range(parts):
        part = order[starts[p]:starts[p + 1]]
        assert list(part) == sorted(part) and all(int(hashes[j]) % parts == p for j in part)
    alive = np.ones(n, dtype=np.bool_)
    for p in reversed(range(parts)):  # parts are independent
        mark_repeats(V, hashes, order, starts[p], starts[p + 1], parts, alive)
    first = [j for j in range(n) if not any(np.array_equal(V[j], V[k]) for k in range(j))]
    assert list(np.flatnonzero(alive)) == first == list(duplicate_filter(V))


@SETTINGS
@given(st.integers(0, 60), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_corner_split_keeps_the_best_row_at_each_vertex_and_the_centre(n, d, seed):
    rng = np.random.default_rng(seed)
    V = rng.integers(0, 3, size=(n + 5, d)).astype(float)  # ties in value and equal rows
    cand = np.sort(rng.choice(n + 5, size=n, replace=False)).astype(np.int64)
    kept, undecided = corner_split(V, cand)
    corners = [np.eye(d)[i] for i in range(d)] + [np.full(d, 1.0 / d)]
    want = {min(cand, key=lambda j: (V[j].sum() / d if c is corners[-1] else V[j] @ c, tuple(V[j]), j))
            for c in corners} if n else set()
    assert list(kept) == sorted(want)
    assert list(undecided) == [j for j in cand if j not in want]


@SETTINGS
@given(st.integers(1, 50), st.integers(1, 6), st.sampled_from([1e-6, 1.0, 1e10]), st.integers(0, 2**32 - 1))
def test_extremes_and_rows_as_columns_are_numpys(n, d, scale, seed):
    rng = np.random.default_rng(seed)
    V = scale * rng.standard_normal((n, d)) + rng.choice([-scale, 0.0, scale])
    assert extremes(V) == (V.min(), V.max())
    rows = rng.integers(0, n, size=rng.integers(0, 2 * n))
    got = rows_as_columns(V, rows)
    assert got.flags.c_contiguous and np.array_equal(got, V[rows].T)


@SETTINGS
@given(st.integers(0, 300), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_duplicate_filter_keeps_the_first_row_of_each_group(n, d, levels, seed):
    rng = np.random.default_rng(seed)
    V = rng.integers(-levels, levels + 1, size=(n, d)).astype(float)
    V[(V == 0.0) & (rng.random(V.shape) < 0.5)] *= -1.0  # signed zeros: equal rows either way
    first = [j for j in range(n) if not any(np.array_equal(V[j], V[k]) for k in range(j))]
    assert list(duplicate_filter(V)) == first


@SETTINGS
@given(st.integers(1, 60), st.integers(1, 5), st.integers(1, 9), st.integers(0, 2**32 - 1))
def test_a_pick_is_the_best_undecided_row_whatever_left_the_pool(n, d, block, seed):
    """The merge's pool: rows leave in any order, and a pick is always the
    best row still there (smallest value, then the lexicographically smaller
    row, then the earlier position), found against a brute-force scan, by
    one scan or by the best of the blocks' bests."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 3, size=(n, d)).astype(float)  # ties in value and duplicate rows
    pool = np.ascontiguousarray(rows.T)
    pool_row = np.arange(n, dtype=np.int64)
    pool_col = np.arange(n, dtype=np.int64)
    n_pool, vals = n, np.empty(n)
    left = list(range(n))
    for p in rng.permutation(n):
        b = rng.integers(0, 3, size=d) / 4.0  # dyadic: the values are exact, so ties are real
        best = min(left, key=lambda r: (float(rows[r] @ b), tuple(rows[r]), r))
        assert _best_in_pool(pool, pool_row, n_pool, b, vals) == best
        blocks = [pool_best(pool, pool_row, a, min(a + block, n_pool), b) for a in range(0, n_pool, block)]
        assert _best_of(pool, pool_row, np.array(blocks, dtype=np.int64), len(blocks), b) == best
        n_pool = _leave_pool(pool, pool_row, pool_col, n_pool, p)
        left.remove(p)
        assert pool_col[p] == -1 and n_pool == len(left)
        assert sorted(pool_row[:n_pool]) == left
        np.testing.assert_array_equal(pool[:, pool_col[left]], rows[left].T)
    assert _best_in_pool(pool, pool_row, n_pool, np.ones(d), vals) == -1


@SETTINGS
@given(st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_a_pick_across_chunks_is_the_best_row_of_any_range(chunks, seed):
    """A pick prices the pool PICK_CHUNK columns at a time; across chunk
    boundaries it still finds the best row (ties broken as in a single
    scan), over the whole pool and over any range of it."""
    rng = np.random.default_rng(seed)
    n, d = chunks * PICK_CHUNK + int(rng.integers(0, PICK_CHUNK)), int(rng.integers(1, 6))
    rows = rng.integers(0, 3, size=(n, d)).astype(float)
    pool = np.ascontiguousarray(rows.T)
    pool_row = rng.permutation(n).astype(np.int64)  # positions in any order: the last tie-break
    for _ in range(4):
        b = rng.integers(0, 3, size=d) / 4.0
        lo, hi = sorted(int(x) for x in rng.choice(n + 1, 2, replace=False))
        key = [(float(rows[c] @ b), tuple(rows[c]), pool_row[c]) for c in range(n)]
        assert _best_in_pool(pool, pool_row, n, b, np.empty(PICK_CHUNK)) == pool_row[min(range(n), key=key.__getitem__)]
        assert pool_best(pool, pool_row, lo, hi, b) == min(range(lo, hi), key=key.__getitem__)


@SETTINGS
@given(st.integers(0, 6), st.integers(0, 6), st.integers(0, 2**32 - 1))
def test_a_witness_priced_again_keeps_its_margin_only_against_every_added_vector(n_snap, added, seed):
    """The merge's repricing stops at the first added vector that refutes a
    witness; it decides as the full minimum over them does."""
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 5))
    KT = rng.integers(0, 4, size=(d, n_snap + added)).astype(float)
    V = rng.integers(0, 4, size=(3, d)).astype(float)
    B = rng.integers(0, 3, size=(2, d)) / 4.0
    threshold = 0.25 * int(rng.integers(-2, 3))
    for w in range(3):
        for bq in range(2):
            for margin in (-np.inf, threshold, threshold + 0.5, np.inf):
                full = min([margin] + [float(B[bq] @ (KT[:, c] - V[w])) for c in range(n_snap, n_snap + added)])
                assert _still_witness(V, KT, n_snap, n_snap + added, B, bq, w, margin, threshold) == (full > threshold)


@SETTINGS
@given(st.integers(1, 80), st.integers(0, 2**32 - 1))
def test_the_witness_queue_hands_out_undecided_positions_in_test_order(n, seed):
    """Against a list: a round takes the first undecided positions, picks
    decide positions anywhere in the queue, and the round's undecided
    positions go to the end."""
    from decmdp.core.prune import _Queue

    rng = np.random.default_rng(seed)
    pool_col = np.arange(n)  # >= 0: undecided
    items = np.concatenate([np.arange(n - 1, -1, -1), np.full(n, -1)])
    queue, model = _Queue(items, n), list(range(n - 1, -1, -1))
    while model:
        size = int(rng.integers(1, len(model) + 1))
        batch = queue.take(size, pool_col)
        assert list(batch) == model[:size]
        model = model[size:]
        for p in batch[rng.random(size) < 0.5]:  # decided by the round
            pool_col[p] = -1
        for p in rng.choice(n, size=int(rng.integers(0, 3))):  # picks, anywhere
            pool_col[p] = -1
        back = batch[pool_col[batch] >= 0]
        queue.put(back)
        model = [p for p in model + list(back) if pool_col[p] >= 0]
    assert not (pool_col >= 0).any()


def _sets_with_a_small_envelope(rng, n, d, kind):
    """A few vectors near the envelope and many far above it (the large
    minimum of a cross-sum), in a random order; or a set whose envelope is
    most of it."""
    if kind == "dense":
        return -rng.dirichlet(np.ones(d), size=n)  # the rows on the points' convex hull are kept
    near = rng.random((max(1, n // 10), d))
    far = near[rng.integers(0, near.shape[0], n - near.shape[0])] + rng.random((n - near.shape[0], d)) * 0.3 + 0.01
    V = np.vstack([near, far])
    return V[rng.permutation(n)]


def _largest_gap(V, kept):
    """``max_b (min_{k in kept} b . k - min_v b . v)`` over the simplex, by
    one HiGHS LP per dropped row (``max t`` s.t. ``t <= b . (k - v)``), on
    ``V`` shifted and scaled to ``[0, 1]`` (HiGHS's tolerances are absolute;
    a shift changes no gap), then scaled back."""
    from scipy.optimize import linprog

    d = V.shape[1]
    spread = float(np.ptp(V)) or 1.0
    U = (V - V.min()) / spread
    K = U[kept]
    worst = 0.0
    for v in U[np.setdiff1d(np.arange(V.shape[0]), kept)]:
        A_ub = np.hstack([-(K - v), np.ones((K.shape[0], 1))])
        res = linprog(np.r_[np.zeros(d), -1.0], A_ub=A_ub, b_ub=np.zeros(K.shape[0]),
                      A_eq=np.r_[np.ones(d), 0.0][None, :], b_eq=[1.0],
                      bounds=[(0, None)] * d + [(None, None)], method="highs")
        worst = max(worst, -res.fun)
    return worst * spread


@SETTINGS
@given(st.integers(25, 160), st.integers(1, 5), st.sampled_from(["small", "dense"]),
       st.sampled_from([0.0, 0.5, 1.0]), st.sampled_from([1e-6, 1.0, 1e10]),
       st.sampled_from([DEFAULT_TOLERANCES.witness, 0.02]), st.integers(0, 2**32 - 1))
def test_a_prune_in_parts_is_within_the_sum_of_its_levels_errors(n, d, kind, share, scale, witness, seed):
    """Cut into parts (thresholds shrunk to a few rows), a prune keeps a
    sorted subset whose envelope is above the full one by at most its
    proven error, and that error is at most one witness margin per level:
    the probe and parts, then each prune of a union."""
    import decmdp.core.prune as prune_module

    V = scale * _sets_with_a_small_envelope(np.random.default_rng(seed), n, d, kind)
    calls = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(prune_module, "PARTITION_ROWS", 20)
        mp.setattr(prune_module, "PROBE_ROWS", 8)
        mp.setattr(prune_module, "PART_ROWS", 12)
        mp.setattr(prune_module, "SPARSE_PROBE", share)
        real = prune_module._prune_rows
        mp.setattr(prune_module, "_prune_rows", lambda V, lo, hi, *a, **k: calls.append(hi - lo) or real(V, lo, hi, *a, **k))
        res = prune_counted(V, Tolerances(witness=witness))
    assert len(calls) >= 2  # the probe, then parts or the rest
    kept = res.kept
    assert np.all(np.diff(kept) > 0) and kept.min() >= 0 and kept.max() < n
    B = beliefs(d)
    magnitude = float(np.abs(V).max())
    unit = 4 * 2.0**-53 * magnitude
    rounding = d * unit
    gap = envelope(V[kept], B) - envelope(V, B)
    assert gap.min() >= -rounding
    assert gap.max() <= res.error + rounding
    assert _largest_gap(V, kept) <= res.error + 1e-7 * float(np.ptp(V)) + rounding
    tau = max(witness * float(np.ptp(V)), TAU_FLOOR_UNITS * unit)
    levels = 2 + int(np.log2(n / 20))
    assert res.error <= levels * tau + rounding


def test_a_large_set_with_a_small_envelope_is_pruned_in_parts_and_a_dense_one_whole(monkeypatch):
    """With the probe's share below the threshold the rest goes in parts of
    at most ``PART_ROWS`` rows; above it, in one prune with the probe's kept
    rows.  Both keep an envelope within the error."""
    import decmdp.core.prune as prune_module

    monkeypatch.setattr(prune_module, "PARTITION_ROWS", 100)
    monkeypatch.setattr(prune_module, "PROBE_ROWS", 40)
    monkeypatch.setattr(prune_module, "PART_ROWS", 50)
    monkeypatch.setattr(prune_module, "SPARSE_PROBE", 0.25)
    rng = np.random.default_rng(3)
    real = prune_module._prune_rows
    for kind, want in (("small", "parts"), ("dense", "rest")):
        V = _sets_with_a_small_envelope(rng, 400, 3, kind)
        calls = []
        monkeypatch.setattr(prune_module, "_prune_rows",
                            lambda V, lo, hi, *a, **k: calls.append((lo, hi)) or real(V, lo, hi, *a, **k))
        res = prune_counted(V)
        assert calls[0] == (0, 40)
        if want == "parts":
            assert calls[1:9] == [(40 + a, 40 + a + 45) for a in range(0, 360, 45)]  # 8 near-equal parts
            assert len(calls) >= 10  # then the union
        else:
            assert calls[1] == (40, 400) and len(calls) == 2
        assert_envelope_within(V, res, Tolerances(witness=DEFAULT_TOLERANCES.witness * 2))


def test_dominance_tolerance_is_relative_and_counted_in_the_error():
    V = np.array([[1.0, 1.9], [1.0 + 1e-13, 1.9 - 1e-13], [0.0, 3.0], [3.0, 0.0]]) * 1e6
    exact = prune_counted(V, Tolerances(dominance=0.0, witness=0.0))
    assert list(exact.kept) == [0, 2, 3]  # row 1 helps by 1e-7: below float64's floor at 3e6
    assert_envelope_within(V, exact, Tolerances(dominance=0.0, witness=0.0))
    loose = prune_counted(V, Tolerances(dominance=1e-12, witness=0.0))
    assert list(loose.kept) == [0, 2, 3]
    assert loose.error >= 1e-12 * 3e6  # the dominance margin (relative to the spread) is counted
    assert_envelope_within(V, loose, Tolerances(dominance=1e-12, witness=0.0))


def test_a_constant_shift_changes_no_decision_above_float64s_resolution():
    rng = np.random.default_rng(4)
    for _ in range(50):
        V = rng.random((12, 3))
        base = prune_counted(V)
        assert list(prune_counted(V + 1e3).kept) == list(base.kept)
        # at 1e9 the stored values themselves resolve only ~1e-7: the envelope
        # still matches within the proven error
        assert_envelope_within(V + 1e9, prune_counted(V + 1e9))


def test_a_vector_no_lp_can_decide_is_kept_and_counted(monkeypatch):
    # Row 3 differs from row 2 by a few units in the last place: with a zero
    # witness margin (and no floor) neither LP can prove it useless or useful.
    import decmdp.core.prune as prune_module

    monkeypatch.setattr(prune_module, "TAU_FLOOR_UNITS", 0)
    ulp = np.spacing(0.4)
    V = np.array([[0.0, 1.0], [1.0, 0.0], [0.4, 0.4], [0.4 - ulp, 0.4 + 4 * ulp]])
    res = prune_counted(V, Tolerances(witness=0.0))
    assert res.lp_trouble == 1 and res.lp_fallbacks == 1
    assert list(res.kept) == [0, 1, 2, 3]
    monkeypatch.undo()
    assert list(prune(V)) == [0, 1, 2]  # the default margin merges them


def test_trivial_sizes():
    assert list(prune(np.zeros((0, 3)))) == []
    assert list(prune(np.ones((1, 3)))) == [0]
    assert list(prune(np.array([[3.0], [1.0], [2.0]]))) == [1]


def test_invalid_lp_solver_lists_valid_ones():
    with pytest.raises(ValueError, match="'numba', 'highs'"):
        prune(np.ones((2, 2)), lp="glpk")
