"""Exact evaluation of a policy graph by forward propagation.

Shares no code with the dynamic program: it pushes the joint distribution
over ``(node, x2)`` forward through the policy, stage by stage, and adds up
the expected discounted cost.  Its result for a solver's policy must equal
the solver's value (``docs/theory.md`` section 9).  A cyclic policy
(finite-state controller) is evaluated by solving its linear system instead
(:func:`decmdp.controller.evaluate_controller`).
"""

from __future__ import annotations

import numpy as np

from decmdp.errors import PolicyError
from decmdp.model import TwoPlayerMDP
from decmdp.policy import PolicyGraph


def evaluate(model: TwoPlayerMDP, policy: PolicyGraph) -> float:
    """Expected total objective of ``policy`` on ``model``, in the file's sense.

    Parameters
    ----------
    model : TwoPlayerMDP
    policy : PolicyGraph
        Any valid policy graph: made by the solver, loaded from a file or
        written by hand.  Its horizon must be the model's (to evaluate a
        policy of another horizon H, pass ``model.with_horizon(H)``); a cyclic
        one runs forever (the problem needs ``discount < 1``).

    Returns
    -------
    float
        ``E[sum_t beta^t c_t + beta^T c_T]`` (reward if the problem maximizes);
        ``E[sum_{t >= 0} beta^t c]`` for a cyclic policy.

    Raises
    ------
    PolicyError
        If the policy does not fit the model (see :meth:`PolicyGraph.check`).
    """
    if policy.is_cyclic:
        from decmdp.controller import evaluate_controller

        return evaluate_controller(model, policy)
    policy.check(model)
    tables = policy.tables()
    horizon, beta = policy.horizon, model.discount
    mass = np.zeros((len(tables.stage), model.n2))
    for x1 in range(model.n1):
        if tables.start[x1] >= 0:
            mass[tables.start[x1]] += model.initial[x1]
    x2 = np.arange(model.n2)
    total = 0.0
    for node in np.argsort(tables.stage, kind="stable"):
        t = int(tables.stage[node])
        weight = mass[node]
        if not weight.any():
            continue
        x1, u1, g = tables.x1[node], tables.u1[node], tables.prescription[node]
        total += beta**t * float(weight @ model.stage_cost(t)[x1, x2, u1, g])
        flow = np.einsum("s,spq->pq", weight, model.transition_block(x1, u1)[x2, g])  # [x1', x2']
        if t == horizon - 1:
            total += beta**horizon * float((flow * model.terminal_cost).sum())
            continue
        for x1_next in np.flatnonzero(flow.sum(axis=1) > 0):
            child = tables.next[node, x1_next]
            if child < 0:  # check() requires a successor wherever x1' can follow
                raise PolicyError(f"node {policy.nodes[node]}: no successor for reachable "
                                  f"x1'={model.player1_states[x1_next]}")
            mass[child] += flow[x1_next]
    return float(model.to_user_sense(total))
