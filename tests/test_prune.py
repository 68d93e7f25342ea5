"""Properties of pruning and of the witness LP (STYLE.md lesson 10).

Vector sets are drawn from a seed with numpy so that hypothesis explores
shapes and degenerate cases (integer grids give ties, duplicates and
degenerate LPs) while staying fast.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decmdp.core.lp import LP_OPTIMAL, witness_decide, witness_lp, witness_lp_highs
from decmdp.core.prune import LPSolver, dominance_filter, prune, prune_counted
from decmdp.tolerances import DEFAULT_TOLERANCES, Tolerances

SETTINGS = settings(deadline=None, derandomize=True)


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


@SETTINGS
@given(vector_sets())
def test_prune_returns_sorted_subset_with_same_envelope(V):
    kept = prune(V)
    assert kept.dtype == np.int64
    assert len(kept) >= 1
    assert np.all(np.diff(kept) > 0)
    assert kept.min() >= 0 and kept.max() < len(V)
    assert_same_envelope(V, V[kept])


@SETTINGS
@given(vector_sets(), st.integers(0, 2**32 - 1))
def test_prune_does_not_depend_on_order(V, seed):
    perm = np.random.default_rng(seed).permutation(len(V))
    a = V[prune(V)]
    b = V[perm][prune(V[perm])]
    assert_same_envelope(a, b)
    assert_same_envelope(V, b)


@SETTINGS
@given(vector_sets(max_n=25, max_d=5))
def test_prune_with_highs_keeps_the_same_envelope(V):
    a = prune_counted(V, lp="numba")
    b = prune_counted(V, lp=LPSolver.HIGHS)
    assert_same_envelope(V, V[a.kept])
    assert_same_envelope(V, V[b.kept])
    assert a.lp_trouble == 0 and b.lp_trouble == 0


@SETTINGS
@given(vector_sets(max_n=30, max_d=6), st.integers(0, 10**6))
def test_numba_lp_agrees_with_highs(V, pick):
    n, d = V.shape
    if n < 2:
        V = np.vstack([V, V[::-1] + 1.0])
        n = len(V)
    vi = pick % n
    kept = np.array([j for j in range(n) if j != vi], dtype=np.int64)
    b = np.empty(d)
    KT = np.ascontiguousarray(V[kept].T)
    cols = np.arange(len(kept), dtype=np.int64)
    status, delta = witness_lp(KT, cols, len(kept), V[vi].copy(), DEFAULT_TOLERANCES.lp_feasibility, b)
    status_h, delta_h, b_h = witness_lp_highs(V[kept], V[vi])
    assert status == LP_OPTIMAL and status_h == LP_OPTIMAL
    scale = max(1.0, float(np.ptp(V)))
    assert delta == pytest.approx(delta_h, abs=1e-8 * scale)
    # b is a belief that achieves delta (it is the optimal witness).
    assert np.all(b >= 0) and b.sum() == pytest.approx(1.0)
    achieved = np.min((V[kept] - V[vi]) @ b)
    assert achieved == pytest.approx(delta, abs=1e-8 * scale)


@SETTINGS
@given(vector_sets(max_n=40, max_d=6), st.integers(0, 10**6), st.integers(0, 30))
def test_constraint_generation_decides_like_the_full_lp(V, pick, n_hint):
    n, d = V.shape
    if n < 2:
        V = np.vstack([V, V[::-1] + 1.0])
        n = len(V)
    vi = pick % n
    others = [j for j in range(n) if j != vi]
    KT = np.ascontiguousarray(V[others].T)
    v = V[vi].copy()
    tol = DEFAULT_TOLERANCES
    _, delta_h, _ = witness_lp_highs(V[others], v)
    hint = np.arange(n_hint, dtype=np.int64) % len(others)  # any stale hint is allowed
    b = np.empty(d)
    status, delta, lps, n_new = witness_decide(
        KT, len(others), v, tol.witness, tol.lp_feasibility, b, hint, len(hint)
    )
    assert status == LP_OPTIMAL
    assert 0 <= n_new <= len(hint)
    scale = max(1.0, float(np.ptp(V)))
    if abs(delta_h) > 1e-8 * scale:  # clear-cut cases only
        assert (delta > tol.witness) == (delta_h > tol.witness)
    if delta > tol.witness:  # the witness is real, priced directly
        assert np.all(b >= 0) and b.sum() == pytest.approx(1.0)
        assert np.min((V[others] - v) @ b) == pytest.approx(delta, abs=1e-12 * scale)
        assert delta <= delta_h + 1e-8 * scale


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


def test_dominance_tolerance_is_used():
    V = np.array([[1.0, 2.0], [1.0 + 1e-13, 2.0 - 1e-13]])
    assert len(prune(V)) == 1
    assert len(prune(V, Tolerances(dominance=0.0, witness=0.0))) == 2


def test_trivial_sizes():
    assert list(prune(np.zeros((0, 3)))) == []
    assert list(prune(np.ones((1, 3)))) == [0]
    assert list(prune(np.array([[3.0], [1.0], [2.0]]))) == [1]


def test_invalid_lp_solver_lists_valid_ones():
    with pytest.raises(ValueError, match="'numba', 'highs'"):
        prune(np.ones((2, 2)), lp="glpk")
