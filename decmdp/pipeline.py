"""The steps every problem kind takes between its backup data and its Solution.

A solve is ``reduce -> run the core -> choose the start rows -> walk the
provenance -> convert to the user's sense``; the reducers
(:mod:`decmdp.reduce`) and the Solutions (:mod:`decmdp.solver`,
:mod:`decmdp.pomdp.solver`) are per problem kind, the rest is here and in
:mod:`decmdp.provenance`, so that both kinds share one default, one way to
run the core and one way to pick where a policy starts.  Everything here is
in minimization form.
"""

from __future__ import annotations

import numpy as np

from decmdp.core import value_iteration as core_vi
from decmdp.core.infinite import infinite_value_iteration
from decmdp.core.types import StageValue
from decmdp.errors import ProblemError
from decmdp.tolerances import rounding_bound

DEFAULT_MAX_VECTORS = 100_000
"""Default cap on the alpha vectors of one stage, for every problem kind (``max_vectors``)."""
DEFAULT_EPSILON = 1e-6
"""Default certified distance to the infinite-horizon optimum."""


def finite_stages(data, horizon: int, method, tolerances, max_vectors, progress, lp, executor,
                  final_beliefs=None, time_limit=None):
    """Run the core's finite-horizon value iteration on ``executor``.

    Arguments are those of :func:`decmdp.core.value_iteration.value_iteration`;
    the caller opens the executor (:func:`decmdp.core.executors.make_executor`)
    and may run more than one solve on it (the bounds after the solve).  The
    stored stages may take at most
    :data:`decmdp.core.value_iteration.MAX_STORED_BYTES`.  A ``progress``
    object with an ``on_unit`` method hears of each work unit.

    Returns
    -------
    stages, stats
    """
    executor.on_unit = getattr(progress, "on_unit", None)
    return core_vi.value_iteration(data, horizon, method, tolerances, max_vectors, progress, lp,
                                   final_beliefs=final_beliefs, time_limit=time_limit,
                                   max_stored_bytes=core_vi.MAX_STORED_BYTES, executor=executor)


def infinite_stages(data, discount: float, epsilon: float, method, tolerances, max_vectors, lp, progress,
                    executor):
    """Run the core's infinite-horizon value iteration on ``executor``.

    Arguments are those of
    :func:`decmdp.core.infinite.infinite_value_iteration`; as for
    :func:`finite_stages`, the caller opens the executor and a ``progress``
    object with an ``on_unit`` method hears of each work unit.

    Returns
    -------
    InfiniteRun
    """
    executor.on_unit = getattr(progress, "on_unit", None)
    return infinite_value_iteration(data, discount, float(epsilon), method, tolerances, max_vectors, lp=lp,
                                    progress=progress, executor=executor)


def check_infinite_request(discount: float, epsilon, unbounded: str, time_varying: bool = False) -> None:
    """Raise :class:`ProblemError` listing why an infinite-horizon solve cannot run.

    ``unbounded`` names what a discount of 1 leaves unbounded (``"total cost"``,
    ``"total"``).
    """
    errors = []
    if not discount < 1:
        errors.append(f"discount: is {discount:g}; an infinite horizon needs a discount < 1 "
                      f"(with discount 1 the {unbounded} is unbounded)")
    if time_varying:
        errors.append("cost: is time-varying; an infinite horizon needs a time-invariant cost")
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not epsilon > 0:
        errors.append(f"epsilon: is {epsilon!r}, expected a positive number")
    if errors:
        raise ProblemError(errors)


def require_finite(values, what: str) -> None:
    """Raise :class:`ProblemError` unless every value is finite (an overflow is caught, not returned).

    Validation refuses objectives whose total could overflow, so this is a
    last guard: a NaN or infinity is never reported as an answer.
    """
    if not np.all(np.isfinite(values)):
        raise ProblemError(f"value: the {what} overflowed float64 (got {values!r}); "
                           "scale the costs or rewards down")


def start_rows(first: StageValue, beliefs: np.ndarray):
    """Best stage-0 vector for each observed state of positive initial mass.

    Parameters
    ----------
    first : StageValue
        ``Gamma_0`` (minimization form).
    beliefs : float64[Y, S]
        Unnormalized initial beliefs: ``p0(y, s)`` (one row for a POMDP).

    Returns
    -------
    total : float
        ``sum_y min_alpha beliefs[y] . alpha``.
    conditional : dict of int to float
        ``V_0(y, b0(y))`` for each ``y`` with positive mass.
    start : dict of int to int
        The chosen global row of ``first`` for each such ``y`` (the lowest
        on ties).
    """
    total, conditional, start = 0.0, {}, {}
    for y, weight in enumerate(beliefs):
        mass = weight.sum()
        if mass <= 0:
            continue
        scores = first.values[first.ptr[y]:first.ptr[y + 1]] @ weight
        best = int(np.argmin(scores))
        total += float(scores[best])
        conditional[y] = float(scores[best] / mass)
        start[y] = int(first.ptr[y]) + best
    return total, conditional, start


def value_error_bound(first: StageValue, stats, terms: int) -> float:
    """Stage 0's proven error bound plus the rounding of a value ``b . alpha`` of ``terms`` terms."""
    stage0 = stats[-1].error_bound if stats else 0.0
    magnitude = float(np.max(np.abs(first.values), initial=0.0))
    return float(stage0 + rounding_bound(terms, magnitude))
