r"""The one provenance walker: which alpha vectors a policy reaches.

The core's vectors remember where they came from
(:class:`~decmdp.core.types.StageValue`).  **Invariant** it relies on: row
``r`` of ``Gamma_t``, of observed state ``y`` (``ptr[y] <= r < ptr[y+1]``)
and action ``a = action[r]``, names for each successor label ``l`` with
``successor[r, l] >= 0`` the *local* index of its successor vector within
``Gamma_{t+1}(y')``, where ``y'`` is the target of the branch of ``(y, a)``
labelled ``l`` (:attr:`~decmdp.core.types.BackupData.branch_target`)::

      Gamma_t                              Gamma_{t+1}
      row r  (y, a) --- label l --->  row ptr[y'] + successor[r, l],
                                           y' = target of (y, a, l)

The walker resolves each label to its target through the backup data, so it
assumes nothing about the reduction: the two-player one has target = label
= ``x1'``, the ``.POMDP`` one target 0 (its one observed state) and label =
observation.  A closed (cyclic) stage of an infinite-horizon solve already
holds global rows (:func:`decmdp.core.infinite.close_cycles`).

Nodes are numbered in breadth-first order of discovery from the start rows,
and edges listed by node, then label: the order of every policy graph,
controller and DOT file made from a solve.
"""

from __future__ import annotations

from typing import Callable, Hashable, Iterable, NamedTuple

import numpy as np

from decmdp.core.types import BackupData, StageValue


class Walk(NamedTuple):
    """The part of a value function a policy reaches.

    Attributes
    ----------
    keys : list
        Node keys in discovery order: ``(t, row)`` for stages, ``row`` for
        a closed stage.  Node ``i`` is ``keys[i]``.
    start : list of int
        The node of each start row, in the order given.
    edges : list of (int, int, int)
        ``(node, label, child node)``, by node, then by label.
    """

    keys: list
    start: list
    edges: list


def walk(starts: Iterable[Hashable], children: Callable[[Hashable], Iterable], admit=None) -> Walk:
    """Breadth-first walk from ``starts``; ``children(key)`` yields ``(label, child key)``.

    ``admit(key, count)``, if given, is called before the ``count``-th node
    is added (to refuse a graph that would not fit in memory).
    """
    index: dict = {}
    keys: list = []

    def visit(key) -> int:
        if key not in index:
            if admit is not None:
                admit(key, len(keys) + 1)
            index[key] = len(keys)
            keys.append(key)
        return index[key]

    start = [visit(key) for key in starts]
    edges = []
    node = 0
    while node < len(keys):
        for label, child in children(keys[node]):
            edges.append((node, int(label), visit(child)))
        node += 1
    return Walk(keys, start, edges)


def observed_state(stage: StageValue, row: int) -> int:
    """The observed state ``y`` whose rows of ``stage`` hold ``row``."""
    return int(np.searchsorted(stage.ptr, row, side="right") - 1)


def walk_stages(data: BackupData, stages, start_rows: Iterable[int], admit=None) -> Walk:
    """The rows of a finite-horizon value function reachable from ``start_rows`` of ``stages[0]``.

    Parameters
    ----------
    data : BackupData or PomdpBranches
        The branch tables (``branch_ptr``, ``branch_target``,
        ``branch_label``, ``n_labels``) of the backup data the stages were
        computed from: they map each label to its target.
    stages : sequence of StageValue
        ``Gamma_0 .. Gamma_T``; the terminal set is never a node.
    start_rows : iterable of int
        Global rows of ``stages[0]``.
    admit : callable, optional
        See :func:`walk`; keys are ``(t, row)``.
    """
    horizon = len(stages) - 1
    n_actions = (data.branch_ptr.shape[0] - 1) // (stages[0].ptr.shape[0] - 1)
    targets = np.full((data.branch_ptr.shape[0] - 1, data.n_labels), -1, dtype=np.int64)
    for ya in range(targets.shape[0]):
        branches = slice(data.branch_ptr[ya], data.branch_ptr[ya + 1])
        targets[ya, data.branch_label[branches]] = data.branch_target[branches]

    def children(key):
        t, row = key
        if t + 1 == horizon:
            return
        sv, nxt = stages[t], stages[t + 1]
        ya = observed_state(sv, row) * n_actions + int(sv.action[row])
        for label in np.flatnonzero(sv.successor[row] >= 0):
            yield label, (t + 1, int(nxt.ptr[targets[ya, label]]) + int(sv.successor[row, label]))

    return walk(((0, int(row)) for row in start_rows), children, admit)


def walk_cycles(next_rows: np.ndarray, start_rows: Iterable[int]) -> Walk:
    """The rows of a closed stage reachable from ``start_rows``; ``next_rows[row, label]`` is a global row or -1."""

    def children(row):
        for label in np.flatnonzero(next_rows[row] >= 0):
            yield label, int(next_rows[row, label])

    return walk((int(row) for row in start_rows), children)
