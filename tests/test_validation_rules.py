"""One test per validation rule (docs/format.md, decmdp.validation, fileio).

Each test breaks exactly one rule of an otherwise valid problem and checks the
exact message: the field, the indices by name and what was expected.  Removing
the rule makes its test fail (the load would succeed or say something else).
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import decmdp
from decmdp import ProblemError, TwoPlayerMDP
from decmdp.validation import MAX_LISTED_ERRORS

# A valid 2 x 2 x 2 x 2 problem; names are distinct across axes so that
# messages show which axis an index is on.
BASE = {
    "format": "decmdp/1",
    "name": "base",
    "horizon": 2,
    "discount": 1.0,
    "player1": {"states": ["a", "b"], "actions": ["stay", "go"]},
    "player2": {"states": ["lo", "hi"], "actions": ["wait", "act"]},
    "initial": [[0.25, 0.25], [0.25, 0.25]],
    "transition1": [[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.5, 0.5]]],
    "transition2": [
        [[[[1.0, 0.0], [0.5, 0.5]], [[1.0, 0.0], [0.5, 0.5]]],
         [[[0.0, 1.0], [0.5, 0.5]], [[0.0, 1.0], [0.5, 0.5]]]],
        [[[[1.0, 0.0], [0.5, 0.5]], [[1.0, 0.0], [0.5, 0.5]]],
         [[[0.0, 1.0], [0.5, 0.5]], [[0.0, 1.0], [0.5, 0.5]]]],
    ],
    "cost": [[[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]]],
             [[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]]]],
}

# the same transition in joint form: K = P1 * P2
JOINT = np.einsum("xap,xyabq->xyabpq", np.array(BASE["transition1"]), np.array(BASE["transition2"]))


def doc(**changes) -> dict:
    """BASE with keys replaced (value None deletes the key)."""
    out = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def errors(document) -> list[str]:
    """The messages of loading ``document`` (must fail)."""
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(ProblemError) as info:
        decmdp.loads(text)
    assert str(info.value) == "\n".join(info.value.errors + (
        [f"... and {info.value.omitted} more error" + ("s" if info.value.omitted != 1 else "")] if info.value.omitted else []))
    return info.value.errors


def arrays(**changes):
    """from_arrays keyword arguments of BASE, with changes."""
    kwargs = dict(
        initial=np.array(BASE["initial"]), horizon=2,
        transition1=np.array(BASE["transition1"]), transition2=np.array(BASE["transition2"]),
        cost=np.array(BASE["cost"]),
        player1_states=["a", "b"], player1_actions=["stay", "go"],
        player2_states=["lo", "hi"], player2_actions=["wait", "act"],
    )
    kwargs.update(changes)
    return {k: v for k, v in kwargs.items() if v is not None}


def array_errors(**changes) -> list[str]:
    with pytest.raises(ProblemError) as info:
        TwoPlayerMDP.from_arrays(**arrays(**changes))
    return info.value.errors


def test_base_is_valid():
    model = decmdp.loads(json.dumps(BASE))
    assert (model.n1, model.n2, model.m1, model.m2) == (2, 2, 2, 2)
    TwoPlayerMDP.from_arrays(**arrays())
    assert decmdp.loads(json.dumps(doc(transition1=None, transition2=None,
                                       transition=JOINT.tolist()))).transition is not None


# ------------------------------------------------------------------ shapes
@pytest.mark.parametrize("field, value, message", [
    ("initial", [[0.5, 0.5]], "initial: has 1 entry, expected 2 (one per x1)"),
    ("initial", [[0.5, 0.25, 0.25], [0.0, 0.0]],
     "initial[x1=a]: has 3 entries, expected 2 (one per x2)"),
    ("transition1", [[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.5]]],
     "transition1[x1=b, u1=go]: has 1 entry, expected 2 (one per x1')"),
    ("transition1", [[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], 0.5]],
     "transition1[x1=b, u1=go]: is 0.5, expected a list of 2 (one per x1')"),
    ("cost", [[[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]]]],
     "cost: has 1 entry, expected 2 (one per x1)"),
    ("terminal_cost", [[0.0, 1.0, 2.0], [0.0, 1.0]],
     "terminal_cost[x1=a]: has 3 entries, expected 2 (one per x2)"),
])
def test_shape_of_each_field_in_a_file(field, value, message):
    assert errors(doc(**{field: value})) == [message]


def test_shape_of_transition2_in_a_file():
    bad = copy.deepcopy(BASE["transition2"])
    bad[1][0][1][0] = [1.0]
    assert errors(doc(transition2=bad)) == [
        "transition2[x1=b, x2=lo, u1=go, u2=wait]: has 1 entry, expected 2 (one per x2')"]


def test_shape_of_joint_transition_in_a_file():
    bad = JOINT.tolist()
    bad[0][1][0][1][1] = [0.5]
    assert errors(doc(transition1=None, transition2=None, transition=bad)) == [
        "transition[x1=a, x2=hi, u1=stay, u2=act, x1'=b]: has 1 entry, expected 2 (one per x2')"]


def test_shape_of_time_varying_cost_in_a_file():
    bad = [copy.deepcopy(BASE["cost"]), copy.deepcopy(BASE["cost"])]
    bad[1][0][0][0] = [0.0, 1.0, 2.0]
    assert errors(doc(cost=bad)) == [
        "cost[t=1, x1=a, x2=lo, u1=stay]: has 3 entries, expected 2 (one per u2)"]


@pytest.mark.parametrize("field, shape, message", [
    ("transition1", (2, 2, 3), "transition1: has shape (2, 2, 3), expected (2, 2, 2) = [x1][u1][x1']"),
    ("transition2", (2, 2, 2, 2, 3),
     "transition2: has shape (2, 2, 2, 2, 3), expected (2, 2, 2, 2, 2) = [x1][x2][u1][u2][x2']"),
    ("cost", (2, 2, 2, 3), "cost: has shape (2, 2, 2, 3), expected (2, 2, 2, 2) = [x1][x2][u1][u2]"),
    ("cost", (2, 3, 2, 2, 2),
     "cost: has shape (2, 3, 2, 2, 2), expected (2, 2, 2, 2, 2) = [t][x1][x2][u1][u2]"),
    ("cost", (2, 2, 2), "cost: has shape (2, 2, 2), expected [x1][x2][u1][u2] or [t][x1][x2][u1][u2]"),
    ("terminal_cost", (2, 3), "terminal_cost: has shape (2, 3), expected (2, 2) = [x1][x2]"),
    ("initial", (2,), "initial: has shape (2,), expected a non-empty [x1][x2] matrix"),
])
def test_shape_of_each_array(field, shape, message):
    assert message in array_errors(**{field: np.ones(shape)})


def test_shape_of_joint_array():
    assert array_errors(transition1=None, transition2=None, transition=np.ones((2, 2, 2, 2, 2, 3))) == [
        "transition: has shape (2, 2, 2, 2, 2, 3), expected (2, 2, 2, 2, 2, 2) = [x1][x2][u1][u2][x1'][x2']"]


def test_ragged_array():
    assert array_errors(initial=[[0.5, 0.5], [0.5]])[0].startswith(
        "initial: not a rectangular array of numbers (")


def test_names_must_match_array_sizes():
    assert array_errors(player2_actions=["wait", "act", "call"]) == [
        "transition2: has shape (2, 2, 2, 2, 2), expected (2, 2, 2, 3, 2) = [x1][x2][u1][u2][x2']",
        "cost: has shape (2, 2, 2, 2), expected (2, 2, 2, 3) = [x1][x2][u1][u2]",
    ]


# ------------------------------------------------------------------ names
def test_names_unique():
    assert errors(doc(player2={"states": ["lo", "lo"], "actions": ["wait", "act"]})) == [
        "player2.states[1]: 'lo' repeats player2.states[0]; names must be unique"]


@pytest.mark.parametrize("name", ["", "   ", 3, None, ["a"]])
def test_names_non_empty_strings(name):
    assert errors(doc(player1={"states": ["a", name], "actions": ["stay", "go"]})) == [
        f"player1.states[1]: is {name!r}, expected a non-empty string"]


@pytest.mark.parametrize("names", [[], "ab", {"a": 1}, None])
def test_names_a_non_empty_list(names):
    assert errors(doc(player1={"states": ["a", "b"], "actions": names})) == [
        "player1.actions: expected a non-empty list of names"]


def test_names_not_the_wildcard():
    assert errors(doc(player2={"states": ["lo", "hi"], "actions": ["*", "act"]})) == [
        "player2.actions[0]: '*' is reserved (the wildcard of the sparse form); choose another name"]


def test_names_checked_in_from_arrays():
    assert array_errors(player1_actions=["stay", "stay"]) == [
        "player1.actions[1]: 'stay' repeats player1.actions[0]; names must be unique"]


def test_players_must_be_objects():
    assert errors(doc(player1=None)) == ["player1: missing"]
    document = doc()
    document["player1"] = None  # JSON null
    assert errors(document) == ["player1: is null, expected an object with states and actions"]
    assert errors(doc(player2=["lo", "hi"])) == [
        "player2: is a list, expected an object with states and actions"]
    assert errors(doc(player2={"states": ["lo", "hi"]})) == ["player2.actions: missing"]


# ------------------------------------------------------------------ probabilities
@pytest.mark.parametrize("bad, shown", [(float("nan"), "nan"), (float("inf"), "inf"), (-float("inf"), "-inf")])
def test_probabilities_finite(bad, shown):
    p1 = np.array(BASE["transition1"])
    p1[1, 0, 0] = bad
    assert array_errors(transition1=p1) == [
        f"transition1[x1=b, u1=stay, x1'=a]: is {shown}, expected a finite number"]


def test_probabilities_finite_in_a_file():
    text = json.dumps(BASE).replace('"initial": [[0.25, 0.25], [0.25, 0.25]]',
                                    '"initial": [[0.25, 0.25], [0.25, NaN]]')
    assert errors(text) == ["initial[x1=b, x2=hi]: is nan, expected a finite number"]


def test_probabilities_non_negative():
    p2 = np.array(BASE["transition2"])
    p2[0, 1, 1, 0] = [1.25, -0.25]
    assert array_errors(transition2=p2) == [
        "transition2[x1=a, x2=hi, u1=go, u2=wait, x2'=hi]: is -0.25, expected a probability >= 0"]


def test_probabilities_are_numbers_in_a_file():
    bad = copy.deepcopy(BASE["transition1"])
    bad[0][1] = [0.5, "0.5"]
    bad[1][0] = [None, True]
    assert errors(doc(transition1=bad)) == [
        "transition1[x1=a, u1=go, x1'=b]: is the string '0.5', expected a number",
        "transition1[x1=b, u1=stay, x1'=a]: is null, expected a number",
        "transition1[x1=b, u1=stay, x1'=b]: is the boolean true, expected a number",
    ]


def _with_row_sum(offset: float):
    p2 = np.array(BASE["transition2"])
    p2[1, 0, 1, 1] = [0.5, 0.5 + offset]
    return arrays(transition2=p2)


def test_rows_sum_to_one_within_1e_9():
    TwoPlayerMDP.from_arrays(**_with_row_sum(1e-10))
    TwoPlayerMDP.from_arrays(**_with_row_sum(-1e-10))
    with pytest.raises(ProblemError) as info:
        TwoPlayerMDP.from_arrays(**_with_row_sum(-1e-8))
    assert info.value.errors == ["transition2[x1=b, x2=lo, u1=go, u2=act]: sums to 0.99999999, expected 1"]
    with pytest.raises(ProblemError) as info:
        TwoPlayerMDP.from_arrays(**_with_row_sum(1e-8))
    assert info.value.errors == ["transition2[x1=b, x2=lo, u1=go, u2=act]: sums to 1.00000001, expected 1"]


def test_rows_sum_to_one_transition1():
    p1 = np.array(BASE["transition1"])
    p1[0, 1] = [0.5, 0.3]
    assert array_errors(transition1=p1) == ["transition1[x1=a, u1=go]: sums to 0.8, expected 1"]


def test_rows_sum_to_one_joint():
    K = JOINT.copy()
    K[1, 1, 0, 1] *= 0.5
    assert array_errors(transition1=None, transition2=None, transition=K) == [
        "transition[x1=b, x2=hi, u1=stay, u2=act]: sums to 0.5, expected 1"]


def test_initial_is_a_distribution():
    assert array_errors(initial=np.full((2, 2), 0.2)) == ["initial: sums to 0.8, expected 1"]
    assert array_errors(initial=np.array([[1.5, -0.5], [0.0, 0.0]])) == [
        "initial[x1=a, x2=hi]: is -0.5, expected a probability >= 0"]


# ------------------------------------------------------------------ costs
def test_costs_finite():
    cost = np.array(BASE["cost"])
    cost[0, 1, 1, 0] = np.inf
    assert array_errors(cost=cost) == ["cost[x1=a, x2=hi, u1=go, u2=wait]: is inf, expected a finite number"]
    assert array_errors(cost=None, reward=cost) == [
        "reward[x1=a, x2=hi, u1=go, u2=wait]: is inf, expected a finite number"]


def test_terminal_costs_finite():
    assert array_errors(terminal_cost=np.array([[0.0, np.nan], [0.0, 0.0]])) == [
        "terminal_cost[x1=a, x2=hi]: is nan, expected a finite number"]


def test_time_varying_costs_finite():
    cost = np.array([BASE["cost"]] * 3)
    cost[2, 1, 0, 0, 1] = -np.inf
    assert array_errors(cost=cost) == [
        "cost[t=2, x1=b, x2=lo, u1=stay, u2=act]: is -inf, expected a finite number"]


def test_costs_are_numbers_in_a_file():
    bad = copy.deepcopy(BASE["cost"])
    bad[1][1][1][1] = "7"
    assert errors(doc(cost=bad)) == ["cost[x1=b, x2=hi, u1=go, u2=act]: is the string '7', expected a number"]
    bad[1][1][1][1] = 10**400
    assert errors(doc(cost=bad)) == [
        f"cost[x1=b, x2=hi, u1=go, u2=act]: is {'1' + '0' * 59}..., expected a number"]  # shown cut


# ------------------------------------------------------------------ horizon and discount
@pytest.mark.parametrize("horizon", [0, -1, 2.5, True, "3", None, [3]])
def test_horizon_positive_integer(horizon):
    document = doc()
    document["horizon"] = horizon
    assert errors(document) == [f"horizon: is {horizon!r}, expected a positive integer <= 1000000"]


def test_horizon_required():
    assert errors(doc(horizon=None)) == ["horizon: missing"]


def test_horizon_in_from_arrays_and_with_horizon():
    assert array_errors(horizon=3.0) == ["horizon: is 3.0, expected a positive integer <= 1000000"]
    model = TwoPlayerMDP.from_arrays(**arrays())
    with pytest.raises(ProblemError, match=r"^horizon: is 0, expected a positive integer <= 1000000$"):
        model.with_horizon(0)


@pytest.mark.parametrize("discount, shown", [
    (0, "0"), (0.0, "0.0"), (1.5, "1.5"), (-0.5, "-0.5"), (float("nan"), "nan"), (float("inf"), "inf"),
    ("x", "'x'"), (True, "True"), (None, "None"), (10**400, "1" + "0" * 59 + "..."),  # a long value is cut
])
def test_discount_in_zero_one(discount, shown):
    document = doc()
    document["discount"] = discount
    assert errors(document) == [f"discount: is {shown}, expected a number in (0, 1]"]


@pytest.mark.parametrize("discount", [1, 1.0, 0.5, 1e-300])
def test_discount_valid(discount):
    assert decmdp.loads(json.dumps(doc(discount=discount))).discount == float(discount)


def test_discount_default_is_one():
    assert decmdp.loads(json.dumps(doc(discount=None))).discount == 1.0


# ------------------------------------------------------------------ sense
def test_exactly_one_of_cost_and_reward_in_a_file():
    assert errors(doc(reward=BASE["cost"])) == ["cost/reward: both given; give exactly one of them"]
    assert errors(doc(cost=None)) == ["cost/reward: missing; give exactly one of them"]


def test_exactly_one_of_cost_and_reward_in_from_arrays():
    assert array_errors(reward=np.array(BASE["cost"])) == ["cost/reward: give exactly one of cost and reward"]
    assert array_errors(cost=None) == ["cost/reward: give exactly one of cost and reward"]


def test_terminal_sense_must_match():
    assert errors(doc(terminal_reward=[[0.0, 1.0], [2.0, 3.0]])) == [
        "terminal_reward: a cost problem takes terminal_cost, not terminal_reward"]
    assert errors(doc(cost=None, reward=BASE["cost"], terminal_cost=[[0.0, 1.0], [2.0, 3.0]])) == [
        "terminal_cost: a reward problem takes terminal_reward, not terminal_cost"]
    assert array_errors(terminal_reward=np.zeros((2, 2))) == [
        "terminal_reward: a cost problem takes terminal_cost, not terminal_reward"]


# ------------------------------------------------------------------ transitions
def test_one_sided_coupling():
    K = JOINT.copy()
    # at (x1=b, u1=go) player 2's "act" in x2=hi moves mass from x1'=a to x1'=b
    K[1, 1, 1, 1] = [[0.125, 0.125], [0.375, 0.375]]  # x1' marginal [0.25, 0.75], not [0.5, 0.5]
    assert array_errors(transition1=None, transition2=None, transition=K) == [
        "transition[x1=b, x2=hi, u1=go, u2=act]: P1(x1'=a) is 0.25 but 0.5 at x2=lo, u2=wait "
        "(differs by 0.25); player 2 must not influence x1 (one-sided coupling)"]


def test_one_sided_coupling_within_tolerance():
    K = JOINT.copy()
    small, large = 2.0**-31, 2.0**-28  # 4.7e-10 < 1e-9 < 3.7e-9, exact in binary
    K[1, 1, 1, 1] = [[0.25 + small, 0.25], [0.25 - small, 0.25]]
    TwoPlayerMDP.from_arrays(**arrays(transition1=None, transition2=None, transition=K))
    K[1, 1, 1, 1] = [[0.25 + large, 0.25], [0.25 - large, 0.25]]
    assert array_errors(transition1=None, transition2=None, transition=K) == [
        "transition[x1=b, x2=hi, u1=go, u2=act]: P1(x1'=a) is 0.500000003725 but 0.5 at x2=lo, "
        "u2=wait (differs by 3.72529029846e-09); player 2 must not influence x1 (one-sided coupling)"]


def test_one_sided_coupling_in_a_file():
    K = JOINT.copy()
    K[0, 0, 0, 1] = [[0.0, 0.0], [1.0, 0.0]]  # "act" moves x1 from a to b under "stay"
    assert errors(doc(transition1=None, transition2=None, transition=K.tolist())) == [
        "transition[x1=a, x2=lo, u1=stay, u2=act]: P1(x1'=a) is 0 but 1 at x2=lo, u2=wait "
        "(differs by 1); player 2 must not influence x1 (one-sided coupling)"]


def test_exactly_one_transition_form():
    both = "transition: give either transition1 and transition2, or a joint transition, not both"
    def missing(fields):
        return f"{fields}: missing; give transition1 and transition2, or a joint transition"

    assert errors(doc(transition=JOINT.tolist())) == [both]
    assert errors(doc(transition1=None, transition2=None)) == [missing("transition1 and transition2")]
    assert errors(doc(transition2=None)) == [missing("transition2")]
    assert array_errors(transition=JOINT) == [both]
    assert array_errors(transition1=None) == [missing("transition1")]


# ------------------------------------------------------------------ keys and format
def test_unknown_top_level_key_with_hint():
    assert errors(doc(discont=0.9)) == ["discont: unknown key; did you mean 'discount'?"]


def test_unknown_top_level_key_without_close_match():
    assert errors(doc(zzz=1)) == [
        "zzz: unknown key; expected one of format, name, description, horizon, discount, player1, "
        "player2, initial, transition1, transition2, transition, cost, reward, terminal_cost, "
        "terminal_reward"]


def test_unknown_player_key_with_hint():
    assert errors(doc(player1={"states": ["a", "b"], "actions": ["stay", "go"], "state": ["a"]})) == [
        "player1.state: unknown key; did you mean 'states'?"]
    assert errors(doc(player2={"states": ["lo", "hi"], "actions": ["wait", "act"], "names": []})) == [
        "player2.names: unknown key; expected one of states, actions"]


@pytest.mark.parametrize("form", ["decmdp/2", "", None, 1])
def test_format_string(form):
    document = doc()
    document["format"] = form
    assert errors(document) == [f"format: is {form!r}, expected 'decmdp/1' or 'decmdp/1-sparse'"]


def test_format_required():
    assert errors(doc(format=None)) == ["format: is None, expected 'decmdp/1' or 'decmdp/1-sparse'"]


@pytest.mark.parametrize("key", ["initial", "player1", "player2", "horizon"])
def test_required_keys(key):
    assert errors(doc(**{key: None})) == [f"{key}: missing"]


@pytest.mark.parametrize("key", ["name", "description"])
def test_name_and_description_strings(key):
    assert errors(doc(**{key: 3})) == [f"{key}: is 3, expected a string"]


# ------------------------------------------------------------------ time-varying cost
def test_time_varying_cost_needs_horizon_stages():
    cost = [BASE["cost"], BASE["cost"]]
    assert decmdp.loads(json.dumps(doc(cost=cost, horizon=2))).is_time_varying
    assert decmdp.loads(json.dumps(doc(cost=cost, horizon=1))).cost.shape[0] == 2
    assert errors(doc(cost=cost, horizon=3)) == [
        "horizon: is 3, but the time-varying cost gives only 2 stages; expected horizon <= 2"]


def test_with_horizon_respects_time_varying_stages():
    model = decmdp.loads(json.dumps(doc(cost=[BASE["cost"]] * 3)))
    assert model.with_horizon(3).horizon == 3
    with pytest.raises(ProblemError) as info:
        model.with_horizon(4)
    assert info.value.errors == [
        "horizon: is 4, but the time-varying cost gives only 3 stages; expected horizon <= 3"]


# ------------------------------------------------------------------ sparse form
SPARSE_BASE = {
    "format": "decmdp/1-sparse",
    "horizon": 2,
    "player1": {"states": ["a", "b"], "actions": ["stay", "go"]},
    "player2": {"states": ["lo", "hi"], "actions": ["wait", "act"]},
    "initial": [["*", "*", 0.25]],
    "transition1": [["a", "stay", "a", 1.0], ["b", "stay", "b", 1.0], ["*", "go", "*", 0.5]],
    "transition2": [["*", "*", "*", "*", "lo", 1.0]],
    "cost": [["*", "*", "go", "*", 1.0]],
}


def sparse(**changes) -> dict:
    out = copy.deepcopy(SPARSE_BASE)
    out.update(changes)
    return out


def test_sparse_base_is_valid():
    model = decmdp.loads(json.dumps(SPARSE_BASE))
    assert model.transition1[0, 1].tolist() == [0.5, 0.5]


def test_sparse_unknown_name():
    assert errors(sparse(transition1=[["a", "stay", "a", 1.0], ["b", "stay", "c", 1.0],
                                      ["*", "go", "*", 0.5]])) == [
        "transition1 entry 1: x1' is the string 'c', expected one of a, b or '*'"]


def test_sparse_entry_length():
    assert errors(sparse(initial=[["*", 1.0]])) == ["initial entry 0: is a list of 2, expected [x1, x2, value]"]
    assert errors(sparse(initial={"a": 1})) == [
        "initial: is an object, expected a list of entries [key, ..., value]"]


def test_sparse_value_is_a_finite_number():
    assert errors(sparse(cost=[["*", "*", "go", "*", "1"]])) == [
        "cost entry 0: value is the string '1', expected a finite number"]
    assert errors(sparse(cost=[["*", "*", "go", "*", 1e400]])) == [
        "cost entry 0: value is inf, expected a finite number"]


def test_sparse_rows_still_sum_to_one():
    assert errors(sparse(transition1=[["a", "stay", "a", 1.0], ["*", "go", "*", 0.5]])) == [
        "transition1[x1=b, u1=stay]: sums to 0, expected 1"]


def test_sparse_later_entries_override():
    model = decmdp.loads(json.dumps(sparse(cost=[["*", "*", "*", "*", 1.0], ["b", "*", "*", "act", 5.0],
                                                  ["b", "hi", "*", "act", 2.0]])))
    assert model.cost[:, :, 0, 0].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert model.cost[1, :, 1, 1].tolist() == [5.0, 2.0]


def test_sparse_time_varying_stage_key():
    model = decmdp.loads(json.dumps(sparse(cost=[["*", "*", "*", "go", "*", 1.0], [1, "a", "*", "go", "*", 3.0]])))
    assert model.cost.shape == (2, 2, 2, 2, 2)
    assert model.cost[:, 0, 0, 1, 0].tolist() == [1.0, 3.0]
    more = decmdp.loads(json.dumps(sparse(cost=[[4, "a", "*", "go", "*", 3.0]])))
    assert more.cost.shape[0] == 5 and more.horizon == 2
    assert errors(sparse(cost=[[-1, "a", "*", "go", "*", 3.0]])) == [
        "cost entry 0: t is -1, expected one of 0..1 or '*'"]
    assert errors(sparse(cost=[[0.0, "a", "*", "go", "*", 3.0]])) == [
        "cost entry 0: t is 0.0, expected one of 0..1 or '*'"]
    assert errors(sparse(cost=[[0, "a", "*", "go", "*", 3.0], ["a", "*", "go", "*", 1.0]])) == [
        "cost entry 1: is a list of 5, expected [t, x1, x2, u1, u2, value]"]


# ------------------------------------------------------------------ error collection
def test_all_errors_are_reported():
    bad = copy.deepcopy(BASE["transition1"])
    bad[0][0] = [0.5, 0.4]
    bad[1][1] = [0.5, 0.4]
    cost = np.array(BASE["cost"])
    assert array_errors(transition1=np.array(bad), initial=np.full((2, 2), 0.3),
                        cost=np.where(cost == 7.0, np.nan, cost)) == [
        "initial: sums to 1.2, expected 1",
        "transition1[x1=a, u1=stay]: sums to 0.9, expected 1",
        "transition1[x1=b, u1=go]: sums to 0.9, expected 1",
        "cost[x1=a, x2=hi, u1=go, u2=act]: is nan, expected a finite number",
        "cost[x1=b, x2=hi, u1=go, u2=act]: is nan, expected a finite number",
    ]


def test_errors_beyond_twenty_are_counted():
    assert MAX_LISTED_ERRORS == 20
    p2 = np.full((2, 2, 2, 2, 2), 0.4)  # 16 rows sum to 0.8
    cost = np.full((2, 2, 2, 2), np.inf)  # 16 non-finite costs
    with pytest.raises(ProblemError) as info:
        TwoPlayerMDP.from_arrays(**arrays(transition2=p2, cost=cost))
    error = info.value
    assert len(error.errors) == 20 and error.omitted == 12
    assert error.errors[0] == "transition2[x1=a, x2=lo, u1=stay, u2=wait]: sums to 0.8, expected 1"
    assert error.errors[16] == "cost[x1=a, x2=lo, u1=stay, u2=wait]: is inf, expected a finite number"
    assert str(error).splitlines()[-1] == "... and 12 more errors"
    assert len(str(error).splitlines()) == 21


def test_file_structure_errors_are_all_reported():
    document = doc(horizn=2, horizon=None, player1={"states": ["a", "a"], "actions": []})
    document["format"] = "decmdp/0"
    assert errors(document) == [
        "horizn: unknown key; did you mean 'horizon'?",
        "format: is 'decmdp/0', expected 'decmdp/1' or 'decmdp/1-sparse'",
        "horizon: missing",
        "player1.states[1]: 'a' repeats player1.states[0]; names must be unique",
        "player1.actions: expected a non-empty list of names",
    ]


@pytest.mark.parametrize("bad", ["two\nlines", "tab\there", "bell\x07"])
def test_names_must_be_printable(bad):
    document = doc()
    document["player2"]["states"][0] = bad
    assert errors(document) == [
        f"player2.states[0]: {bad!r} contains a control character (newline, tab, ...); names must be printable"]


def test_horizon_at_most_a_million():
    document = doc()
    document["horizon"] = 10**20
    assert errors(document) == [f"horizon: is {10**20!r}, expected a positive integer <= 1000000"]
