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

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from decmdp.core.types import BackupData

if TYPE_CHECKING:  # decmdp.pomdp imports this module through its solver
    from decmdp.pomdp.model import Pomdp


class PomdpBranches(NamedTuple):
    """The branch tables of :func:`reduce_pomdp` without the projections:
    enough to walk the solved stages (:func:`decmdp.provenance.walk_stages`)."""

    branch_ptr: np.ndarray
    branch_target: np.ndarray
    branch_label: np.ndarray
    n_labels: int


def _branches(pomdp: Pomdp):
    """``(a, o, P(s', o | s, a) as [s, s'])`` of every branch, in order."""
    T, O = pomdp.transition, pomdp.observation
    for a in range(T.shape[0]):
        for o in range(O.shape[2]):
            joint = T[a] * O[a, :, o][None, :]
            if joint.any():
                yield a, o, joint


def _tables(pomdp: Pomdp, branches) -> PomdpBranches:
    n_a = pomdp.transition.shape[0]
    counts = np.zeros(n_a, dtype=np.int64)
    for a, _ in branches:
        counts[a] += 1
    ptr = np.zeros(n_a + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return PomdpBranches(ptr, np.zeros(len(branches), dtype=np.int64),
                         np.array([o for _, o in branches], dtype=np.int64), pomdp.observation.shape[2])


def pomdp_branches(pomdp: Pomdp) -> PomdpBranches:
    """The branch tables :func:`reduce_pomdp` would build, without storing
    its projections."""
    return _tables(pomdp, [(a, o) for a, o, _ in _branches(pomdp)])


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
    n_s = pomdp.transition.shape[1]
    found = [(a, o, pomdp.discount * joint[:, None, :]) for a, o, joint in _branches(pomdp)]
    tables = _tables(pomdp, [(a, o) for a, o, _ in found])
    blocks = [block for _, _, block in found]
    cost = pomdp.sense.sign * pomdp.expected_reward()  # [a, s]
    projection = (np.stack(blocks) if blocks else np.zeros((0, n_s, 1, n_s)))
    return BackupData(
        cost=np.ascontiguousarray(cost[None, None, :, :, None], dtype=np.float64),
        terminal=np.zeros((1, n_s)),
        branch_ptr=tables.branch_ptr,
        branch_target=tables.branch_target,
        branch_label=tables.branch_label,
        n_labels=tables.n_labels,
        projection=np.ascontiguousarray(projection, dtype=np.float64),
    )
