"""Exact evaluation and Monte Carlo simulation of policy graphs."""

from __future__ import annotations

import dataclasses
import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import decmdp
from decmdp.policy import policy_from_document
from helpers import (
    constant_policy,
    deterministic_problem,
    hand_problem,
    history_tree_policy,
    policy_graph,
    random_problem,
)

VARIANTS = {
    "factored": {},
    "joint": {"joint": True},
    "reward": {"sense": "reward"},
    "reward-joint-discounted": {"sense": "reward", "joint": True, "discount": 0.5},
    "time-varying": {"time_varying": True},
    "time-varying-reward": {"time_varying": True, "sense": "reward"},
    "discounted": {"discount": 0.75},
    "no-terminal": {"terminal": False},
    "single-start": {"initial_x1": 0},
    "horizon-1": {"horizon": 1},
    "bigger": {"n1": 3, "n2": 3, "m1": 2, "m2": 3, "horizon": 4},
}


def no_better_than(value: float, optimum: float, sense: decmdp.Sense, tol: float = 1e-9) -> bool:
    """``value`` does not beat ``optimum`` in the problem's sense."""
    if sense is decmdp.Sense.MINIMIZE:
        return value >= optimum - tol
    return value <= optimum + tol


# ----------------------------------------------------------------- solver policies
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_evaluation_of_solver_policy_equals_value(variant):
    model = random_problem(2024, **VARIANTS[variant])
    solution = decmdp.solve(model)
    value = decmdp.evaluate(model, solution.policy)
    assert value == pytest.approx(solution.value, abs=1e-9)
    assert isinstance(value, float)
    # the optimum lies between the bounds
    b = solution.bounds
    assert no_better_than(solution.value, b.full_information, model.sense)
    assert no_better_than(b.blind_player2, solution.value, model.sense)


@pytest.mark.parametrize("variant", ["factored", "joint", "bigger"])
def test_evaluation_of_enumerate_policy_equals_value(variant):
    model = random_problem(99, **VARIANTS[variant])
    lifted = decmdp.solve(model, bounds=False)
    enumerated = decmdp.solve(model, method="enumerate", bounds=False)
    assert enumerated.value == pytest.approx(lifted.value, abs=1e-9)
    assert decmdp.evaluate(model, enumerated.policy) == pytest.approx(enumerated.value, abs=1e-9)


@given(seed=st.integers(0, 2**32 - 1),
       sizes=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
       horizon=st.integers(1, 3), sense=st.sampled_from(["cost", "reward"]),
       joint=st.booleans(), time_varying=st.booleans(), discount=st.sampled_from([1.0, 0.9, 0.5]))
@settings(max_examples=25)
def test_solver_policy_value_property(seed, sizes, horizon, sense, joint, time_varying, discount):
    model = random_problem(seed, *sizes, horizon, sense=sense, joint=joint, time_varying=time_varying,
                           discount=discount)
    solution = decmdp.solve(model, bounds=False)
    assert decmdp.evaluate(model, solution.policy) == pytest.approx(solution.value, abs=1e-9)


def test_evaluation_with_horizon_override():
    model = random_problem(8, horizon=2)
    solution = decmdp.solve(model, horizon=4, bounds=False)
    assert solution.policy.horizon == 4
    assert decmdp.evaluate(model.with_horizon(4), solution.policy) == pytest.approx(solution.value, abs=1e-9)
    with pytest.raises(decmdp.PolicyError, match="the policy has horizon 4, the problem 2"):
        decmdp.evaluate(model, solution.policy)


# ----------------------------------------------------------------- any policy vs the optimum
@given(seed=st.integers(0, 2**32 - 1), policy_seed=st.integers(0, 2**32 - 1),
       sizes=st.tuples(st.integers(1, 3), st.integers(1, 2), st.integers(1, 2), st.integers(1, 3)),
       horizon=st.integers(1, 3), sense=st.sampled_from(["cost", "reward"]),
       joint=st.booleans(), discount=st.sampled_from([1.0, 0.5]))
@settings(max_examples=40)
def test_random_policies_never_beat_the_optimum(seed, policy_seed, sizes, horizon, sense, joint, discount):
    model = random_problem(seed, *sizes, horizon, sense=sense, joint=joint, discount=discount)
    optimum = decmdp.solve(model, bounds=False).value
    rng = np.random.default_rng(policy_seed)
    for _ in range(5):
        policy = history_tree_policy(model, rng)
        value = decmdp.evaluate(model, policy)
        assert no_better_than(value, optimum, model.sense), (value, optimum)


def markov_policies(model):
    """Every policy whose u1 and prescription depend only on (t, x1)."""
    X1, U1, U2 = model.player1_states, model.player1_actions, model.player2_actions
    per_node = list(itertools.product(range(model.m1), itertools.product(range(model.m2), repeat=model.n2)))
    keys = list(itertools.product(range(model.horizon), range(model.n1)))
    for choice in itertools.product(per_node, repeat=len(keys)):
        graph = nx.DiGraph()
        for (t, x1), (u1, presc) in zip(keys, choice):
            graph.add_node(f"n{t * model.n1 + x1}", stage=t, x1=X1[x1], u1=U1[u1],
                           prescription=tuple(U2[u] for u in presc))
        for t, x1, y in itertools.product(range(model.horizon - 1), range(model.n1), range(model.n1)):
            graph.add_edge(f"n{t * model.n1 + x1}", f"n{(t + 1) * model.n1 + y}", x1=X1[y])
        yield policy_graph(model, graph, {X1[x1]: f"n{x1}" for x1 in range(model.n1)})


@pytest.mark.parametrize("seed, sense", [(1, "cost"), (2, "reward"), (3, "cost")])
def test_all_markov_policies_never_beat_the_optimum(seed, sense):
    model = random_problem(seed, n1=2, n2=2, m1=2, m2=2, horizon=2, sense=sense)
    optimum = decmdp.solve(model, bounds=False).value
    values = [decmdp.evaluate(model, p) for p in markov_policies(model)]
    assert len(values) == (2 * 4) ** 4
    best = min(values) if sense == "cost" else max(values)
    assert no_better_than(best, optimum, model.sense)


def test_one_x2_state_is_an_mdp_and_markov_policies_reach_the_optimum():
    """With |X2| = 1, player 1's Markov policies on (t, x1) with joint action are optimal."""
    model = random_problem(5, n1=2, n2=1, m1=2, m2=2, horizon=2)
    optimum = decmdp.solve(model, bounds=False).value
    values = [decmdp.evaluate(model, p) for p in markov_policies(model)]
    assert min(values) == pytest.approx(optimum, abs=1e-9)


def test_evaluate_is_linear_in_the_initial_distribution():
    """Same graph, two problems differing only in p0: value is p0-weighted."""
    base = hand_problem()
    doc = constant_policy(base, "go", "wait")
    policy = policy_from_document(doc)
    values = []
    for p0 in ([[1.0, 0.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 0.0]], [[0.25, 0.75], [0.0, 0.0]]):
        model = decmdp.TwoPlayerMDP.from_arrays(
            p0, horizon=2, transition1=base.transition1, transition2=base.transition2,
            cost=base.cost, terminal_cost=base.terminal_cost,
            player1_states=base.player1_states, player1_actions=base.player1_actions,
            player2_states=base.player2_states, player2_actions=base.player2_actions)
        values.append(decmdp.evaluate(model, policy))
    assert values[2] == pytest.approx(0.25 * values[0] + 0.75 * values[1], abs=1e-12)


# ----------------------------------------------------------------- simulate
@pytest.fixture(scope="module")
def noisy():
    model = random_problem(17, n1=3, n2=2, m1=2, m2=2, horizon=3, discount=0.9)
    solution = decmdp.solve(model, bounds=False)
    return model, solution.policy, decmdp.evaluate(model, solution.policy)


def test_simulate_is_deterministic_given_the_seed(noisy):
    model, policy, _ = noisy
    a = decmdp.simulate(model, policy, episodes=2000, seed=5)
    b = decmdp.simulate(model, policy, episodes=2000, seed=5)
    assert a == b
    assert dataclasses.asdict(a) == dataclasses.asdict(b)
    assert a.episodes == 2000 and a.seed == 5


def test_simulate_differs_between_seeds(noisy):
    model, policy, _ = noisy
    means = {decmdp.simulate(model, policy, episodes=2000, seed=s).mean for s in range(4)}
    assert len(means) == 4


def test_simulate_interval_contains_the_mean(noisy):
    model, policy, _ = noisy
    r = decmdp.simulate(model, policy, episodes=500, seed=1)
    assert r.stderr > 0
    assert r.ci_low < r.mean < r.ci_high
    assert r.ci_high - r.mean == pytest.approx(r.mean - r.ci_low)
    assert r.ci_high - r.ci_low == pytest.approx(2 * 1.959963984540054 * r.stderr)


@pytest.mark.parametrize("variant", ["factored", "joint", "reward", "time-varying", "discounted"])
def test_simulate_agrees_with_exact_value(variant):
    model = random_problem(31, **VARIANTS[variant])
    policy = decmdp.solve(model, bounds=False).policy
    exact = decmdp.evaluate(model, policy)
    r = decmdp.simulate(model, policy, episodes=20_000, seed=12345)
    assert abs(r.mean - exact) <= 4 * r.stderr, (r, exact)


def test_simulate_agrees_with_exact_value_for_hand_made_policy():
    model = random_problem(32, n1=3, n2=3, m1=2, m2=3, horizon=3, joint=True)
    policy = history_tree_policy(model, np.random.default_rng(0))
    exact = decmdp.evaluate(model, policy)
    r = decmdp.simulate(model, policy, episodes=20_000, seed=7)
    assert abs(r.mean - exact) <= 4 * r.stderr


def test_simulate_default_seed_none_runs(noisy):
    model, policy, _ = noisy
    r = decmdp.simulate(model, policy, episodes=10)
    assert r.seed is None and r.episodes == 10


@pytest.mark.parametrize("episodes", [1, 0, -5, True, 2.0, "100", None])
def test_simulate_rejects_too_few_episodes(noisy, episodes):
    model, policy, _ = noisy
    with pytest.raises(ValueError, match="episodes"):
        decmdp.simulate(model, policy, episodes=episodes, seed=0)


def test_simulate_two_episodes_is_enough(noisy):
    model, policy, _ = noisy
    r = decmdp.simulate(model, policy, episodes=2, seed=0)
    assert np.isfinite(r.stderr)


@pytest.mark.parametrize("sense", ["cost", "reward"])
def test_deterministic_problem_has_zero_stderr(sense):
    model = deterministic_problem(horizon=3, sense=sense)
    solution = decmdp.solve(model, bounds=False)
    exact = decmdp.evaluate(model, solution.policy)
    assert exact == solution.value
    r = decmdp.simulate(model, solution.policy, episodes=100, seed=3)
    assert r.stderr == 0.0
    assert r.mean == exact
    assert r.ci_low == r.ci_high == exact


def test_deterministic_problem_hand_made_policies():
    model = deterministic_problem(horizon=3)
    rng = np.random.default_rng(0)
    for _ in range(10):
        policy = history_tree_policy(model, rng)
        r = decmdp.simulate(model, policy, episodes=50, seed=0)
        assert r.stderr == 0.0
        assert r.mean == decmdp.evaluate(model, policy)


def test_reward_sense_reports_the_reward():
    """The same array as a cost and as a reward: the same user-sense value, opposite internal form."""
    cost = random_problem(40, sense="cost")
    reward = random_problem(40, sense="reward")
    np.testing.assert_array_equal(cost.cost, reward.cost * -1)
    policy = decmdp.solve(cost, bounds=False).policy
    assert decmdp.evaluate(reward, policy) == pytest.approx(decmdp.evaluate(cost, policy), abs=1e-12)
    a = decmdp.simulate(cost, policy, episodes=1000, seed=2)
    b = decmdp.simulate(reward, policy, episodes=1000, seed=2)
    assert b.mean == pytest.approx(a.mean, abs=1e-12)
    assert b.ci_low == pytest.approx(a.ci_low, abs=1e-12)
    # the reward optimum is at least any policy's reward, the cost optimum at most its cost
    value = decmdp.evaluate(cost, policy)
    assert decmdp.solve(reward, bounds=False).value >= value - 1e-9
    assert decmdp.solve(cost, bounds=False).value <= value + 1e-9


def test_simulation_statistics_stream_exactly_over_chunks(monkeypatch):
    """Chunked mean and standard error equal the one-pass numpy figures."""
    import decmdp.simulation as simulation

    totals = np.random.default_rng(5).normal(3.0, 2.0, size=23)
    chunks = iter(np.split(totals, [7, 14, 21]))
    monkeypatch.setattr(simulation, "CHUNK", 7)
    monkeypatch.setattr(simulation, "_run_episodes", lambda *args: next(chunks))
    model = hand_problem()
    solution = decmdp.solve(model, bounds=False)
    result = simulation.simulate(model, solution.policy, episodes=23, seed=1)
    assert result.mean == pytest.approx(totals.mean(), abs=1e-12)
    assert result.stderr == pytest.approx(totals.std(ddof=1) / np.sqrt(23), abs=1e-12)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "3"])
def test_simulation_rejects_a_bad_seed(seed):
    model = hand_problem()
    with pytest.raises(ValueError, match="seed: is"):
        decmdp.simulate(model, decmdp.solve(model, bounds=False).policy, episodes=10, seed=seed)
