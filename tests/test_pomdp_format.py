"""Reader and writer for Cassandra's .POMDP format.

Three tiers: golden values from pomdp-solve (tests/data/refs.json, checked by
brute-force belief-tree value iteration on the parsed models); the same model
written several ways parses to the same record; properties (round trip,
fuzzed input only ever gives a Pomdp or a PomdpFormatError).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decmdp.errors import ProblemError
from decmdp.pomdp import (
    Pomdp,
    PomdpFormatError,
    format_pomdp,
    parse_pomdp,
    read_pomdp,
    write_pomdp,
)

DATA = Path(__file__).parent / "data"
EXAMPLES = sorted(p.name for p in DATA.glob("*.POMDP"))
REFS = json.loads((DATA / "refs.json").read_text())

FUZZ = settings(
    deadline=None,
    derandomize=True,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def load(name: str) -> Pomdp:
    return read_pomdp(DATA / name)


PREAMBLE = """\
discount: 0.9
values: reward
states: s0 s1 s2
actions: a b
observations: x y
"""
# A valid body for PREAMBLE; tests replace parts of it.
BODY = """\
T: * identity
O: * uniform
"""


def doc(body: str = BODY, preamble: str = PREAMBLE) -> Pomdp:
    return parse_pomdp(preamble + body, "t.POMDP")


def error_of(text: str, filename: str = "t.POMDP") -> PomdpFormatError:
    with pytest.raises(PomdpFormatError) as info:
        parse_pomdp(text, filename)
    return info.value


def _fields(p: Pomdp) -> dict:
    return {
        k: getattr(p, k)
        for k in ("states", "actions", "observations", "discount", "sense", "start",
                  "transition", "observation", "reward", "name")
    }


# ---------------------------------------------------------------- examples


def test_eight_examples_present():
    assert len(EXAMPLES) == 8
    assert set(EXAMPLES) == set(REFS)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_parses(name):
    p = load(name)
    assert len(p.states) == REFS[name]["states"]
    assert p.sense == REFS[name]["sense"]
    assert p.name == name[: -len(".POMDP")]
    for arr in (p.start, p.transition, p.observation, p.reward):
        assert arr.dtype == np.float64 and not arr.flags.writeable


def test_tiger():
    p = load("tiger.95.POMDP")
    assert p.states == ("tiger-left", "tiger-right")
    assert p.actions == ("listen", "open-left", "open-right")
    assert p.observations == ("tiger-left", "tiger-right")
    assert p.discount == 0.95 and p.sense == "maximize"
    np.testing.assert_array_equal(p.start, [0.5, 0.5])
    np.testing.assert_array_equal(p.transition[0], np.eye(2))
    np.testing.assert_array_equal(p.transition[1], np.full((2, 2), 0.5))
    np.testing.assert_array_equal(p.observation[0], [[0.85, 0.15], [0.15, 0.85]])
    np.testing.assert_array_equal(p.observation[2], np.full((2, 2), 0.5))
    assert (p.reward[1, 0] == -100).all() and (p.reward[1, 1] == 10).all()
    assert (p.reward[0] == -1).all()
    np.testing.assert_array_equal(
        p.expected_reward(), [[-1, -1], [-100, 10], [10, -100]]
    )
    assert load("tiger.aaai.POMDP").discount == 0.75


def test_ejs2_later_entry_overrides_earlier():
    p = load("ejs2.POMDP")
    assert p.states == ("0", "1") and p.actions == ("0", "1")
    assert (p.reward[0, 0] == 0).all()  # -4 first, then overridden by 0
    assert (p.reward[0, 1] == 4).all()
    assert (p.reward[1, 1] == 3).all() and (p.reward[1, 0] == 0).all()


def test_ejs3_cost():
    p = load("ejs3.POMDP")
    assert p.sense == "minimize"
    assert (p.reward[0, 0] == 4).all() and (p.reward[1, 1] == -3).all()


def test_concert_numeric_index_with_names():
    p = load("concert.POMDP")
    assert p.discount == 1.0
    np.testing.assert_array_equal(p.transition[1], [[0.8, 0.2], [0.3, 0.7]])
    assert (p.reward[1, 1] == -4).all()  # "R: radio : 1" is state index 1, "bored"
    assert (p.reward[1, 0] == 0).all()
    assert (p.reward[0] == -10).all()
    np.testing.assert_array_equal(p.start, [0.5, 0.5])  # no start: uniform


def test_parr95_include_and_wildcards():
    p = load("parr95.95.POMDP")
    np.testing.assert_array_equal(p.start, [1, 0, 0, 0, 0, 0, 0])
    for a in range(3):
        np.testing.assert_array_equal(p.transition[a, 0], [0, 0.5, 0.5, 0, 0, 0, 0])
        assert p.observation[a, 2, 1] == 1.0  # O : * : lo-A : A
    assert (p.reward[:, 5] == 2).all() and (p.reward[:, 6] == 0).all()


def test_shuttle_and_cheese():
    p = load("shuttle.95.POMDP")
    np.testing.assert_array_equal(p.start, np.eye(8)[7])
    for a in range(3):  # "O: *" matrix applies to every action
        np.testing.assert_array_equal(p.observation[a, 2], [0, 0.7, 0, 0.3, 0])
    assert (p.reward[1, 6, 6] == -3).all() and (p.reward[2, 3, 0] == 10).all()
    assert p.reward[1, 7, 6].sum() == 0
    c = load("cheese.95.POMDP")
    np.testing.assert_array_equal(c.start, [0.1] * 10 + [0.0])
    assert (c.reward[:, :, 10] == 1).all() and c.reward[:, :, :10].sum() == 0


def _tree_value(p: Pomdp, belief, horizon, r, opt):
    """Finite-horizon value by expanding the whole belief tree (tiny problems)."""
    if horizon == 0:
        return 0.0
    values = []
    for a in range(len(p.actions)):
        joint = (belief @ p.transition[a])[:, None] * p.observation[a]  # (S', O)
        prob = joint.sum(axis=0)
        v = belief @ r[a]
        for o in np.flatnonzero(prob > 0):
            v += p.discount * prob[o] * _tree_value(p, joint[:, o] / prob[o], horizon - 1, r, opt)
        values.append(v)
    return opt(values)


GOLDEN = [
    (name, int(h))
    for name, ref in REFS.items()
    for h in ref["horizons"]
    if int(h) <= 3 or (name.startswith("tiger") and int(h) <= 5)
]


@pytest.mark.parametrize(("name", "horizon"), GOLDEN)
def test_golden_values_from_pomdp_solve(name, horizon):
    """The parsed model reproduces pomdp-solve's values (costs in the file's sense)."""
    p = load(name)
    r = p.expected_reward()
    opt = max if p.sense == "maximize" else min
    ref = REFS[name]["horizons"][str(horizon)]
    got = [_tree_value(p, np.array(b), horizon, r, opt) for b in ref["beliefs"]]
    np.testing.assert_allclose(got, ref["values"], rtol=0, atol=1e-9)


# ----------------------------------------------------------- grammar forms


def test_counts_give_index_names_and_defaults():
    p = parse_pomdp("discount: 1 states: 2 actions: 1 observations: 3 T: 0 identity O: 0 uniform")
    assert p.states == ("0", "1") and p.actions == ("0",) and p.observations == ("0", "1", "2")
    assert p.sense == "maximize" and p.name == ""
    np.testing.assert_array_equal(p.start, [0.5, 0.5])
    np.testing.assert_array_equal(p.observation, np.full((1, 2, 3), 1 / 3))
    assert not p.reward.any()


def test_values_cost_and_preamble_in_any_order():
    text = "observations: x y\nvalues: cost\nactions: a b\nstates: s0 s1 s2\ndiscount: 0.9\n" + BODY
    p = parse_pomdp(text)
    assert p.sense == "minimize"
    assert p == Pomdp(**{**_fields(doc()), "sense": "minimize"})


def test_transition_single_row_matrix_agree():
    matrix = "T: a\n0.5 0.5 0\n0 1 0\n0.25 0.25 0.5\nT: b identity\n"
    rows = "T: a : s0 0.5 0.5 0\nT: a : s1 0 1 0\nT: a : s2 .25 .25 .5\nT: b identity\n"
    singles = (
        "T: a : s0 : s0 0.5\nT: a : s0 : s1 0.5\nT: a : s1 : s1 1\n"
        "T: a : 2 : s0 0.25\nT: a : s2 : 1 0.25\nT: 0 : s2 : s2 0.5\n"
        "T: b : * : * 0\nT: b : s0 : s0 1\nT: b : s1 : s1 1\nT: b : s2 : s2 1\n"
    )
    obs = "O: * uniform\n"
    ps = [doc(t + obs) for t in (matrix, rows, singles)]
    assert ps[0] == ps[1] == ps[2]
    np.testing.assert_array_equal(ps[0].transition[0, 2], [0.25, 0.25, 0.5])


def test_transition_uniform_row_and_matrix():
    p = doc("T: a uniform\nT: b identity\nT: b : s1 uniform\nO: * uniform\n")
    np.testing.assert_array_equal(p.transition[0], np.full((3, 3), 1 / 3))
    np.testing.assert_array_equal(p.transition[1, 1], [1 / 3] * 3)
    np.testing.assert_array_equal(p.transition[1, 2], [0, 0, 1])


def test_observation_single_row_matrix_agree():
    t = "T: * identity\n"
    forms = [
        "O: a\n1 0\n0 1\n0.5 0.5\nO: b uniform\n",
        "O: a : s0 1 0\nO: a : s1 0 1\nO: a : s2 uniform\nO: b : * uniform\n",
        "O: * : * : * 0.5\nO: a : s0 : x 1\nO: a : s0 : y 0\nO: a : s1 : 0 0\nO: a : 1 : 1 1\n",
    ]
    ps = [doc(t + f) for f in forms]
    assert ps[0] == ps[1] == ps[2]
    np.testing.assert_array_equal(ps[0].observation[0], [[1, 0], [0, 1], [0.5, 0.5]])


def test_reward_single_row_matrix_wildcard_agree():
    forms = [
        "R: a : s1\n1 2\n3 4\n5 6\n",
        "R: a : s1 : s0 1 2\nR: a : s1 : s1 3 4\nR: a : s1 : s2 5 6\n",
        "R: a : s1 : * : * 9\n"
        "R: a : s1 : s0 : x 1\nR: a : s1 : s0 : y 2\nR: a : s1 : s1 : x 3\n"
        "R: a : s1 : s1 : y 4\nR: a : s1 : s2 : x 5\nR: a : s1 : s2 : y 6\n",
    ]
    ps = [doc(BODY + f) for f in forms]
    assert ps[0] == ps[1] == ps[2]
    np.testing.assert_array_equal(ps[0].reward[0, 1], [[1, 2], [3, 4], [5, 6]])
    assert ps[0].reward[1].sum() == 0 and ps[0].reward[0, [0, 2]].sum() == 0


def test_reward_wildcards_everywhere():
    p = doc(BODY + "R: * : * : * : * 2\nR: b : * : s2 : * -1\nR: * : s0 : * : y 7\n")
    assert p.reward[0, 1, 1, 0] == 2
    assert (p.reward[1, 1:, 2, 0] == -1).all()
    assert (p.reward[:, 0, :, 1] == 7).all()
    # expected reward = sum_{s',o} T O R, here T = identity and O uniform
    manual = np.einsum("ast,ato,asto->as", p.transition, p.observation, p.reward)
    np.testing.assert_array_equal(p.expected_reward(), manual)
    assert p.expected_reward()[1, 2] == pytest.approx(0.5 * -1 + 0.5 * -1)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("start: 0.25 0.25 0.5", [0.25, 0.25, 0.5]),
        ("start:\n0 1\n0", [0, 1, 0]),
        ("start: uniform", [1 / 3] * 3),
        ("start: s1", [0, 1, 0]),
        ("start: 2", [0, 0, 1]),
        ("start include: s0 s2", [0.5, 0, 0.5]),
        ("start include: 1", [0, 1, 0]),
        ("start include: *", [1 / 3] * 3),
        ("start exclude: s0", [0, 0.5, 0.5]),
        ("start exclude : 0 s1", [0, 0, 1]),
        ("", [1 / 3] * 3),
    ],
)
def test_start_forms(start, expected):
    p = doc(start + "\n" + BODY)
    np.testing.assert_allclose(p.start, expected, rtol=0, atol=1e-15)


def test_start_single_state_count():
    p = parse_pomdp("discount: 1 states: 1 actions: 1 observations: 1 start: 1 T: 0 identity O: 0 uniform")
    np.testing.assert_array_equal(p.start, [1.0])


def test_whitespace_comments_and_number_forms():
    text = (
        "discount:0.9 values:reward#comment\r\n"
        "states : s0 s1 s2\tactions:\na\nb observations: x y\n"
        "T:a identity T\n:\nb\n# comment between tokens\nidentity\n"
        "O:*\nuniform\n"
        "R:a:s0:*:* +1e0 R : b : s1 : *: * - 4\n"
        "R: a : s1 : s0 : x 5. R: a : s2 : s2 : y -.5E-1\n"
    )
    p = parse_pomdp(text)
    assert p.actions == ("a", "b") and p.discount == 0.9
    assert (p.reward[0, 0] == 1).all() and (p.reward[1, 1] == -4).all()
    assert p.reward[0, 1, 0, 0] == 5 and p.reward[0, 2, 2, 1] == -0.05
    assert p == doc(
        "T: * identity O: * uniform R: a : s0 : * : * 1 R: b : s1 : * : * -4 "
        "R: a : s1 : s0 : x 5 R: a : s2 : s2 : y -0.05"
    )


def test_reread_of_written_examples_is_identical(tmp_path):
    for name in EXAMPLES:
        p = load(name)
        write_pomdp(p, tmp_path / name)
        q = read_pomdp(tmp_path / name)
        assert q == p and q.name == p.name
        assert parse_pomdp(format_pomdp(p)) == p


# ------------------------------------------------------------------ errors


def test_error_bad_probability_exact():
    text = PREAMBLE + "T: a : s0 : s1 foo\n"
    err = error_of(text)
    assert str(err) == "t.POMDP:6:16: expected a probability (number), got 'foo'"
    assert (err.line, err.column, err.filename) == (6, 16, "t.POMDP")
    assert isinstance(err, ProblemError) and isinstance(err, ValueError)
    assert err.errors == [str(err)]


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ("T: a : s9 : s1 1", (6, 8), "unknown state 's9' (states: s0, s1, s2)"),
        ("T: a : 3 : s1 1", (6, 8), "state index 3 out of range (3 states: 0..2)"),
        ("O: a : s0 : z 1", (6, 13), "unknown observation 'z' (observations: x, y)"),
        ("T: c identity", (6, 4), "unknown action 'c' (actions: a, b)"),
        ("T: a : s0 0.5 0.5 0 0", (6, 21), "T: a : s0: expected a row of 3 numbers, got more than 3"),
        ("T: a : s0 0.5 0.5\nO: * uniform", (7, 1), "T: a : s0: expected a row of 3 numbers, got 2 before 'O'"),
        ("T: a\n1 0 0\n0 1 0\n", (9, 1),
         "T: a: expected a 3 x 3 matrix (9 numbers), got 6 before end of file"),
        ("R: a : s0\n1 2 3", (7, 6), "R: a : s0: expected a 3 x 2 matrix (6 numbers), got 3 before end of file"),
        ("T: a : s0 : s1 0.5 0.5", (6, 20), "'T: a : s0 : s1' takes one number, got another: '0.5'"),
        ("T: a : s0 identity", (6, 11),
         "expected a row of 3 numbers or 'uniform' after 'T: a : s0', got 'identity'"),
        ("O: a identity", (6, 6), "expected a matrix of 3 x 2 numbers or 'uniform' after 'O: a', got 'identity'"),
        ("R: a 1 2", (6, 6), "expected ':' and a state after 'R: a' (R entries give at least an action and a state)"),
        ("R: a : s0 : s0 : x", (6, 19), "expected a reward value (number), got end of file"),
        ("T a identity", (6, 3), "expected ':' after 'T', got 'a'"),
        ("T: uniform", (6, 4), "expected an action (name, index or '*') after 'T:', got 'uniform'"),
        ("T: a : s0 : s1 1e999", (6, 16), "number '1e999' is out of range"),
        ("T: a : s0 : s1 0.5.5", (6, 16), "invalid token '0.5.5'"),
        ("T: * identity\nO: * uniform\nfoo", (8, 1), "expected a section ('discount:', 'values:'"),
        ("T: * identity\nO: * uniform\n1.0", (8, 1), "or an entry ('T:', 'O:', 'R:'), got '1.0'"),
        ("T: a : s0 : s1 0.5 é", (6, 20), "invalid token 'é'"),
        ("discount: 0.5", (6, 1), "'discount:' given twice (first at line 1, column 1)"),
        ("start: 0.5 0.5", (6, 15), "start: expected 3 probabilities (one per state), got 2 before end of file"),
        ("start: s5", (6, 8), "unknown state 's5'"),
        ("start exclude: *", (6, 7), "'start exclude:' excludes every state"),
        ("start include: T: * identity", (6, 16), "expected states after 'start include:', got 'T'"),
        ("start: reset", (6, 8), "'reset' is not supported"),
        ("T: a : s0 reset", (6, 11), "'reset' is not supported"),
        ("T: a\n1 0 0\n0 1 0\nfoo", (9, 1), "T: a: expected a 3 x 3 matrix (9 numbers), got 6 before 'foo'"),
        ("T: a foo", (6, 6), "expected a matrix of 3 x 3 numbers, 'uniform' or 'identity' after 'T: a', got 'foo'"),
        ("R: a : s0 : s1 uniform", (6, 16), "expected a row of 2 numbers after 'R: a : s0 : s1', got 'uniform'"),
        ("O: a : s0 : 1.5 1", (6, 13), "expected an observation (name, index or '*') after 'O: a : s0', got '1.5'"),
        ("start include: 0.5", (6, 16), "expected a state (name, index or '*') after 'start include:', got '0.5'"),
    ],
)
def test_error_positions_and_messages(body, where, message):
    err = error_of(PREAMBLE + body)
    assert (err.line, err.column) == where, str(err)
    assert str(err).startswith(f"t.POMDP:{where[0]}:{where[1]}: ")
    assert message in str(err)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("states: 2 T: * identity", (1, 11), "'T' needs 'actions:' declared before it"),
        ("actions: 2 T: 0 identity", (1, 12), "'T' needs 'states:' declared before it"),
        ("states: 2 actions: 1 O: 0 uniform", (1, 22), "'O' needs 'observations:' declared before it"),
        ("start: uniform", (1, 1), "'start' needs 'states:' declared before it"),
        ("states: 2 actions: 2 observations: 2 T: * identity O: * uniform", (1, 64),
         "missing 'discount:' section"),
        ("", (1, 1), "missing 'discount:', 'states:', 'actions:', 'observations:' sections"),
        ("discount: 1.5", (1, 11), "discount must be in [0, 1], got 1.5"),
        ("discount: -0.1", (1, 11), "discount must be in [0, 1], got -0.1"),
        ("values: rewards", (1, 9), "expected 'reward' or 'cost' after 'values:', got 'rewards'"),
        ("states: 0", (1, 9), "need at least one state, got 0"),
        ("states: 2.5", (1, 9), "expected a whole number of states or a list of state names, got '2.5'"),
        ("states: a b a", (1, 13), "state 'a' declared twice"),
        ("states: uniform", (1, 9), "expected a number of states or a list of state names, got 'uniform'"),
        ("states: 1st", (1, 9), "invalid token '1st'"),
        ("states: 99999999999999999999", (1, 9), "too many states"),
        ("states: 5000 actions: 5000", (1, 23), "model too large"),
        ("discount: 1\n\n   # only a comment\n  ", (4, 3), "missing 'states:'"),
    ],
)
def test_preamble_errors(text, where, message):
    err = error_of(text)
    assert (err.line, err.column) == where, str(err)
    assert message in str(err)


def test_row_sum_errors_are_all_collected_with_locations():
    body = (
        "T: * identity\n"
        "T: a : s1 0.5 0.48 0\n"  # line 7
        "O: a uniform\n"
        "O: b : s0 0.5 0.5\n"  # O: b : s1 and s2 never given
        "start: 0.5 0.5 0.5\n"  # line 10
    )
    err = error_of(PREAMBLE + body)
    assert err.errors == [
        "t.POMDP:7:1: T: a : s1: row sums to 0.98, expected 1 (tolerance 1e-5)",
        "t.POMDP:10:1: start: row sums to 1.5, expected 1 (tolerance 1e-5)",
        "t.POMDP: O: b : s1: row sums to 0, expected 1 (tolerance 1e-5); no O entry sets this row",
        "t.POMDP: O: b : s2: row sums to 0, expected 1 (tolerance 1e-5); no O entry sets this row",
    ]
    assert (err.line, err.column) == (7, 1)


def test_negative_probability_and_tolerance():
    err = error_of(PREAMBLE + "T: * identity\nT: b : s2 : s0 -0.25\nT: b : s2 : s1 0.25\nO: * uniform\n")
    assert err.errors == ["t.POMDP:8:1: T: b : s2: entry for s0 is -0.25, expected >= 0"]
    # within 1e-5 is accepted and kept as written; beyond it is not
    p = doc("T: * identity\nO: * uniform\nO: a : s0 0.500004 0.5\n")
    assert p.observation[0, 0, 0] == 0.500004
    err = error_of(PREAMBLE + "T: * identity\nO: * uniform\nO: a : s0 0.500011 0.5\n")
    assert "row sums to 1.000011" in str(err)


def test_error_truncates_long_lists():
    text = "discount: 1 states: 30 actions: 1 observations: 1 O: 0 uniform"
    err = error_of(text)
    assert len(err.errors) == 20 and err.omitted == 10
    assert "... and 10 more errors" in str(err)
    assert err.line is None


def test_read_errors(tmp_path):
    with pytest.raises(PomdpFormatError, match="no such file"):
        read_pomdp(tmp_path / "missing.POMDP")
    with pytest.raises(PomdpFormatError, match="is a directory"):
        read_pomdp(tmp_path)
    bad = tmp_path / "bad.POMDP"
    bad.write_bytes(b"discount: 0.9\nstates: s\xe9t\n")
    with pytest.raises(PomdpFormatError) as info:
        read_pomdp(bad)
    assert (info.value.line, info.value.column) == (2, 10)
    assert str(info.value) == f"{bad}:2:10: not UTF-8 (byte 0xe9)"
    bom = tmp_path / "bom.POMDP"
    bom.write_bytes(b"\xef\xbb\xbf" + (DATA / "tiger.95.POMDP").read_bytes())
    assert read_pomdp(bom) == load("tiger.95.POMDP")


# ------------------------------------------------------------------- model


def _tiger_fields():
    return _fields(load("tiger.95.POMDP"))


def test_model_collects_all_errors():
    f = _tiger_fields()
    t = np.array(f["transition"])
    t[0, 1] = [0.5, 0.3]
    o = np.array(f["observation"])
    o[2, 0] = [np.nan, 1.0]
    with pytest.raises(ProblemError) as info:
        Pomdp(**{**f, "transition": t, "observation": o, "discount": 2.0, "sense": "best"})
    assert info.value.errors == [
        "discount: 2.0, expected a number in [0, 1]",
        "sense: 'best', expected one of 'minimize', 'maximize'",
    ]  # shapes and scalars first; rows once those are right
    with pytest.raises(ProblemError) as info:
        Pomdp(**{**f, "transition": t, "observation": o})
    assert info.value.errors == [
        "T: listen : tiger-right: row sums to 0.8, expected 1 (tolerance 1e-5)",
        "O: open-right : tiger-left: entry for tiger-left is nan, expected a finite probability",
    ]
    with pytest.raises(ProblemError, match=r"reward: shape \(3, 2\), expected \(3, 2, 2, 2\)"):
        Pomdp(**{**f, "reward": np.zeros((3, 2))})
    with pytest.raises(ProblemError, match="states: 'tiger-left' appears twice"):
        Pomdp(**{**f, "states": ("tiger-left", "tiger-left")})


def test_model_is_frozen_and_compares_by_value():
    p = load("tiger.95.POMDP")
    with pytest.raises(ValueError):
        p.transition[0, 0, 0] = 0.5
    with pytest.raises(AttributeError):
        p.discount = 0.5
    f = _tiger_fields()
    q = Pomdp(**{**f, "name": "other", "transition": np.array(f["transition"])})
    assert q == p and hash(q) == hash(p) and q.name == "other"
    r = np.array(f["reward"])
    r[0, 0, 0, 0] = -1.5
    assert Pomdp(**{**f, "reward": r}) != p
    assert p != load("tiger.aaai.POMDP")
    assert repr(p) == "Pomdp('tiger.95', 2 states, 3 actions, 2 observations, discount=0.95, sense='maximize')"


def test_expected_reward_matches_loops():
    p = load("shuttle.95.POMDP")
    S, A, O = p.shape
    want = np.zeros((A, S))
    for a in range(A):
        for s in range(S):
            for s2 in range(S):
                for o in range(O):
                    want[a, s] += p.transition[a, s, s2] * p.observation[a, s2, o] * p.reward[a, s, s2, o]
    np.testing.assert_allclose(p.expected_reward(), want, rtol=1e-15, atol=1e-15)


# ------------------------------------------------------------------ writer


def test_writer_compact_reward_and_counts():
    text = format_pomdp(load("ejs2.POMDP"))
    assert "states: 2\nactions: 2\nobservations: 2\n" in text
    assert "R: 0 : 1 : * : * 4.0\n" in text and "R: 1 : * : * : * " not in text
    assert "R: 0 : 0" not in text  # all-zero after the override: omitted
    p = doc(BODY + "R: a : s1\n1 2\n3 4\n5 6\nR: b : * : * : * 3\n")
    text = format_pomdp(p)
    assert "R: a : s1\n1.0 2.0\n3.0 4.0\n5.0 6.0\n" in text
    assert "R: b : * : * : * 3.0\n" in text
    assert parse_pomdp(text) == p


def test_writer_rejects_unwritable_names():
    f = _tiger_fields()
    with pytest.raises(ProblemError) as info:
        format_pomdp(Pomdp(**{**f, "states": ("left side", "uniform")}))
    assert info.value.errors == [
        "states: 'left side' cannot be written: a .POMDP name starts with a letter "
        "and continues with letters, digits, '_' or '-'",
        "states: 'uniform' is a reserved word of the .POMDP format",
    ]
    with pytest.raises(ProblemError, match="'1'"):
        format_pomdp(Pomdp(**{**f, "states": ("1", "0")}))


RESERVED = {"T", "O", "R", "uniform", "identity", "reward", "cost", "start", "include",
            "exclude", "reset", "discount", "values", "states", "actions", "observations"}
NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9_\-]{0,6}", fullmatch=True).filter(
    lambda n: n not in RESERVED
)
FLOAT = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=True)


def _names(n: int):
    return st.one_of(
        st.just(tuple(str(i) for i in range(n))),
        st.lists(NAME, min_size=n, max_size=n, unique=True).map(tuple),
    )


def _distributions(draw, shape):
    size = int(np.prod(shape))
    entry = st.one_of(st.just(0.0), st.floats(0.0, 1.0), st.integers(0, 5).map(float))
    arr = np.array(draw(st.lists(entry, min_size=size, max_size=size))).reshape(shape)
    arr[..., 0] += 1e-3  # rows never all zero
    return arr / arr.sum(axis=-1, keepdims=True)


@st.composite
def pomdps(draw):
    S, A, O = (draw(st.integers(1, 4)) for _ in range(3))
    kind = draw(st.sampled_from(["dense", "constant", "zero"]))
    if kind == "dense":
        size = A * S * S * O
        reward = np.array(draw(st.lists(FLOAT, min_size=size, max_size=size))).reshape(A, S, S, O)
    else:
        per = np.array(draw(st.lists(FLOAT, min_size=A * S, max_size=A * S))).reshape(A, S, 1, 1)
        reward = np.broadcast_to(per if kind == "constant" else 0 * per, (A, S, S, O))
    return Pomdp(
        states=draw(_names(S)),
        actions=draw(_names(A)),
        observations=draw(_names(O)),
        discount=draw(st.floats(0.0, 1.0, exclude_min=True)),
        sense=draw(st.sampled_from(["maximize", "minimize"])),
        start=_distributions(draw, (S,)),
        transition=_distributions(draw, (A, S, S)),
        observation=_distributions(draw, (A, S, O)),
        reward=reward,
        name=draw(st.sampled_from(["", "rand"])),
    )


@FUZZ
@given(pomdps())
def test_round_trip_is_exact(p):
    q = parse_pomdp(format_pomdp(p))
    assert q == p
    for f in ("start", "transition", "observation", "reward"):
        assert np.array_equal(getattr(q, f), getattr(p, f))
    assert format_pomdp(q) == format_pomdp(dataclasses.replace(p, name=""))


# ---------------------------------------------------------------- fuzzing

SOURCES = [(DATA / n).read_text() for n in EXAMPLES]
INSERTS = [":", "*", " ", "\n", "#", "T", "O", "R", "T:", "start", "start:", "include",
           "uniform", "identity", "reset", "-", "+", "1e999", "0.5", "7", "3", "0",
           "99999999999999999999999", "foo", "states:", "discount: 2", "values: cost",
           "\x00", "é", "1.2.3", "--1", ".", "e5"]


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 3))):
        n = len(text)
        i = draw(st.integers(0, n))
        op = draw(st.sampled_from(["truncate", "delete", "insert", "replace", "duplicate"]))
        if op == "truncate":
            text = text[:i]
        elif op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 40)):]
        elif op == "insert":
            word = draw(st.one_of(st.sampled_from(INSERTS), st.text(max_size=3)))
            text = text[:i] + draw(st.sampled_from(["", " "])) + word + " " + text[i:]
        elif op == "replace":
            text = text[:i] + draw(st.characters()) + text[i + 1:]
        else:
            j = draw(st.integers(i, min(n, i + 80)))
            text = text[:j] + text[i:j] + text[j:]
    return text


@FUZZ
@given(mutated())
def test_fuzzed_files_give_pomdp_or_format_error(text):
    try:
        p = parse_pomdp(text, "fuzz.POMDP")
    except PomdpFormatError as err:
        assert err.errors and all(e.startswith("fuzz.POMDP") for e in err.errors)
        if err.line is not None:
            assert err.errors[0].startswith(f"fuzz.POMDP:{err.line}:{err.column}: ")
    else:
        assert isinstance(p, Pomdp)
        assert parse_pomdp(format_pomdp(p)) == p


@FUZZ
@given(st.text(alphabet=st.sampled_from(list(":*#\n -.e0123456789TORabstuniformxy")), max_size=200))
def test_random_text_after_preamble_gives_pomdp_or_format_error(text):
    try:
        parse_pomdp(PREAMBLE + text)
    except PomdpFormatError:
        pass


# ---------------------------------------------------------------- numbers read in bulk
def test_rows_of_numbers_are_read_in_bulk_not_token_by_token():
    from decmdp.pomdp.parser import _tokenize

    text = "\n".join(" ".join(str((i * 7 + j) % 10 / 10) for j in range(300)) for i in range(300))
    tokens, runs = _tokenize("T: a\n" + text + "\n")
    assert len(tokens) < 10  # one run for 90 000 numbers, not 90 000 tokens
    (run,) = runs.values()
    assert list(run.values) == [float(w) for w in text.split()]
    last = run.token(len(run) - 1)
    assert (last.line, last.column, last.text) == (301, 1 + 2 * 4 * 299 // 2, text.split()[-1])


@pytest.mark.parametrize("text, expected", [
    ("- 1 2 3", [("number", -1.0), ("number", 2.0), ("number", 3.0)]),  # a lone sign joins the number
    ("1 2 e", [("number", 1.0), ("number", 2.0), ("name", 0.0)]),  # 'e' is a name, not a number
    ("1 2 1e999", [("number", 1.0), ("number", 2.0), ("bad", 0.0)]),
    ("1 2 3#c\n4 5 6", [("run", 0.0), ("run", 0.0)]),
    ("1 2 3:4", [("run", 0.0), ("colon", 0.0), ("number", 4.0)]),
    ("+1 .5 2. 1E-2", [("run", 0.0)]),
])
def test_bulk_reading_agrees_with_word_by_word(text, expected):
    from decmdp.pomdp.parser import _tokenize

    tokens, runs = _tokenize(text)
    assert [(t.kind, t.value) for t in tokens[:-1]] == expected
    for position, run in runs.items():
        assert [run.token(k).value for k in range(len(run))] == list(run.values)
