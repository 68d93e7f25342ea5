"""Golden values: the classic POMDPs solved by the core match pomdp-solve.

``tests/data/refs.json`` holds pomdp-solve 5.5's values at listed beliefs for
every listed horizon; they must agree to 1e-6 (relative where values are
large).  Plus the metamorphic check: a two-player problem exported as the
naive centralized POMDP and solved as a POMDP has the two-player optimum.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import decmdp
from decmdp.pomdp import parse_pomdp, read_pomdp
from decmdp.pomdp.export import export_horizon, export_text, to_pomdp
from decmdp.pomdp.solver import solve

DATA = Path(__file__).parent / "data"
REFS = json.loads((DATA / "refs.json").read_text())
CASES = [(name, int(h)) for name, ref in REFS.items() for h in ref["horizons"]]


@pytest.fixture(scope="module")
def models():
    return {name: read_pomdp(DATA / name) for name in REFS}


@pytest.mark.parametrize("name,horizon", CASES, ids=[f"{n}-H{h}" for n, h in CASES])
def test_matches_pomdp_solve(models, name, horizon):
    ref = REFS[name]["horizons"][str(horizon)]
    model = models[name]
    assert model.sense.value == REFS[name]["sense"]
    solution = solve(model, horizon)
    for belief, expected in zip(ref["beliefs"], ref["values"]):
        got = solution.value(belief)
        assert abs(got - expected) <= 1e-6 * max(1.0, abs(expected)), (belief, got, expected)
    assert len(solution.vectors_per_stage) == horizon


def test_alpha_file_reproduces_the_value(models):
    solution = solve(models["tiger.95.POMDP"], 5)
    blocks = [b.split("\n") for b in solution.alpha_text().strip().split("\n\n")]
    actions = [int(b[0]) for b in blocks]
    vectors = np.array([[float(x) for x in b[1].split()] for b in blocks])
    assert actions == solution.actions.tolist()
    assert all(0 <= a < 3 for a in actions)
    for belief in np.random.default_rng(0).dirichlet([1, 1], size=20):
        assert (vectors @ belief).max() == pytest.approx(solution.value(belief), abs=1e-12)


def test_cost_sense_alpha_vectors_are_costs(models):
    model = models["ejs3.POMDP"]
    solution = solve(model, 3)
    b = np.array([0.3, 0.7])
    assert solution.value(b) == pytest.approx((solution.vectors @ b).min())


def _random_two_player(draw_seed: int, sense: str, time_varying: bool, discount: float):
    rng = np.random.default_rng(draw_seed)
    n1, n2, m1, m2 = (int(v) for v in rng.integers(1, 3, size=4))
    horizon = int(rng.integers(1, 4))

    def stochastic(*shape):
        raw = rng.integers(0, 4, size=shape).astype(float)
        raw[..., 0] += raw.sum(axis=-1) == 0
        return raw / raw.sum(axis=-1, keepdims=True)

    shape = (horizon, n1, n2, m1, m2) if time_varying else (n1, n2, m1, m2)
    return decmdp.TwoPlayerMDP.from_arrays(
        stochastic(n1 * n2).reshape(n1, n2), horizon=horizon,
        transition1=stochastic(n1, m1, n1), transition2=stochastic(n1, n2, m1, m2, n2),
        discount=discount, **{sense: rng.integers(-3, 4, size=shape).astype(float),
                              f"terminal_{sense}": rng.integers(-3, 4, size=(n1, n2)).astype(float)})


@settings(max_examples=20)
@given(seed=st.integers(0, 2**32 - 1), sense=st.sampled_from(["cost", "reward"]),
       time_varying=st.booleans(), discount=st.sampled_from([1.0, 0.9, 0.5]))
def test_exported_pomdp_has_the_two_player_value(seed, sense, time_varying, discount):
    model = _random_two_player(seed, sense, time_varying, discount)
    exported = parse_pomdp(export_text(model))
    assert exported == to_pomdp(model)
    pomdp_value = solve(exported, export_horizon(model)).value()
    two_player = decmdp.solve(model, bounds=False).value
    assert pomdp_value == pytest.approx(two_player, abs=1e-9 * (1 + abs(two_player)))


def test_export_refuses_a_model_too_large_to_write():
    n1, n2, m1, m2 = 1, 9, 1, 4  # 4**9 = 262144 prescriptions
    model = decmdp.TwoPlayerMDP.from_arrays(
        np.full((n1, n2), 1 / n2), horizon=2, transition1=np.ones((n1, m1, n1)),
        transition2=np.full((n1, n2, m1, m2, n2), 1 / n2), cost=np.zeros((n1, n2, m1, m2)))
    with pytest.raises(decmdp.ProblemError, match="too large to write"):
        to_pomdp(model)
