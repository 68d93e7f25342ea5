"""A joint transition is one-sided coupled only within the 1e-9 tolerance.

So an x1' whose marginal is 0 at one (x2, u2) may have mass 5e-10 at another;
the solver, the policy check and the evaluation must all plan for it.
"""

import numpy as np
import pytest

import decmdp

EPS = 5e-10


def nearly_coupled_model() -> decmdp.TwoPlayerMDP:
    """x1 in {a, b}; from a, x1'=b has probability 0 at x2=lo but EPS at x2=hi."""
    K = np.zeros((2, 2, 1, 1, 2, 2))  # [x1, x2, u1, u2, x1', x2']
    K[0, 0, 0, 0, 0, 0] = 1.0
    K[0, 1, 0, 0, 0, 1] = 1.0 - EPS
    K[0, 1, 0, 0, 1, 1] = EPS
    K[1, :, 0, 0, 1, :] = 0.5
    cost = np.zeros((2, 2, 1, 1))
    cost[1] = 1e9  # being in b is very expensive: the EPS path matters
    return decmdp.TwoPlayerMDP.from_arrays(np.array([[0.5, 0.5], [0.0, 0.0]]), horizon=2,
                                           transition=K, cost=cost)


def test_support_is_the_union_over_x2_and_u2():
    model = nearly_coupled_model()
    assert model.player1_transition()[0, 0, 1] == 0.0
    assert model.player1_support()[0, 0].tolist() == [True, True]


def test_solver_and_evaluation_count_the_tiny_successor():
    model = nearly_coupled_model()
    exact = 0.5 * EPS * 1e9  # stage 1 in b, reached from (a, hi) with probability EPS
    solution = decmdp.solve(model)
    assert solution.value == pytest.approx(exact, rel=1e-12)
    assert decmdp.evaluate(model, solution.policy) == pytest.approx(exact, rel=1e-12)


def test_policy_without_the_tiny_successor_is_rejected():
    model = nearly_coupled_model()
    doc = decmdp.solve(model).policy.to_document()
    for node in doc["nodes"]:
        node["next"].pop("1", None)
    from decmdp.policy import policy_from_document

    with pytest.raises(decmdp.PolicyError, match="no successor for x1'=1"):
        decmdp.evaluate(model, policy_from_document(doc))
