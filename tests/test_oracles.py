"""The independent oracles checked against each other (no solver involved).

* The literal brute force (every policy pair, forward evaluation) equals the
  best-response brute force on micro instances.
* full information <= team optimum <= blind player 2 (costs).
* |X2| = 1: every oracle collapses to the MDP on x1.
* Hand-solved examples whose arithmetic is in :mod:`strategies`.
* Metamorphic checks: relabelling states, shifting and scaling costs.
* The model layer stores what the strategy generated (the adapter's fallback
  path reads the model; the primary path reads the raw arrays).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import oracles
from strategies import (
    GUESS_THE_SIDE,
    NOISY_SIGNAL,
    _RAW,
    guess_the_side,
    micro_problems,
    noisy_signal,
    oracle_inputs,
    tiny_problems,
)

ORACLES = (oracles.brute_force_value, oracles.full_information_value, oracles.blind_player2_value)


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * (1 + abs(b))


def model_inputs(model):
    """Oracle inputs read back from the model's fields (the adapter's fallback path)."""
    raw = _RAW.pop(model)
    try:
        return oracle_inputs(model)
    finally:
        _RAW[model] = raw


# ----------------------------------------------------------- literal vs best response
@given(micro_problems())
def test_literal_brute_force_equals_best_response_brute_force(model):
    inp = oracle_inputs(model)
    literal = oracles.literal_brute_force_value(*inp.args)
    best_response = oracles.brute_force_value(*inp.args)
    assert close(literal, best_response), (literal, best_response)


@given(micro_problems(min_n1=2, min_n2=2, max_m1=1, min_m2=2))
def test_literal_brute_force_with_both_state_spaces_nontrivial(model):
    # |U1| = 1 keeps the pair count small enough for T = 2 with |X1| = |X2| = 2.
    inp = oracle_inputs(model)
    assert close(oracles.literal_brute_force_value(*inp.args), oracles.brute_force_value(*inp.args))


# ----------------------------------------------------------- bounds
@given(tiny_problems())
def test_bounds_bracket_team_optimum(model):
    inp = oracle_inputs(model)
    full = oracles.full_information_value(*inp.args)
    team = oracles.brute_force_value(*inp.args)
    blind = oracles.blind_player2_value(*inp.args)
    tol = 1e-9 * (1 + abs(team))
    assert full <= team + tol, (full, team)
    assert team <= blind + tol, (team, blind)


@given(tiny_problems(max_m2=1))
def test_player2_without_choice_makes_blind_bound_tight(model):
    inp = oracle_inputs(model)
    assert close(oracles.brute_force_value(*inp.args), oracles.blind_player2_value(*inp.args))


@given(tiny_problems(max_n1=3, max_n2=1, max_m1=3, max_m2=3, max_horizon=4, max_policies=1 << 14))
def test_single_x2_state_is_mdp_on_x1(model):
    inp = oracle_inputs(model)
    mdp = oracles.mdp_value_x1_only(*inp.args)
    for oracle in ORACLES:
        assert close(oracle(*inp.args), mdp), oracle.__name__


@given(tiny_problems())
def test_conditional_initial_values_mix_to_value(model):
    inp = oracle_inputs(model)
    conditional = oracles.brute_force_initial_values(*inp.args)
    assert set(conditional) == {x for x in range(model.n1) if inp.p0[x].sum() > 0}
    mixed = sum(inp.p0[x].sum() * v for x, v in conditional.items())
    assert close(mixed, oracles.brute_force_value(*inp.args))


def test_mdp_oracle_rejects_two_x2_states():
    inp = oracle_inputs(guess_the_side())
    with pytest.raises(ValueError, match=r"\|X2\| = 1"):
        oracles.mdp_value_x1_only(*inp.args)


def test_enumeration_limit_is_enforced():
    inp = oracle_inputs(noisy_signal())
    with pytest.raises(ValueError, match="refusing to enumerate"):
        oracles.brute_force_value(inp.p0, inp.K, inp.costs[0], inp.terminal, inp.beta, 12)


# ----------------------------------------------------------- hand-solved
@pytest.mark.parametrize("build, expected", [(guess_the_side, GUESS_THE_SIDE),
                                             (noisy_signal, NOISY_SIGNAL)])
def test_hand_solved_examples(build, expected):
    inp = oracle_inputs(build())
    assert close(oracles.brute_force_value(*inp.args), expected["team"])
    assert close(oracles.literal_brute_force_value(*inp.args), expected["team"])
    assert close(oracles.full_information_value(*inp.args), expected["full_information"])
    assert close(oracles.blind_player2_value(*inp.args), expected["blind_player2"])


def test_hand_solved_conditional_values():
    # noisy_signal: only x1 = a has mass at t = 0; conditional value 1/8.
    inp = oracle_inputs(noisy_signal())
    assert oracles.brute_force_initial_values(*inp.args) == pytest.approx({0: 0.125}, abs=1e-12)


def test_hand_solved_reward_version_is_the_same_problem():
    cost, reward = oracle_inputs(noisy_signal("cost")), oracle_inputs(noisy_signal("reward"))
    assert (cost.sign, reward.sign) == (1.0, -1.0)
    value = oracles.brute_force_value(*reward.args)
    assert close(value, oracles.brute_force_value(*cost.args))
    assert close(reward.sign * value, -0.125)


# ----------------------------------------------------------- metamorphic
def _permute(inp, perm1, perm2):
    """Relabel X1 by perm1 and X2 by perm2 (new index i holds old perm[i])."""
    p1, p2 = np.asarray(perm1), np.asarray(perm2)
    K = inp.K[p1][:, p2][:, :, :, :, p1][:, :, :, :, :, p2]
    costs = [c[p1][:, p2] for c in inp.costs]
    return inp._replace(p0=inp.p0[p1][:, p2], K=K, costs=costs, terminal=inp.terminal[p1][:, p2])


@given(tiny_problems(), st.data())
def test_relabelling_states_changes_nothing(model, data):
    inp = oracle_inputs(model)
    perm1 = data.draw(st.permutations(range(model.n1)))
    perm2 = data.draw(st.permutations(range(model.n2)))
    other = _permute(inp, perm1, perm2)
    for oracle in ORACLES:
        assert close(oracle(*other.args), oracle(*inp.args)), oracle.__name__


@given(tiny_problems(), st.integers(-3, 3), st.sampled_from([0.5, 2.0, 3.0]))
def test_affine_change_of_cost(model, shift, scale):
    # c -> scale * c + shift at every stage and at the end adds
    # shift * (sum_{t<T} beta^t + beta^T) and multiplies the value by scale.
    inp = oracle_inputs(model)
    other = inp._replace(costs=[scale * c + shift for c in inp.costs],
                         terminal=scale * inp.terminal + shift)
    offset = shift * (sum(inp.beta ** t for t in range(inp.T)) + inp.beta ** inp.T)
    for oracle in ORACLES:
        assert close(oracle(*other.args), scale * oracle(*inp.args) + offset), oracle.__name__


# ----------------------------------------------------------- adapter / model layer
@given(tiny_problems(max_policies=None))
def test_model_stores_what_the_strategy_generated(model):
    raw, stored = oracle_inputs(model), model_inputs(model)
    assert raw.sign == stored.sign == model.sense.sign
    assert (raw.beta, raw.T) == (stored.beta, stored.T)
    np.testing.assert_array_equal(raw.p0, stored.p0)
    np.testing.assert_array_equal(raw.K, stored.K)
    np.testing.assert_array_equal(raw.terminal, stored.terminal)
    for a, b in zip(raw.costs, stored.costs, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(model.joint_transition(), raw.K, rtol=0, atol=1e-15)
