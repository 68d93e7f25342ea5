"""Exact finite-horizon value iteration of a general POMDP through the core.

The model reaches the core through :func:`decmdp.reduce.reduce_pomdp`
(``Y = 1``, ``L = 1``, one branch per observation, minimization form), so
that the stage-0 vectors are, up to the sign, what pomdp-solve's
incremental pruning computes.  ``horizon`` is the number of backups from the
zero terminal value (pomdp-solve's ``-horizon``).

:func:`solve_infinite` iterates instead until the Bellman residual certifies
the discounted infinite-horizon value (:mod:`decmdp.core.infinite`) and
returns a finite-state controller (:mod:`decmdp.pomdp.controller`) with its
exact value and certified gap.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable

import networkx as nx
import numpy as np

from decmdp.controller import Certificate
from decmdp.core.executors import make_executor
from decmdp.core.infinite import close_cycles
from decmdp.core.prune import LPSolver
from decmdp.core.types import StageStats
from decmdp import dot
from decmdp.common import exact_number_text
from decmdp.errors import ProblemError
from decmdp.pipeline import (DEFAULT_MAX_VECTORS, check_infinite_request, finite_stages, infinite_stages,
                             require_finite, start_rows, value_error_bound)
from decmdp.pomdp.controller import PomdpController, controller_from_stage
from decmdp.pomdp.model import Pomdp
from decmdp.provenance import walk_stages
from decmdp.reduce import reduce_pomdp
from decmdp.reduce.pomdp import pomdp_branches
from decmdp.tolerances import DEFAULT_TOLERANCES, Tolerances
from decmdp.validation import MAX_VALUE_MAGNITUDE, total_bound


@dataclasses.dataclass(frozen=True)
class PomdpSolution:
    """The optimal finite-horizon value function of a POMDP, in its own sense.

    Attributes
    ----------
    pomdp : Pomdp
    horizon : int or "infinite"
    vectors : ndarray, shape (N, S)
        The stage-0 alpha vectors in the file's sense (rewards, or costs for
        ``values: cost``): ``value(b) = max_n b . vectors[n]`` for rewards,
        ``min`` for costs.
    actions : ndarray of int, shape (N,)
        The action of each vector.
    vectors_per_stage : tuple of int
        ``|Gamma_t|`` for ``t = 0 .. horizon - 1``; for an infinite horizon
        ``|Gamma_n|`` after each backup ``n = 1, 2, ...``.
    error_bound : float
        Proven bound on ``|value(b) - exact optimum at b|`` for every belief
        ``b``, from the tolerances actually used (pruning certificates,
        rounding, propagation through the stages); for an infinite horizon
        ``certificate.error_bound``.
    stats : tuple of StageStats
    value_function : tuple of StageValue
        Raw core output in minimization form (``t = 0 .. horizon``; for an
        infinite horizon the last two sets).
    controller : PomdpController or None
        Infinite horizon: the finite-state controller, with its exact values.
    certificate : Certificate or None
        Infinite horizon: iterations, residual, error bound, the
        controller's value at the start belief and its certified gap.
    """

    pomdp: Pomdp
    horizon: int
    vectors: np.ndarray
    actions: np.ndarray
    vectors_per_stage: tuple
    error_bound: float
    stats: tuple
    value_function: tuple = dataclasses.field(repr=False)
    controller: PomdpController | None = None
    certificate: Certificate | None = None

    def value(self, belief=None) -> float:
        """Optimal expected total reward (or cost) from ``belief``.

        Parameters
        ----------
        belief : array_like, shape (S,), optional
            Default: the file's start belief.
        """
        return self._best(belief)[1]

    def best_action(self, belief=None) -> str:
        """Name of an optimal first action at ``belief``."""
        return self.pomdp.actions[int(self.actions[self._best(belief)[0]])]

    def _best(self, belief) -> tuple[int, float]:
        """The best stage-0 vector at ``belief`` (default: the start) and its value, in the file's sense."""
        b = self.pomdp.start if belief is None else np.asarray(belief, dtype=np.float64)
        if b.shape != (len(self.pomdp.states),):
            raise ValueError(f"belief: has shape {b.shape}, expected ({len(self.pomdp.states)},)")
        scores = self.vectors @ b
        best = int(np.argmin(self.pomdp.sense.sign * scores))  # minimization form
        return best, float(scores[best])

    def alpha_text(self) -> str:
        """The stage-0 vectors in pomdp-solve's ``.alpha`` format.

        Per vector: a line with the 0-based action index, a line with the
        values, a blank line; values in the file's sense.
        """
        return "".join(f"{a}\n{' '.join(exact_number_text(v) for v in row)}\n\n"
                       for a, row in zip(self.actions, self.vectors))

    def plot_value(self, path=None, *, stage: int = 0, force: bool = False):
        """Draw the value function over the belief, each region coloured by the optimal action.

        Needs the extra ``decmdp[plot]`` (matplotlib).  ``path``, ``stage``
        (``0 .. horizon - 1``), ``force``, the return value and the errors
        are those of :meth:`decmdp.Solution.plot_value`.
        """
        from decmdp.plot import pomdp_value_figure, save_figure

        return save_figure(lambda: pomdp_value_figure(self, stage), path, force)

    def plot_policy(self, path, engine: str = "auto", force: bool = False) -> None:
        """Draw the policy graph to ``path`` (``.png``, ``.svg``, ``.pdf``).

        Graphviz's ``dot`` draws it when on PATH (``engine="auto"``), else a
        layered layout with matplotlib (extra ``decmdp[plot]``).  An existing
        ``path`` is overwritten only with ``force``.
        """
        from decmdp.plot import pomdp_policy_picture, save_picture

        save_picture(lambda fmt: pomdp_policy_picture(self, fmt, engine), path, force)

    def policy_graph(self) -> nx.MultiDiGraph:
        """The policy graph reachable from the start belief, or the controller.

        Node ids are ``"t{t}_{row}"`` (row of ``Gamma_t``) for a finite
        horizon, ``"n{n}"`` for a controller; node attributes ``stage`` (None
        for a controller) and ``action`` (name), edge attribute
        ``observation`` (name); ``graph.graph["start"]`` is the start node.
        Two observations may lead to the same node, hence a multigraph.
        Nodes are in the walker's breadth-first order
        (:mod:`decmdp.provenance`).
        """
        pomdp, graph = self.pomdp, nx.MultiDiGraph()
        if self.controller is not None:
            c = self.controller
            for n in range(len(c)):
                graph.add_node(f"n{n}", stage=None, action=pomdp.actions[c.action[n]])
            for n, o in zip(*np.nonzero(c.next >= 0)):
                graph.add_edge(f"n{n}", f"n{c.next[n, o]}", observation=pomdp.observations[o])
            graph.graph["start"] = f"n{c.start}"
            return graph
        stages, found = self.value_function, self._walk
        ids = [f"t{t}_{row}" for t, row in found.keys]
        for node, (t, row) in zip(ids, found.keys):
            graph.add_node(node, stage=t, action=pomdp.actions[stages[t].action[row]])
        for node, o, child in found.edges:
            graph.add_edge(ids[node], ids[child], observation=pomdp.observations[o])
        graph.graph["start"] = ids[found.start[0]]
        return graph

    @functools.cached_property
    def _walk(self):
        """The finite-horizon policy's vectors, reached from the start belief (once per solution)."""
        _, _, start = start_rows(self.value_function[0], self.pomdp.start[None, :])
        return walk_stages(pomdp_branches(self.pomdp), self.value_function, [start[0]])

    @staticmethod
    def node_lines(node: str, attrs: dict) -> tuple[str, str]:
        """The two lines DOT and pictures show for a node of :meth:`policy_graph`:
        its stage (a controller's node: its id) and its action."""
        return (node if attrs["stage"] is None else f"t={attrs['stage']}"), attrs["action"]

    def to_dot(self) -> str:
        """Graphviz DOT of :meth:`policy_graph`: each node's stage (or id) and action, edges by observation."""
        graph = self.policy_graph()
        return dot.digraph(self.pomdp.name or "pomdp",
                           [(node, self.node_lines(node, a)) for node, a in graph.nodes(data=True)],
                           [("start", graph.graph["start"])],
                           [(u, v, d["observation"]) for u, v, d in graph.edges(data=True)])


def solve(pomdp: Pomdp, horizon: int, *, max_vectors: int | None = DEFAULT_MAX_VECTORS,
          tolerances: Tolerances = DEFAULT_TOLERANCES,
          progress: Callable[[StageStats], None] | None = None,
          lp: LPSolver | str = LPSolver.NUMBA, jobs: int | None = None,
          scheduler=None) -> PomdpSolution:
    """Solve a POMDP exactly for a finite horizon.

    Parameters
    ----------
    pomdp : Pomdp
    horizon : int
        Number of stages (>= 1).
    max_vectors : int or None
        Raise :class:`~decmdp.errors.VectorLimitError` when a stage needs
        more vectors (default :data:`decmdp.pipeline.DEFAULT_MAX_VECTORS`,
        as for :func:`decmdp.solve`); None for no limit.
    tolerances : Tolerances
    progress : callable, optional
        Called with each stage's statistics.
    lp : {"numba", "highs"}
        LP solver of the witness step (see :func:`decmdp.solve`).
    jobs, scheduler
        Workers and Dask scheduler, as for :func:`decmdp.solve`; the answer
        does not depend on them.

    Returns
    -------
    PomdpSolution

    Raises
    ------
    ProblemError
        When the rewards are so large that the total over ``horizon`` stages
        could overflow float64.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon: is {horizon!r}, expected a positive integer")
    with np.errstate(over="ignore", invalid="ignore"):  # huge rewards: reported just below
        data = reduce_pomdp(pomdp)
    largest = np.abs(data.cost).max(initial=0.0)
    bound = total_bound([largest], 0.0, int(horizon), pomdp.discount)
    if not bound <= MAX_VALUE_MAGNITUDE:
        kind = pomdp.sense.objective
        raise ProblemError(f"R: an expected {kind} of {largest:.3g} per stage over {horizon} stages could "
                           f"total {bound:.3g}, beyond the limit of {MAX_VALUE_MAGNITUDE:.0e} (float64 ends "
                           f"near 1.8e308); scale the {kind}s down")
    with make_executor(jobs, scheduler) as executor:
        stages, stats = finite_stages(data, int(horizon), "lifted", tolerances, max_vectors, progress, lp, executor)
    first = stages[0]
    require_finite(first.values, "stage-0 alpha vectors")
    return PomdpSolution(
        pomdp=pomdp,
        horizon=int(horizon),
        vectors=pomdp.sense.sign * first.values,
        actions=first.action.copy(),
        vectors_per_stage=tuple(int(stages[t].values.shape[0]) for t in range(int(horizon))),
        error_bound=value_error_bound(first, stats, len(pomdp.states) + 1),
        stats=tuple(stats),
        value_function=tuple(stages),
    )


def solve_infinite(pomdp: Pomdp, epsilon: float, *, max_vectors: int | None = DEFAULT_MAX_VECTORS,
                   tolerances: Tolerances = DEFAULT_TOLERANCES,
                   progress: Callable[[StageStats], None] | None = None,
                   lp: LPSolver | str = LPSolver.NUMBA, jobs: int | None = None,
                   scheduler=None) -> PomdpSolution:
    """Solve the discounted infinite-horizon POMDP to a certified ``epsilon``.

    Parameters
    ----------
    pomdp : Pomdp
        ``discount < 1``.
    epsilon : float
        Iterate until ``|value - optimum| <= epsilon`` is certified (in every
        belief).
    max_vectors, tolerances, progress, lp, jobs, scheduler
        As :func:`solve`; the answer is the same for every ``jobs`` and
        ``scheduler``.

    Returns
    -------
    PomdpSolution
        ``horizon == "infinite"``, with :attr:`~PomdpSolution.controller`
        and :attr:`~PomdpSolution.certificate`.

    Raises
    ------
    ProblemError
        If the discount is 1 or ``epsilon`` is not positive.
    """
    check_infinite_request(pomdp.discount, epsilon, "total")
    data = reduce_pomdp(pomdp)
    with make_executor(jobs, scheduler) as executor:
        run = infinite_stages(data, pomdp.discount, epsilon, "lifted", tolerances, max_vectors, lp, progress,
                              executor)
    internal, _, start = start_rows(run.stage, pomdp.start[None, :])
    controller = controller_from_stage(pomdp, run.stage, close_cycles(data, run), start[0])
    certificate = Certificate.from_run(run, epsilon, internal, pomdp.sense.sign, controller.value(pomdp.start))
    return PomdpSolution(
        pomdp=pomdp,
        horizon="infinite",
        vectors=pomdp.sense.sign * run.stage.values,
        actions=run.stage.action.copy(),
        vectors_per_stage=tuple(s.kept for s in run.stats),
        error_bound=float(run.error_bound),
        stats=tuple(run.stats),
        value_function=(run.stage, run.previous),
        controller=controller,
        certificate=certificate,
    )
