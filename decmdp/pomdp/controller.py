r"""Finite-state controllers of general POMDPs (discounted infinite horizon).

The converged vector set of :func:`decmdp.pomdp.solver.solve_infinite`, its
successor pointers closed onto itself, is a controller: node ``n`` plays
action ``a_n`` and, after observation ``o``, moves to ``next_n(o)``.  Its
exact value (in the file's sense) solves, without the dynamic program,

    J(n, s) = r(a_n, s) + beta * sum_{s', o} T(s' | s, a_n) O(o | s', a_n) J(next_n(o), s')

with ``r(a, s) = sum_{s', o} T O R`` the expected immediate reward.  The
value at belief ``b`` of starting in node ``n`` is ``b . J(n)``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from decmdp.controller import discounted_values
from decmdp.core.types import StageValue
from decmdp.pomdp.model import Pomdp
from decmdp.provenance import walk_cycles


@dataclasses.dataclass(frozen=True)
class PomdpController:
    """A finite-state controller of a POMDP, trimmed to what is reachable.

    Attributes
    ----------
    action : int64[N]
        Action index of each node.
    next : int64[N, O]
        Node after each observation; -1 where the observation has
        probability 0 after the node's action.
    start : int
        The node to start in (best at the start belief).
    values : float64[N, S]
        Exact ``J(n, s)`` in the file's sense (:func:`controller_values`).
    """

    action: np.ndarray
    next: np.ndarray
    start: int
    values: np.ndarray

    def __len__(self) -> int:
        return int(self.action.shape[0])

    def value(self, belief: np.ndarray) -> float:
        """Exact expected discounted total from ``belief``, starting at :attr:`start`."""
        return float(np.asarray(belief, dtype=np.float64) @ self.values[self.start])


def controller_from_stage(pomdp: Pomdp, stage: StageValue, next_rows: np.ndarray,
                          start_row: int) -> PomdpController:
    """The controller of the rows reachable from ``start_row`` (renumbered 0..N-1, breadth first)."""
    found = walk_cycles(next_rows, [start_row])
    action = stage.action[np.asarray(found.keys, dtype=np.int64)].copy()
    nxt = np.full((len(found.keys), next_rows.shape[1]), -1, dtype=np.int64)
    for node, o, child in found.edges:
        nxt[node, o] = child
    return PomdpController(action=action, next=nxt, start=0,
                           values=controller_values(pomdp, action, nxt))


def controller_values(pomdp: Pomdp, action: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    """Exact ``J[n, s]`` (file's sense) of the controller ``(action, nxt)``.

    Raises
    ------
    ValueError
        If ``pomdp.discount >= 1``, or a node lacks a successor for an
        observation that can occur.
    """
    beta = pomdp.discount
    if not beta < 1:
        raise ValueError(f"discount: is {beta:g}; a controller's value needs a discount < 1")
    reward = pomdp.expected_reward()
    n_nodes, n_s = action.shape[0], len(pomdp.states)
    joint = {a: pomdp.transition[a][:, :, None] * pomdp.observation[a][None, :, :]  # [s, s', o]
             for a in np.unique(action).tolist()}
    rows, cols, probs = [], [], []
    for n in range(n_nodes):
        a = int(action[n])
        for o in range(joint[a].shape[2]):
            block = joint[a][:, :, o]
            if not block.any():
                continue
            if nxt[n, o] < 0:
                raise ValueError(f"node {n}: no successor for observation {pomdp.observations[o]}, "
                                 f"which can follow action {pomdp.actions[a]}")
            src, dst = np.nonzero(block)
            rows.append(n * n_s + src)
            cols.append(int(nxt[n, o]) * n_s + dst)
            probs.append(block[src, dst])
    return discounted_values(rows, cols, probs, reward[action], beta)
