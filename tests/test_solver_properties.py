"""The proof of the solver: its answers against oracles that share no code with it.

Every reference value comes from :mod:`oracles` (plain numpy, no decmdp
import) fed with the arrays the strategy generated (:func:`strategies.oracle_inputs`).
Oracle values are in minimization form; ``inp.sign`` converts them to the
problem's sense, which is what the solver reports.

API assumed (docs/theory.md sections 7-9):

* ``decmdp.solve(model, horizon=None, method="lifted" | "enumerate")`` returns an
  object with ``value`` (float, problem's sense), ``initial_values`` (dict
  x1 name -> ``V_0(x1, b0(x1))`` for every x1 with ``p0(x1) > 0``),
  ``policy``, ``bounds.full_information``, ``bounds.blind_player2`` (problem's
  sense) and ``stats`` (a non-empty sequence);
* ``decmdp.evaluate(model, policy) -> float`` (problem's sense);
* ``decmdp.simulate(model, policy, episodes=, seed=)`` returns an object with
  ``mean``, ``stderr``, ``ci_low``, ``ci_high``.

The API is looked up at call time (``decmdp.solve``), so this module collects
even before the solver exists.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import decmdp
import oracles
from strategies import (
    GUESS_THE_SIDE,
    NOISY_SIGNAL,
    build,
    guess_the_side,
    noisy_signal,
    oracle_inputs,
    tiny_problems,
)


def assert_close(actual, expected, what=""):
    """``|actual - expected| <= 1e-9 * (1 + |expected|)``."""
    assert abs(actual - expected) <= 1e-9 * (1 + abs(expected)), \
        f"{what}: got {actual!r}, expected {expected!r} (diff {actual - expected:.3g})"


def reference(oracle, model, horizon=None):
    """Oracle value for ``model`` in the problem's sense."""
    inp = oracle_inputs(model)
    args = inp.args if horizon is None else (*inp.args[:5], horizon)
    return inp.sign * oracle(*args)


# ------------------------------------------------------------ optimal value
@given(tiny_problems())
def test_value_equals_brute_force(model):
    solution = decmdp.solve(model)
    assert_close(solution.value, reference(oracles.brute_force_value, model), "value")


@given(tiny_problems(max_policies=1 << 14, sense="cost"))
def test_value_equals_brute_force_on_larger_instances(model):
    # Up to |X1| = |X2| = |U1| = |U2| = 2 with T = 3 and no sparsity (16384 mu1).
    solution = decmdp.solve(model)
    assert_close(solution.value, reference(oracles.brute_force_value, model), "value")


@given(tiny_problems(max_n1=1, max_n2=3, max_m1=2, max_m2=2, max_horizon=3, kind="joint"))
def test_value_equals_brute_force_with_three_x2_states(model):
    # 8 prescriptions per u1: the lifted backup must match enumeration of them.
    solution = decmdp.solve(model)
    assert_close(solution.value, reference(oracles.brute_force_value, model), "value")


@given(tiny_problems(), st.data())
def test_horizon_override(model, data):
    horizon = data.draw(st.integers(1, model.horizon), label="horizon")
    solution = decmdp.solve(model, horizon=horizon)
    assert_close(solution.value, reference(oracles.brute_force_value, model, horizon), "value")


@given(tiny_problems())
def test_lifted_equals_enumerate(model):
    lifted = decmdp.solve(model, method="lifted")
    enumerated = decmdp.solve(model, method="enumerate")
    assert_close(lifted.value, enumerated.value, "lifted vs enumerate")
    for name, v in enumerated.initial_values.items():
        assert_close(lifted.initial_values[name], v, f"initial value of {name}")


@given(tiny_problems(max_n1=3, max_n2=1, max_m1=3, max_m2=3, max_horizon=4, max_policies=None))
def test_single_x2_state_is_mdp_on_x1(model):
    solution = decmdp.solve(model)
    assert_close(solution.value, reference(oracles.mdp_value_x1_only, model), "value")


@given(tiny_problems())
def test_factored_and_joint_forms_agree(model):
    # The same problem built several ways gives the same answer (STYLE lesson 10).
    inp = oracle_inputs(model)
    sense = "cost" if inp.sign > 0 else "reward"
    stage = inp.sign * np.stack(inp.costs)
    terminal = inp.sign * inp.terminal
    joint = build(inp.p0, horizon=inp.T, sense=sense, stage=stage, terminal=terminal,
                  transition=inp.K, discount=inp.beta, name="as-joint")
    assert_close(decmdp.solve(joint).value, decmdp.solve(model).value, "joint vs original")


# ------------------------------------------------------------ the solution's parts
@given(tiny_problems())
def test_policy_evaluates_to_value(model):
    solution = decmdp.solve(model)
    assert_close(decmdp.evaluate(model, solution.policy), solution.value, "evaluate(policy)")


@given(tiny_problems())
def test_initial_values(model):
    solution = decmdp.solve(model)
    inp = oracle_inputs(model)
    expected = oracles.brute_force_initial_values(*inp.args)
    mixed = 0.0
    for x1, v in expected.items():
        name = model.player1_states[x1]
        assert name in solution.initial_values, f"initial_values lacks {name!r}"
        assert_close(solution.initial_values[name], inp.sign * v, f"V_0({name})")
        mixed += inp.p0[x1].sum() * solution.initial_values[name]
    assert_close(mixed, solution.value, "sum_x1 p0(x1) V_0(x1)")


@given(tiny_problems())
def test_bounds_bracket_value_and_match_oracles(model):
    solution = decmdp.solve(model)
    full = reference(oracles.full_information_value, model)
    blind = reference(oracles.blind_player2_value, model)
    assert_close(solution.bounds.full_information, full, "full-information bound")
    assert_close(solution.bounds.blind_player2, blind, "blind-player-2 bound")
    # In minimization form: full information <= optimum <= blind player 2.
    sign, tol = model.sense.sign, 1e-9 * (1 + abs(solution.value))
    assert sign * solution.bounds.full_information <= sign * solution.value + tol
    assert sign * solution.value <= sign * solution.bounds.blind_player2 + tol
    assert len(solution.stats) >= 1


# ------------------------------------------------------------ hand-solved
@pytest.mark.parametrize("build_model, expected, sign", [
    (guess_the_side, GUESS_THE_SIDE, 1.0),
    (noisy_signal, NOISY_SIGNAL, 1.0),
    (lambda: noisy_signal("reward"), NOISY_SIGNAL, -1.0),
])
@pytest.mark.parametrize("method", ["lifted", "enumerate"])
def test_hand_solved_examples(build_model, expected, sign, method):
    model = build_model()
    solution = decmdp.solve(model, method=method)
    assert_close(solution.value, sign * expected["team"], "value")
    assert_close(solution.bounds.full_information, sign * expected["full_information"], "full")
    assert_close(solution.bounds.blind_player2, sign * expected["blind_player2"], "blind")
    assert_close(decmdp.evaluate(model, solution.policy), sign * expected["team"], "evaluate")


# ------------------------------------------------------------ simulation
def _check_simulation(model, solution, seed):
    result = decmdp.simulate(model, solution.policy, episodes=4000, seed=seed)
    assert result.ci_low <= result.mean <= result.ci_high
    # A 99.9% two-sided check (3.3 standard errors), not the 95% interval:
    # a 5% failure rate per run would make the suite flaky.
    slack = 3.3 * result.stderr + 1e-9 * (1 + abs(solution.value))
    assert abs(result.mean - solution.value) <= slack, (result.mean, result.stderr, solution.value)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("build_model", [guess_the_side, noisy_signal])
def test_simulation_covers_value_hand_solved(build_model, seed):
    model = build_model()
    _check_simulation(model, decmdp.solve(model), seed)


@settings(max_examples=6)
@given(tiny_problems(), st.sampled_from([0, 1]))
def test_simulation_covers_value(model, seed):
    _check_simulation(model, decmdp.solve(model), seed)
