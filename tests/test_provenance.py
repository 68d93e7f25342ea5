"""The one provenance walker (decmdp/provenance.py), checked without trusting it.

Each edge it reports must land in the set of the branch's *target* observed
state and satisfy the backup equation there; and the policy graph of a POMDP
solve, evaluated forward on the model, must give the solver's value.
"""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decmdp.core.types import BackupData
from decmdp.core.value_iteration import value_iteration
from decmdp.pomdp import read_pomdp
from decmdp.pomdp.solver import solve as solve_pomdp
from decmdp.provenance import observed_state, walk_stages

DATA = Path(__file__).parent / "data"


def crossed_labels(rng, Y, A, S, discount=0.9) -> BackupData:
    """Random backup data, built by hand on purpose: every branch's label is
    its target shifted by one (mod Y), which no reducer makes, so a walker
    that confused labels with targets would land in the wrong set."""
    ptr, target, label, proj = [0], [], [], []
    for _ in range(Y * A):
        successors = np.flatnonzero(rng.random(Y) < 0.7)
        if successors.size == 0:
            successors = np.array([rng.integers(Y)])
        for y_next, p in zip(successors, rng.dirichlet(np.ones(successors.size))):
            target.append(int(y_next))
            label.append(int((y_next + 1) % Y))
            proj.append(discount * p * rng.dirichlet(np.ones(S), size=(S, 1)))
        ptr.append(len(target))
    return BackupData(cost=rng.normal(size=(1, Y, A, S, 1)), terminal=rng.normal(size=(Y, S)),
                      branch_ptr=np.array(ptr, dtype=np.int64), branch_target=np.array(target, dtype=np.int64),
                      branch_label=np.array(label, dtype=np.int64), n_labels=Y,
                      projection=np.array(proj).reshape(len(target), S, 1, S))


@settings(deadline=None, max_examples=25)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_edges_land_in_the_target_set_and_satisfy_the_backup(Y, A, S, horizon, seed):
    data = crossed_labels(np.random.default_rng(seed), Y, A, S)
    stages, _ = value_iteration(data, horizon)
    found = walk_stages(data, stages, range(len(stages[0].values)))
    children = {}
    for node, label, child in found.edges:
        children.setdefault(node, {})[label] = found.keys[child]
    for node, (t, row) in enumerate(found.keys):
        sv = stages[t]
        y, a = observed_state(sv, row), int(sv.action[row])
        expected = data.cost[0, y, a, :, 0].copy()
        branches = range(data.branch_ptr[y * A + a], data.branch_ptr[y * A + a + 1])
        if t + 1 == horizon:
            assert node not in children
            nxt = stages[t + 1]
            for k in branches:
                chosen = nxt.ptr[data.branch_target[k]] + sv.successor[row, data.branch_label[k]]
                expected += data.projection[k, :, 0, :] @ nxt.values[chosen]
        else:
            assert sorted(children[node]) == sorted(int(data.branch_label[k]) for k in branches)
            for k in branches:
                t_next, child = children[node][int(data.branch_label[k])]
                assert t_next == t + 1
                assert observed_state(stages[t + 1], child) == data.branch_target[k]
                expected += data.projection[k, :, 0, :] @ stages[t + 1].values[child]
        np.testing.assert_allclose(sv.values[row], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,horizon", [("tiger.95.POMDP", 5), ("ejs2.POMDP", 4), ("parr95.95.POMDP", 4)])
def test_pomdp_policy_graph_evaluates_to_the_solver_value(name, horizon):
    pomdp = read_pomdp(DATA / name)
    solution = solve_pomdp(pomdp, horizon)
    graph = solution.policy_graph()
    reward = pomdp.expected_reward()
    observation = {o: i for i, o in enumerate(pomdp.observations)}
    mass = {graph.graph["start"]: pomdp.start.copy()}  # unnormalized P(node reached, s)
    total, beta = 0.0, 1.0
    for t in range(horizon):
        reached = {}
        for node, m in mass.items():
            assert graph.nodes[node]["stage"] == t
            a = pomdp.actions.index(graph.nodes[node]["action"])
            total += beta * float(m @ reward[a])
            for _, child, data in graph.out_edges(node, data=True):
                o = observation[data["observation"]]
                flow = m @ (pomdp.transition[a] * pomdp.observation[a][:, o][None, :])
                reached[child] = reached.get(child, 0.0) + flow
        mass, beta = reached, beta * pomdp.discount
    assert not mass  # the last stage has no successors
    assert abs(total - solution.value()) <= solution.error_bound + 1e-9 * max(1.0, abs(total))
