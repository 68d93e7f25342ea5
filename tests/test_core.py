"""The core engine: lifted backup against enumeration, brute force and
golden values; provenance; limits.

Random problems come from a seed (numpy) so that hypothesis explores sizes
and structures quickly.  The brute force below is independent of the
engine: it recurses over the belief tree with unnormalized beliefs (the
value is positively homogeneous) and enumerates prescriptions explicitly.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decmdp.core.crosssum import _cross_sum_min, action_cross_sum, cross_sum, cross_sum_min_rows, lifted_min
from decmdp.core.executors import ThreadExecutor
from decmdp.core.prune import prune
from decmdp.core.types import BackupData, StageStats, StageValue
from decmdp.core.value_iteration import Method, value_iteration
from decmdp.errors import VectorLimitError
from decmdp.pomdp import Pomdp
from decmdp.reduce import reduce_pomdp

SETTINGS = settings(deadline=None)  # the profile (conftest.py) decides derandomization


def random_data(rng, Y, A, S, L, H, style="two-player", time_varying=False, discount=0.9):
    """A random trusted BackupData, built by hand on purpose: the kernels are
    tested on shapes no reducer makes (a POMDP with ``L > 1``, any sparsity).

    ``two-player``: labels = targets = x1', a random subset of successors
    with positive mass per (y, a).  ``pomdp``: Y = 1, labels = observations.
    """
    Hc = H if time_varying and H > 0 else 1
    cost = rng.normal(size=(Hc, Y, A, S, L)).round(2)
    terminal = rng.normal(size=(Y, S)).round(2)
    ptr, target, label, proj = [0], [], [], []
    for y in range(Y):
        for a in range(A):
            if style == "pomdp":
                O = rng.integers(1, 4)
                T = rng.dirichlet(np.ones(S), size=(S, L))  # [s, l, s']
                Ob = rng.dirichlet(np.ones(O), size=S)  # [s', o]
                for o in range(O):
                    proj.append(discount * T * Ob[None, None, :, o])
                    target.append(0)
                    label.append(o)
            else:
                succ = np.flatnonzero(rng.random(Y) < 0.7)
                if succ.size == 0:
                    succ = np.array([rng.integers(Y)])
                p1 = rng.dirichlet(np.ones(succ.size))
                for y2, p in zip(succ, p1):
                    T = rng.dirichlet(np.ones(S) * 0.7, size=(S, L))
                    proj.append(discount * p * T)
                    target.append(int(y2))
                    label.append(int(y2))
            ptr.append(len(target))
    n_labels = 3 if style == "pomdp" else Y
    return BackupData(
        cost=cost,
        terminal=terminal,
        branch_ptr=np.array(ptr, dtype=np.int64),
        branch_target=np.array(target, dtype=np.int64),
        branch_label=np.array(label, dtype=np.int64),
        n_labels=n_labels,
        projection=np.array(proj).reshape(len(target), S, L, S),
    )


@st.composite
def problems(draw, max_y=3, max_a=3, max_s=3, max_l=3, max_h=3, style=None):
    style = style or draw(st.sampled_from(["two-player", "pomdp"]))
    Y = 1 if style == "pomdp" else draw(st.integers(1, max_y))
    A = draw(st.integers(1, max_a))
    S = draw(st.integers(1, max_s))
    L = draw(st.integers(1, max_l))
    H = draw(st.integers(1, max_h))
    tv = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    data = random_data(np.random.default_rng(seed), Y, A, S, L, H, style, tv)
    return data, H


def value_at(sv: StageValue, y, B):
    return (B @ sv.values[sv.ptr[y] : sv.ptr[y + 1]].T).min(axis=1)


def beliefs(S, n=60, seed=7):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.dirichlet(np.ones(S), size=n), np.eye(S)])


def brute_force(data, H, t, y, b):
    """min over (a, g) of b.c + sum_k W_{t+1}(target, b P_k[g]); unnormalized b."""
    if t == H:
        return float(b @ data.terminal[y])
    cost = data.cost[0 if data.cost.shape[0] == 1 else t]
    _, A, S, L = cost.shape
    ar = np.arange(S)
    best = np.inf
    for a in range(A):
        ks = range(data.branch_ptr[y * A + a], data.branch_ptr[y * A + a + 1])
        for g in itertools.product(range(L), repeat=S):
            g = np.array(g)
            v = float(b @ cost[y, a, ar, g])
            for k in ks:
                b2 = b @ data.projection[k][ar, g, :]
                v += brute_force(data, H, t + 1, data.branch_target[k], b2)
            best = min(best, v)
    return best


# ------------------------------------------------------------ lifted == enumerate


@SETTINGS
@given(problems())
def test_lifted_equals_enumerate(problem):
    data, H = problem
    lifted, _ = value_iteration(data, H, "lifted")
    enum, _ = value_iteration(data, H, Method.ENUMERATE)
    S = data.terminal.shape[1]
    B = beliefs(S)
    for t in range(H + 1):
        for y in range(data.terminal.shape[0]):
            np.testing.assert_allclose(
                value_at(lifted[t], y, B), value_at(enum[t], y, B), rtol=0, atol=1e-9
            )


@SETTINGS
@given(problems(max_y=2, max_a=2, max_s=2, max_l=2, max_h=2))
def test_lifted_equals_brute_force_two_player(problem):
    data, H = problem
    stages, _ = value_iteration(data, H)
    S = data.terminal.shape[1]
    for y in range(data.terminal.shape[0]):
        for b in beliefs(S, n=3, seed=y):
            assert value_at(stages[0], y, b[None])[0] == pytest.approx(
                brute_force(data, H, 0, y, b), abs=1e-9
            )


@SETTINGS
@given(problems(max_a=3, max_s=3, max_l=1, max_h=3, style="pomdp"))
def test_pomdp_special_case_equals_belief_tree(problem):
    data, H = problem
    stages, _ = value_iteration(data, H)
    S = data.terminal.shape[1]
    for b in beliefs(S, n=4, seed=3):
        assert value_at(stages[0], 0, b[None])[0] == pytest.approx(
            brute_force(data, H, 0, 0, b), abs=1e-9
        )


# ------------------------------------------------------------ provenance


@SETTINGS
@given(problems(), st.sampled_from(["lifted", "enumerate"]))
def test_provenance_reproduces_values_and_prescriptions(problem, method):
    data, H = problem
    stages, stats = value_iteration(data, H, method)
    Y, S = data.terminal.shape
    A, L = data.cost.shape[2], data.cost.shape[4]
    assert len(stages) == H + 1 and len(stats) == H
    assert [s.stage for s in stats] == list(range(H - 1, -1, -1))
    term = stages[H]
    assert np.array_equal(term.values, data.terminal)
    assert np.all(term.action == -1) and np.all(term.prescription == -1)
    assert np.all(term.successor == -1)
    for t in range(H):
        sv, nxt = stages[t], stages[t + 1]
        cost = data.cost[0 if data.cost.shape[0] == 1 else t]
        assert sv.ptr[0] == 0 and np.all(np.diff(sv.ptr) >= 1)
        assert sv.successor.shape == (len(sv.values), data.n_labels)
        for y in range(Y):
            for n in range(sv.ptr[y], sv.ptr[y + 1]):
                a = sv.action[n]
                assert 0 <= a < A
                ks = range(data.branch_ptr[y * A + a], data.branch_ptr[y * A + a + 1])
                q = cost[y, a].copy()
                labels = set()
                for k in ks:
                    tg, lab = data.branch_target[k], data.branch_label[k]
                    labels.add(lab)
                    j = sv.successor[n, lab]
                    assert 0 <= j < nxt.ptr[tg + 1] - nxt.ptr[tg]
                    q += data.projection[k] @ nxt.values[nxt.ptr[tg] + j]
                for lab in range(data.n_labels):
                    if lab not in labels:
                        assert sv.successor[n, lab] == -1
                if method == "lifted":  # the prescription is the pointwise argmin
                    np.testing.assert_allclose(sv.values[n], q.min(axis=1), rtol=0, atol=1e-10)
                else:  # any enumerated prescription may survive within the witness margin
                    assert np.all(sv.values[n] >= q.min(axis=1) - 1e-10)
                g = sv.prescription[n]
                assert np.all((0 <= g) & (g < L))
                np.testing.assert_allclose(q[np.arange(S), g], sv.values[n], rtol=0, atol=1e-10)
                if L == 1:
                    assert np.all(g == 0)


# ------------------------------------------------------------ cross-sum


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_incremental_cross_sum_equals_full_cross_sum_then_prune(n_branches, S, L, seed):
    rng = np.random.default_rng(seed)
    D = S * L
    cost = rng.normal(size=D)
    projs = [rng.random((S, L, S)) for _ in range(n_branches)]
    succs = [rng.normal(size=(rng.integers(1, 5), S)) for _ in range(n_branches)]
    labels = list(range(n_branches))
    aq = action_cross_sum(
        cost, projs, succs, labels, n_branches, prune, lambda n: None, lambda n: None
    )
    G = [np.einsum("slz,nz->nsl", p, s).reshape(len(s), D) for p, s in zip(projs, succs)]
    full = np.array(
        [cost + sum(G[k][j] for k, j in enumerate(c)) for c in itertools.product(*map(range, map(len, G)))]
    )
    full = full[prune(full)]
    W = np.vstack([np.random.default_rng(1).dirichlet(np.ones(D), size=200), np.eye(D)])
    np.testing.assert_allclose(
        (W @ aq.q.T).min(axis=1), (W @ full.T).min(axis=1), rtol=0, atol=1e-9
    )
    # Provenance of every incremental vector.
    for r in range(len(aq.q)):
        expect = cost + sum(G[k][aq.successor[r, k]] for k in range(n_branches))
        np.testing.assert_allclose(aq.q[r], expect, rtol=0, atol=1e-12)


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 3), st.integers(1, 3), st.integers(1, 4),
       st.integers(0, 2**32 - 1))
def test_cross_sum_min_is_the_minimum_of_the_cross_sum_bit_for_bit(n_p, n_g, S, L, block, seed):
    """Formed block by block of rows of P, on threads or not."""
    rng = np.random.default_rng(seed)
    P = rng.integers(-2, 3, size=(n_p, S * L)) / 3.0  # ties over l, and sums that round
    G = rng.integers(-2, 3, size=(n_g, S * L)) / 7.0
    Q, _ = cross_sum(P, np.zeros((n_p, 0), dtype=np.int64), G, np.arange(n_g))
    want, _ = lifted_min(Q, S, L)
    alpha = np.full((n_p * n_g, S), np.nan)
    for a in range(0, n_p, block):
        cross_sum_min_rows(P, G, S, L, a, min(a + block, n_p), alpha)
    assert np.array_equal(alpha, want)
    with ThreadExecutor(3) as ex:
        assert np.array_equal(_cross_sum_min(P, G, S, L, ex, block_entries=block * n_g * S * L), want)


@SETTINGS
@given(st.integers(0, 3), st.integers(1, 3), st.integers(2, 3), st.integers(0, 2**32 - 1))
def test_a_chain_with_its_inner_minimum_is_the_pruned_minimum_of_the_unpruned_chain(n_branches, S, L, seed):
    rng = np.random.default_rng(seed)
    cost = rng.normal(size=S * L)
    projs = [rng.random((S, L, S)) for _ in range(n_branches)]
    succs = [rng.normal(size=(rng.integers(1, 4), S)) for _ in range(n_branches)]
    told = []
    args = (cost, projs, succs, list(range(n_branches)), n_branches, prune, lambda n: None, told.append)
    lifted = action_cross_sum(*args, prune_last=False)
    told.clear()
    fused = action_cross_sum(*args, prune_last=False, inner=L)
    alpha, presc = lifted_min(lifted.q, S, L)
    keep = prune(alpha) if n_branches else np.arange(1)
    assert np.array_equal(fused.q, alpha[keep]) and np.array_equal(fused.prescription, presc[keep])
    assert np.array_equal(fused.successor, lifted.successor[keep]) and lifted.prescription is None
    assert told[-1] == keep.shape[0]  # the limit is checked on the pruned minimum, the set kept


# ------------------------------------------------------------ golden, API


def tiger(discount=0.95):
    """Tiger (pomdp-solve's tiger.95) through the .POMDP reducer."""
    T = np.zeros((3, 2, 2))
    T[0] = np.eye(2)
    T[1:] = 0.5
    Ob = np.full((3, 2, 2), 0.5)
    Ob[0] = [[0.85, 0.15], [0.15, 0.85]]
    R = np.array([[-1, -1], [-100, 10], [10, -100]], float)
    pomdp = Pomdp(states=["tiger-left", "tiger-right"], actions=["listen", "open-left", "open-right"],
                  observations=["tiger-left", "tiger-right"], discount=discount, sense="maximize",
                  start=[0.5, 0.5], transition=T, observation=Ob,
                  reward=np.broadcast_to(R[:, :, None, None], (3, 2, 2, 2)))
    return reduce_pomdp(pomdp)


def test_tiger_matches_pomdp_solve():
    # pomdp-solve, tiger.95.POMDP, horizon 5: 13 vectors.
    B = np.array(
        [
            [0.5, 0.5],
            [0.7747679284511871, 0.22523207154881295],
            [0.9978273410788496, 0.002172658921150363],
            [0.6585521521660193, 0.3414478478339807],
        ]
    )
    expect = [2.763096193125, 4.088878809268174, 11.46677452648596, 2.7630961931249995]
    for lp in ["numba", "highs"]:
        stages, _ = value_iteration(tiger(), 5, lp=lp)
        assert len(stages[0].values) == 13
        np.testing.assert_allclose(-value_at(stages[0], 0, B), expect, rtol=0, atol=1e-9)


def test_vector_limit_names_the_stage():
    stages, _ = value_iteration(tiger(), 4)
    sizes = [len(s.values) for s in stages]  # e.g. [.., 5, 3, 1] from t=0 to H
    limit = 4
    first_bad = max(t for t in range(4) if sizes[t] > limit)
    with pytest.raises(VectorLimitError) as info:
        value_iteration(tiger(), 4, max_vectors=limit)
    assert info.value.stage == first_bad
    assert info.value.limit == limit and info.value.count > limit


def test_progress_and_stats():
    seen = []
    stages, stats = value_iteration(tiger(), 3, progress=seen.append)
    assert seen == stats
    assert all(isinstance(s, StageStats) for s in stats)
    assert [s.kept for s in stats] == [len(stages[t].values) for t in (2, 1, 0)]
    assert all(s.generated >= s.kept and s.lps >= 0 and s.seconds >= 0 for s in stats)


def test_horizon_zero_is_terminal_only():
    stages, stats = value_iteration(tiger(), 0)
    assert len(stages) == 1 and stats == []
    assert np.array_equal(stages[0].values, np.zeros((1, 2)))


def test_invalid_method_lists_valid_ones():
    with pytest.raises(ValueError, match="'lifted', 'enumerate'"):
        value_iteration(tiger(), 1, method="witness")


def test_raw_cross_sum_cap_is_a_multiple_of_the_vector_limit():
    from decmdp.core.prune import LPSolver
    from decmdp.core.value_iteration import RAW_CROSS_SUM_FACTOR, _Stage
    from decmdp.errors import VectorLimitError
    from decmdp.tolerances import DEFAULT_TOLERANCES

    stage = _Stage(3, DEFAULT_TOLERANCES, LPSolver.NUMBA, max_vectors=10)
    stage.check_raw(RAW_CROSS_SUM_FACTOR * 10)
    with pytest.raises(VectorLimitError, match="stage 3 needs at least 641 raw cross-sum vectors") as info:
        stage.check_raw(RAW_CROSS_SUM_FACTOR * 10 + 1)
    assert (info.value.stage, info.value.limit) == (3, RAW_CROSS_SUM_FACTOR * 10)
    _Stage(3, DEFAULT_TOLERANCES, LPSolver.NUMBA, max_vectors=None).check_raw(10**12)
