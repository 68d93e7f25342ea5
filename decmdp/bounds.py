"""Bounds on the optimum that bracket it from both sides (``docs/theory.md`` section 8).

* Full information: both players see ``(x1, x2)`` -- an MDP on the joint
  state with joint action, solved by backward induction.  No decentralized
  policy does better: a lower bound for costs (upper for rewards).
* Blind player 2: player 2 ignores ``x2`` and acts on the ``x1`` history
  only -- a restriction of the decentralized policies, so no better than the
  optimum.  Solved exactly by the same core with action ``(u1, u2)``.

Their gaps to the optimum are the price of decentralization and the value of
player 2's private information.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from decmdp.model import TwoPlayerMDP


@dataclasses.dataclass(frozen=True)
class Bounds:
    """Bounds on the optimal value, in the problem's sense.

    Attributes
    ----------
    full_information : float
        Value when both players see ``(x1, x2)``.
    blind_player2 : float
        Value when player 2 ignores ``x2``.
    price_of_decentralization : float
        ``|optimum - full_information|``: what nested information costs.
    value_of_information : float
        ``|blind_player2 - optimum|``: what player 2's private ``x2`` is worth.
    """

    full_information: float
    blind_player2: float
    price_of_decentralization: float
    value_of_information: float


def full_information_value(model: TwoPlayerMDP, horizon: int) -> float:
    """Optimal value (minimization form) of the centralized MDP on ``(x1, x2)``."""
    value = model.terminal_cost.copy()
    for t in range(horizon - 1, -1, -1):
        q = model.stage_cost(t).copy()  # [x1, x2, u1, u2]
        for x1 in range(model.n1):
            for u1 in range(model.m1):
                block = model.transition_block(x1, u1)  # [x2, u2, x1', x2']
                q[x1, :, u1, :] += model.discount * np.einsum("bcpq,pq->bc", block, value)
        value = q.min(axis=(2, 3))
    return float((model.initial * value).sum())
