"""Monte Carlo simulation of a policy graph, with a confidence interval."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from decmdp.model import TwoPlayerMDP
from decmdp.policy import PolicyGraph

Z_95 = 1.959963984540054


@dataclasses.dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate`, in the problem's sense.

    Attributes
    ----------
    mean : float
        Average total discounted cost (or reward) over the episodes.
    stderr : float
        Standard error of the mean (sample standard deviation / sqrt(n)).
    ci_low, ci_high : float
        Normal 95% confidence interval for the expected value.
    episodes : int
    seed : int or None
    """

    mean: float
    stderr: float
    ci_low: float
    ci_high: float
    episodes: int
    seed: int | None


def simulate(model: TwoPlayerMDP, policy: PolicyGraph, episodes: int = 10_000,
             seed: int | None = None) -> SimulationResult:
    """Run ``episodes`` independent episodes of ``policy`` on ``model``.

    Parameters
    ----------
    model : TwoPlayerMDP
    policy : PolicyGraph
    episodes : int
        At least 2.
    seed : int, optional
        Seed of numpy's default generator; the same seed gives the same result.

    Returns
    -------
    SimulationResult

    Raises
    ------
    PolicyError
        If the policy does not fit the model.
    ValueError
        If ``episodes < 2``.
    """
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 2:
        raise ValueError(f"episodes: is {episodes!r}, expected an integer >= 2")
    policy.check(model)
    tables = policy.tables()
    rng = np.random.default_rng(seed)
    K = model.joint_transition().reshape(model.n1, model.n2, model.m1, model.m2, -1)
    horizon, beta = policy.horizon, model.discount

    joint0 = _sample(np.broadcast_to(model.initial.ravel(), (episodes, model.n1 * model.n2)), rng)
    x1, x2 = np.divmod(joint0, model.n2)
    node = tables.start[x1]
    total = np.zeros(episodes)
    for t in range(horizon):
        u1 = tables.u1[node]
        u2 = tables.prescription[node, x2]
        total += beta**t * model.stage_cost(t)[x1, x2, u1, u2]
        x1, x2 = np.divmod(_sample(K[x1, x2, u1, u2], rng), model.n2)
        if t < horizon - 1:
            node = tables.next[node, x1]
    total += beta**horizon * model.terminal_cost[x1, x2]
    total = model.to_user_sense(total)
    mean = float(total.mean())
    stderr = float(total.std(ddof=1) / math.sqrt(episodes))
    return SimulationResult(mean, stderr, mean - Z_95 * stderr, mean + Z_95 * stderr, episodes, seed)


def _sample(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row from the categorical distributions in ``rows``."""
    cumulative = np.cumsum(rows, axis=1)
    u = rng.random(rows.shape[0]) * cumulative[:, -1]
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), rows.shape[1] - 1)
