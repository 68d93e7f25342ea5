"""TwoPlayerMDP.from_functions: the same model as the file, the same named errors."""

import itertools
from pathlib import Path

import numpy as np
import pytest

import decmdp
from decmdp import ProblemError, TwoPlayerMDP

ROOT = Path(__file__).resolve().parents[1]
PLAYER1 = {"states": ["good", "poor"], "actions": ["run", "rest"]}
PLAYER2 = {"states": ["ok", "worn"], "actions": ["idle", "repair"]}
INITIAL = {("good", "ok"): 0.4, ("good", "worn"): 0.1, ("poor", "ok"): 0.1, ("poor", "worn"): 0.4}


def tiny_p2(x1, x2, u1, u2):
    if u2 == "repair":
        return {"ok": 1.0}
    if x2 == "worn":
        return {"worn": 1.0}
    return {"ok": 0.5, "worn": 0.5} if u1 == "run" else {"ok": 1.0}


def tiny_cost(x1, x2, u1, u2):
    if u1 == "rest":
        return 2.5 if u2 == "repair" else 2.0
    if u2 == "repair":
        return 3.0
    return 6.0 if x2 == "worn" else 0.0


def tiny(**overrides):
    arguments = dict(player1=PLAYER1, player2=PLAYER2, initial=INITIAL, p1=lambda x1, u1: {x1: 1.0},
                     p2=tiny_p2, cost=tiny_cost, horizon=2, name="tiny-by-hand")
    return TwoPlayerMDP.from_functions(**(arguments | overrides))


def assert_same_model(a, b):
    for field in ("player1_states", "player1_actions", "player2_states", "player2_actions", "horizon",
                  "discount", "sense"):
        assert getattr(a, field) == getattr(b, field), field
    for field in ("initial", "cost", "terminal_cost"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert np.array_equal(a.joint_transition(), b.joint_transition())


def test_functions_build_the_same_model_as_the_file():
    model = tiny()
    assert_same_model(model, decmdp.load(ROOT / "problems" / "tiny-by-hand.json"))
    assert decmdp.solve(model, bounds=False).value == pytest.approx(2.1, abs=1e-12)


def test_dictionaries_build_the_same_model():
    X1, U1, X2, U2 = PLAYER1["states"], PLAYER1["actions"], PLAYER2["states"], PLAYER2["actions"]
    p1 = {(x1, u1): {x1: 1.0} for x1, u1 in itertools.product(X1, U1)}
    keys = list(itertools.product(X1, X2, U1, U2))
    p2 = {key: tiny_p2(*key) for key in keys}
    cost = {key: tiny_cost(*key) for key in keys if tiny_cost(*key) != 0}  # missing keys cost 0
    assert_same_model(tiny(p1=p1, p2=p2, cost=cost), tiny())


def test_joint_transition_time_varying_reward_and_terminal():
    def joint(x1, x2, u1, u2):
        return {(x1, nxt): p for nxt, p in tiny_p2(x1, x2, u1, u2).items()}

    model = tiny(p1=None, p2=None, transition=joint, cost=None,
                 reward=lambda t, x1, x2, u1, u2: -(t + 1) * tiny_cost(x1, x2, u1, u2),
                 terminal_reward=lambda x1, x2: 7.0 if x2 == "ok" else 0.0, discount=0.5)
    assert not model.is_factored and model.is_time_varying
    assert model.sense is decmdp.Sense.MAXIMIZE
    assert np.array_equal(model.joint_transition(), tiny().joint_transition())
    assert model.user_cost()[1, 0, 1, 0, 0] == -2 * tiny_cost("good", "worn", "run", "idle") == -12
    assert model.user_terminal().tolist() == [[7.0, 0.0], [7.0, 0.0]]
    # the value agrees with exact evaluation of the policy, which shares no DP code
    solution = decmdp.solve(model, bounds=False)
    assert decmdp.evaluate(model, solution.policy) == pytest.approx(solution.value, abs=1e-9)


def messages(**overrides):
    with pytest.raises(ProblemError) as info:
        tiny(**overrides)
    return info.value.errors


def test_probability_errors_name_the_argument_and_the_indices():
    errors = messages(p1=lambda x1, u1: {x1: 0.9} if (x1, u1) == ("poor", "rest") else {x1: 1.0})
    assert errors == ["p1(x1=poor, u1=rest): sums to 0.9, expected 1"]
    errors = messages(p2=lambda x1, x2, u1, u2: {"ok": -0.5, "worn": 1.5} if x2 == "worn" and u2 == "idle"
                      and (x1, u1) == ("good", "run") else tiny_p2(x1, x2, u1, u2))
    assert errors[0].startswith("p2(x1=good, x2=worn, u1=run, u2=idle, x2'=ok): is -0.5")


def test_unknown_successor_and_non_numbers_are_named():
    errors = messages(p1=lambda x1, u1: {"excellent": 1.0} if x1 == "good" and u1 == "run" else {x1: 1.0})
    assert errors == ["p1(x1=good, u1=run): x1' 'excellent' is not one of good, poor"]
    errors = messages(cost=lambda x1, x2, u1, u2: "free" if (x1, x2, u1, u2) == ("poor", "ok", "rest", "idle")
                      else 0.0)
    assert errors == ["cost(x1=poor, x2=ok, u1=rest, u2=idle): is 'free', expected a number"]
    errors = messages(p2=lambda x1, x2, u1, u2: 1.0)
    assert errors[0] == "p2(x1=good, x2=ok, u1=run, u2=idle): is 1.0, expected a dictionary {x2': probability}"


def test_a_function_that_raises_is_reported_where_it_was_called():
    errors = messages(cost=lambda x1, x2, u1, u2: {"run": 1.0}[u1])
    assert errors[0] == "cost(x1=good, x2=ok, u1=rest, u2=idle): raised KeyError: 'rest'"
    assert len(errors) == 8 and all("raised KeyError" in e for e in errors)  # once per failing call


def test_missing_or_conflicting_arguments():
    assert messages(p2=None) == ["p2: missing; give p1 and p2, or a joint transition"]
    assert messages(reward=tiny_cost) == ["cost/reward: give exactly one of cost and reward"]
    assert messages(player1=["good"]) == [
        "player1: is ['good'], expected {'states': [...], 'actions': [...]}"]
    assert messages(terminal_reward=lambda x1, x2: 0) == [
        "terminal_reward: a cost problem takes terminal_cost, not terminal_reward"]
    assert messages(horizon=0) == ["horizon: is 0, expected a positive integer <= 1000000"]


def test_initial_errors_are_named():
    errors = messages(initial=INITIAL | {("poor", "worn"): 0.3})
    assert errors == ["initial: sums to 0.9, expected 1"]


def test_dictionary_keys_that_match_nothing_are_errors():
    """A misspelt name in a dictionary key would otherwise be silently ignored (cost 0)."""
    cost = {("good", "ok", "run", "repair"): 3.0, ("good", "okay", "run", "idle"): 1.0, ("good", "ok"): 2.0}
    assert messages(cost=cost) == [
        "cost: key ('good', 'okay', 'run', 'idle') is not (x1, x2, u1, u2) of known names",
        "cost: key ('good', 'ok') is not (x1, x2, u1, u2) of known names"]
    staged = {(0, "good", "ok", "run", "repair"): 3.0, (5, "good", "ok", "run", "repair"): 3.0}
    assert messages(cost=staged) == ["cost: key (5, 'good', 'ok', 'run', 'repair') is not "
                                     "(t, x1, x2, u1, u2) of known names"]
