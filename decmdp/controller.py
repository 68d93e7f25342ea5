r"""Finite-state controllers for the discounted infinite horizon.

An infinite-horizon solve (:func:`decmdp.solve` with ``horizon="infinite"``)
ends with a vector set ``Gamma`` whose successor pointers have been closed
onto ``Gamma`` itself (:func:`decmdp.core.infinite.close_cycles`).  The
vectors reachable from the initial distribution are the nodes of a cyclic
:class:`~decmdp.policy.PolicyGraph`: both players walk it on ``x1`` exactly
as they walk a finite-horizon policy graph, forever.

Its exact value is computed here without the dynamic program: the expected
discounted cost ``J(n, x2)`` of running the controller from node ``n`` when
player 2's state is ``x2`` solves the linear system

    J(n, x2) = c(x1_n, x2, u1_n, g_n(x2))
               + beta * sum_{x1', x2'} K(x1', x2' | x1_n, x2, u1_n, g_n(x2)) J(next_n(x1'), x2'),

which has a unique solution for ``beta < 1`` (``I - beta P`` with ``P``
stochastic is invertible).  The controller's value is
``sum_{x1, x2} p0(x1, x2) J(start(x1), x2)``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from decmdp.core.types import StageValue
from decmdp.errors import PolicyError
from decmdp.model import TwoPlayerMDP
from decmdp.policy import INFINITE, PolicyGraph, policy_from_walk, vector_attributes
from decmdp.provenance import walk_cycles


@dataclasses.dataclass(frozen=True)
class Certificate:
    """What an infinite-horizon solve proves, in the problem's sense.

    Attributes
    ----------
    epsilon : float
        The requested bound on ``|dp_value - optimum|``.
    converged : bool
        ``error_bound <= epsilon`` was reached within the iteration limit.
    iterations : int
        Backups performed.
    residual : float
        Certified upper bound on the last Bellman residual
        ``max_x1 sup_b |V_{n+1}(x1, b) - V_n(x1, b)|``.
    error_bound : float
        Certified ``|dp_value - optimum| <= (slack + beta residual) / (1 - beta)``
        (and the same in every ``x1`` and belief).
    slack : float
        Pruning slack per backup included in ``error_bound``.
    dp_value : float
        ``sum_x1 p0(x1) V_{n+1}(x1, b0(x1))``: the value of the last vector set.
    optimum_bound : float
        ``dp_value - error_bound`` for costs (a lower bound on the optimal
        cost), ``dp_value + error_bound`` for rewards (an upper bound).
    controller_value : float
        Exact value of the controller (linear system, no DP).
    gap : float
        ``|controller_value - optimum_bound|``: the controller is within
        ``gap`` of the infinite-horizon optimum.
    residual_lps : int
        LPs solved for the residuals.
    residual_fallbacks : int
        Residual LPs whose solver failed; a cruder valid bound was used.
    """

    epsilon: float
    converged: bool
    iterations: int
    residual: float
    error_bound: float
    slack: float
    dp_value: float
    optimum_bound: float
    controller_value: float
    gap: float
    residual_lps: int
    residual_fallbacks: int

    @classmethod
    def from_run(cls, run, epsilon: float, internal: float, sign: float, controller_value: float) -> "Certificate":
        """The certificate of an infinite-horizon run, for any problem kind.

        Parameters
        ----------
        run : decmdp.core.infinite.InfiniteRun
            The core's result.
        epsilon : float
        internal : float
            The last vector set's value at the start (minimization form).
        sign : float
            ``sense.sign``: user value ``= sign *`` minimization form.
        controller_value : float
            The controller's exact value, in the user's sense.
        """
        bound = internal - run.error_bound  # a lower bound on the optimal cost (minimization form)
        return cls(epsilon=float(epsilon), converged=run.converged, iterations=run.iterations,
                   residual=run.residual, error_bound=run.error_bound, slack=run.slack,
                   dp_value=float(sign * internal), optimum_bound=float(sign * bound),
                   controller_value=controller_value, gap=abs(sign * controller_value - bound),
                   residual_lps=run.residual_lps, residual_fallbacks=run.residual_fallbacks)


def controller_from_stage(model: TwoPlayerMDP, stage: StageValue, next_rows: np.ndarray,
                          start: dict) -> tuple[PolicyGraph, float]:
    """The cyclic policy graph of the rows reachable from ``start``, and its
    exact value from the initial distribution (in the problem's sense).

    Parameters
    ----------
    stage : StageValue
        The converged set (its ``successor`` field is ignored).
    next_rows : int64[N, n1]
        Global row of ``stage`` followed after each ``x1'`` (-1: none).
    start : dict of int to int
        Initial ``x1`` index -> global row.

    Node attributes are those of a finite policy graph without ``stage``;
    ``alpha`` is the controller's exact value vector (see
    :func:`controller_values`), in the problem's sense.
    """
    found = walk_cycles(next_rows, [start[x1] for x1 in sorted(start)])
    policy = policy_from_walk(model, found, sorted(start), lambda row: vector_attributes(model, stage, row),
                              horizon=INFINITE)
    values = controller_values(model, policy)
    for i, node in enumerate(policy.nodes):
        policy.graph.nodes[node]["alpha"] = tuple(float(v) for v in model.to_user_sense(values[i]))
    return policy, _start_value(model, policy, values)


def controller_values(model: TwoPlayerMDP, policy: PolicyGraph) -> np.ndarray:
    """Exact ``J[node, x2]`` (minimization form) of a cyclic policy.

    Rows follow ``policy.nodes``.  See the module docstring for the system.

    Raises
    ------
    PolicyError
        If the policy is not cyclic or does not fit the model.
    """
    if not policy.is_cyclic:
        raise PolicyError(f"horizon: is {policy.horizon!r}; controller values need a cyclic policy "
                          f"(horizon {INFINITE!r})")
    policy.check(model)
    tables = policy.tables()
    n_nodes, n1, n2 = len(tables.x1), model.n1, model.n2
    x2 = np.arange(n2)
    cost = np.empty((n_nodes, n2))
    rows, cols, probs = [], [], []
    for node in range(n_nodes):
        x1, u1, g = tables.x1[node], tables.u1[node], tables.prescription[node]
        cost[node] = model.stage_cost(0)[x1, x2, u1, g]
        flow = model.transition_block(x1, u1)[x2, g]  # [x2, x1', x2']
        for x1_next in range(n1):
            block = flow[:, x1_next, :]
            if not block.any():
                continue
            child = tables.next[node, x1_next]
            if child < 0:
                raise PolicyError(f"node {policy.nodes[node]}: no successor for reachable "
                                  f"x1'={model.player1_states[x1_next]}")
            src, dst = np.nonzero(block)
            rows.append(node * n2 + src)
            cols.append(child * n2 + dst)
            probs.append(block[src, dst])
    return discounted_values(rows, cols, probs, cost, model.discount)


def discounted_values(rows: list, cols: list, probs: list, cost: np.ndarray, beta: float) -> np.ndarray:
    """Solve ``J = cost + beta P J`` over the flattened ``cost`` (shape kept).

    ``P`` is given by COO pieces (``rows``, ``cols``, ``probs``: lists of
    arrays, duplicates summed) over ``cost.size`` indices; sparse LU.
    """
    size = cost.size
    P = scipy.sparse.csc_matrix((np.concatenate(probs + [np.zeros(0)]),
                                 (np.concatenate(rows + [np.zeros(0, dtype=np.int64)]),
                                  np.concatenate(cols + [np.zeros(0, dtype=np.int64)]))),
                                shape=(size, size))
    system = (scipy.sparse.identity(size, format="csc") - beta * P).tocsc()
    J = scipy.sparse.linalg.spsolve(system, cost.ravel())
    return np.asarray(J, dtype=np.float64).reshape(cost.shape)


def evaluate_controller(model: TwoPlayerMDP, policy: PolicyGraph) -> float:
    """Exact expected discounted objective of a cyclic policy, in the problem's sense."""
    return _start_value(model, policy, controller_values(model, policy))


def _start_value(model: TwoPlayerMDP, policy: PolicyGraph, J: np.ndarray) -> float:
    """The value from the initial distribution of a cyclic policy whose
    :func:`controller_values` are ``J``, in the problem's sense."""
    index = {node: i for i, node in enumerate(policy.nodes)}
    total = 0.0
    for x1, name in enumerate(model.player1_states):
        if model.initial[x1].sum() > 0:
            total += float(model.initial[x1] @ J[index[policy.start[name]]])
    return float(model.to_user_sense(total))
