"""Certified pruning: relative tolerances, proven drops, honest error bounds.

Every check compares against a reference that shares no pruning code with
the solver: the brute-force oracles of :mod:`oracles`, exhaustive search over
prescriptions, HiGHS, or exact rational arithmetic.  Problems are solved at
scales from 1e-12 to 1e10 and shifted by 1e9, where absolute tolerances
either change the answer or cannot be met.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import decmdp
import oracles
from decmdp.cli import main as cli_main
from decmdp.core import value_iteration as vi
from decmdp.core.pointwise import BNB_BUDGET, BNB_OK, best_prescription
from decmdp.core.prune import TAU_FLOOR_UNITS, prune_counted
from decmdp.pomdp import parse_pomdp
from decmdp.pomdp import solve as solve_pomdp
from decmdp.tolerances import DEFAULT_TOLERANCES, Tolerances
from strategies import build, oracle_inputs, tiny_problems

SCALES = [1e-12, 1e-9, 1e-6, 1.0, 1e3, 1e6, 1e10]


def scaled(model, factor=1.0, shift=0.0):
    """``model`` with every cost (or reward) ``c`` replaced by ``factor * c + shift``."""
    inp = oracle_inputs(model)
    T = inp.T
    stage = np.stack([factor * c + shift for c in inp.costs])
    terminal = factor * inp.terminal + shift
    return build(inp.p0, horizon=T, sense="cost", stage=stage, terminal=terminal, transition=inp.K,
                 discount=inp.beta, name="scaled")


def assert_within_bound(solution, reference):
    """``|value - reference| <= error_bound`` (+ the oracle's own rounding)."""
    gap = abs(solution.value - reference)
    oracle_rounding = 1e-13 * abs(reference)
    assert gap <= solution.error_bound + oracle_rounding, (solution.value, reference, solution.error_bound)


# ------------------------------------------------------------ whole solves at every scale
@settings(deadline=None)
@given(tiny_problems(max_n2=3, max_m2=2, max_horizon=3), st.sampled_from(SCALES), st.booleans())
def test_error_bound_covers_brute_force_at_every_scale(model, factor, shift):
    problem = scaled(model, factor, 1e9 if shift else 0.0)
    reference = oracles.brute_force_value(*oracle_inputs(problem).args)
    solution = decmdp.solve(problem, bounds=False)
    assert_within_bound(solution, reference)
    # the error bound is relative to the scale of the numbers, not absolute
    magnitude = abs(reference) + factor
    assert solution.error_bound <= 1e-4 * magnitude
    if not shift:  # a shift by 1e9 hides the structure below float64's resolution of 1e9
        assert abs(solution.value - reference) <= 1e-6 * abs(reference) + 1e-12 * factor


def test_small_integer_costs_scaled_by_1e_10_keep_their_optimum():
    # |X1| = 1, |X2| = 4, |U1| = |U2| = 2, T = 4, integer costs: absolute tolerances of 1e-10
    # used to give a value 4.9% off; relative ones give the exact optimum.
    rng = np.random.default_rng(7)
    P1 = np.ones((1, 2, 1))
    P2 = rng.integers(1, 4, size=(1, 4, 2, 2, 4)).astype(float)
    P2 /= P2.sum(axis=-1, keepdims=True)
    cost = rng.integers(0, 5, size=(1, 4, 2, 2)).astype(float) * 1e-10
    problem = build(np.full((1, 4), 0.25), horizon=4, stage=cost, transition1=P1, transition2=P2)
    reference = oracles.brute_force_value(*oracle_inputs(problem).args)
    solution = decmdp.solve(problem, bounds=False)
    assert_within_bound(solution, reference)
    assert solution.value == pytest.approx(reference, rel=1e-9)


@settings(deadline=None, max_examples=10)
@given(tiny_problems(max_n2=3, max_horizon=3))
def test_highs_throughout_agrees_with_numba_within_both_bounds(model):
    a = decmdp.solve(model, bounds=False, lp="numba")
    b = decmdp.solve(model, bounds=False, lp="highs")
    assert abs(a.value - b.value) <= a.error_bound + b.error_bound + 1e-12 * (1 + abs(a.value))


# ------------------------------------------------------------ the outlier regression
def exact_envelope_gap(V, kept, beliefs):
    """``max_b [min_kept b.v - min_all b.v]`` in exact rational arithmetic."""
    rows = [[Fraction(float(x)) for x in v] for v in V]
    worst = Fraction(0)
    for b in beliefs:
        fb = [Fraction(float(x)) for x in b]
        values = [sum(p * x for p, x in zip(fb, row)) for row in rows]
        worst = max(worst, min(values[k] for k in kept) - min(values))
    return worst


@pytest.mark.parametrize("witness", [DEFAULT_TOLERANCES.witness, 1e-15])
def test_outlier_entry_never_causes_an_unproven_drop(witness):
    # One entry of 1e10 in a random 4-vector set: the scaled tableau cannot see the
    # other differences; every drop must still be within its proven error.
    rng = np.random.default_rng(0)
    tol = Tolerances(witness=witness)
    fallbacks = 0
    for trial in range(200):
        V = rng.random((4, 3))
        V[rng.integers(4), rng.integers(3)] = 1e10
        res = prune_counted(V, tol)
        fallbacks += res.lp_fallbacks
        B = np.vstack([rng.dirichlet(np.ones(3), size=40), np.eye(3)])
        gap = exact_envelope_gap(V, res.kept, B)
        assert gap <= Fraction(res.error) + Fraction(1e-6), trial  # 1e-6: rounding of b itself at 1e10
        magnitude, spread = np.abs(V).max(), np.ptp(V)
        tau = max(witness * spread, TAU_FLOOR_UNITS * 4 * 2.0**-53 * magnitude)
        assert res.error <= tau + 1e-5
    if witness < 1e-12:
        assert fallbacks > 0  # HiGHS decided what the numba tableau could not prove


def one_huge_cost_pomdp() -> str:
    rng = np.random.default_rng(3)
    T = rng.dirichlet(np.ones(4), size=(2, 4))
    O = rng.dirichlet(np.ones(3), size=(2, 4))
    R = rng.integers(0, 10, size=(2, 4)).astype(float)
    R[1, 2] = 1e6
    lines = ["discount: 0.95", "values: cost", "states: 4", "actions: 2", "observations: 3"]
    for a in range(2):
        lines.append(f"T: {a}")
        lines += [" ".join(repr(float(p)) for p in row) for row in T[a]]
        lines.append(f"O: {a}")
        lines += [" ".join(repr(float(p)) for p in row) for row in O[a]]
        lines += [f"R: {a} : {s} : * : * {float(R[a, s])!r}" for s in range(4)]
    return "\n".join(lines) + "\n"


def test_pomdp_with_one_huge_cost_matches_highs_within_the_bounds():
    pomdp = parse_pomdp(one_huge_cost_pomdp())
    a = solve_pomdp(pomdp, 8)
    b = solve_pomdp(pomdp, 8, lp="highs")
    assert sum(s.lp_trouble for s in a.stats) == 0
    rng = np.random.default_rng(1)
    for belief in np.vstack([rng.dirichlet(np.ones(4), size=50), np.eye(4)]):
        assert abs(a.value(belief) - b.value(belief)) <= a.error_bound + b.error_bound + 1e-9


# ------------------------------------------------------------ stage 0 at the initial beliefs
@settings(deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(1, 3), st.integers(0, 3))
def test_branch_and_bound_equals_exhaustive_search(seed, S, L, K):
    rng = np.random.default_rng(seed)
    b = rng.dirichlet(np.ones(S))
    b[rng.random(S) < 0.3] = 0.0  # states the belief rules out
    if not b.any():
        b[0] = 1.0
    cost = rng.integers(-3, 4, size=(S, L)).astype(float)
    sizes = rng.integers(1, 5, size=K)
    G = [rng.integers(-3, 4, size=(n, S, L)).astype(float) for n in sizes]  # ties on purpose
    hptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    H = (np.concatenate(G) if K else np.zeros((0, S, L))) * b[None, :, None]
    support = np.flatnonzero(b > 0).astype(np.int64)
    status, value, g, choice = best_prescription(b[:, None] * cost, np.ascontiguousarray(H), hptr,
                                                 support, 10**6)
    assert status == BNB_OK
    best = min(
        sum(b[s] * cost[s, p[s]] for s in range(S))
        + sum(min(sum(b[s] * Gk[j, s, p[s]] for s in range(S)) for j in range(len(Gk))) for Gk in G)
        for p in itertools.product(range(L), repeat=S))
    assert value == pytest.approx(best, abs=1e-12)
    achieved = sum(b[s] * cost[s, g[s]] for s in support) + sum(
        sum(b[s] * G[k][choice[k] - hptr[k], s, g[s]] for s in support) for k in range(K))
    assert achieved == pytest.approx(value, abs=1e-12)


def test_branch_and_bound_reports_an_exhausted_budget():
    S, L = 3, 2
    H = np.random.default_rng(0).random((4, S, L))
    status, *_ = best_prescription(np.zeros((S, L)), H, np.array([0, 2, 4]), np.arange(S), 1)
    assert status == BNB_BUDGET


@settings(deadline=None, max_examples=15)
@given(tiny_problems(max_n2=3, max_m2=3, max_horizon=3))
def test_stage_zero_falls_back_to_the_full_set_past_its_budget(model):
    normal = decmdp.solve(model, bounds=False)
    original = vi.POINTWISE_WORK_BUDGET
    vi.POINTWISE_WORK_BUDGET = 0  # every branch and bound stops at its first node
    try:
        fallback = decmdp.solve(model, bounds=False)
    finally:
        vi.POINTWISE_WORK_BUDGET = original
    assert abs(fallback.value - normal.value) <= normal.error_bound + fallback.error_bound + 1e-12
    if fallback.repeating_from is None:  # else stage 0 is the repeated full set
        stage0 = fallback.value_function[0]
        assert stage0.values.shape[0] <= np.count_nonzero(model.initial.sum(axis=1) > 0)


def test_stage_zero_holds_one_vector_per_initial_state():
    rng = np.random.default_rng(5)
    P1 = rng.dirichlet(np.ones(3), size=(3, 2))
    P2 = rng.dirichlet(np.ones(4), size=(3, 4, 2, 3))
    p0 = rng.dirichlet(np.ones(12)).reshape(3, 4)
    p0[1] = 0.0
    p0 /= p0.sum()
    model = decmdp.TwoPlayerMDP.from_arrays(p0, horizon=4, transition1=P1, transition2=P2,
                                            cost=rng.random((3, 4, 2, 3)))
    solution = decmdp.solve(model, bounds=False)
    assert list(np.diff(solution.value_function[0].ptr)) == [1, 0, 1]
    enumerate_ = decmdp.solve(model, method="enumerate", bounds=False)
    assert abs(solution.value - enumerate_.value) <= solution.error_bound + enumerate_.error_bound


# ------------------------------------------------------------ the bounds' own budget
def test_blind_bound_past_its_budget_is_unavailable_not_an_error(monkeypatch):
    import decmdp.bounds as bounds

    model = decmdp.load("problems/maintenance.json")
    monkeypatch.setattr(bounds, "BOUND_MIN_SECONDS", 0.0)
    monkeypatch.setattr(bounds, "BOUND_TIME_SHARE", 0.0)
    solution = decmdp.solve(model)
    assert solution.bounds.blind_player2 is None and solution.bounds.value_of_information is None
    assert "--no-bounds" in solution.bounds.unavailable
    assert solution.bounds.full_information <= solution.value


def test_blind_bound_past_the_memory_limit_is_unavailable_not_an_error(monkeypatch):
    import decmdp.bounds as bounds
    from decmdp.errors import MemoryLimitError

    def too_big(*args, **kwargs):
        raise MemoryLimitError(2, 3 * 2**20, 2**20)

    monkeypatch.setattr(bounds, "finite_stages", too_big)
    solution = decmdp.solve(decmdp.load("problems/maintenance.json"))
    assert solution.bounds.blind_player2 is None and solution.bounds.full_information <= solution.value
    assert "more than the limit of 1 MiB" in solution.bounds.unavailable


def test_blind_bound_vector_limit_does_not_abort_the_solve():
    model = decmdp.load("problems/maintenance.json")
    solution = decmdp.solve(model, max_vectors=5)
    assert solution.bounds.blind_player2 is None
    assert "needs at least" in solution.bounds.unavailable


# ------------------------------------------------------------ reported everywhere
def test_cli_prints_the_error_bound_and_the_lp_choice(tmp_path):
    from click.testing import CliRunner

    import json

    runner = CliRunner()
    text = runner.invoke(cli_main, ["solve", "problems/tiny-by-hand.json", "--lp", "highs"])
    assert text.exit_code == 0, text.output
    assert "error bound" in text.output and "fallbacks" in text.output and "in doubt" in text.output
    summary = json.loads(runner.invoke(cli_main, ["solve", "problems/tiny-by-hand.json", "--json"]).output)
    assert 0.0 <= summary["error_bound"] < 1e-9
    assert {"lp_fallbacks", "lp_trouble", "prune_error", "error_bound"} <= set(summary["stats"][0])
    pomdp = json.loads(runner.invoke(cli_main, ["pomdp", "solve", "tests/data/tiger.95.POMDP", "--horizon", "5",
                                                "--json", "--lp", "highs"]).output)
    assert pomdp["error_bound"] >= 0.0
    bad = runner.invoke(cli_main, ["solve", "problems/tiny-by-hand.json", "--lp", "glpk"])
    assert bad.exit_code == 2 and "'numba'" in bad.output


def test_error_bound_of_a_pomdp_covers_a_tight_reference():
    pomdp = decmdp.pomdp.read_pomdp("tests/data/tiger.95.POMDP")
    loose = solve_pomdp(pomdp, 30)
    tight = solve_pomdp(pomdp, 30, tolerances=Tolerances(witness=1e-11))
    assert loose.vectors.shape[0] <= tight.vectors.shape[0]
    rng = np.random.default_rng(2)
    for belief in rng.dirichlet(np.ones(2), size=200):
        assert abs(loose.value(belief) - tight.value(belief)) <= loose.error_bound + tight.error_bound


def test_full_stage_zero_is_computed_on_demand_and_agrees_with_enumerate():
    model = decmdp.load("problems/maintenance.json")
    lifted = decmdp.solve(model, bounds=False)
    enumerate_ = decmdp.solve(model, method="enumerate", bounds=False)
    full, stored = lifted.full_stage(0), lifted.value_function[0]
    assert full.values.shape[0] > stored.values.shape[0]
    assert enumerate_.full_stage(0) is enumerate_.value_function[0]
    rng = np.random.default_rng(0)
    tolerance = lifted.error_bound + enumerate_.error_bound + 1e-12
    for x1 in range(model.n1):
        mine = full.values[full.ptr[x1]:full.ptr[x1 + 1]]
        reference = enumerate_.value_function[0]
        theirs = reference.values[reference.ptr[x1]:reference.ptr[x1 + 1]]
        for b in rng.dirichlet(np.ones(model.n2), size=50):
            assert abs((mine @ b).min() - (theirs @ b).min()) <= tolerance
        if model.initial[x1].sum() > 0:  # the stored vector is the best of the full set there
            b0 = model.initial[x1]
            best = stored.values[stored.ptr[x1]:stored.ptr[x1 + 1]] @ b0
            assert best.min() == pytest.approx((mine @ b0).min(), abs=tolerance)


def test_warm_up_compiles_every_kernel_a_solve_calls_from_python():
    import numba

    from decmdp.core import crosssum, infinite, lp, pointwise, prune
    from decmdp.core.warmup import warm_up

    warm_up()
    called_from_python = {
        infinite: ["pointwise_gap"],
        lp: ["witness_units", "witness_merge", "drop_certificate", "pool_best"],
        crosssum: ["project", "cross_sum", "cross_sum_min_rows", "lifted_min"],
        prune: ["duplicate_filter", "dominance_filter", "dominated_after_sort", "corner_split", "extremes",
                "rows_as_columns", "row_hashes", "rows_by_part", "mark_repeats", "duplicate_parts", "fill_pool"],
        pointwise: ["best_prescription"]}
    for module, names in called_from_python.items():
        for name in names:
            kernel = getattr(module, name)
            assert isinstance(kernel, numba.core.registry.CPUDispatcher)
            assert kernel.signatures, f"{module.__name__}.{name} not compiled by warm_up"
