"""The solver API: :func:`solve` and its :class:`Solution`.

Pipeline: model -> :mod:`decmdp.reducer` (backup data) -> :mod:`decmdp.core`
(exact value iteration, alpha vectors with provenance) -> the policy graph
of the vectors reachable from the initial distribution.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from typing import Callable

import networkx as nx
import numpy as np

from decmdp.bounds import Bounds, full_information_value
from decmdp.core.types import StageStats, StageValue
from decmdp.core.value_iteration import Method, value_iteration
from decmdp.model import Sense, TwoPlayerMDP
from decmdp.policy import PolicyGraph
from decmdp.reducer import reduce, reduce_blind
from decmdp.tolerances import DEFAULT_TOLERANCES, Tolerances

DEFAULT_MAX_VECTORS = 100_000
"""Default cap on the alpha vectors of one stage (see ``max_vectors``)."""


@dataclasses.dataclass(frozen=True)
class Solution:
    """An exact solution, in the problem's sense (cost or reward).

    Attributes
    ----------
    value : float
        Optimal expected total objective ``sum_x1 p0(x1) V_0(x1, b0(x1))``.
    initial_values : dict of str to float
        ``V_0(x1, b0(x1))`` for each initial ``x1`` with ``p0(x1) > 0``: the
        optimal value given that ``x1(0) = x1``.
    policy : PolicyGraph
        An optimal joint policy, trimmed to what is reachable.
    bounds : Bounds or None
        Full-information and blind-player-2 values (None if not asked for).
    stats : tuple of StageStats
        Per stage, from ``t = horizon - 1`` down to 0: vectors generated and
        kept, LPs solved, seconds.
    sense : Sense
    horizon : int
    method : str
    seconds : float
        Wall-clock time of the whole solve, bounds included.
    value_function : tuple of StageValue
        ``Gamma_t`` for ``t = 0..horizon`` in minimization form (raw core
        output, for experts).
    """

    value: float
    initial_values: dict
    policy: PolicyGraph
    bounds: Bounds | None
    stats: tuple
    sense: Sense
    horizon: int
    method: str
    seconds: float
    value_function: tuple = dataclasses.field(repr=False)

    def summary(self) -> dict:
        """A JSON-ready summary: value, sense, horizon, method, bounds, stats."""
        return {
            "value": self.value,
            "sense": self.sense.value,
            "horizon": self.horizon,
            "method": self.method,
            "initial_values": self.initial_values,
            "bounds": dataclasses.asdict(self.bounds) if self.bounds else None,
            "policy_nodes": len(self.policy),
            "seconds": self.seconds,
            "stats": [s._asdict() for s in sorted(self.stats, key=lambda s: s.stage)],
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
    horizon: int | None = None,
    method: Method | str = Method.LIFTED,
    *,
    bounds: bool = True,
    max_vectors: int | None = DEFAULT_MAX_VECTORS,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    progress: Callable[[StageStats], None] | None = None,
) -> Solution:
    """Solve a two-player problem exactly.

    Parameters
    ----------
    model : TwoPlayerMDP
        A validated problem.
    horizon : int, optional
        Overrides ``model.horizon``.
    method : {"lifted", "enumerate"}
        ``"lifted"`` (default): pointwise prescriptions and incremental
        pruning in the lifted space.  ``"enumerate"``: every prescription as
        an action; exponential in ``|X2|``, for cross-checks.
    bounds : bool, default True
        Also compute :class:`~decmdp.bounds.Bounds`.
    max_vectors : int or None
        Stop with :class:`~decmdp.errors.VectorLimitError` when a stage
        needs more vectors; None for no limit.
    tolerances : Tolerances
        Pruning tolerances.
    progress : callable, optional
        Called with each stage's :class:`StageStats` when it is done.

    Returns
    -------
    Solution

    Raises
    ------
    ProblemError
        If ``horizon`` is invalid for the model.
    ValueError
        If ``method`` is unknown (the message lists the valid ones).
    VectorLimitError
        If ``max_vectors`` is exceeded.
    """
    started = time.perf_counter()
    method = Method.parse(method)
    if horizon is not None:
        model = model.with_horizon(horizon)
    horizon = model.horizon
    stages, stats = value_iteration(reduce(model), horizon, method, tolerances, max_vectors, progress)
    internal, initial_values, start = _initial_choice(model, stages[0])
    policy = policy_from_stages(model, stages, start)
    found = None
    if bounds:
        blind_stages, _ = value_iteration(reduce_blind(model), horizon, Method.LIFTED, tolerances,
                                          max_vectors)
        blind, _, _ = _initial_choice(model, blind_stages[0])
        full = full_information_value(model, horizon)
        found = Bounds(
            full_information=float(model.to_user_sense(full)),
            blind_player2=float(model.to_user_sense(blind)),
            price_of_decentralization=abs(internal - full),
            value_of_information=abs(blind - internal),
        )
    return Solution(
        value=float(model.to_user_sense(internal)),
        initial_values={model.player1_states[x1]: float(model.to_user_sense(v))
                        for x1, v in initial_values.items()},
        policy=policy,
        bounds=found,
        stats=tuple(stats),
        sense=model.sense,
        horizon=horizon,
        method=method.value,
        seconds=time.perf_counter() - started,
        value_function=tuple(stages),
    )


def _initial_choice(model: TwoPlayerMDP, first: StageValue):
    """Best stage-0 vector for each initial ``x1`` and the total value.

    Returns the value ``sum_x1 p0(x1) V_0(x1, b0(x1))`` (minimization form),
    the conditional values by ``x1`` index and the chosen row by ``x1``.
    """
    total, conditional, start = 0.0, {}, {}
    for x1 in range(model.n1):
        weight = model.initial[x1]
        mass = weight.sum()
        if mass <= 0:
            continue
        rows = first.values[first.ptr[x1]:first.ptr[x1 + 1]]
        scores = rows @ weight
        best = int(np.argmin(scores))
        total += float(scores[best])
        conditional[x1] = float(scores[best] / mass)
        start[x1] = int(first.ptr[x1]) + best
    return total, conditional, start


def policy_from_stages(model: TwoPlayerMDP, stages: list[StageValue], start: dict) -> PolicyGraph:
    """The policy graph reachable from the chosen stage-0 rows.

    Parameters
    ----------
    model : TwoPlayerMDP
    stages : list of StageValue
        Core output, ``len(stages) == horizon + 1``.
    start : dict of int to int
        Initial ``x1`` index -> global row of ``stages[0]``.
    """
    horizon = len(stages) - 1
    X1, U1, U2 = model.player1_states, model.player1_actions, model.player2_actions
    graph = nx.DiGraph()
    ids: dict[tuple[int, int], str] = {}

    def node_id(t: int, row: int) -> str:
        key = (t, row)
        if key not in ids:
            ids[key] = f"n{len(ids)}"
            queue.append(key)
        return ids[key]

    queue: deque = deque()
    start_ids = {X1[x1]: node_id(0, row) for x1, row in sorted(start.items())}
    while queue:
        t, row = queue.popleft()
        sv = stages[t]
        x1 = int(np.searchsorted(sv.ptr, row, side="right") - 1)
        node = ids[(t, row)]
        graph.add_node(node, stage=t, x1=X1[x1], u1=U1[sv.action[row]],
                       prescription=tuple(U2[u] for u in sv.prescription[row]),
                       alpha=tuple(float(v) for v in model.to_user_sense(sv.values[row])))
        if t + 1 == horizon:
            continue
        nxt = stages[t + 1]
        for label in np.flatnonzero(sv.successor[row] >= 0):
            child = node_id(t + 1, int(nxt.ptr[label]) + int(sv.successor[row, label]))
            graph.add_edge(node, child, x1=X1[label])
    return PolicyGraph(graph=graph, start=start_ids, horizon=horizon,
                       player1_states=X1, player1_actions=U1,
                       player2_states=model.player2_states, player2_actions=U2, problem=model.name)
