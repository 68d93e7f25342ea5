r"""The two-player problem as a centralized POMDP: backup data for the core.

The coordinator knows the ``x1`` history and, at each stage, picks player 1's
action ``u1`` and a prescription ``g: X2 -> U2``; its information state is the
belief ``b(x2) = P(x2 | x1 history)`` (``docs/theory.md`` section 4).  The value is
piecewise linear and concave in the belief,

    V_t(x1, b) = min_{alpha in Gamma_t(x1)} b . alpha,   Gamma_T(x1) = { c_T(x1, .) },

and one backup (``docs/theory.md`` section 5) is, for each ``x1`` and ``u1``,

    Q(x1, u1) = c_t(x1, ., u1, .)  (+)  G[x1'_1]  (+)  G[x1'_2]  (+) ...
    G[x1', alpha](x2, u2) = beta * sum_{x2'} K(x1', x2' | x1, x2, u1, u2) alpha(x2')

over the successors ``x1'`` with ``P1(x1' | x1, u1) > 0``; every lifted
``q`` over ``X2 x U2`` gives ``alpha(x2) = min_{u2} q(x2, u2)`` and the
prescription ``argmin``.  The normalizer ``P1(x1' | x1, u1)`` of the belief
update does not depend on the belief, so the unnormalized projection is exact.

In the core's notation (:class:`decmdp.core.types.BackupData`): observed
state ``y = x1``, action ``a = u1``, hidden state ``s = x2``, lifted action
``l = u2``, one branch per reachable ``x1'`` whose target and label are both
``x1'``, and ``projection[k] = beta * K[x1, :, u1, :, x1', :]``.

The same core also answers the "player 2 ignores x2" bound: there the action
is the pair ``(u1, u2)`` and ``L = 1`` (:func:`reduce_blind`).
"""

from __future__ import annotations

import numpy as np

from decmdp.core.types import BackupData
from decmdp.model import TwoPlayerMDP


def reduce_two_player(model: TwoPlayerMDP) -> BackupData:
    """Backup data of the coordinator's POMDP.

    Parameters
    ----------
    model : TwoPlayerMDP
        A validated problem (a time-varying cost is taken for its horizon).

    Returns
    -------
    BackupData
        ``Y = |X1|``, ``A = |U1|``, ``S = |X2|``, ``L = |U2|``, labels = ``X1``.
    """
    cost = _stage_costs(model).transpose(0, 1, 3, 2, 4)  # [t, x1, u1, x2, u2]
    return _backup_data(model, cost, model.m1, lambda a: a, lambda block, a: block)


def reduce_blind(model: TwoPlayerMDP) -> BackupData:
    """Backup data when player 2 ignores ``x2``: action ``(u1, u2)``, ``L = 1``.

    Action index ``a = u1 * |U2| + u2``.  Its optimal value is the bound on
    the other side of the optimum from the full-information MDP.
    """
    m2 = model.m2
    cost = _stage_costs(model)  # [t, x1, x2, u1, u2] -> [t, x1, (u1, u2), x2, 1]
    cost = cost.transpose(0, 1, 3, 4, 2).reshape(cost.shape[0], model.n1, model.m1 * m2, model.n2, 1)
    return _backup_data(model, cost, model.m1 * m2, lambda a: a // m2,
                        lambda block, a: block[:, a % m2 : a % m2 + 1])


def _backup_data(model: TwoPlayerMDP, cost: np.ndarray, n_actions: int, player1_action,
                 lifted) -> BackupData:
    """Assemble :class:`BackupData` with one branch per reachable ``x1'``.

    ``player1_action(a)`` is the ``u1`` inside action ``a``; it fixes which
    ``x1'`` can follow and the transition block ``K[x1, :, u1, :, x1', :]``
    (``[x2, u2, x2']``), of which ``lifted(block, a)`` keeps the ``[x2, l, x2']``
    part the action controls.  The discount is applied here.
    """
    support = model.player1_support()
    ptr, target, blocks = [0], [], []
    for x1 in range(model.n1):
        for a in range(n_actions):
            u1 = player1_action(a)
            block = model.transition_block(x1, u1)  # [x2, u2, x1', x2']
            for x1_next in np.flatnonzero(support[x1, u1]):
                target.append(x1_next)
                blocks.append(model.discount * lifted(block[:, :, x1_next, :], a))
            ptr.append(len(target))
    return BackupData(
        cost=np.ascontiguousarray(cost, dtype=np.float64),
        terminal=np.ascontiguousarray(model.terminal_cost, dtype=np.float64),
        branch_ptr=np.asarray(ptr, dtype=np.int64),
        branch_target=np.asarray(target, dtype=np.int64),
        branch_label=np.asarray(target, dtype=np.int64),
        n_labels=model.n1,
        projection=np.ascontiguousarray(np.stack(blocks), dtype=np.float64),
    )


def _stage_costs(model: TwoPlayerMDP) -> np.ndarray:
    """Costs as ``[t, x1, x2, u1, u2]`` with one slice, or one per stage of the horizon."""
    if model.is_time_varying:
        return np.asarray(model.cost[:model.horizon], dtype=np.float64)
    return np.asarray(model.cost, dtype=np.float64)[None]
