"""The solver API: :func:`solve` and its :class:`Solution`.

Pipeline: model -> :mod:`decmdp.reduce` (backup data) -> :mod:`decmdp.core`
(exact value iteration, alpha vectors with provenance) -> the policy graph
of the vectors reachable from the initial distribution.

With ``horizon="infinite"`` the core iterates until the Bellman residual
certifies the value (:mod:`decmdp.core.infinite`) and the policy is a
finite-state controller (:mod:`decmdp.controller`).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import Callable

from decmdp.bounds import Bounds, compute_bounds
from decmdp.controller import Certificate, controller_from_stage
from decmdp.core.executors import make_executor
from decmdp.core.infinite import close_cycles
from decmdp.core.prune import LPSolver
from decmdp.core.types import StageStats, StageValue
from decmdp.core.value_iteration import Method, backup_stage, repeating_from
from decmdp.common import Sense
from decmdp.model import TwoPlayerMDP
from decmdp.pipeline import (DEFAULT_EPSILON, DEFAULT_MAX_VECTORS, check_infinite_request, finite_stages,
                             infinite_stages, require_finite, start_rows, value_error_bound)
from decmdp.policy import INFINITE, PolicyGraph, policy_from_stages
from decmdp.reduce import reduce_two_player
from decmdp.tolerances import DEFAULT_TOLERANCES, Tolerances



@dataclasses.dataclass(frozen=True)
class Solution:
    """An exact solution, in the problem's sense (cost or reward).

    Attributes
    ----------
    value : float
        Optimal expected total objective ``sum_x1 p0(x1) V_0(x1, b0(x1))``.
        For an infinite horizon: the value of the last vector set, within
        ``certificate.error_bound`` of the optimum.
    initial_values : dict of str to float
        ``V_0(x1, b0(x1))`` for each initial ``x1`` with ``p0(x1) > 0``: the
        optimal value given that ``x1(0) = x1``.
    policy : PolicyGraph
        An optimal joint policy, trimmed to what is reachable; for an
        infinite horizon a cyclic one (finite-state controller).
    error_bound : float
        Proven bound on ``|value - exact optimum|`` from the tolerances
        actually used: every prune's certified error, the rounding of every
        backup, and their propagation through the stages (see
        ``docs/design.md``, "Tolerances and the error bound").  For an
        infinite horizon, ``certificate.error_bound``.
    bounds : Bounds or None
        Full-information and blind-player-2 values (None if not asked for,
        and for an infinite horizon).
    stats : tuple of StageStats
        Per stage computed, from ``t = horizon - 1`` down: vectors generated
        and kept, LPs solved, LP fallbacks and troubles, errors, seconds.
        For an infinite horizon, one per backup (``stage`` = iteration,
        residual LP time included).
    sense : Sense
    horizon : int or "infinite"
    method : str
    seconds : float
        Wall-clock time of the whole solve, bounds included.
    value_function : tuple of StageValue
        ``Gamma_t`` for ``t = 0..horizon`` in minimization form (raw core
        output, for experts).  With the lifted method ``Gamma_0`` holds only
        the vector optimal at each initial belief, the only place where
        stage 0 is ever evaluated.  For an infinite horizon the last two
        sets ``(Gamma_{n+1}, Gamma_n)``.
    repeating_from : int or None
        Finite horizon: when the backup reached a fixed point, the last
        stage ``s`` such that stages ``0 .. s`` are identical (stored once
        and computed once); None otherwise.
    certificate : Certificate or None
        Infinite horizon: iterations, residual, error bound, the
        controller's exact value and its certified gap.
    """

    value: float
    initial_values: dict
    policy: PolicyGraph
    error_bound: float
    bounds: Bounds | None
    stats: tuple
    sense: Sense
    horizon: int
    method: str
    seconds: float
    value_function: tuple = dataclasses.field(repr=False)
    repeating_from: int | None = None
    certificate: Certificate | None = None
    model: TwoPlayerMDP | None = dataclasses.field(default=None, repr=False)
    """The problem solved (at the horizon solved), for :meth:`full_stage`."""

    def full_stage(self, t: int) -> StageValue:
        """``Gamma_t`` in full (minimization form), e.g. to draw ``V_t``.

        The lifted solve computes stage 0 only at the initial beliefs; for
        ``t == 0`` this runs that one backup in full from ``Gamma_1``.  Other
        stages (and stage 0 of the other solves) are returned as stored.
        """
        sv = self.value_function[t]
        pointwise = (t == 0 and self.method == Method.LIFTED.value and self.certificate is None
                     and self.repeating_from is None and self.model is not None)
        return self._full_first_stage if pointwise else sv

    @functools.cached_property
    def _full_first_stage(self) -> StageValue:
        """Stage 0 backed up in full from ``Gamma_1`` (once per solution)."""
        return backup_stage(reduce_two_player(self.model), 0, self.value_function[1])[0]

    def summary(self) -> dict:
        """A JSON-ready summary: value, sense, horizon, method, bounds, stats.

        Also ``repeating_from`` (finite horizon) and ``certificate`` (infinite).
        """
        return {
            "value": self.value,
            "error_bound": self.error_bound,
            "sense": self.sense.value,
            "horizon": self.horizon,
            "method": self.method,
            "initial_values": self.initial_values,
            "bounds": dataclasses.asdict(self.bounds) if self.bounds else None,
            "policy_nodes": len(self.policy),
            "seconds": self.seconds,
            "stats": [s._asdict() for s in sorted(self.stats, key=lambda s: s.stage)],
            "repeating_from": self.repeating_from,
            "certificate": dataclasses.asdict(self.certificate) if self.certificate else None,
        }

    def plot_value(self, path=None, *, stage: int = 0, x1: str | None = None, force: bool = False):
        """Draw the value function over player 2's belief about ``x2``.

        Each region is coloured by the optimal ``u1`` and prescription
        (``docs/plots.md``).

        Needs the extra ``decmdp[plot]`` (matplotlib).

        Parameters
        ----------
        path : str or path-like, optional
            Write the picture here (``.png``, ``.svg`` or ``.pdf``) and return
            None; without it, return the matplotlib Figure.
        stage : int
            ``0 .. horizon - 1``.
        x1 : str, optional
            Player 1's observed state; default the first initial one.
        force : bool
            Overwrite ``path`` if it exists; otherwise an existing file
            raises :class:`FileExistsError`.

        Raises
        ------
        decmdp.plot.MissingPlotExtra
            If matplotlib is not installed.
        ValueError
            For an unknown stage, x1 or figure format.
        """
        from decmdp.plot import save_figure, solution_value_figure

        return save_figure(lambda: solution_value_figure(self, stage, x1), path, force)


def solve(
    model: TwoPlayerMDP,
    horizon: int | str | None = None,
    method: Method | str = Method.LIFTED,
    *,
    epsilon: float = DEFAULT_EPSILON,
    bounds: bool = True,
    max_vectors: int | None = DEFAULT_MAX_VECTORS,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    progress: Callable[[StageStats], None] | None = None,
    lp: LPSolver | str = LPSolver.NUMBA,
    jobs: int | None = None,
    scheduler=None,
) -> Solution:
    """Solve a two-player problem exactly.

    Parameters
    ----------
    model : TwoPlayerMDP
        A validated problem.
    horizon : int or "infinite", optional
        Overrides ``model.horizon``.  ``"infinite"``: the discounted
        infinite-horizon problem (needs ``discount < 1`` and a
        time-invariant cost); the terminal cost only seeds the iteration.
    method : {"lifted", "enumerate"}
        ``"lifted"`` (default): pointwise prescriptions and incremental
        pruning in the lifted space.  ``"enumerate"``: every prescription as
        an action; exponential in ``|X2|``, for cross-checks.
    epsilon : float
        Infinite horizon only: iterate until ``|value - optimum| <= epsilon``
        is certified (see :class:`~decmdp.controller.Certificate`).
    bounds : bool, default True
        Also compute :class:`~decmdp.bounds.Bounds` (finite horizon only),
        within a budget of their own (:func:`~decmdp.bounds.compute_bounds`)
        and on the same ``jobs`` or ``scheduler`` as the solve: a bound that
        does not fit is reported unavailable, never an error.
    max_vectors : int or None
        Stop with :class:`~decmdp.errors.VectorLimitError` when a stage
        needs more vectors; None for no limit.
    tolerances : Tolerances
        Pruning tolerances.
    progress : callable, optional
        Called with each stage's :class:`StageStats` when it is done.
    lp : {"numba", "highs"}
        LP solver of the witness step: the numba simplex (default; HiGHS
        decides where it cannot prove a decision) or HiGHS throughout.
    jobs : int, optional
        Workers for the prunes of the solve (finite or infinite horizon, and
        the blind-player-2 bound): threads on this machine (default: all
        cores; 1 = serial), or with ``scheduler="local"`` the workers of a
        local Dask cluster.  The answer is the same for
        every ``jobs`` and ``scheduler``.  A ``progress`` object with an
        ``on_unit(stage, done, submitted)`` method also hears of each finished
        work unit.
    scheduler : str or distributed.Client, optional
        ``"tcp://HOST:PORT"`` of a running ``dask.distributed`` scheduler,
        ``"local"`` to start a ``LocalCluster`` for this solve, or a connected
        ``distributed.Client`` (kept open; needs ``pip install 'decmdp[dask]'``).

    Returns
    -------
    Solution

    Raises
    ------
    ProblemError
        If ``horizon`` is invalid for the model, or ``"infinite"`` with a
        discount of 1 or a time-varying cost, or ``epsilon`` is not positive,
        or (never expected after validation) the value is not finite.
    ValueError
        If ``method`` is unknown (the message lists the valid ones).
    VectorLimitError
        If ``max_vectors`` is exceeded.
    MemoryLimitError
        If the stored stages or the policy graph would outgrow
        :data:`decmdp.core.value_iteration.MAX_STORED_BYTES` (a long horizon
        whose stages never repeat).
    """
    started = time.perf_counter()
    method = Method.parse(method)
    lp = LPSolver.parse(lp)
    if horizon == INFINITE:
        return _solve_infinite(model, method, epsilon, max_vectors, tolerances, progress, started, lp, jobs,
                               scheduler)
    if horizon is not None:
        model = model.with_horizon(horizon)
    horizon = model.horizon
    data = reduce_two_player(model)
    with make_executor(jobs, scheduler) as executor:  # the bounds' solve runs on it too
        stages, stats = finite_stages(data, horizon, method, tolerances, max_vectors, progress, lp, executor,
                                      final_beliefs=model.initial)
        internal, initial_values, start = start_rows(stages[0], model.initial)
        require_finite([internal], "optimal value")
        found = None
        if bounds:
            found = compute_bounds(model, internal, tolerances, max_vectors,
                                   seconds=time.perf_counter() - started, lp=lp, executor=executor)
    policy = policy_from_stages(model, data, stages, start)
    error_bound = value_error_bound(stages[0], stats, model.n1 * model.n2 + 1)
    return Solution(
        **_user_values(model, internal, initial_values),
        policy=policy,
        error_bound=error_bound,
        bounds=found,
        stats=tuple(stats),
        sense=model.sense,
        horizon=horizon,
        method=method.value,
        seconds=time.perf_counter() - started,
        value_function=tuple(stages),
        repeating_from=repeating_from(stages),
        model=model,
    )


def _user_values(model: TwoPlayerMDP, internal: float, initial_values: dict) -> dict:
    """``value`` and ``initial_values`` (by ``x1`` name) of a Solution, in the problem's sense."""
    return {"value": float(model.to_user_sense(internal)),
            "initial_values": {model.player1_states[x1]: float(model.to_user_sense(v))
                               for x1, v in initial_values.items()}}


def _solve_infinite(model, method, epsilon, max_vectors, tolerances, progress, started, lp, jobs,
                    scheduler) -> Solution:
    """The discounted infinite-horizon solve (see :func:`solve`)."""
    check_infinite_request(model.discount, epsilon, "total cost", model.is_time_varying)
    data = reduce_two_player(model)
    with make_executor(jobs, scheduler) as executor:
        run = infinite_stages(data, model.discount, epsilon, method, tolerances, max_vectors, lp, progress,
                              executor)
    internal, initial_values, start = start_rows(run.stage, model.initial)
    policy, controller_value = controller_from_stage(model, run.stage, close_cycles(data, run), start)
    certificate = Certificate.from_run(run, epsilon, internal, model.sense.sign, controller_value)
    return Solution(
        **_user_values(model, internal, initial_values),
        policy=policy,
        error_bound=float(run.error_bound),
        bounds=None,
        stats=tuple(run.stats),
        sense=model.sense,
        horizon=INFINITE,
        method=method.value,
        seconds=time.perf_counter() - started,
        value_function=(run.stage, run.previous),
        certificate=certificate,
    )
