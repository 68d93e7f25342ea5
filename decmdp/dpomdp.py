"""A two-player problem written as a two-agent Dec-POMDP in MADP's ``.dpomdp`` format.

So that MADP's exact Dec-POMDP planners can cross-check a solve.  Agent 1 is
player 1 and observes ``x1``; agent 2 is player 2 and observes ``(x1, x2)``;
their actions are ``u1`` and ``u2``.  The hidden state carries the stage
(the same staged chain as the ``.POMDP`` export, :mod:`decmdp.pomdp.export`)::

    pre(x1, x2) --any--> t0(x1, x2) --(u1, u2)--> t1(x1', x2') ... --> fin(x1, x2) --any--> end
     k = 0                 k = 1                                        k = H + 1          absorbing

* A Dec-POMDP agent sees nothing before its first action, while player 1
  knows ``x1(0)`` (and player 2 ``x2(0)``) when it first acts.  The ``pre``
  stage fixes this: its action does nothing and costs nothing, and on
  arriving in ``t0`` agent 1 observes ``x1(0)`` and agent 2 ``(x1(0), x2(0))``.
  Every later arrival is observed the same way, so at Dec-POMDP stage
  ``k = t + 1`` agent 1 knows ``x1(0..t)`` and agent 2 ``(x1, x2)(0..t)``:
  the two-player information structure exactly.
* Discounting: stage ``t`` of the problem is Dec-POMDP stage ``t + 1``, so
  every reward is divided by ``beta`` (``beta^(t+1) r / beta = beta^t r``);
  the terminal cost is paid on leaving ``fin`` (stage ``H + 1``).
* ``.dpomdp`` maximizes rewards.  A reward problem is written as is; a cost
  problem as ``reward = -cost``, so MADP's optimal value is minus decmdp's.
* Plan with horizon ``H + 2``: MADP's optimal value for that horizon equals
  ``decmdp solve``'s (negated for costs).

Names are index-based (``.dpomdp`` identifiers are restricted): actions
``u1_<i>`` and ``u2_<i>``, observations ``x1_<i>`` (agent 1) and
``x1_<i>_x2_<j>`` (agent 2), plus ``none`` (seen on reaching ``end``); a
comment block at the top maps indices to names.
"""

from __future__ import annotations

import itertools

import numpy as np

from decmdp.common import Sense, exact_number_text
from decmdp.errors import ProblemError
from decmdp.model import TwoPlayerMDP
from decmdp.pomdp.export import MAX_EXPORT_NUMBERS, export_horizon, index_legend, staged_states


def dpomdp_text(model: TwoPlayerMDP) -> str:
    """The ``.dpomdp`` text of ``model`` (see the module docstring).

    Raises
    ------
    ProblemError
        When the file would hold more than :data:`~decmdp.pomdp.export.MAX_EXPORT_NUMBERS`
        transition entries.
    """
    n1, n2, m1, m2, H = model.n1, model.n2, model.m1, model.m2, model.horizon
    layer = n1 * n2
    states = staged_states(model)
    end = len(states) - 1
    K = model.joint_transition()
    support = int((K > 0).sum())
    if support * H > MAX_EXPORT_NUMBERS:
        raise ProblemError(f"export: {support * H:.3g} transition entries, more than the limit of "
                           f"{MAX_EXPORT_NUMBERS:.3g}; the Dec-POMDP is too large to write")
    # .dpomdp maximizes: reward = -internal cost; stage t is Dec-POMDP stage t + 1, hence / beta
    scale = -1.0 / model.discount
    obs1 = [f"x1_{i}" for i in range(n1)] + ["none"]
    obs2 = [f"x1_{i}_x2_{j}" for i in range(n1) for j in range(n2)] + ["none"]

    lines = [
        f"# {model.name}: a decmdp two-player problem as a two-agent Dec-POMDP.",
        f"# Plan with horizon {export_horizon(model)} (= {H} stages + 2).  Agent 1 = player 1 observes x1,",
        "# agent 2 = player 2 observes (x1, x2); the 'pre' stage lets both observe the initial state",
        "# before their first real decision, and rewards are divided by the discount to keep it exact.",
        "# " + ("Rewards as in the problem: the optimal value equals decmdp's."
                if model.sense is Sense.MAXIMIZE else
                "Cost problem written as reward = -cost: the optimal value is minus decmdp's."),
        "# States <stage>_<x1>_<x2>, actions u1_<i> / u2_<i>, observations x1_<i> / x1_<i>_x2_<j>,",
        "# all by index:",
        *index_legend(model),
        "agents: 2",
        f"discount: {exact_number_text(model.discount)}",
        "values: reward",
        "states: " + " ".join(states),
        "start:",
        " ".join(exact_number_text(p) for p in np.concatenate([model.initial.ravel(), np.zeros(len(states) - layer)])),
        "actions:",
        " ".join(f"u1_{i}" for i in range(m1)),
        " ".join(f"u2_{i}" for i in range(m2)),
        "observations:",
        " ".join(obs1),
        " ".join(obs2),
    ]

    # transitions: pre -> t0 and fin -> end whatever the agents do; end absorbs
    for x1, x2 in itertools.product(range(n1), range(n2)):
        here = x1 * n2 + x2
        lines.append(f"T: * * : {states[here]} : {states[layer + here]} : 1.0")
        lines.append(f"T: * * : {states[(H + 1) * layer + here]} : end : 1.0")
    lines.append("T: * * : end : end : 1.0")
    for t in range(H):
        cost = model.stage_cost(t)
        for x1, x2, u1, u2 in itertools.product(range(n1), range(n2), range(m1), range(m2)):
            source = states[(t + 1) * layer + x1 * n2 + x2]
            for nx1, nx2 in zip(*np.nonzero(K[x1, x2, u1, u2])):
                lines.append(f"T: u1_{u1} u2_{u2} : {source} : {states[(t + 2) * layer + nx1 * n2 + nx2]} : "
                             f"{exact_number_text(K[x1, x2, u1, u2, nx1, nx2])}")
            reward = scale * cost[x1, x2, u1, u2]
            if reward != 0:
                lines.append(f"R: u1_{u1} u2_{u2} : {source} : * : * : {exact_number_text(reward)}")
    for x1, x2 in itertools.product(range(n1), range(n2)):
        reward = scale * model.terminal_cost[x1, x2]
        if reward != 0:
            lines.append(f"R: * * : {states[(H + 1) * layer + x1 * n2 + x2]} : * : * : {exact_number_text(reward)}")

    # observations: the x1 (agent 1) and (x1, x2) (agent 2) of the state reached; 'none' at pre and end
    for k, x1, x2 in itertools.product(range(H + 2), range(n1), range(n2)):
        reached = states[k * layer + x1 * n2 + x2]
        seen = "none none" if k == 0 else f"x1_{x1} x1_{x1}_x2_{x2}"
        lines.append(f"O: * * : {reached} : {seen} : 1.0")
    lines.append(f"O: * * : {states[end]} : none none : 1.0")
    return "\n".join(lines) + "\n"
