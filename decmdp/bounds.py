"""Bounds on the optimum that bracket it from both sides (``docs/theory.md`` section 8).

* Full information: both players see ``(x1, x2)`` -- an MDP on the joint
  state with joint action, solved by backward induction.  No decentralized
  policy does better: a lower bound for costs (upper for rewards).
* Blind player 2: player 2 ignores ``x2`` and acts on the ``x1`` history
  only -- a restriction of the decentralized policies, so no better than the
  optimum.  Solved exactly by the same core with action ``(u1, u2)``.

Their gaps to the optimum are the price of decentralization and the value of
player 2's private information.

A bound is a by-product, so it never aborts a solve or costs more than the
solve itself: the blind-player-2 bound runs within its own budget
(:data:`BOUND_TIME_SHARE` of the solve's time, at least
:data:`BOUND_MIN_SECONDS`, and its own vector limit); past it, it is
reported unavailable with the reason.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from decmdp.core.executors import SERIAL, Executor
from decmdp.core.value_iteration import Method
from decmdp.errors import MemoryLimitError, TimeLimitError, VectorLimitError
from decmdp.model import TwoPlayerMDP
from decmdp.pipeline import finite_stages, start_rows
from decmdp.reduce import reduce_blind

BOUND_TIME_SHARE = 1.0
"""The blind-player-2 bound may take this multiple of the solve's own time..."""
BOUND_MIN_SECONDS = 2.0
"""...but at least this many seconds."""


@dataclasses.dataclass(frozen=True)
class Bounds:
    """Bounds on the optimal value, in the problem's sense.

    Attributes
    ----------
    full_information : float
        Value when both players see ``(x1, x2)``.
    blind_player2 : float or None
        Value when player 2 ignores ``x2``; None when it could not be
        computed within its budget (see :attr:`unavailable`).
    price_of_decentralization : float
        ``|optimum - full_information|``: what nested information costs.
    value_of_information : float or None
        ``|blind_player2 - optimum|``: what player 2's private ``x2`` is worth.
    unavailable : str or None
        Why ``blind_player2`` is missing, if it is.
    """

    full_information: float
    blind_player2: float | None
    price_of_decentralization: float
    value_of_information: float | None
    unavailable: str | None = None


def compute_bounds(model: TwoPlayerMDP, optimum: float, tolerances, max_vectors: int | None,
                   seconds: float, lp="numba", executor: Executor = SERIAL) -> Bounds:
    """Both bounds around ``optimum`` (minimization form), in the user's sense.

    Parameters
    ----------
    model : TwoPlayerMDP
    optimum : float
        The solve's value in minimization form.
    tolerances : Tolerances
    max_vectors : int or None
        The blind bound's own vector limit.
    seconds : float
        What the solve took; the blind bound's time budget is
        ``max(BOUND_MIN_SECONDS, BOUND_TIME_SHARE * seconds)``.
    lp : {"numba", "highs"}
    executor : Executor
        Runs the blind bound's work units (the solve's own executor).
    """
    full = full_information_value(model)
    budget = max(BOUND_MIN_SECONDS, BOUND_TIME_SHARE * seconds)
    try:
        blind = blind_player2_value(model, tolerances, max_vectors, budget, lp, executor)
        reason = None
    except (TimeLimitError, VectorLimitError, MemoryLimitError) as exc:
        blind = None
        reason = (f"the player-2-ignores-x2 bound was not computed: {exc}; it gets its own budget "
                  f"(here {budget:.3g} s); --no-bounds / bounds=False skips it")
    return Bounds(
        full_information=float(model.to_user_sense(full)),
        blind_player2=None if blind is None else float(model.to_user_sense(blind)),
        price_of_decentralization=abs(optimum - full),
        value_of_information=None if blind is None else abs(blind - optimum),
        unavailable=reason,
    )


def blind_player2_value(model: TwoPlayerMDP, tolerances, max_vectors: int | None,
                        time_limit: float | None = None, lp="numba", executor: Executor = SERIAL) -> float:
    """Optimal value (minimization form) when player 2 ignores ``x2``.

    The same core with action ``(u1, u2)`` (:func:`decmdp.reduce.reduce_blind`),
    run as a solve is (:func:`decmdp.pipeline.finite_stages`) on ``executor``.

    Raises
    ------
    VectorLimitError, TimeLimitError, MemoryLimitError
        When ``max_vectors``, ``time_limit`` or the stored stages' memory
        limit is exceeded.
    """
    stages, _ = finite_stages(reduce_blind(model), model.horizon, Method.LIFTED, tolerances, max_vectors, None,
                              lp, executor, final_beliefs=model.initial, time_limit=time_limit)
    return start_rows(stages[0], model.initial)[0]


def full_information_value(model: TwoPlayerMDP) -> float:
    """Optimal value (minimization form) of the centralized MDP on ``(x1, x2)``."""
    value = model.terminal_cost.copy()
    for t in range(model.horizon - 1, -1, -1):
        q = model.stage_cost(t).copy()  # [x1, x2, u1, u2]
        for x1 in range(model.n1):
            for u1 in range(model.m1):
                block = model.transition_block(x1, u1)  # [x2, u2, x1', x2']
                q[x1, :, u1, :] += model.discount * np.einsum("bcpq,pq->bc", block, value)
        value = q.min(axis=(2, 3))
    return float((model.initial * value).sum())
