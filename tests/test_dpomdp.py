"""export-dpomdp: read the written file back with an independent reader, check it against the model,
and solve the Dec-POMDP read back by brute force over agent 1's policies and agent 2's best responses."""

import itertools
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import decmdp
from decmdp.cli import main
from decmdp.dpomdp import dpomdp_text

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "problems" / "tiny-by-hand.json"


class Dpomdp:
    """A small reader of the .dpomdp grammar: header sections, then T/O/R entries (names, indices, '*').

    T[ja][s] = {s': p}, O[ja][s'] = {(o1, o2): p}, R[ja][s] = r (R(s, ja), as the file gives it).
    """

    def __init__(self, text: str):
        lines = [line for line in text.splitlines() if not line.startswith("#")]
        assert all(line.strip() for line in lines), "a .dpomdp file has no empty lines"
        head = iter(lines)

        def section(key):
            line = next(head)
            assert line.startswith(f"{key}:"), (key, line)
            return line[len(key) + 1:].split()

        assert section("agents") == ["2"]
        self.discount = float(section("discount")[0])
        assert section("values") == ["reward"]
        self.states = section("states")
        assert section("start") == []
        self.start = [float(x) for x in next(head).split()]
        assert section("actions") == []
        self.actions = [next(head).split(), next(head).split()]
        assert section("observations") == []
        self.observations = [next(head).split(), next(head).split()]
        self.joint_actions = list(itertools.product(*self.actions))
        self.T = {ja: defaultdict(dict) for ja in self.joint_actions}
        self.O = {ja: defaultdict(dict) for ja in self.joint_actions}
        self.R = {ja: defaultdict(float) for ja in self.joint_actions}
        for line in head:
            kind, rest = line.split(":", 1)
            fields = [f.strip() for f in rest.split(":")]
            *keys, value = fields
            value = float(value)
            joint = self._expand_joint(keys[0], self.actions)
            if kind == "T":
                for ja, s, s2 in itertools.product(joint, self._names(keys[1], self.states),
                                                   self._names(keys[2], self.states)):
                    self.T[ja][s][s2] = value
            elif kind == "O":
                for ja, s2, jo in itertools.product(joint, self._names(keys[1], self.states),
                                                    self._expand_joint(keys[2], self.observations)):
                    self.O[ja][s2][jo] = value
            elif kind == "R":
                assert keys[2:] == ["*", "*"], "rewards depend on (s, ja) only"
                for ja, s in itertools.product(joint, self._names(keys[1], self.states)):
                    self.R[ja][s] = value
            else:
                raise AssertionError(f"unexpected line {line!r}")

    @staticmethod
    def _names(token, names):
        if token == "*":
            return list(names)
        assert token in names or token.isdigit(), token
        return [token if token in names else names[int(token)]]

    def _expand_joint(self, token, per_agent):
        parts = token.split()
        if parts == ["*"]:
            return list(itertools.product(*per_agent))
        assert len(parts) == 2, token
        return list(itertools.product(*(self._names(p, names) for p, names in zip(parts, per_agent))))


def read(model) -> Dpomdp:
    return Dpomdp(dpomdp_text(model))


def variants():
    tiny = decmdp.load(TINY)
    discounted = decmdp.TwoPlayerMDP.from_functions(
        player1=(["good", "poor"], ["run", "rest"]), player2=(["ok", "worn"], ["idle", "repair"]),
        initial={("good", "ok"): 0.3, ("good", "worn"): 0.2, ("poor", "ok"): 0.1, ("poor", "worn"): 0.4},
        p1=lambda x1, u1: {x1: 1.0},
        p2=lambda x1, x2, u1, u2: {"ok": 1.0} if u2 == "repair" else
        ({"worn": 1.0} if x2 == "worn" else {"ok": 0.7, "worn": 0.3}),
        cost=lambda t, x1, x2, u1, u2: (t + 1) * ((6.0 if x2 == "worn" and u2 == "idle" and u1 == "run" else 0.0)
                                                   + (3.0 if u2 == "repair" else 0.0) + (2.0 if u1 == "rest" else 0.0)
                                                   + (1.0 if x1 == "poor" else 0.0)),
        terminal_cost=lambda x1, x2: 5.0 if x2 == "worn" else 0.0, horizon=2, discount=0.8, name="discounted")
    reward = decmdp.TwoPlayerMDP.from_arrays(
        tiny.initial, horizon=2, transition1=tiny.transition1, transition2=tiny.transition2,
        reward=10.0 - tiny.cost, terminal_reward=[[1.0, -1.0], [0.5, 0.0]], discount=0.9,
        player1_states=tiny.player1_states, player1_actions=tiny.player1_actions,
        player2_states=tiny.player2_states, player2_actions=tiny.player2_actions, name="reward")
    return {"tiny": tiny, "discounted": discounted, "reward": reward}


MODELS = variants()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_file_is_a_valid_dec_pomdp(name):
    dec = read(MODELS[name])
    assert math.isclose(sum(dec.start), 1.0)
    for ja in dec.joint_actions:
        for s in dec.states:
            assert math.isclose(sum(dec.T[ja][s].values()), 1.0), (ja, s)
            assert math.isclose(sum(dec.O[ja][s].values()), 1.0), (ja, s)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_file_rebuilds_the_models_probabilities_and_costs(name):
    model = MODELS[name]
    dec = read(model)
    n1, n2, H, beta = model.n1, model.n2, model.horizon, model.discount
    K = model.joint_transition()
    assert dec.discount == beta
    assert np.allclose(np.array(dec.start[:n1 * n2]).reshape(n1, n2), model.initial, rtol=0, atol=0)
    for t, x1, x2 in itertools.product(range(H), range(n1), range(n2)):
        s = f"t{t}_{x1}_{x2}"
        for u1, u2 in itertools.product(range(model.m1), range(model.m2)):
            ja = (f"u1_{u1}", f"u2_{u2}")
            rebuilt = np.zeros((n1, n2))
            for s2, p in dec.T[ja][s].items():
                layer, a, b = s2.split("_")
                assert layer == (f"t{t + 1}" if t + 1 < H else "fin")
                rebuilt[int(a), int(b)] = p
            assert np.array_equal(rebuilt, K[x1, x2, u1, u2])
            # reward at Dec-POMDP stage t + 1, times beta: the stage objective in maximization form
            assert dec.R[ja][s] * beta == pytest.approx(-model.stage_cost(t)[x1, x2, u1, u2], rel=1e-15)
    for x1, x2 in itertools.product(range(n1), range(n2)):
        for ja in dec.joint_actions:
            assert dec.R[ja][f"fin_{x1}_{x2}"] * beta == pytest.approx(-model.terminal_cost[x1, x2], rel=1e-15)
            assert dec.R[ja][f"pre_{x1}_{x2}"] == 0.0
            assert dec.T[ja][f"pre_{x1}_{x2}"] == {f"t0_{x1}_{x2}": 1.0}
            # agent 1 sees x1, agent 2 sees (x1, x2) of every state reached, nothing before acting
            for layer in [f"t{t}" for t in range(H)] + ["fin"]:
                assert dec.O[ja][f"{layer}_{x1}_{x2}"] == {(f"x1_{x1}", f"x1_{x1}_x2_{x2}"): 1.0}


def brute_force(dec: Dpomdp, horizon: int) -> float:
    """max over deterministic decentralized policies of E[sum_k discount^k R_k], by enumeration.

    Every policy of agent 1 over its reachable observation histories, and for each the exact best
    response of agent 2 over its own observation histories (a search over agent 2's history tree).
    """
    A1, A2 = dec.actions
    start = {(s, ()): p for s, p in zip(dec.states, dec.start) if p > 0}

    histories = set()  # agent 1's reachable observation histories, under any actions
    frontier = dict.fromkeys(start)
    for _ in range(horizon):
        histories |= {h1 for _, h1 in frontier}
        nxt = {}
        for (s, h1), ja in itertools.product(frontier, dec.joint_actions):
            for s2 in dec.T[ja][s]:
                for o1, _ in dec.O[ja][s2]:
                    nxt[(s2, h1 + (o1,))] = None
        frontier = nxt
    histories = sorted(histories, key=lambda h: (len(h), h))

    def best_response(policy1, k, belief):
        """Agent 2's best value from stage k; belief: {(s, h1): probability and agent 2's history}."""
        if k == horizon:
            return 0.0
        best = -math.inf
        for a2 in A2:
            value, children = 0.0, defaultdict(lambda: defaultdict(float))
            for (s, h1), p in belief.items():
                ja = (policy1[h1], a2)
                value += p * dec.R[ja][s]
                for s2, pt in dec.T[ja][s].items():
                    for (o1, o2), po in dec.O[ja][s2].items():
                        children[o2][(s2, h1 + (o1,))] += p * pt * po
            value += dec.discount * sum(best_response(policy1, k + 1, child) for child in children.values())
            best = max(best, value)
        return best

    return max(best_response(dict(zip(histories, choice)), 0, start)
               for choice in itertools.product(A1, repeat=len(histories)))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_brute_force_of_the_file_equals_the_solver(name):
    model = MODELS[name]
    optimum = brute_force(read(model), model.horizon + 2)
    value = decmdp.solve(model, bounds=False).value
    assert optimum == pytest.approx(value if model.sense is decmdp.Sense.MAXIMIZE else -value, rel=1e-12)


def test_tiny_brute_force_is_the_hand_solution():
    assert brute_force(read(MODELS["tiny"]), 4) == pytest.approx(-2.1, rel=1e-12)


def test_export_dpomdp_command(tmp_path):
    out = tmp_path / "tiny.dpomdp"
    result = CliRunner().invoke(main, ["export-dpomdp", str(TINY), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote {out}; plan it with horizon 4 (its value is minus the optimal cost)"
    assert out.read_text() == dpomdp_text(MODELS["tiny"])
    result = CliRunner().invoke(main, ["export-dpomdp", str(TINY), "-o", str(out)])
    assert result.exit_code == 2 and "exists; not overwriting it" in result.output
    result = CliRunner().invoke(main, ["export-dpomdp", str(TINY), "-o", str(out), "--force", "--horizon", "1"])
    assert result.exit_code == 0 and "horizon 3" in result.output
    assert "t1_0_0" not in Dpomdp(out.read_text()).states
