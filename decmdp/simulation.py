"""Monte Carlo simulation of a policy graph, with a confidence interval.

A cyclic policy (finite-state controller) runs forever; its episodes are
truncated after ``T`` steps, the least with ``beta^T <= truncation``.  The
ignored tail ``sum_{t >= T} beta^t c`` is at most ``beta^T max|c| / (1 - beta)``
in absolute value, reported as :attr:`SimulationResult.bias_bound`: the
truncated mean estimates the controller's value up to that bias.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from decmdp.model import TwoPlayerMDP
from decmdp.policy import PolicyGraph

Z_95 = 1.959963984540054
CHUNK = 65_536
"""Episodes simulated together; bounds the memory of a long simulation."""
DEFAULT_TRUNCATION = 1e-6
"""Default ``beta^T`` at which cyclic-policy episodes are cut (relative bias)."""


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
    steps : int
        Decision stages per episode (the truncation ``T`` for a cyclic policy).
    bias_bound : float
        Bound on ``|E[truncated total] - value|``: 0 for a finite horizon,
        ``beta^T max|c| / (1 - beta)`` for a cyclic policy.
    """

    mean: float
    stderr: float
    ci_low: float
    ci_high: float
    episodes: int
    seed: int | None
    steps: int = 0
    bias_bound: float = 0.0


def simulate(model: TwoPlayerMDP, policy: PolicyGraph, episodes: int = 10_000,
             seed: int | None = None, truncation: float = DEFAULT_TRUNCATION) -> SimulationResult:
    """Run ``episodes`` independent episodes of ``policy`` on ``model``.

    Parameters
    ----------
    model : TwoPlayerMDP
    policy : PolicyGraph
    episodes : int
        At least 2.
    seed : int, optional
        Seed of numpy's default generator; the same seed gives the same result.
    truncation : float
        Cyclic policies only: cut episodes at the first ``T`` with
        ``beta^T <= truncation`` (module docstring); in ``(0, 1)``.

    Returns
    -------
    SimulationResult

    Raises
    ------
    PolicyError
        If the policy does not fit the model.
    ValueError
        If ``episodes < 2`` or ``truncation`` is not in ``(0, 1)``.
    """
    mean, stderr = mean_and_stderr(_episode_chunks(model, policy, episodes, seed, truncation))
    steps, bias = _episode_length(model, policy, truncation)
    return SimulationResult(mean, stderr, mean - Z_95 * stderr, mean + Z_95 * stderr, episodes, seed,
                            steps, bias)


def mean_and_stderr(chunks) -> tuple[float, float]:
    """Mean and standard error of the mean of the values in ``chunks`` (arrays,
    at least two values in all), in one pass: Chan et al.'s pairwise update of
    the running mean and sum of squared deviations."""
    count, mean, m2 = 0, 0.0, 0.0
    for totals in chunks:
        n, chunk_mean = totals.size, float(totals.mean())
        delta = chunk_mean - mean
        m2 += float(((totals - chunk_mean) ** 2).sum()) + delta**2 * count * n / (count + n)
        mean += delta * n / (count + n)
        count += n
    return mean, math.sqrt(m2 / (count - 1) / count)


def sample_returns(model: TwoPlayerMDP, policy: PolicyGraph, episodes: int = 10_000,
                   seed: int | None = None, truncation: float = DEFAULT_TRUNCATION) -> np.ndarray:
    """The total discounted cost (or reward) of each episode, in the problem's sense.

    The same draws as :func:`simulate` with the same arguments (whose mean
    they have); parameters and errors as there.

    Returns
    -------
    ndarray, shape (episodes,)
    """
    return np.concatenate(list(_episode_chunks(model, policy, episodes, seed, truncation)))


def _episode_length(model: TwoPlayerMDP, policy: PolicyGraph, truncation: float) -> tuple[int, float]:
    """Stages per episode and the bound on the truncation bias (0 for a finite
    policy); the arguments are checked (:func:`_episode_chunks`)."""
    if not policy.is_cyclic:
        return policy.horizon, 0.0
    beta = model.discount
    steps = max(1, math.ceil(math.log(truncation) / math.log(beta)))
    return steps, beta**steps * float(np.abs(model.cost).max()) / (1.0 - beta)


def _episode_chunks(model: TwoPlayerMDP, policy: PolicyGraph, episodes, seed, truncation):
    """Checked arguments, then the episode totals in chunks of at most :data:`CHUNK`."""
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 2:
        raise ValueError(f"episodes: is {episodes!r}, expected an integer >= 2")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"seed: is {seed!r}, expected a non-negative integer or None")
    if isinstance(truncation, bool) or not isinstance(truncation, (int, float)) or not 0 < truncation < 1:
        raise ValueError(f"truncation: is {truncation!r}, expected a number in (0, 1)")
    policy.check(model)  # before the policy's length is derived from the model
    steps, _ = _episode_length(model, policy, truncation)
    tables = policy.tables()
    rng = np.random.default_rng(seed)
    for start in range(0, episodes, CHUNK):
        yield _run_episodes(model, steps, not policy.is_cyclic, tables, min(CHUNK, episodes - start), rng)


def _run_episodes(model: TwoPlayerMDP, horizon: int, terminal: bool, tables, episodes: int,
                  rng: np.random.Generator) -> np.ndarray:
    """Total discounted objective (file's sense) of ``episodes`` episodes.

    ``horizon`` stages; the terminal cost is added only when ``terminal``.
    """
    n1, n2, beta = model.n1, model.n2, model.discount
    x1, x2 = np.divmod(_sample(np.broadcast_to(model.initial.ravel(), (episodes, n1 * n2)), rng), n2)
    node = tables.start[x1]
    total = np.zeros(episodes)
    for t in range(horizon):
        u1 = tables.u1[node]
        u2 = tables.prescription[node, x2]
        total += beta**t * model.stage_cost(t)[x1, x2, u1, u2]
        joint_next = np.empty(episodes, dtype=np.int64)
        pair = x1 * model.m1 + u1
        for key in np.unique(pair):  # one transition block per (x1, u1) in use
            rows = np.flatnonzero(pair == key)
            block = model.transition_block(*divmod(int(key), model.m1)).reshape(n2, model.m2, n1 * n2)
            joint_next[rows] = _sample(block[x2[rows], u2[rows]], rng)
        x1, x2 = np.divmod(joint_next, n2)
        if t < horizon - 1:
            node = tables.next[node, x1]
    if terminal:
        total += beta**horizon * model.terminal_cost[x1, x2]
    return model.to_user_sense(total)


def _sample(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row from the categorical distributions in ``rows``."""
    cumulative = np.cumsum(rows, axis=1)
    u = rng.random(rows.shape[0]) * cumulative[:, -1]
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), rows.shape[1] - 1)
