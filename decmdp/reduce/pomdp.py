r"""A ``.POMDP`` model as the core's backup data.

A POMDP is the core's special case with one observed state (``Y = 1``) and
no inner action (``L = 1``): the branches of action ``a`` are the
observations ``o`` with positive probability, all drawing their successor
vectors from the one observed state (target 0, label ``o``), and

    projection[k, s, 0, s'] = beta * T(s' | s, a) * O(o | s', a),
    cost[a, s]              = sign * sum_{s', o} T(s' | s, a) O(o | s', a) R(a, s, s', o),

with ``sign = -1`` for rewards and ``+1`` for costs, so that
``V_t(b) = min_alpha b . alpha`` (minimization form) is exactly what
pomdp-solve's incremental pruning computes, up to the sign.  The terminal
value is zero: ``horizon`` counts backups from it (pomdp-solve's
``-horizon``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from decmdp.core.types import BackupData

if TYPE_CHECKING:  # decmdp.pomdp imports this module through its solver
    from decmdp.pomdp.model import Pomdp


def reduce_pomdp(pomdp: Pomdp) -> BackupData:
    """Backup data of a POMDP: ``Y = 1``, ``L = 1``, one branch per possible observation.

    Parameters
    ----------
    pomdp : Pomdp
        A validated model, in its file's sense.

    Returns
    -------
    BackupData
        In minimization form: ``cost = pomdp.sense.sign * expected reward``.
    """
    beta = pomdp.discount
    T, O = pomdp.transition, pomdp.observation
    n_a, n_s = T.shape[0], T.shape[1]
    ptr, labels, blocks = [0], [], []
    for a in range(n_a):
        for o in range(O.shape[2]):
            joint = T[a] * O[a, :, o][None, :]  # P(s', o | s, a) as [s, s']
            if joint.any():
                labels.append(o)
                blocks.append(beta * joint[:, None, :])
        ptr.append(len(labels))
    cost = pomdp.sense.sign * pomdp.expected_reward()  # [a, s]
    projection = (np.stack(blocks) if blocks else np.zeros((0, n_s, 1, n_s)))
    return BackupData(
        cost=np.ascontiguousarray(cost[None, None, :, :, None], dtype=np.float64),
        terminal=np.zeros((1, n_s)),
        branch_ptr=np.asarray(ptr, dtype=np.int64),
        branch_target=np.zeros(len(labels), dtype=np.int64),
        branch_label=np.asarray(labels, dtype=np.int64),
        n_labels=O.shape[2],
        projection=np.ascontiguousarray(projection, dtype=np.float64),
    )
