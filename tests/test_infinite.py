"""Discounted infinite-horizon solves: certificate, controllers, files, CLI.

The checks do not trust the infinite-horizon code: the certified interval is
compared with long finite-horizon solves (whose distance to the
infinite-horizon optimum is bounded by the discounted tail), controllers are
re-evaluated by unrolling them into finite policy graphs for the forward
evaluator and by Monte Carlo, and the residual LP is compared with an exact
enumeration of breakpoints in two dimensions.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import decmdp
from decmdp.cli import main
from decmdp.core.infinite import close_cycles, infinite_value_iteration, pointwise_gap, pointwise_residual, residual
from decmdp.core.types import StageValue
from decmdp.core.value_iteration import backup_stage, same_stage, value_iteration
from decmdp.pomdp import read_pomdp
from decmdp.pomdp.solver import solve as solve_pomdp
from decmdp.pomdp.solver import solve_infinite
from decmdp.reduce import reduce_two_player
from helpers import random_problem, write_problem

DATA = Path(__file__).parent / "data"
PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def tail(model, horizon: int) -> float:
    """Bound on |V_H - V*|: the discounted costs after H plus the terminal cost."""
    beta = model.discount
    return beta**horizon * (np.abs(model.cost).max() / (1 - beta) + np.abs(model.terminal_cost).max())


def horizon_for(model, accuracy: float) -> int:
    """The least H with tail(model, H) <= accuracy."""
    scale = np.abs(model.cost).max() / (1 - model.discount) + np.abs(model.terminal_cost).max()
    return max(1, math.ceil(math.log(accuracy / scale) / math.log(model.discount)))


# ------------------------------------------------------------------ residual


def _one_set(V):
    V = np.asarray(V, dtype=np.float64)
    return StageValue(np.array([0, len(V)]), V, None, None, None)


def _exact_residual_2d(A, C):
    """sup over b in [0,1] of |min_a - min_c|: the max is at a breakpoint of the lines."""
    lines = np.vstack([A, C])
    points = [0.0, 1.0]
    for p, q in itertools.combinations(lines, 2):
        # p0 (1-x) + p1 x = q0 (1-x) + q1 x
        denom = (p[1] - p[0]) - (q[1] - q[0])
        if denom != 0:
            x = (q[0] - p[0]) / denom
            if 0 <= x <= 1:
                points.append(x)
    B = np.array([[1 - x, x] for x in points])
    return float(np.max(np.abs((B @ A.T).min(axis=1) - (B @ C.T).min(axis=1))))


@pytest.mark.parametrize("seed", range(8))
def test_residual_equals_exact_sup_in_two_dimensions(seed):
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.integers(-3, 4)
    A = rng.random((rng.integers(1, 6), 2)) * scale
    C = rng.random((rng.integers(1, 6), 2)) * scale
    exact = _exact_residual_2d(A, C)
    bound = residual(_one_set(A), _one_set(C))
    assert bound.value >= exact - 1e-12 * scale
    assert bound.value == pytest.approx(exact, rel=1e-7, abs=1e-9 * scale)
    assert pointwise_residual(_one_set(A), _one_set(C)) >= bound.value - 1e-12 * scale


def test_residual_bounds_sampled_differences_in_four_dimensions():
    rng = np.random.default_rng(7)
    A, C = rng.random((7, 4)), rng.random((6, 4))
    beliefs = rng.dirichlet(np.ones(4), 20000)
    sampled = np.max(np.abs((beliefs @ A.T).min(axis=1) - (beliefs @ C.T).min(axis=1)))
    bound = residual(_one_set(A), _one_set(C)).value
    assert sampled <= bound <= sampled + 0.02
    assert residual(_one_set(A), _one_set(A)).value == 0.0


def test_residual_takes_the_worst_observed_state():
    rng = np.random.default_rng(3)
    blocks_a = [rng.random((3, 3)), rng.random((4, 3)) * 5]
    blocks_c = [rng.random((2, 3)), rng.random((5, 3)) * 5]

    def stacked(blocks):
        ptr = np.cumsum([0] + [len(b) for b in blocks])
        return StageValue(ptr, np.vstack(blocks), None, None, None)

    each = [residual(_one_set(a), _one_set(c)).value for a, c in zip(blocks_a, blocks_c)]
    both = residual(stacked(blocks_a), stacked(blocks_c))
    assert both.value == pytest.approx(max(each), rel=1e-12)
    assert len(both.beliefs) == 2 and all(b.shape[1] == 3 for b in both.beliefs)


# ------------------------------------------------------------------ certificate vs long finite horizons


CASES = [(seed, sense, n2) for seed, sense, n2 in
         [(0, "cost", 2), (1, "reward", 2), (2, "cost", 3), (3, "reward", 3), (4, "cost", 2)]]


@pytest.mark.parametrize("seed, sense, n2", CASES)
def test_controller_within_certified_gap_of_long_finite_solve(seed, sense, n2):
    model = random_problem(seed, n2=n2, discount=0.8, sense=sense, joint=seed == 4)
    solution = decmdp.solve(model, horizon="infinite", epsilon=1e-4)
    cert = solution.certificate
    assert cert.converged and cert.error_bound <= 1e-4
    H = horizon_for(model, 1e-6)
    finite = decmdp.solve(model, horizon=H, bounds=False).value
    slack = tail(model, H) + 1e-9
    sign = model.sense.sign  # +1 cost, -1 reward
    assert abs(cert.dp_value - finite) <= cert.error_bound + slack
    # the controller is a policy: it cannot beat the optimum ...
    assert sign * (cert.controller_value - finite) >= -slack
    # ... and is within the certified gap of it
    assert sign * (cert.controller_value - finite) <= cert.gap + slack
    assert sign * (cert.optimum_bound - finite) <= slack
    assert cert.gap >= 0


def test_certificate_at_a_large_scale():
    base = random_problem(5, discount=0.85)
    big = decmdp.TwoPlayerMDP.from_arrays(
        base.initial, horizon=base.horizon, discount=base.discount, transition=base.joint_transition(),
        cost=base.cost * 1e5, terminal_cost=base.terminal_cost * 1e5,
        player1_states=base.player1_states, player1_actions=base.player1_actions,
        player2_states=base.player2_states, player2_actions=base.player2_actions)
    small = decmdp.solve(base, horizon="infinite", epsilon=1e-5).certificate
    large = decmdp.solve(big, horizon="infinite", epsilon=1.0).certificate
    assert large.controller_value == pytest.approx(1e5 * small.controller_value, rel=1e-9)
    H = horizon_for(big, 1e-2)
    finite = decmdp.solve(big, horizon=H, bounds=False).value
    assert -tail(big, H) <= large.controller_value - finite <= large.gap + tail(big, H)


def test_enumerate_method_agrees():
    model = random_problem(13, n2=2, m2=2, discount=0.85)
    lifted = decmdp.solve(model, horizon="infinite", epsilon=1e-6).certificate
    enum = decmdp.solve(model, horizon="infinite", epsilon=1e-6, method="enumerate").certificate
    assert abs(lifted.dp_value - enum.dp_value) <= lifted.error_bound + enum.error_bound
    assert abs(lifted.controller_value - enum.controller_value) <= max(lifted.gap, enum.gap)


def test_vector_limit_names_the_iteration():
    model = random_problem(2, n2=3, discount=0.9)
    with pytest.raises(decmdp.VectorLimitError, match="stage [1-9]"):
        decmdp.solve(model, horizon="infinite", max_vectors=20)


def test_gap_shrinks_with_epsilon():
    model = random_problem(2, n2=3, discount=0.9)
    certs = [decmdp.solve(model, horizon="infinite", epsilon=e).certificate for e in (1e-1, 1e-3, 1e-4)]
    assert all(c.error_bound <= c.epsilon for c in certs)
    gaps = [c.gap for c in certs]
    assert gaps[0] > gaps[1] > gaps[2]
    assert [c.iterations for c in certs] == sorted(c.iterations for c in certs)


# ------------------------------------------------------------------ controllers


def unrolled(policy: decmdp.PolicyGraph, horizon: int) -> decmdp.PolicyGraph:
    """The cyclic policy copied stage by stage into a finite policy graph."""
    graph = nx.DiGraph()
    for t in range(horizon):
        for node, attrs in policy.graph.nodes(data=True):
            graph.add_node(f"{node}@{t}", stage=t, x1=attrs["x1"], u1=attrs["u1"],
                           prescription=attrs["prescription"])
        if t + 1 < horizon:
            for u, v, data in policy.graph.edges(data=True):
                graph.add_edge(f"{u}@{t}", f"{v}@{t + 1}", x1=data["x1"])
    return decmdp.PolicyGraph(graph=graph, start={k: f"{v}@0" for k, v in policy.start.items()},
                              horizon=horizon, player1_states=policy.player1_states,
                              player1_actions=policy.player1_actions, player2_states=policy.player2_states,
                              player2_actions=policy.player2_actions)


@pytest.mark.parametrize("seed, sense", [(6, "cost"), (7, "reward")])
def test_controller_value_matches_unrolled_forward_evaluation(seed, sense):
    model = random_problem(seed, n2=3, discount=0.75, sense=sense, terminal=False)
    solution = decmdp.solve(model, horizon="infinite", epsilon=1e-5)
    value = decmdp.evaluate(model, solution.policy)
    assert value == solution.certificate.controller_value
    H = horizon_for(model, 1e-9)
    assert decmdp.evaluate(model.with_horizon(H), unrolled(solution.policy, H)) == pytest.approx(value, abs=2e-9)


def test_controller_file_round_trip_and_alpha(tmp_path):
    model = random_problem(8, n1=3, n2=2, discount=0.9)
    solution = decmdp.solve(model, horizon="infinite", epsilon=1e-5)
    path = tmp_path / "controller.json"
    path.write_text(solution.policy.dumps())
    doc = json.loads(path.read_text())
    assert doc["horizon"] == "infinite"
    assert all("stage" not in node for node in doc["nodes"])
    loaded = decmdp.load_policy(path)
    assert loaded.is_cyclic and len(loaded) == len(solution.policy)
    assert decmdp.evaluate(model, loaded) == pytest.approx(solution.certificate.controller_value, rel=1e-12)
    # alpha is the controller's exact value vector: p0 . alpha(start) adds up to the value
    total = sum(model.initial[i] @ np.array(loaded.graph.nodes[loaded.start[x1]]["alpha"])
                for i, x1 in enumerate(model.player1_states) if x1 in loaded.start)
    assert total == pytest.approx(solution.certificate.controller_value, rel=1e-12)


def test_controller_simulates_to_its_value():
    model = random_problem(9, n2=3, discount=0.8)
    solution = decmdp.solve(model, horizon="infinite", epsilon=1e-5)
    result = decmdp.simulate(model, solution.policy, episodes=20_000, seed=3)
    assert result.steps == math.ceil(math.log(1e-6) / math.log(0.8))
    assert 0 < result.bias_bound <= 1e-6 * np.abs(model.cost).max() / 0.2 * 1.0000001
    assert abs(result.mean - solution.certificate.controller_value) <= 4 * result.stderr + result.bias_bound


def test_player_controllers_run_forever():
    model = random_problem(10, discount=0.9, initial_x1=0)
    policy = decmdp.solve(model, horizon="infinite", epsilon=1e-4).policy
    p1, p2 = decmdp.Player1Controller(policy), decmdp.Player2Controller(policy)
    rng = np.random.default_rng(0)
    x1 = model.player1_states[0]
    x2 = model.player2_states[0]
    u1, u2 = p1.reset(x1), p2.reset(x1, x2)
    K = model.joint_transition()
    for _ in range(500):  # far beyond the file's horizon
        node = p1.node
        assert p2.node == node
        attrs = policy.graph.nodes[node]
        assert u1 == attrs["u1"] and u2 == attrs["prescription"][model.player2_states.index(x2)]
        i1, i2 = model.player1_states.index(x1), model.player2_states.index(x2)
        flow = K[i1, i2, model.player1_actions.index(u1), model.player2_actions.index(u2)].ravel()
        j = rng.choice(flow.size, p=flow / flow.sum())
        x1, x2 = model.player1_states[j // model.n2], model.player2_states[j % model.n2]
        u1, u2 = p1.step(x1), p2.step(x1, x2)


def test_cyclic_policy_file_errors(tmp_path):
    model = random_problem(11, discount=0.9)
    doc = decmdp.solve(model, horizon="infinite", epsilon=1e-3).policy.to_document()
    doc["nodes"][0]["stage"] = 0
    bad = decmdp.policy.policy_from_document(doc)
    with pytest.raises(decmdp.PolicyError, match="cyclic policy's nodes have no stage"):
        decmdp.evaluate(model, bad)
    doc = decmdp.solve(model, horizon="infinite", epsilon=1e-3).policy.to_document()
    finite = decmdp.solve(model, bounds=False).policy.to_document()
    with pytest.raises(decmdp.PolicyError, match="horizon: is 'forever', expected a positive integer <= 1000000 "
                                                 "or 'infinite'"):
        decmdp.evaluate(model, decmdp.policy.policy_from_document(dict(finite, horizon="forever")))
    first = doc["nodes"][0]
    wrong = next(n["id"] for n in doc["nodes"] if n["x1"] != next(iter(first["next"])))
    broken = dict(doc, nodes=[dict(first, next={k: wrong for k in first["next"]})] + doc["nodes"][1:])
    with pytest.raises(decmdp.PolicyError, match="expected a node with x1="):
        decmdp.evaluate(model, decmdp.policy.policy_from_document(broken))
    undiscounted = random_problem(11, discount=1.0)
    with pytest.raises(decmdp.PolicyError, match="discount is 1; expected a discount < 1"):
        decmdp.evaluate(undiscounted, decmdp.policy.policy_from_document(doc))


def test_iteration_limit_is_reported_and_the_controller_stays_consistent():
    model = random_problem(12, n2=3, discount=0.95)
    data = reduce_two_player(model)
    run = infinite_value_iteration(data, 0.95, 1e-6, max_iterations=3)
    assert not run.converged and run.iterations == 3 and run.error_bound > 1e-6
    again, _ = backup_stage(data, 0, run.previous)
    assert same_stage(again, run.stage)  # stage's successor indices point into previous
    nxt = close_cycles(data, run)
    rows = np.flatnonzero(run.stage.successor.ravel() >= 0)
    assert np.array_equal(np.flatnonzero(nxt.ravel() >= 0), rows)
    for row, label in zip(*np.nonzero(nxt >= 0)):  # two-player: the target of label x1' is x1'
        assert run.stage.ptr[label] <= nxt[row, label] < run.stage.ptr[label + 1]


# ------------------------------------------------------------------ refusals


def test_discount_one_is_refused():
    model = random_problem(0, discount=1.0)
    with pytest.raises(decmdp.ProblemError, match="an infinite horizon needs a discount < 1"):
        decmdp.solve(model, horizon="infinite")
    result = run("solve", PROBLEMS / "relay.json", "--infinite")
    assert result.exit_code == 2
    assert "error: discount: is 1; an infinite horizon needs a discount < 1" in result.output
    result = run("pomdp", "solve", DATA / "concert.POMDP", "--infinite")
    assert result.exit_code == 2
    assert "error: discount: is 1; an infinite horizon needs a discount < 1" in result.output


def test_time_varying_cost_and_bad_epsilon_are_refused():
    result = run("solve", PROBLEMS / "maintenance.json", "--infinite")
    assert result.exit_code == 2
    assert "error: cost: is time-varying; an infinite horizon needs a time-invariant cost" in result.output
    model = random_problem(0, discount=0.9)
    for eps in (0, -1.0):
        with pytest.raises(decmdp.ProblemError, match="epsilon: is"):
            decmdp.solve(model, horizon="infinite", epsilon=eps)
    # Beyond float64's reach: the margins tighten to their floor, then the
    # solve stops and says it did not converge.
    cert = decmdp.solve(model, horizon="infinite", epsilon=1e-15).certificate
    assert not cert.converged and cert.error_bound > 1e-15
    result = run("solve", PROBLEMS / "leader-follower.json", "--infinite", "--horizon", 3)
    assert result.exit_code == 2 and "give one of them" in result.output
    result = run("solve", PROBLEMS / "leader-follower.json", "--epsilon", 0.1)
    assert result.exit_code == 2 and "only applies with --infinite" in result.output


# ------------------------------------------------------------------ problems and tiger


def test_leader_follower_converges_from_the_cli(tmp_path):
    out = tmp_path / "controller.json"
    result = run("solve", PROBLEMS / "leader-follower.json", "--infinite", "--epsilon", 1e-6, "--json",
                 "-q", "-o", out)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    cert = summary["certificate"]
    assert summary["horizon"] == "infinite"
    assert cert["converged"] and cert["error_bound"] <= 1e-6 and cert["gap"] <= 2e-6
    model = decmdp.load(PROBLEMS / "leader-follower.json")
    assert decmdp.evaluate(model, decmdp.load_policy(out)) == pytest.approx(cert["controller_value"], rel=1e-12)
    H = horizon_for(model, 1e-7)
    finite = decmdp.solve(model, horizon=H, bounds=False).value
    assert -tail(model, H) <= cert["controller_value"] - finite <= cert["gap"] + tail(model, H)
    text = run("simulate", PROBLEMS / "leader-follower.json", out, "--episodes", 1000)
    assert text.exit_code == 0 and "episodes cut after" in text.output


def test_tiger_converges_to_a_five_node_controller(tmp_path):
    pomdp = read_pomdp(DATA / "tiger.95.POMDP")
    solution = solve_infinite(pomdp, 1e-4)
    cert = solution.certificate
    assert cert.converged and cert.error_bound <= 1e-4
    assert len(solution.controller) == 5
    # rewards: the optimum lies in [controller value, optimum_bound]
    assert cert.controller_value <= cert.optimum_bound + 1e-9
    finite = solve_pomdp(pomdp, 300).value()
    tail_300 = 0.95**300 * np.abs(pomdp.expected_reward()).max() / 0.05
    assert -tail_300 <= finite - cert.controller_value <= cert.gap + tail_300
    # Monte Carlo of the controller, independent of its linear system
    rng = np.random.default_rng(5)
    c, n, steps = solution.controller, 20_000, 300
    state = rng.choice(2, size=n, p=pomdp.start)
    node = np.full(n, c.start)
    reward = pomdp.expected_reward()
    total = np.zeros(n)
    for t in range(steps):
        a = c.action[node]
        total += 0.95**t * reward[a, state]
        nxt = draw(pomdp.transition[a, state], rng)
        obs = draw(pomdp.observation[a, nxt], rng)
        state, node = nxt, c.next[node, obs]
    assert abs(total.mean() - cert.controller_value) <= 4 * total.std() / math.sqrt(n) + 1e-4


def draw(rows, rng):
    """One categorical draw per row."""
    return np.minimum((rng.random(rows.shape[0])[:, None] >= np.cumsum(rows, axis=1)).sum(axis=1),
                      rows.shape[1] - 1)


def test_pomdp_cli_infinite(tmp_path):
    dot = tmp_path / "tiger.dot"
    result = run("pomdp", "solve", DATA / "tiger.95.POMDP", "--infinite", "--epsilon", 1e-3, "--json", "-q",
                 "--dot", dot)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["horizon"] == "infinite" and out["controller_nodes"] == 5
    assert out["certificate"]["error_bound"] <= 1e-3
    assert dot.read_text().count("->") == 5 * 2 + 1
    result = run("pomdp", "solve", DATA / "tiger.95.POMDP")
    assert result.exit_code == 2 and "give exactly one of them" in result.output


# ------------------------------------------------------------------ repeating stages


def test_identical_stages_are_stored_once(tmp_path):
    model = random_problem(1, discount=0.5)
    data = reduce_two_player(model)
    stages, stats = value_iteration(data, 300)
    s = next(t for t in range(len(stages) - 1) if stages[t] is stages[t + 1])
    assert all(stages[t] is stages[s] for t in range(s + 1))
    assert len(stats) < 300
    # the stage stored once really is a fixed point of the backup
    again, _ = backup_stage(data, 0, stages[0])
    assert same_stage(again, stages[0])
    solution = decmdp.solve(model, horizon=300, bounds=False)
    assert solution.repeating_from is not None
    assert decmdp.evaluate(model.with_horizon(300), solution.policy) == pytest.approx(solution.value, rel=1e-12)
    result = run("solve", write_problem(tmp_path, model, "model.json"), "--horizon", 300, "--no-bounds", "-q")
    assert "are identical (a fixed point of the backup): computed and stored once" in result.output



def test_simulating_a_controller_on_an_undiscounted_model_is_a_policy_error(tmp_path):
    document = json.loads((PROBLEMS / "leader-follower.json").read_text())
    controller = decmdp.solve(decmdp.load(PROBLEMS / "leader-follower.json"), horizon="infinite",
                              bounds=False).policy
    document["discount"] = 1.0
    undiscounted = tmp_path / "undiscounted.json"
    undiscounted.write_text(json.dumps(document))
    with pytest.raises(decmdp.PolicyError):
        decmdp.simulate(decmdp.load(undiscounted), controller, episodes=10, seed=0)


@settings(deadline=None)
@given(st.integers(0, 40), st.integers(1, 40), st.integers(1, 5), st.integers(0, 2**32 - 1),
       st.sampled_from([1.0, 1e-6, 1e10]))
def test_pointwise_gap_is_the_max_min_max_of_the_differences(n_a, n_c, d, seed, scale):
    """The kernel's early exits skip rows that cannot change the answer, so
    it returns exactly max_c min_a max_s (a - c)(s), ties included."""
    rng = np.random.default_rng(seed)
    A = rng.integers(-3, 4, size=(n_a, d)) * scale
    C = rng.integers(-3, 4, size=(n_c, d)) * scale
    if n_a == 0:
        assert pointwise_gap(A, C) == math.inf
    else:
        assert pointwise_gap(A, C) == max(float(np.min(np.max(A - c[None, :], axis=1))) for c in C)
    assert pointwise_gap(C, A[:0]) == -math.inf
