"""The example problems in problems/: they load, tell their story, round trip,
and between them cover the features of the format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import decmdp
from decmdp import DENSE, SPARSE, Sense

PROBLEMS = sorted((Path(__file__).resolve().parent.parent / "problems").glob("*.json"))
IDS = [p.stem for p in PROBLEMS]


def _load_all():
    return {p.stem: (decmdp.load(p), json.loads(p.read_text(encoding="utf-8"))) for p in PROBLEMS}


def test_there_are_at_least_six_problems():
    assert len(PROBLEMS) >= 6


@pytest.mark.parametrize("path", PROBLEMS, ids=IDS)
def test_problem_loads_and_is_described(path):
    model = decmdp.load(path)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*\.json", path.name), "file names are kebab-case"
    assert model.name == path.stem
    assert len(model.description) >= 200, "the description tells the story and the optimal behaviour"
    assert "OPTIMAL" in model.description


@pytest.mark.parametrize("path", PROBLEMS, ids=IDS)
def test_problem_is_small_enough_for_a_fast_exact_solve(path):
    model = decmdp.load(path)
    assert model.n1 <= 4 and model.n2 <= 4 and model.m2 <= 3 and model.horizon <= 6


@pytest.mark.parametrize("path", PROBLEMS, ids=IDS)
def test_problem_round_trips(path):
    model = decmdp.load(path)
    for out in (DENSE, SPARSE):
        again = decmdp.loads(decmdp.dumps(model, out))
        assert decmdp.dumps(again) == decmdp.dumps(model)
        assert again.description == model.description
        for field in ("initial", "cost", "terminal_cost"):
            assert (getattr(again, field) == getattr(model, field)).all()
        assert (again.joint_transition() == model.joint_transition()).all()


def test_problems_cover_the_format():
    problems = _load_all()
    forms = [doc["format"] for _, doc in problems.values()]
    assert forms.count(SPARSE) >= 3, "the sparse form is the hand-friendly one"
    assert DENSE in forms
    assert any(not m.is_factored for m, _ in problems.values()), "a joint transition"
    assert any(m.sense is Sense.MAXIMIZE for m, _ in problems.values()), "a reward problem"
    assert any(m.is_time_varying for m, _ in problems.values()), "a time-varying cost"
    assert any(m.discount < 1 for m, _ in problems.values()), "a discount below 1"
    assert any(m.has_terminal for m, _ in problems.values()), "a terminal cost"
    assert any(m.prescriptions >= 81 for m, _ in problems.values()), "at least 81 prescriptions"


def test_joint_example_really_correlates_x2_with_x1():
    """The joint example cannot be written as P1 * P2: x2' depends on x1'."""
    for model, _ in _load_all().values():
        if model.is_factored:
            continue
        K = model.joint_transition()
        P1 = model.player1_transition()
        conditional = K / P1[:, None, :, None, :, None].clip(min=1e-300)
        assert abs(conditional[..., 0, :] - conditional[..., 1, :]).max() > 0.1
        break
    else:
        pytest.fail("no joint example")


def test_tiny_by_hand_is_tiny():
    model = decmdp.load(PROBLEMS[IDS.index("tiny-by-hand")])
    assert (model.n1, model.n2, model.m1, model.m2) == (2, 2, 2, 2)
    assert model.horizon <= 2
    assert "OPTIMAL VALUE = 0.5 * 1.8 + 0.5 * 2.4 = 2.1" in model.description


# The values below were computed by hand (tiny-by-hand) or are stated in the
# descriptions; the solver must reproduce them.
STATED = {
    "tiny-by-hand": (2.1, 1.75, 2.5),
    "worthless-info": (6.5588, 5.82836, 6.5588),
    "maintenance": (6.98342, 6.38342, 8.90419),
    "leader-follower": (2.25091, 2.09537, 2.97243),
    "coordination": (25.9362, 33.39274, 18.524),
    "relay": (7.32940, 3.73463, 7.69302),
}


@pytest.mark.parametrize("name", sorted(STATED))
def test_stated_values(name):
    model = decmdp.load(PROBLEMS[IDS.index(name)])
    value, full, blind = STATED[name]
    for number in (value, full, blind):
        assert f"{number:g}" in model.description or str(number) in model.description
    solution = decmdp.solve(model)
    assert solution.value == pytest.approx(value, abs=1e-5)
    assert solution.bounds.full_information == pytest.approx(full, abs=1e-5)
    assert solution.bounds.blind_player2 == pytest.approx(blind, abs=1e-5)


def test_worthless_info_optimum_equals_blind_bound():
    model = decmdp.load(PROBLEMS[IDS.index("worthless-info")])
    solution = decmdp.solve(model)
    assert solution.value == pytest.approx(solution.bounds.blind_player2, abs=1e-12)
    assert solution.bounds.full_information < solution.value - 0.1
