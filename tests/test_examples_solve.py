"""Every example problem solves, and its policy re-evaluates and simulates to the value.

The two checks do not share code with the solver: evaluation propagates the
(node, x2) distribution forward, and the policy goes through its JSON file.
"""

from pathlib import Path

import pytest

import decmdp

PROBLEMS = sorted((Path(__file__).resolve().parent.parent / "problems").glob("*.json"))


@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
def test_example_policy_re_evaluates_to_the_value(path, tmp_path):
    model = decmdp.load(path)
    solution = decmdp.solve(model)
    saved = tmp_path / "policy.json"
    saved.write_text(solution.policy.dumps())
    policy = decmdp.load_policy(saved)
    tolerance = 1e-9 * (1 + abs(solution.value))
    assert decmdp.evaluate(model, policy) == pytest.approx(solution.value, abs=tolerance)
    low, high = sorted([solution.bounds.full_information, solution.bounds.blind_player2])
    assert low - tolerance <= solution.value <= high + tolerance
    simulated = decmdp.simulate(model, policy, episodes=4000, seed=7)
    assert abs(simulated.mean - solution.value) <= 4 * simulated.stderr + tolerance


@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
def test_example_lifted_equals_enumerate(path):
    model = decmdp.load(path)
    lifted = decmdp.solve(model, bounds=False)
    enumerated = decmdp.solve(model, method="enumerate", bounds=False)
    assert enumerated.value == pytest.approx(lifted.value, abs=1e-9 * (1 + abs(lifted.value)))
