"""The validated model record: defaults, views, sense, immutability."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import decmdp
from decmdp import ProblemError, Sense, TwoPlayerMDP

RNG = np.random.default_rng(7)


def _rows(shape):
    w = RNG.random(shape) + 0.01
    return w / w.sum(axis=-1, keepdims=True)


N1, N2, M1, M2 = 3, 2, 2, 3
P1 = _rows((N1, M1, N1))
P2 = _rows((N1, N2, M1, M2, N2))
INITIAL = np.full((N1, N2), 1.0 / (N1 * N2))
COST = RNG.normal(size=(N1, N2, M1, M2))


def factored(**kwargs) -> TwoPlayerMDP:
    args = dict(horizon=3, transition1=P1, transition2=P2, cost=COST)
    args.update(kwargs)
    return TwoPlayerMDP.from_arrays(INITIAL, **args)


def joint_array() -> np.ndarray:
    """A joint K with x2' correlated with x1' and the x1' marginal P1."""
    q = _rows((N1, N2, M1, M2, N1, N2))  # x2' given x1'
    return P1[:, None, :, None, :, None] * q


def test_from_arrays_defaults():
    model = factored()
    assert model.player1_states == ("0", "1", "2")
    assert model.player1_actions == ("0", "1")
    assert model.player2_states == ("0", "1")
    assert model.player2_actions == ("0", "1", "2")
    assert (model.n1, model.n2, model.m1, model.m2) == (N1, N2, M1, M2)
    assert model.name == "unnamed" and model.description == ""
    assert model.discount == 1.0 and isinstance(model.discount, float)
    assert model.horizon == 3
    assert model.sense is Sense.MINIMIZE
    assert model.is_factored and not model.is_time_varying
    assert model.has_terminal is False
    assert np.array_equal(model.terminal_cost, np.zeros((N1, N2)))
    assert model.transition is None
    assert model.prescriptions == M2 ** N2 == 9


def test_from_arrays_accepts_lists_and_names():
    model = TwoPlayerMDP.from_arrays(
        [[1.0]], horizon=1, transition1=[[[1.0]]], transition2=[[[[[1.0]]]]], cost=[[[[2]]]],
        player1_states=["s"], player1_actions=["u"], player2_states=["t"], player2_actions=["v"],
        name="one", description="single")
    assert model.cost.dtype == np.float64 and model.cost[0, 0, 0, 0] == 2.0
    assert (model.name, model.description, model.player2_actions) == ("one", "single", ("v",))


def test_joint_transition_of_factored_model_is_the_product():
    K = factored().joint_transition()
    assert K.shape == (N1, N2, M1, M2, N1, N2)
    for idx in np.ndindex(N1, N2, M1, M2):
        x1, x2, u1, u2 = idx
        assert np.allclose(K[idx], np.outer(P1[x1, u1], P2[x1, x2, u1, u2]), rtol=0, atol=1e-15)
    assert np.allclose(K.sum(axis=(4, 5)), 1.0)


def test_player1_transition_of_joint_model():
    K = joint_array()
    model = factored(transition1=None, transition2=None, transition=K)
    assert not model.is_factored
    assert model.transition1 is None and model.transition2 is None
    assert model.player1_transition().shape == (N1, M1, N1)
    assert np.allclose(model.player1_transition(), P1, rtol=0, atol=1e-14)
    assert np.array_equal(model.joint_transition(), K)
    assert np.array_equal(factored().player1_transition(), P1)


def test_stage_cost_time_varying():
    cost = RNG.normal(size=(4, N1, N2, M1, M2))
    model = factored(cost=cost)
    assert model.is_time_varying
    for t in range(4):
        assert np.array_equal(model.stage_cost(t), cost[t])
    stationary = factored()
    assert np.array_equal(stationary.stage_cost(0), COST)
    assert np.array_equal(stationary.stage_cost(2), COST)


def test_reward_is_stored_as_minus_reward():
    reward = RNG.normal(size=(N1, N2, M1, M2))
    terminal = RNG.normal(size=(N1, N2))
    model = factored(cost=None, reward=reward, terminal_reward=terminal)
    assert model.sense is Sense.MAXIMIZE and model.sense.sign == -1.0
    assert np.array_equal(model.cost, -reward)
    assert np.array_equal(model.terminal_cost, -terminal)
    assert np.array_equal(model.user_cost(), reward)
    assert np.array_equal(model.user_terminal(), terminal)
    assert model.has_terminal
    assert model.to_user_sense(2.5) == -2.5
    assert factored().to_user_sense(2.5) == 2.5


def test_with_horizon_validates():
    model = factored()
    longer = model.with_horizon(7)
    assert longer.horizon == 7 and model.horizon == 3
    assert longer.cost is model.cost  # arrays shared, not copied
    for bad in (0, -2, 1.5, True, "4"):
        with pytest.raises(ProblemError, match="^horizon: is .*, expected a positive integer <= 1000000$"):
            model.with_horizon(bad)
    tv = factored(cost=RNG.normal(size=(4, N1, N2, M1, M2)))
    assert tv.with_horizon(4).horizon == 4
    with pytest.raises(ProblemError, match=r"only 4 stages;"):
        tv.with_horizon(5)


def test_arrays_read_only_and_copied():
    source = COST.copy()
    model = factored(cost=source)
    source[0, 0, 0, 0] = 99.0
    assert model.cost[0, 0, 0, 0] != 99.0  # copied on the way in
    for field in ("initial", "transition1", "transition2", "cost", "terminal_cost"):
        array = getattr(model, field)
        assert array.dtype == np.float64 and array.flags.c_contiguous
        assert not array.flags.writeable, field
        with pytest.raises(ValueError):
            array[(0,) * array.ndim] = 1.0
    joint = factored(transition1=None, transition2=None, transition=joint_array())
    assert not joint.transition.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.horizon = 5


def test_nbytes():
    model = factored()
    expected = 8 * (N1 * N2 + N1 * M1 * N1 + N1 * N2 * M1 * M2 * N2 + N1 * N2 * M1 * M2 + N1 * N2)
    assert model.nbytes == expected
    joint = factored(transition1=None, transition2=None, transition=joint_array())
    assert joint.nbytes == 8 * (N1 * N2 + N1 * N2 * M1 * M2 * N1 * N2 + N1 * N2 * M1 * M2 + N1 * N2)


def test_sense_enum():
    assert Sense("minimize") is Sense.MINIMIZE and Sense.MINIMIZE.sign == 1.0
    assert Sense.MAXIMIZE.value == "maximize"


def test_model_from_file_matches_from_arrays(tmp_path):
    model = factored(name="m", terminal_cost=np.ones((N1, N2)), discount=0.5)
    path = tmp_path / "m.json"
    decmdp.save(model, path)
    loaded = decmdp.load(path)
    for field in ("initial", "transition1", "transition2", "cost", "terminal_cost"):
        assert np.array_equal(getattr(loaded, field), getattr(model, field))
    assert loaded.discount == 0.5 and loaded.has_terminal
