"""The hostile cases of issue 9: each one once crashed, exhausted memory, gave a
wrong answer silently or lost a file.  Each test here would have caught it."""

import copy
import json
import math
import os
import re
import stat
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import decmdp
from decmdp import cli
from decmdp.common import write_text_atomic
from decmdp.dot import label, quote
from decmdp.errors import VectorLimitError
from decmdp.fileio import to_document
from decmdp.inputfile import parse_json
from decmdp.policy import policy_from_document
from decmdp.pomdp import parse_pomdp
from decmdp.pomdp.export import export_horizon, export_text
from decmdp.pomdp.solver import solve as solve_pomdp
from helpers import constant_policy, hand_problem, random_problem, write_json, write_problem

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def assert_clean_failure(result, status=2):
    assert result.exit_code == status, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), result.stderr
    assert "Traceback" not in result.output + result.stderr


def hand_document():
    return to_document(hand_problem())


def solved_policy_document(model):
    return decmdp.solve(model, bounds=False).policy.to_document()


# ----------------------------------------------------------------- policy files
def rename_first_node(doc, new):
    """Give node n0 another id everywhere it appears (its entry, start, next)."""
    doc["start"] = {k: new if v == "n0" else v for k, v in doc["start"].items()}
    for node in doc["nodes"]:
        node["id"] = new if node["id"] == "n0" else node["id"]
        node["next"] = {k: new if v == "n0" else v for k, v in node["next"].items()}


@pytest.mark.parametrize("edit, message", [
    (lambda d: rename_first_node(d, "n\u00b2"), None),  # str.isdigit accepts it, int() does not
    (lambda d: rename_first_node(d, "n" + "7" * 5000), None),  # beyond int()'s digit limit
    (lambda d: d["nodes"][0].update(next={"a": ["n2"]}), "next['a'] is a list, expected a node id"),
    (lambda d: d["nodes"][0].update(next={"a": {"x": 1}}), "next['a'] is an object, expected a node id"),
    (lambda d: d["nodes"][0].update(alpha=[math.nan, 1.0]), "alpha must be a list of 2 finite numbers"),
    (lambda d: d["nodes"][0].update(alpha=[math.inf, 1.0]), "alpha must be a list of 2 finite numbers"),
    (lambda d: d["nodes"][0].update(alpha=[10**400, 1.0]), "alpha must be a list of 2 finite numbers"),
])
def test_odd_policy_files_give_policy_errors_not_crashes(tmp_path, edit, message):
    model = hand_problem()
    doc = solved_policy_document(model)
    edit(doc)
    problem = write_problem(tmp_path, model, "p.json")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(doc))  # json writes NaN / Infinity literals, as a hostile file may
    for command in ("evaluate", "simulate"):
        result = run(command, problem, policy)
        if message is None:  # an unusual id is still a valid id: the policy still works
            assert result.exit_code == 0, result.output
        else:
            assert_clean_failure(result)
            assert message in result.stderr


def _paths(node, prefix=()):
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    out = []
    for key, child in items:
        out.append(prefix + (key,))
        out.extend(_paths(child, prefix + (key,)))
    return out


HOSTILE_VALUES = ["x", "n\u00b2", "n" + "9" * 5000, "", "n0", "n1", ["n1"], {"a": "n1"}, {"a": ["n1"]},
                  math.nan, math.inf, -1, 0, 1, 2, 10**30, 1.5, True, None, [], {}, [[]], "\u00e9"]


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(st.data())
def test_fuzzed_policy_files_give_policy_error_or_work(data):
    model = random_problem(data.draw(st.integers(0, 3)), n1=2, n2=2, horizon=2)
    doc = copy.deepcopy(solved_policy_document(model))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["replace", "delete", "rename"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "rename" and isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["n\u00b2", "x", "*", "next", "alpha"]))] = parent.pop(path[-1])
        else:
            # a copy: a later step may edit the value in place, and the list must stay as it is
            parent[path[-1]] = copy.deepcopy(data.draw(st.sampled_from(HOSTILE_VALUES)))
    try:
        policy = policy_from_document(parse_json(json.dumps(doc), "fuzz"))
        value = decmdp.evaluate(model, policy)
        assert math.isfinite(value)
        decmdp.simulate(model, policy, episodes=2, seed=0)
    except decmdp.PolicyError as error:
        assert error.errors and all(isinstance(m, str) and m.strip() for m in error.errors)
        assert all(len(m) < 2000 for m in error.errors)


# ----------------------------------------------------------------- names that are not text
def test_lone_surrogate_in_a_name_is_refused(tmp_path):
    doc = hand_document()
    doc["player2"]["states"][1] = "two\ud800"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))  # ensure_ascii: the file holds the escape \ud800
    for args in (["solve", path], ["solve", path, "-o", tmp_path / "out.json"], ["info", path],
                 ["export-pomdp", path, "-o", tmp_path / "out.POMDP"], ["validate", path]):
        result = run(*args)
        assert_clean_failure(result)
        assert "lone surrogate" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]
    with pytest.raises(decmdp.ProblemError, match="lone surrogate"):
        decmdp.TwoPlayerMDP.from_arrays(np.ones((1, 1)), horizon=1, transition1=np.ones((1, 1, 1)),
                                        transition2=np.ones((1, 1, 1, 1, 1)), cost=np.zeros((1, 1, 1, 1)),
                                        player2_states=["x\udfff"])


# ----------------------------------------------------------------- input files: devices, size
@pytest.mark.parametrize("command", [["validate"], ["pomdp", "solve", "--horizon", "1"]])
def test_devices_and_fifos_are_refused_as_input(tmp_path, command):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for source in ("/dev/zero", "/dev/urandom", fifo):
        result = run(*command[:-2] if command[0] == "pomdp" else command, source,
                     *(command[-2:] if command[0] == "pomdp" else []))
        assert_clean_failure(result)
        assert "is not a regular file" in result.stderr


def test_policy_from_a_device_is_refused(tmp_path):
    problem = write_problem(tmp_path, hand_problem(), "p.json")
    result = run("evaluate", problem, "/dev/zero")
    assert_clean_failure(result)
    assert "error: /dev/zero: /dev/zero: is not a regular file" not in result.stderr  # named once
    assert "/dev/zero: is not a regular file" in result.stderr


def test_input_size_is_capped(tmp_path, monkeypatch):
    import decmdp.inputfile

    monkeypatch.setattr(decmdp.inputfile, "MAX_INPUT_BYTES", 1024)
    path = tmp_path / "big.json"
    path.write_text(" " * 2000 + json.dumps(hand_document()))
    with pytest.raises(decmdp.ProblemError, match=r"big.json: larger than the limit"):
        decmdp.load(path)


# ----------------------------------------------------------------- memory bombs
def test_sparse_file_too_large_in_all_is_refused_before_allocating():
    """Each field within the limit, all of them together beyond it (joint + time-varying)."""
    names = lambda p, n: [f"{p}{i}" for i in range(n)]  # noqa: E731
    n1, n2, m1, m2, horizon = 10, 60, 5, 5, 600
    doc = {"format": "decmdp/1-sparse", "horizon": horizon,
           "player1": {"states": names("a", n1), "actions": names("u", m1)},
           "player2": {"states": names("b", n2), "actions": names("v", m2)},
           "initial": [["*", "*", 1 / (n1 * n2)]],
           "transition": [["*"] * 6 + [1 / (n1 * n2)]],
           "cost": [["*", "*", "*", "*", "*", 1.0], [horizon - 1, "a0", "b0", "u0", "v0", 2.0]]}
    with pytest.raises(decmdp.ProblemError) as info:
        decmdp.loads(json.dumps(doc))
    assert info.value.errors == [
        "problem: its fields would hold 18000600 numbers in all (initial 600, transition 9000000, "
        "cost 9000000), more than the limit of 10000000"]


def test_name_list_that_disagrees_with_the_arrays_is_bad_input(tmp_path):
    doc = hand_document()
    doc["player1"]["states"] = [f"s{i}" for i in range(10**6)]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    result = run("solve", path)
    assert_clean_failure(result)
    assert "error: initial: has 2 entries, expected 1000000 (one per x1)" in result.stderr
    assert len(result.stderr) < 10_000  # the names are not listed
    with pytest.raises(decmdp.ProblemError):
        decmdp.load(path)


def test_error_listings_of_many_names_are_capped(tmp_path):
    doc = to_document(hand_problem(), decmdp.SPARSE)
    doc["player1"]["actions"] += [f"s{i}" for i in range(10**5 - 2)]
    doc["cost"].append(["a", "lo", "nope", "act", 1.0])
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    result = run("validate", path)
    assert_clean_failure(result)
    assert "u1 is the string 'nope', expected one of stay, go, s0, s1, s2, s3, s4, s5, s6, s7, ... " \
           "(100000 in all) or '*'" in result.stderr
    assert len(result.stderr) < 10_000


# ----------------------------------------------------------------- overflow
def test_costs_whose_total_overflows_are_refused_before_solving(tmp_path):
    doc = hand_document()
    doc["cost"] = [[[[1e308] * 2] * 2] * 2] * 2
    path = write_json(tmp_path / "p.json", doc)
    for args in (["solve", path, "--json"], ["info", path], ["validate", path]):
        result = run(*args)
        assert_clean_failure(result)
        assert result.stdout == ""
        assert "cost[x1=a, x2=lo, u1=stay, u2=wait]: is 1e+308; with values this large the total " \
               "over 2 stage(s) could reach inf, beyond the limit of 1e+300" in result.stderr


def test_horizon_that_makes_a_total_overflow_is_refused():
    model = decmdp.TwoPlayerMDP.from_arrays(np.ones((1, 1)), horizon=1, transition1=np.ones((1, 1, 1)),
                                            transition2=np.ones((1, 1, 1, 1, 1)),
                                            reward=np.full((1, 1, 1, 1), 1e299), terminal_reward=[[-1e299]])
    with pytest.raises(decmdp.ProblemError, match=r"^reward\[x1=0, x2=0, u1=0, u2=0\]: is 1e\+299; .* over "
                                                   r"20 stage\(s\) could reach 2.1e\+300"):
        model.with_horizon(20)
    with pytest.raises(decmdp.ProblemError, match="could reach"):
        decmdp.solve(model, horizon=20)


def test_pomdp_rewards_whose_total_overflows_are_refused(tmp_path):
    path = tmp_path / "big.POMDP"
    path.write_text("discount: 1\nvalues: reward\nstates: 2\nactions: 2\nobservations: 1\n"
                    "T: * uniform\nO: * uniform\nR: * : * : * : * 1e308\n")
    result = run("pomdp", "solve", path, "--horizon", "3", "--json")
    assert_clean_failure(result)
    assert result.stdout == ""
    assert "could total inf" in result.stderr


def test_a_value_that_is_not_finite_is_never_reported():
    from decmdp.solver import require_finite

    require_finite([1.0, -2.0], "value")
    for bad in (math.nan, math.inf):
        with pytest.raises(decmdp.ProblemError, match="overflowed float64"):
            require_finite([1.0, bad], "value")


def test_json_output_is_strict_json():
    from decmdp.cli._common import json_text

    text = json_text({"value": math.nan, "stats": [{"s": math.inf}], "ok": 1.5})
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c}")) == {
        "value": None, "stats": [{"s": None}], "ok": 1.5}


# ----------------------------------------------------------------- repeated keys
@pytest.mark.parametrize("where", ["top", "player1"])
def test_repeated_keys_in_a_problem_file_are_an_error(tmp_path, where):
    text = json.dumps(hand_document())
    if where == "top":
        text = text.replace('"horizon": 2,', '"horizon": 3, "horizon": 7,')
        key = "horizon"
    else:
        text = text.replace('"player1": {', '"player1": {"actions": ["x"], ')
        key = "actions"
    path = tmp_path / "p.json"
    path.write_text(text)
    result = run("validate", path)
    assert_clean_failure(result)
    assert f"key '{key}' appears twice in one object" in result.stderr


def test_repeated_keys_in_a_policy_file_are_an_error(tmp_path):
    model = hand_problem()
    text = json.dumps(solved_policy_document(model)).replace('"horizon": 2,', '"horizon": 2, "horizon": 5,')
    policy = tmp_path / "policy.json"
    policy.write_text(text)
    result = run("evaluate", write_problem(tmp_path, model, "p.json"), policy)
    assert_clean_failure(result)
    assert f"error: {policy}: key 'horizon' appears twice in one object" in result.stderr


# ----------------------------------------------------------------- evaluate: horizons, which file
def test_evaluate_refuses_a_policy_of_another_horizon_and_takes_horizon(tmp_path):
    problem = ROOT / "problems" / "maintenance.json"
    policy = tmp_path / "policy.json"
    assert run("solve", problem, "--horizon", "4", "-o", policy, "-q").exit_code == 0
    result = run("evaluate", problem, policy)
    assert_clean_failure(result)
    assert "the policy has horizon 4, the problem 5" in result.stderr
    solved = json.loads(run("solve", problem, "--horizon", "4", "--json", "--no-bounds").stdout)["value"]
    for command in ("evaluate", "simulate"):
        result = run(command, problem, policy, "--horizon", "4", "--json")
        assert result.exit_code == 0, result.output
        value = json.loads(result.stdout)["value" if command == "evaluate" else "mean"]
        assert value == pytest.approx(solved, abs=1e-9 if command == "evaluate" else 0.5)


def test_evaluate_says_which_file_is_wrong_and_hints_at_swapped_arguments(tmp_path):
    model = hand_problem()
    problem = write_problem(tmp_path, model, "p.json")
    policy = write_json(tmp_path / "policy.json", constant_policy(model, "stay", "act"))
    assert run("evaluate", problem, policy).exit_code == 0
    swapped = run("evaluate", policy, problem)
    assert_clean_failure(swapped)
    assert swapped.stderr.splitlines() == [
        f"error: {policy}: format: is 'decmdp-policy/1': this is a policy file, not a problem file",
        "error: the arguments look swapped: give the problem file first, then the policy file"]
    bad_problem = write_json(tmp_path / "bad.json", dict(to_document(model), horizon=0))
    result = run("evaluate", bad_problem, policy)
    assert_clean_failure(result)
    assert f"error: {bad_problem}: horizon: is 0" in result.stderr
    doc = constant_policy(model, "stay", "act")
    doc["nodes"][0]["u1"] = "fly"
    bad_policy = write_json(tmp_path / "bad-policy.json", doc)
    result = run("simulate", problem, bad_policy)
    assert_clean_failure(result)
    assert f"error: {bad_policy}: node t0-a: u1 is 'fly'" in result.stderr
    problem_as_policy = run("evaluate", problem, problem)
    assert "this is a problem file, not a policy file" in problem_as_policy.stderr
    assert "the arguments look swapped" in problem_as_policy.stderr


# ----------------------------------------------------------------- output files
def test_racing_writers_exactly_one_wins(tmp_path):
    for trial in range(40):
        target = tmp_path / f"out{trial}.json"
        barrier = threading.Barrier(2)
        outcomes = []

        def writer(text):
            barrier.wait()
            try:
                write_text_atomic(target, text)
                outcomes.append(text)
            except FileExistsError:
                outcomes.append(None)

        threads = [threading.Thread(target=writer, args=(text,)) for text in ("first\n", "second\n")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [text for text in outcomes if text is not None]
        assert len(winners) == 1, outcomes
        assert target.read_text() == winners[0]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_a_non_regular_output_is_never_replaced(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = run("solve", ROOT / "problems" / "tiny-by-hand.json", "-o", fifo, "--force")
    assert_clean_failure(result)
    assert f"{fifo}: exists and is not a regular file" in result.stderr
    assert result.stdout == ""  # refused before solving
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    with pytest.raises(FileExistsError, match="not a regular file"):
        write_text_atomic(fifo, "x", force=True)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_unwritable_output_folder_is_reported_before_solving(tmp_path, monkeypatch):
    if os.geteuid() == 0:
        folder = Path("/sys")  # refuses new files even to root
        if not folder.is_dir():
            pytest.skip("needs /sys when running as root")
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
    monkeypatch.setattr(decmdp, "solve", lambda *a, **k: pytest.fail("solved before checking the output"))
    result = run("solve", ROOT / "problems" / "tiny-by-hand.json", "-o", folder / "policy.json")
    assert_clean_failure(result)
    assert result.stderr.startswith(f"error: {folder / 'policy.json'}: cannot write in folder {folder}")
    assert ".policy.json." not in result.stderr  # not the temporary file


# ----------------------------------------------------------------- hostile names in exports
HOSTILE = ["back\\", 'quo"te', "uni\u00e9\u4e2d", "tab#hash", "\\n"]


def hostile_model():
    return random_problem(4, n1=2, n2=2, m1=2, m2=2, horizon=2).__class__.from_arrays(
        **_arrays(random_problem(4, n1=2, n2=2, m1=2, m2=2, horizon=2)),
        player1_states=HOSTILE[:2], player1_actions=HOSTILE[2:4], player2_states=[HOSTILE[4], "x\\"],
        player2_actions=["a\\", 'b"'], name="two\nlines \\ and # a \"quote\"")


def _arrays(model):
    return dict(initial=model.initial, horizon=model.horizon, transition1=model.transition1,
                transition2=model.transition2, cost=model.cost, terminal_cost=model.terminal_cost,
                discount=model.discount)


def dot_strings(text):
    """Every quoted string of a DOT text, unescaped as Graphviz reads a label."""
    out = []
    for raw in re.findall(r'"((?:[^"\\]|\\.)*)"', text):
        out.append(re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), raw))
    return out


def test_dot_round_trips_hostile_names():
    model = hostile_model()
    solution = decmdp.solve(model, bounds=False)
    text = solution.policy.to_dot()
    # every line is one statement, and every quote closes on the same line
    body = text.splitlines()[1:-1]
    assert all(re.fullmatch(r'\s*(?:[^"]|"(?:[^"\\]|\\.)*")*;', line) for line in body), text
    strings = dot_strings(text)
    assert strings[0] == model.name
    labels = {s for s in strings if s.startswith("t=")}
    for node in solution.policy.nodes:
        a = solution.policy.graph.nodes[node]
        g = ", ".join(f"{x2}->{u2}" for x2, u2 in zip(model.player2_states, a["prescription"]))
        assert f"t={a['stage']} x1={a['x1']}\nu1={a['u1']}\n{g}" in labels
    assert quote("end\\") == '"end\\\\"' and label("a", 'b"') == '"a\\nb\\""'


def test_pomdp_export_round_trips_hostile_names():
    model = hostile_model()
    text = export_text(model)
    parsed = parse_pomdp(text, "hostile.POMDP")
    value = solve_pomdp(parsed, export_horizon(model)).value()
    assert value == pytest.approx(decmdp.solve(model, bounds=False).value, abs=1e-9)
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[0].startswith("# two\\nlines \\ and # a \"quote\": the naive centralized POMDP")
    assert "#   x1: 0=back\\, 1=quo\"te" in header


# ----------------------------------------------------------------- --max-vectors
def test_max_vectors_message_says_which_sets_it_counts():
    message = str(VectorLimitError(stage=2, count=125, limit=100))
    assert "not only the vectors kept" in message and "partial cross-sum" in message


# ----------------------------------------------------------------- memory bounded for any horizon
def test_a_long_horizon_stops_at_the_memory_limit_not_the_machine(tmp_path, monkeypatch):
    from decmdp.core import value_iteration as vi

    monkeypatch.setattr(vi, "MAX_STORED_BYTES", 2_000_000)  # a small budget stands in for RAM
    model = random_problem(0, horizon=3)  # undiscounted: the stages never repeat
    with pytest.raises(decmdp.MemoryLimitError, match="stored value function") as caught:
        decmdp.solve(model, horizon=10**6, bounds=False)
    assert caught.value.estimate > caught.value.limit == 2_000_000
    path = write_problem(tmp_path, model, "long.json")
    result = CliRunner().invoke(cli.main, ["solve", str(path), "--horizon", "1000000", "-q"])
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1 and "lower the horizon" in result.stderr


def test_a_horizon_whose_stages_repeat_is_stored_once_and_solves(monkeypatch):
    from decmdp.core import value_iteration as vi
    from decmdp.reduce import reduce_two_player

    model = random_problem(1, discount=0.5, horizon=3)
    stages, _ = vi.value_iteration(reduce_two_player(model), 10**6, max_stored_bytes=2_000_000)
    assert len({id(s) for s in stages}) < 100  # a few distinct stages, the rest shared
    # the policy graph of 10^6 stages is what outgrows memory then, and it says so
    monkeypatch.setattr(vi, "MAX_STORED_BYTES", 2_000_000)
    with pytest.raises(decmdp.MemoryLimitError, match="policy graph"):
        decmdp.solve(model, horizon=10**6, bounds=False)
