"""Compile (or load from numba's disk cache) every kernel before a timed solve.

The first solve on a machine compiles the kernels, which takes seconds; a
later one loads them from the cache.  :func:`warm_up` does that work on a
tiny problem, so that a caller can report it on its own instead of charging
it to the first stage of a solve.
"""

from __future__ import annotations

import time

import numpy as np

from decmdp.core.infinite import pointwise_gap
from decmdp.core.lp import drop_certificate, pool_best
from decmdp.core.prune import (dominated_after_sort, duplicate_parts, mark_repeats, prune_counted, row_hashes,
                               rows_by_part)
from decmdp.core.types import BackupData
from decmdp.core.value_iteration import value_iteration
from decmdp.tolerances import Tolerances


def _tiny_problem() -> BackupData:
    """Two observed states, two actions, three hidden states, two inner actions."""
    rng = np.random.default_rng(0)
    Y, A, S, L = 2, 2, 3, 2
    ptr, target, blocks = [0], [], []
    for y in range(Y):
        for a in range(A):
            P = rng.dirichlet(np.ones(Y * S), size=(S, L)).reshape(S, L, Y, S)
            for y2 in range(Y):
                target.append(y2)
                blocks.append(0.9 * P[:, :, y2, :])
            ptr.append(len(target))
    return BackupData(cost=rng.random((1, Y, A, S, L)), terminal=rng.random((Y, S)),
                      branch_ptr=np.asarray(ptr, dtype=np.int64), branch_target=np.asarray(target, dtype=np.int64),
                      branch_label=np.asarray(target, dtype=np.int64), n_labels=Y,
                      projection=np.stack(blocks))


def warm_up() -> float:
    """Run every kernel once on tiny inputs; return the wall seconds it took.

    Well under a second when the kernels are already compiled in this
    process or cached on disk; several seconds the first time.
    """
    started = time.perf_counter()
    data = _tiny_problem()
    value_iteration(data, 4, final_beliefs=np.full((2, 3), 1.0 / 6.0))
    prune_counted(np.random.default_rng(1).random((8, 3)), Tolerances(dominance=1e-12))
    # a dominance check of a large set's partitions (beyond DOMINANCE_PART rows)
    dominated_after_sort(np.eye(3), np.ones(3), 0, 3, 0.0)
    # called from Python when HiGHS decides a vector
    drop_certificate(np.eye(3), np.arange(3, dtype=np.int64), 3, np.full(3, 1.0 / 3.0), np.zeros(3))
    # a block of a pick and the pieces of the duplicate filter on several threads
    pool_best(np.eye(3), np.arange(3, dtype=np.int64), 0, 3, np.full(3, 1.0 / 3.0))
    hashes = np.empty(3, dtype=np.uint64)
    row_hashes(np.eye(3), 0, 3, hashes)
    order, starts = rows_by_part(hashes, int(duplicate_parts(3)))
    mark_repeats(np.eye(3), hashes, order, starts[0], starts[1], 1, np.ones(3, dtype=np.bool_))
    # the infinite-horizon iteration's residual bound
    pointwise_gap(np.eye(3), np.eye(3))
    return time.perf_counter() - started
