"""Validation has one home: one distribution checker and one error cap for both
problem kinds, readers that hand their arrays to the model's one validator,
and neutral types that do not tie the .POMDP model to the two-player one."""

import ast
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import decmdp
from decmdp import ProblemError, TwoPlayerMDP
from decmdp.fileio import to_document
from decmdp.model import field_layouts
from decmdp.pomdp import Pomdp
from decmdp.validation import BAD_SUM, MAX_LISTED_ERRORS, NEGATIVE, NOT_FINITE, distribution_faults
from helpers import hand_problem

PACKAGE = Path(decmdp.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at any depth (function-level imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def brute_force_faults(values: np.ndarray, n_outcome_axes: int, tol: float):
    """Row by row, the plain definition: every bad entry, then the sum of an all-finite row."""
    lead = values.shape[:values.ndim - n_outcome_axes]
    out = []
    for row in itertools.product(*(range(n) for n in lead)):
        block = values[row]
        cells = list(itertools.product(*(range(n) for n in block.shape)))
        out += [(NOT_FINITE, row + c) for c in cells if not math.isfinite(block[c])]
        out += [(NEGATIVE, row + c) for c in cells if math.isfinite(block[c]) and block[c] < 0]
        if all(math.isfinite(block[c]) for c in cells) and abs(math.fsum(block.ravel()) - 1) > tol:
            out.append((BAD_SUM, row))
    return out


def test_neutral_modules_do_not_import_the_two_player_model():
    common = imported_modules(PACKAGE / "common.py")
    assert not {m for m in common if m.startswith("decmdp")}
    for name in ("model.py", "parser.py", "writer.py"):
        imported = imported_modules(PACKAGE / "pomdp" / name)
        assert not imported & {"decmdp.model", "decmdp.fileio"}, name
    assert decmdp.Sense is decmdp.common.Sense is decmdp.pomdp.model.Sense


@given(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, -0.25, math.nan, math.inf, 0.5 + 1e-7]),
                min_size=12, max_size=12),
       st.sampled_from([1, 2]))
def test_distribution_faults_match_the_definition(entries, n_outcome_axes):
    values = np.array(entries).reshape(3, 2, 2)
    faults = distribution_faults(values, n_outcome_axes, 1e-9, exact_sums=True)
    assert [(f.kind, f.index) for f in faults] == brute_force_faults(values, n_outcome_axes, 1e-9)


def test_pomdp_model_lists_at_most_the_shared_cap():
    bad_rows = MAX_LISTED_ERRORS + 5
    transition = np.full((1, bad_rows, bad_rows), 0.5 / bad_rows)  # every row sums to 0.5
    names = [f"s{i}" for i in range(bad_rows)]
    with pytest.raises(ProblemError) as info:
        Pomdp(states=names, actions=["a"], observations=["o"], discount=0.9, sense="maximize",
              start=np.full(bad_rows, 1 / bad_rows), transition=transition,
              observation=np.ones((1, bad_rows, 1)), reward=np.zeros((1, bad_rows, bad_rows, 1)))
    assert len(info.value.errors) == MAX_LISTED_ERRORS and info.value.omitted == 5
    assert info.value.errors[0] == "T: a : s0: row sums to 0.5, expected 1 (tolerance 1e-5)"


def named_arrays(model: TwoPlayerMDP) -> dict:
    arrays = {"initial": np.array(model.initial), "transition1": np.array(model.transition1),
              "transition2": np.array(model.transition2), "cost": model.user_cost()}
    if model.has_terminal:
        arrays["terminal_cost"] = model.user_terminal()
    return arrays


def names_of(model: TwoPlayerMDP) -> dict:
    return dict(player1_states=model.player1_states, player1_actions=model.player1_actions,
                player2_states=model.player2_states, player2_actions=model.player2_actions)


def test_named_arrays_build_the_same_model_as_the_file():
    model = hand_problem()
    assert model.is_factored and model.sense is decmdp.Sense.MINIMIZE
    built = TwoPlayerMDP._from_named_arrays(named_arrays(model), horizon=model.horizon,
                                           discount=model.discount, name=model.name,
                                           description=model.description, **names_of(model))
    assert to_document(built) == to_document(model)


@pytest.mark.parametrize("horizon", [0, 2])
def test_named_arrays_report_what_from_arrays_reports(horizon):
    model = hand_problem()
    arrays = named_arrays(model)
    arrays["transition2"] = arrays["transition2"] * 0.5
    arrays["cost"][0, 0, 0, 0] = math.nan
    common = dict(horizon=horizon, discount=model.discount, name="x", description="", **names_of(model))
    with pytest.raises(ProblemError) as named:
        TwoPlayerMDP._from_named_arrays(arrays, **common)
    rest = {field: array for field, array in arrays.items() if field != "initial"}
    with pytest.raises(ProblemError) as plain:
        TwoPlayerMDP.from_arrays(arrays["initial"], **rest, **common)
    assert named.value.errors == plain.value.errors
    if horizon == 0:
        assert named.value.errors == ["horizon: is 0, expected a positive integer <= 1000000"]
    else:
        assert named.value.errors[0].startswith("transition2[") and named.value.errors[0].endswith(", expected 1")
        assert named.value.errors[-1].startswith("cost[") and named.value.errors[-1].endswith(
            ": is nan, expected a finite number")


def test_field_layouts_list_the_sense_fields_first():
    layouts = field_layouts(("a",), ("go",), ("lo",), ("act",), decmdp.Sense.MAXIMIZE)
    assert list(layouts) == ["initial", "transition1", "transition2", "transition", "reward",
                             "terminal_reward", "terminal_cost"]
    assert layouts["transition2"] == [("x1", ("a",)), ("x2", ("lo",)), ("u1", ("go",)),
                                      ("u2", ("act",)), ("x2'", ("lo",))]
