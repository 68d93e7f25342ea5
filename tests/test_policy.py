"""The policy graph: files, Graphviz, checking against a problem, controllers."""

from __future__ import annotations

import json
import re

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import decmdp
from decmdp.policy import POLICY_FORMAT, policy_from_document
from helpers import (
    constant_policy,
    edited,
    hand_problem,
    history_tree_policy,
    node_entry,
    policy_graph,
    random_problem,
    write_json,
)

VARIANTS = {
    "factored": {},
    "joint": {"joint": True},
    "reward": {"sense": "reward"},
    "time-varying": {"time_varying": True},
    "discounted": {"discount": 0.75},
    "single-start": {"initial_x1": 1},
    "bigger": {"n1": 3, "n2": 3, "m1": 2, "m2": 3, "horizon": 4},
}


@pytest.fixture(scope="module")
def solved():
    """One solved random problem (factored, 2x2x2x2, horizon 3)."""
    model = random_problem(7, horizon=3)
    return model, decmdp.solve(model, bounds=False)


def reasons(excinfo) -> str:
    return "\n".join(excinfo.value.errors)


# ----------------------------------------------------------------- round trip
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_dumps_load_evaluate_round_trip(tmp_path, variant):
    model = random_problem(11, **VARIANTS[variant])
    solution = decmdp.solve(model, bounds=False)
    path = tmp_path / "policy.json"
    path.write_text(solution.policy.dumps(), encoding="utf-8")
    loaded = decmdp.load_policy(path)

    original = decmdp.evaluate(model, solution.policy)
    assert decmdp.evaluate(model, loaded) == pytest.approx(original, abs=1e-12, rel=0)
    assert original == pytest.approx(solution.value, abs=1e-9)
    # the file is a fixed point: load(dumps(p)).dumps() == dumps(p), alpha included exactly
    assert loaded.dumps() == solution.policy.dumps()
    assert loaded.to_document() == solution.policy.to_document()
    assert len(loaded) == len(solution.policy)


@given(seed=st.integers(0, 2**32 - 1), horizon=st.integers(1, 4),
       sizes=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(1, 3)))
@settings(max_examples=20)
def test_round_trip_random_sizes(seed, horizon, sizes):
    n1, n2, m1, m2 = sizes
    model = random_problem(seed, n1, n2, m1, m2, horizon)
    solution = decmdp.solve(model, bounds=False)
    loaded = policy_from_document(json.loads(solution.policy.dumps()))
    value = decmdp.evaluate(model, loaded)
    assert value == pytest.approx(decmdp.evaluate(model, solution.policy), abs=1e-12, rel=0)
    assert value == pytest.approx(solution.value, abs=1e-9)


def test_dumps_is_the_documented_schema(solved):
    model, solution = solved
    doc = json.loads(solution.policy.dumps())
    assert set(doc) == {"format", "problem", "horizon", "player1", "player2", "start", "nodes"}
    assert doc["format"] == POLICY_FORMAT
    assert doc["horizon"] == model.horizon
    assert doc["player1"] == {"states": list(model.player1_states), "actions": list(model.player1_actions)}
    assert doc["player2"] == {"states": list(model.player2_states), "actions": list(model.player2_actions)}
    ids = [n["id"] for n in doc["nodes"]]
    assert len(ids) == len(set(ids))
    stages = [n["stage"] for n in doc["nodes"]]
    assert stages == sorted(stages)
    for entry in doc["nodes"]:
        assert set(entry) <= {"id", "stage", "x1", "u1", "prescription", "next", "alpha"}
        assert list(entry["prescription"]) == list(model.player2_states)
        assert len(entry["alpha"]) == model.n2
        if entry["stage"] == model.horizon - 1:
            assert entry["next"] == {}
    # one node per line
    node_lines = [line for line in solution.policy.dumps().splitlines() if line.lstrip().startswith('{"id"')]
    assert len(node_lines) == len(doc["nodes"])


def test_solver_alpha_is_the_value_of_following_the_graph(solved):
    """alpha[x2] of a start node is the value given (x1(0), x2(0)): check it by evaluation."""
    model, solution = solved
    policy = solution.policy
    for x1, node in policy.start.items():
        alpha = np.array(policy.graph.nodes[node]["alpha"])
        i = model.player1_states.index(x1)
        weight = model.initial[i] / model.initial[i].sum()
        assert float(weight @ alpha) == pytest.approx(solution.initial_values[x1], abs=1e-9)


# ----------------------------------------------------------------- Graphviz
DOT_NODE = re.compile(r'^  "((?:[^"\\]|\\.)*)" \[label="((?:[^"\\]|\\.)*)"\];$')
DOT_START = re.compile(r'^  "start ((?:[^"\\]|\\.)*)" \[shape=plaintext\];$')
DOT_EDGE = re.compile(r'^  "((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)"(?: \[label="((?:[^"\\]|\\.)*)"\])?;$')


def parse_dot(text: str):
    """A small structural DOT parser for what ``to_dot`` writes."""
    lines = text.splitlines()
    assert re.fullmatch(r'digraph "(?:[^"\\]|\\.)*" \{', lines[0]), lines[0]
    assert lines[-1] == "}"
    assert text.endswith("\n")
    nodes, starts, edges, start_edges = {}, set(), {}, {}
    for line in lines[1:-1]:
        if line.strip() in ("rankdir=LR;", 'node [shape=box, fontname="monospace"];'):
            continue
        if m := DOT_NODE.match(line):
            assert m.group(1) not in nodes, f"node {m.group(1)} declared twice"
            nodes[m.group(1)] = m.group(2)
        elif m := DOT_START.match(line):
            starts.add(m.group(1))
        elif m := DOT_EDGE.match(line):
            source, target, label = m.groups()
            if source.startswith("start "):
                assert label is None
                start_edges[source[len("start "):]] = target
            else:
                assert (source, target) not in edges
                edges[(source, target)] = label
        else:
            raise AssertionError(f"unexpected DOT line {line!r}")
    return nodes, starts, edges, start_edges


@pytest.mark.parametrize("variant", ["factored", "bigger", "single-start"])
def test_dot_has_every_node_edge_and_label(variant):
    model = random_problem(3, **VARIANTS[variant])
    policy = decmdp.solve(model, bounds=False).policy
    nodes, starts, edges, start_edges = parse_dot(policy.to_dot())

    assert set(nodes) == set(policy.graph.nodes)
    for node, label in nodes.items():
        attrs = policy.graph.nodes[node]
        parts = label.split("\\n")
        assert parts[0] == f"t={attrs['stage']} x1={attrs['x1']}"
        assert parts[1] == f"u1={attrs['u1']}"
        assert parts[2] == ", ".join(f"{x2}->{u2}" for x2, u2 in zip(model.player2_states,
                                                                   attrs["prescription"]))
    assert edges == {(u, v): d["x1"] for u, v, d in policy.graph.edges(data=True)}
    assert starts == set(policy.start)
    assert start_edges == policy.start
    # edges join consecutive stages, the label is the target's x1
    for (u, v), label in edges.items():
        assert policy.graph.nodes[v]["stage"] == policy.graph.nodes[u]["stage"] + 1
        assert policy.graph.nodes[v]["x1"] == label


def test_dot_escapes_quotes_in_names():
    model = random_problem(3, name='say "hi"')
    text = decmdp.solve(model, bounds=False).policy.to_dot()
    assert text.splitlines()[0] == 'digraph "say \\"hi\\"" {'
    parse_dot(text)


def test_dot_of_hand_written_policy():
    model = hand_problem()
    policy = policy_from_document(constant_policy(model, "go", "act"))
    nodes, starts, edges, start_edges = parse_dot(policy.to_dot())
    assert set(nodes) == {"t0-a", "t0-b", "t1-a", "t1-b"}
    assert nodes["t0-a"] == "t=0 x1=a\\nu1=go\\nlo->act, hi->act"
    assert edges == {("t0-a", "t1-a"): "a", ("t0-a", "t1-b"): "b",
                     ("t0-b", "t1-a"): "a", ("t0-b", "t1-b"): "b"}
    assert start_edges == {"a": "t0-a", "b": "t0-b"}


# ----------------------------------------------------------------- check()
@pytest.fixture
def hand():
    """The hand problem and its optimal policy document (n0 at a, n1 at stage 1)."""
    model = hand_problem()
    return model, decmdp.solve(model, bounds=False).policy.to_document()


def check_errors(model, document) -> str:
    policy = policy_from_document(document)
    with pytest.raises(decmdp.PolicyError) as excinfo:
        policy.check(model)
    with pytest.raises(decmdp.PolicyError):
        decmdp.evaluate(model, policy)
    with pytest.raises(decmdp.PolicyError):
        decmdp.simulate(model, policy, episodes=10, seed=0)
    return reasons(excinfo)


def test_check_accepts_solver_and_hand_policies(hand):
    model, doc = hand
    policy_from_document(doc).check(model)
    for u1 in model.player1_actions:
        for u2 in model.player2_actions:
            policy_from_document(constant_policy(model, u1, u2)).check(model)


def test_check_missing_successor_names_node_and_x1(hand):
    model, doc = hand
    text = check_errors(model, edited(doc, lambda d: node_entry(d, "n0")["next"].clear()))
    assert "node n0: no successor for x1'=a" in text
    assert "probability 1 after x1=a, u1=stay" in text


def test_check_missing_successor_after_a_branching_action():
    model = hand_problem()
    doc = constant_policy(model, "go", "wait")
    # after go at a, x1' = b for sure; the entry for a is unreachable and may go
    policy_from_document(edited(doc, lambda d: node_entry(d, "t0-a")["next"].pop("a"))).check(model)
    text = check_errors(model, edited(doc, lambda d: node_entry(d, "t0-a")["next"].pop("b")))
    assert "node t0-a: no successor for x1'=b" in text


def test_check_missing_successor_random_problem(solved):
    model, solution = solved
    doc = solution.policy.to_document()
    entry = next(n for n in doc["nodes"] if n["next"])
    label = next(iter(entry["next"]))
    del entry["next"][label]
    text = check_errors(model, doc)
    assert f"node {entry['id']}: no successor for x1'={label}" in text


def test_check_successor_at_wrong_stage(hand):
    model, doc = hand

    def to_itself(d):
        node_entry(d, "n0")["next"]["a"] = "n0"

    text = check_errors(model, edited(doc, to_itself))
    assert "node n0: successor for x1'=a is n0 (stage 0, x1='a')" in text
    assert "expected a node of stage 1 with x1=a" in text


def test_check_successor_with_wrong_x1():
    model = hand_problem()
    doc = constant_policy(model, "stay", "act")
    text = check_errors(model, edited(doc, lambda d: node_entry(d, "t0-a").update(next={"a": "t1-b"})))
    assert "node t0-a: successor for x1'=a is t1-b (stage 1, x1='b')" in text
    # both entries to the same node: still rejected, naming the node and x1'
    text = check_errors(model, edited(doc, lambda d: node_entry(d, "t0-a")["next"].update(a="t1-b")))
    assert "node t0-a: no successor for x1'=a" in text


def test_unreachable_entry_to_the_same_node_as_a_reachable_one():
    """next = {a: t1-a, b: t1-a} after stay at a: the b entry is unreachable and ignored."""
    model = hand_problem()
    for order in (("a", "b"), ("b", "a")):
        doc = constant_policy(model, "stay", "act")
        node_entry(doc, "t0-a")["next"] = {label: "t1-a" for label in order}
        assert decmdp.evaluate(model, policy_from_document(doc)) == 3.0


def test_check_unreachable_entries_are_ignored():
    model = hand_problem()
    doc = constant_policy(model, "stay", "act")
    # stay at a never leads to b: next[b] may point anywhere that is a node
    policy = policy_from_document(edited(doc, lambda d: node_entry(d, "t0-a")["next"].update(b="t0-a")))
    assert decmdp.evaluate(model, policy) == 3.0


def test_check_unknown_u1(hand):
    model, doc = hand
    text = check_errors(model, edited(doc, lambda d: node_entry(d, "n1").update(u1="fly")))
    assert "node n1: u1 is 'fly', expected one of stay, go" in text


def test_check_unknown_u2(hand):
    model, doc = hand
    text = check_errors(model, edited(doc, lambda d: node_entry(d, "n1")["prescription"].update(hi="nap")))
    assert "node n1: prescription is ('act', 'nap'), expected one action of wait, act for each x2 in lo, hi" in text


def test_check_incomplete_prescription():
    model = hand_problem()
    graph = nx.DiGraph()
    graph.add_node("s", stage=0, x1="a", u1="stay", prescription=("act",))
    graph.add_node("e", stage=1, x1="a", u1="stay", prescription=("act", "act"))
    graph.add_edge("s", "e", x1="a")
    with pytest.raises(decmdp.PolicyError) as excinfo:
        policy_graph(model, graph, {"a": "s"}).check(model)
    assert "node s: prescription is ('act',)" in reasons(excinfo)
    # the same defect in a file is caught when it is read
    doc = constant_policy(model, "stay", "act")
    with pytest.raises(decmdp.PolicyError) as excinfo:
        policy_from_document(edited(doc, lambda d: node_entry(d, "t1-a")["prescription"].pop("hi")))
    assert "node t1-a: prescription has no action for x2=hi" in reasons(excinfo)


def test_check_unknown_x1_and_bad_stage(hand):
    model, doc = hand
    text = check_errors(model, edited(doc, lambda d: node_entry(d, "n1").update(x1="z")))
    assert "node n1: x1 is 'z', expected one of a, b" in text
    for stage in (2, -1, "1", 1.0, True, None):
        text = check_errors(model, edited(doc, lambda d: node_entry(d, "n1").update(stage=stage)))
        assert f"node n1: stage is {stage!r}, expected an integer in 0..1" in text


def test_check_missing_start(hand):
    model, doc = hand
    text = check_errors(model, edited(doc, lambda d: d["start"].clear()))
    assert "start: no node for initial x1=a, which has probability 1" in text


def test_check_start_not_at_stage_0(hand):
    model, doc = hand
    text = check_errors(model, edited(doc, lambda d: d["start"].update(a="n1")))
    assert "start[a]: node n1 is not a stage-0 node with x1=a" in text


def test_check_start_for_zero_probability_x1_is_optional_but_must_be_sane(hand):
    model, doc = hand
    # x1=b has p0 = 0: no start needed; one that points to a real node is fine
    policy_from_document(doc).check(model)
    assert decmdp.evaluate(model, policy_from_document(edited(doc, lambda d: d["start"].update(b="n0")))) == 3.0
    text = check_errors(model, edited(doc, lambda d: d["start"].update(b="ghost")))
    assert "start[b]: 'ghost' is not a node" in text
    text = check_errors(model, edited(doc, lambda d: d["start"].update(zz="n0")))
    assert "start: x1='zz' is not one of a, b" in text


def test_check_successor_label_not_a_state(hand):
    model, doc = hand
    text = check_errors(model, edited(doc, lambda d: node_entry(d, "n0")["next"].update(zz="n0")))
    assert "node n0: successor for x1'='zz', which is not one of a, b" in text


def test_check_last_stage_with_successors(hand):
    model, doc = hand
    text = check_errors(model, edited(doc, lambda d: node_entry(d, "n1")["next"].update(a="n1")))
    assert "node n1: is at the last stage 1 but has successors" in text


@pytest.mark.parametrize("field, block, key, value", [
    ("player1.states", "player1", "states", ["b", "a"]),
    ("player1.actions", "player1", "actions", ["stay", "leap"]),
    ("player2.states", "player2", "states", ["hi", "lo"]),
    ("player2.actions", "player2", "actions", ["act", "wait"]),
])
def test_check_names_differing_from_the_model(hand, field, block, key, value):
    model, doc = hand
    text = check_errors(model, edited(doc, lambda d: d[block].update({key: value})))
    assert text.startswith(f"{field}: policy has [{', '.join(value)}], the problem has")


def test_check_horizon_differing_from_the_problem_names_both():
    model = random_problem(5, horizon=2, time_varying=True)  # cost has 2 stages
    for horizon in (3, 1):
        policy = history_tree_policy(model, np.random.default_rng(0), horizon=horizon)
        with pytest.raises(decmdp.PolicyError) as excinfo:
            decmdp.evaluate(model, policy)
        assert reasons(excinfo).startswith(f"horizon: the policy has horizon {horizon}, the problem 2; ")
    # evaluating at the policy's horizon is explicit, and the model checks it
    shorter = history_tree_policy(model, np.random.default_rng(0), horizon=1)
    assert np.isfinite(decmdp.evaluate(model.with_horizon(1), shorter))
    with pytest.raises(decmdp.ProblemError, match="time-varying cost gives only 2 stage"):
        model.with_horizon(3)


@pytest.mark.parametrize("horizon", [0, -1, "2", 2.0, True])
def test_check_bad_horizon(hand, horizon):
    model, doc = hand
    text = check_errors(model, edited(doc, lambda d: d.update(horizon=horizon)))
    assert f"horizon: is {horizon!r}, expected a positive integer <= 1000000" in text


def test_check_lists_every_defect(hand):
    model, doc = hand

    def two_defects(d):
        node_entry(d, "n0")["next"].clear()
        node_entry(d, "n1")["u1"] = "fly"

    text = check_errors(model, edited(doc, two_defects))
    assert "node n0: no successor for x1'=a" in text
    assert "node n1: u1 is 'fly'" in text


# ----------------------------------------------------------------- load_policy
def load_errors(tmp_path, content) -> str:
    path = tmp_path / "policy.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        write_json(path, content)
    with pytest.raises(decmdp.PolicyError) as excinfo:
        decmdp.load_policy(path)
    return reasons(excinfo)


def test_load_policy_missing_file(tmp_path):
    with pytest.raises(decmdp.PolicyError, match="no such file") as excinfo:
        decmdp.load_policy(tmp_path / "nope.json")
    assert str(tmp_path / "nope.json") in reasons(excinfo)
    assert isinstance(excinfo.value, ValueError)


def test_load_policy_directory(tmp_path):
    with pytest.raises(decmdp.PolicyError, match="is a directory"):
        decmdp.load_policy(tmp_path)


def test_load_policy_bad_json_has_line_and_column(tmp_path):
    text = load_errors(tmp_path, '{\n  "format": "decmdp-policy/1",\n  "horizon": 2,,\n}\n')
    assert "not valid JSON" in text
    assert "(line 3, column 16)" in text


def test_load_policy_not_utf8(tmp_path):
    path = tmp_path / "policy.json"
    path.write_bytes(b'{"format": "\xff"}')
    with pytest.raises(decmdp.PolicyError, match="not UTF-8"):
        decmdp.load_policy(path)


def test_load_policy_top_level_not_an_object(tmp_path):
    assert "top level is not a JSON object" in load_errors(tmp_path, "[1, 2]")


def test_load_policy_unknown_keys(tmp_path, hand):
    _, doc = hand
    text = load_errors(tmp_path, edited(doc, lambda d: d.update(colour="red")))
    assert "colour: unknown key" in text
    text = load_errors(tmp_path, edited(doc, lambda d: node_entry(d, "n1").update(colour="red")))
    assert "node n1: unknown key(s) colour" in text


def test_load_policy_missing_keys(tmp_path, hand):
    _, doc = hand
    text = load_errors(tmp_path, edited(doc, lambda d: (d.pop("start"), d.pop("nodes"))))
    assert "start: missing" in text and "nodes: missing" in text
    text = load_errors(tmp_path, edited(doc, lambda d: node_entry(d, "n1").pop("u1")))
    assert "node n1: missing u1" in text


@pytest.mark.parametrize("fmt", ["decmdp-policy/2", None, 1])
def test_load_policy_wrong_format(tmp_path, hand, fmt):
    _, doc = hand
    text = load_errors(tmp_path, edited(doc, lambda d: d.update(format=fmt)))
    assert f"format: is {fmt!r}, expected 'decmdp-policy/1'" in text


def test_load_policy_duplicate_ids(tmp_path, hand):
    _, doc = hand
    text = load_errors(tmp_path, edited(doc, lambda d: node_entry(d, "n1").update(id="n0")))
    assert "nodes[1]: id 'n0' is used twice" in text


def test_load_policy_next_to_missing_node(tmp_path, hand):
    _, doc = hand
    text = load_errors(tmp_path, edited(doc, lambda d: node_entry(d, "n0")["next"].update(a="n9")))
    assert "node n0: next['a'] is 'n9', which is not a node" in text


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(player1="x"), "player1.states: expected a list of names"),
    (lambda d: d["player2"].update(actions=["wait", 3]), "player2.actions: expected a list of names"),
    (lambda d: d.update(start=["n0"]), "start: expected an object"),
    (lambda d: d.update(nodes={}), "nodes: expected a list"),
    (lambda d: d["nodes"].append(3), "nodes[2]: expected an object with a string id"),
    (lambda d: node_entry(d, "n1").update(next=[]), "node n1: next must map x1' names to node ids"),
    (lambda d: node_entry(d, "n1").update(prescription=["act", "act"]), "node n1: prescription must map"),
    (lambda d: node_entry(d, "n1").update(alpha=3), "node n1: alpha must be a list of 2 finite numbers, one per x2"),
    (lambda d: node_entry(d, "n1").update(alpha=["x", 1]), "node n1: alpha must be a list of 2 finite numbers, one per x2"),
    (lambda d: node_entry(d, "n1").update(alpha=[1.0]), "node n1: alpha must be a list of 2 finite numbers, one per x2"),
    (lambda d: d["player1"].update(extra=1), "player1.extra: unknown key; expected states, actions"),
])
def test_load_policy_malformed_parts(tmp_path, hand, edit, message):
    _, doc = hand
    assert message in load_errors(tmp_path, edited(doc, edit))


def test_load_policy_accepts_the_documented_example(tmp_path):
    """The example of docs/policy-format.md, on a problem with its names."""
    doc = {
        "format": "decmdp-policy/1", "problem": "tiny-by-hand", "horizon": 2,
        "player1": {"states": ["a", "b"], "actions": ["stay", "go"]},
        "player2": {"states": ["lo", "hi"], "actions": ["wait", "act"]},
        "start": {"a": "n0", "b": "n1"},
        "nodes": [
            {"id": "n0", "stage": 0, "x1": "a", "u1": "go", "prescription": {"lo": "wait", "hi": "act"},
             "next": {"a": "n2", "b": "n3"}},
            {"id": "n1", "stage": 0, "x1": "b", "u1": "stay", "prescription": {"lo": "wait", "hi": "wait"},
             "next": {"b": "n3"}},
            {"id": "n2", "stage": 1, "x1": "a", "u1": "stay", "prescription": {"lo": "act", "hi": "act"},
             "next": {}},
            {"id": "n3", "stage": 1, "x1": "b", "u1": "stay", "prescription": {"lo": "wait", "hi": "act"},
             "next": {}},
        ],
    }
    policy = decmdp.load_policy(write_json(tmp_path / "p.json", doc))
    policy.check(hand_problem())
    assert policy.nodes == ["n0", "n1", "n2", "n3"]


# ----------------------------------------------------------------- values by hand
@pytest.mark.parametrize("u1, u2, discount, expected", [
    # stay, act: stage 0 costs 2*(1/2) + 1, then x2 = lo: stage 1 costs 1, terminal 0
    ("stay", "act", 1.0, 3.0),
    ("stay", "act", 0.5, 2.0 + 0.5 * 1.0),
    # go, wait: P(hi) = 1/2, 3/4, 7/8; stage costs 2 P(hi) + 0.5, terminal 3 P(hi)
    ("go", "wait", 1.0, (1.0 + 0.5) + (1.5 + 0.5) + 3 * 7 / 8),
    ("go", "wait", 0.5, (1.0 + 0.5) + 0.5 * (1.5 + 0.5) + 0.25 * 3 * 7 / 8),
    # go, act: 2*(1/2) + 1 + 0.5, then 1 + 0.5, terminal 0
    ("go", "act", 1.0, 2.5 + 1.5),
    # stay, wait: 1, 1.5, terminal 2.625
    ("stay", "wait", 1.0, 1.0 + 1.5 + 3 * 7 / 8),
])
def test_hand_written_policy_value(tmp_path, u1, u2, discount, expected):
    model = hand_problem(discount=discount)
    policy = decmdp.load_policy(write_json(tmp_path / "p.json", constant_policy(model, u1, u2)))
    assert decmdp.evaluate(model, policy) == pytest.approx(expected, abs=1e-12)


def test_hand_written_state_feedback_policy():
    """Wait at lo, act at hi (the optimum): 1.5 + (2/4 + 1) + 0 = 3."""
    model = hand_problem()
    doc = constant_policy(model, "stay", "act")
    for node in doc["nodes"]:
        if node["stage"] == 0:
            node["prescription"] = {"lo": "wait", "hi": "act"}
    assert decmdp.evaluate(model, policy_from_document(doc)) == pytest.approx(3.0, abs=1e-12)
    assert decmdp.solve(model, bounds=False).value == pytest.approx(3.0, abs=1e-12)


def test_hand_written_policy_longer_horizon_than_the_file():
    """Evaluation at another horizon than the file's is explicit."""
    model = hand_problem(horizon=2)
    policy = policy_from_document(constant_policy(model, "stay", "act", horizon=3))
    with pytest.raises(decmdp.PolicyError, match="the policy has horizon 3, the problem 2"):
        decmdp.evaluate(model, policy)
    assert decmdp.evaluate(model.with_horizon(3), policy) == pytest.approx(2.0 + 1.0 + 1.0, abs=1e-12)


# ----------------------------------------------------------------- controllers
def run_episode(model, policy, rng):
    """Drive both controllers through one episode; return the nodes visited."""
    p1, p2 = decmdp.Player1Controller(policy), decmdp.Player2Controller(policy)
    K = model.joint_transition()
    X1, X2 = model.player1_states, model.player2_states
    flat = rng.choice(model.n1 * model.n2, p=model.initial.ravel())
    x1, x2 = divmod(int(flat), model.n2)
    u1, u2 = p1.reset(X1[x1]), p2.reset(X1[x1], X2[x2])
    visited = []
    for t in range(policy.horizon):
        assert p1.node == p2.node
        node = policy.graph.nodes[p1.node]
        assert node["stage"] == t and node["x1"] == X1[x1]
        assert u1 == node["u1"]
        assert u2 == node["prescription"][x2]
        visited.append(p1.node)
        row = K[x1, x2, model.player1_actions.index(u1), model.player2_actions.index(u2)].ravel()
        x1, x2 = divmod(int(rng.choice(row.size, p=row / row.sum())), model.n2)
        if t + 1 < policy.horizon:
            u1, u2 = p1.step(X1[x1]), p2.step(X1[x1], X2[x2])
    # the horizon is over: no successor
    with pytest.raises(decmdp.PolicyError, match="horizon is over"):
        p1.step(X1[x1])
    with pytest.raises(decmdp.PolicyError, match="horizon is over"):
        p2.step(X1[x1], X2[x2])
    return visited


@pytest.mark.parametrize("variant", ["factored", "joint", "bigger"])
def test_controllers_follow_the_graph(variant):
    model = random_problem(21, **VARIANTS[variant])
    policy = decmdp.solve(model, bounds=False).policy
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(30):
        visited = run_episode(model, policy, rng)
        assert len(visited) == model.horizon
        assert visited[0] in policy.start.values()
        assert all(policy.graph.has_edge(a, b) for a, b in zip(visited, visited[1:]))
        seen.update(visited)
    assert seen  # at least the start nodes


def test_controllers_on_a_history_tree_policy():
    model = random_problem(4, n1=3, horizon=3)
    policy = history_tree_policy(model, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    for _ in range(20):
        run_episode(model, policy, rng)


def test_controllers_reset_starts_a_new_episode(solved):
    model, solution = solved
    policy = solution.policy
    p1, p2 = decmdp.Player1Controller(policy), decmdp.Player2Controller(policy)
    x1 = next(iter(policy.start))
    p1.reset(x1), p2.reset(x1, model.player2_states[0])
    _, child, data = next(iter(policy.graph.out_edges(p1.node, data=True)))
    p1.step(data["x1"]), p2.step(data["x1"], model.player2_states[0])
    assert p1.node == p2.node == child
    p1.reset(x1), p2.reset(x1, model.player2_states[-1])
    assert p1.node == p2.node == policy.start[x1]


def test_controller_errors(solved):
    model, solution = solved
    policy = solution.policy
    p1, p2 = decmdp.Player1Controller(policy), decmdp.Player2Controller(policy)
    with pytest.raises(decmdp.PolicyError, match=r"reset\(\) before step\(\)"):
        p1.step("a")
    with pytest.raises(decmdp.PolicyError, match=r"reset\(\) before step\(\)"):
        p2.step("a", "lo")
    with pytest.raises(decmdp.PolicyError, match="start: no node for initial x1=zz"):
        p1.reset("zz")
    with pytest.raises(decmdp.PolicyError, match="start: no node for initial x1=zz"):
        p2.reset("zz", "lo")
    x1 = next(iter(policy.start))
    with pytest.raises(decmdp.PolicyError, match="x2 is 'nowhere', expected one of lo, hi"):
        p2.reset(x1, "nowhere")
    p1.reset(x1)
    with pytest.raises(decmdp.PolicyError, match=r"has no successor for x1'=zz"):
        p1.step("zz")


def test_controller_stepping_past_the_horizon():
    model = hand_problem(horizon=1)
    policy = policy_from_document(constant_policy(model, "stay", "act"))
    p1, p2 = decmdp.Player1Controller(policy), decmdp.Player2Controller(policy)
    assert p1.reset("a") == "stay"
    assert p2.reset("a", "hi") == "act"
    with pytest.raises(decmdp.PolicyError, match=r"node t0-a \(stage 0\) has no successor for x1'=a "
                                                 r"\(the horizon is over\)"):
        p1.step("a")
    with pytest.raises(decmdp.PolicyError, match="the horizon is over"):
        p2.step("a", "lo")
