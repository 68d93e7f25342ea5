"""Independent reference values for two-player decentralized MDPs.

Nothing here imports :mod:`decmdp`: every oracle takes plain numpy arrays and
computes its value from the definition of the problem (docs/theory.md section 1),
never from the coordinator reduction the solver rests on (section 2).  The
only shared thing is the mathematics of the problem statement.

Inputs, all in **minimization form** (a reward problem passes ``-reward``):

``p0[x1, x2]``
    initial joint distribution;
``K[x1, x2, u1, u2, x1', x2']``
    joint transition (one-sided coupling is assumed, not checked);
``costs``
    a sequence of ``T`` stage-cost arrays ``c_t[x1, x2, u1, u2]`` (a single
    4-d array means a stationary cost, a 5-d array is indexed by stage);
``terminal[x1, x2]``
    terminal cost;
``beta``, ``T``
    discount and horizon.

Every oracle returns

    min  E[ sum_{t<T} beta^t c_t(x1, x2, u1, u2) + beta^T c_T(x1(T), x2(T)) ]

over its own class of policies:

==========================  ==================================================
oracle                      policies
==========================  ==================================================
literal_brute_force_value   every deterministic pair mu1(x1 hist),
                            mu2(x1 hist, x2 hist); each pair evaluated by an
                            exact *forward* pass over joint histories
brute_force_value           every deterministic mu1(x1 hist); player 2 plays
                            its full-information best response (backward
                            induction on (x1 history, x2))
full_information_value      centralized MDP on (x1, x2), joint action
blind_player2_value         (u1, u2) both functions of the x1 history only
mdp_value_x1_only           |X2| = 1: ordinary MDP on x1, joint action
==========================  ==================================================

Histories.  "Possible" x1 histories are those with ``p0(x1_0) > 0`` whose every
step has positive probability under *some* action (the x1' marginal of ``K``);
actions chosen at other histories cannot change the value, so they are not
enumerated.  Likewise for joint (x1, x2) histories in the literal oracle.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

MAX_ENUMERATED = 1 << 16
"""Refuse to enumerate more policies (or pairs) than this."""


# --------------------------------------------------------------------- inputs
def _normalize(p0, K, costs, terminal, beta, T):
    p0 = np.asarray(p0, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    T = int(T)
    if T < 1:
        raise ValueError(f"horizon must be >= 1, got {T}")
    n1, n2, m1, m2 = K.shape[:4]
    if K.shape != (n1, n2, m1, m2, n1, n2) or p0.shape != (n1, n2):
        raise ValueError(f"inconsistent shapes: p0 {p0.shape}, K {K.shape}")
    if isinstance(costs, np.ndarray) and costs.ndim == 4:
        stages = [costs] * T
    else:
        stages = [np.asarray(costs[t], dtype=np.float64) for t in range(T)]
    for c in stages:
        if c.shape != (n1, n2, m1, m2):
            raise ValueError(f"stage cost has shape {c.shape}, expected {(n1, n2, m1, m2)}")
    terminal = np.zeros((n1, n2)) if terminal is None else np.asarray(terminal, dtype=np.float64)
    if terminal.shape != (n1, n2):
        raise ValueError(f"terminal has shape {terminal.shape}, expected {(n1, n2)}")
    return p0, K, stages, terminal, float(beta), T


def player1_histories(p0, K, T):
    """Possible x1 histories at the decision stages ``t = 0 .. T-1``.

    Returns a list of length ``T``; entry ``t`` is a list of tuples
    ``(x1_0, ..., x1_t)``.  A history is possible when ``p0(x1_0) > 0`` and
    each step has positive probability under some ``(x2, u1, u2)``.
    """
    p0 = np.asarray(p0)
    K = np.asarray(K)
    step = K.any(axis=(1, 2, 3, 5))  # step[x1, x1']: reachable under some action
    stages = [[(x,) for x in range(p0.shape[0]) if p0[x].sum() > 0]]
    for _ in range(1, int(T)):
        stages.append([h + (xp,) for h in stages[-1] for xp in range(K.shape[4]) if step[h[-1], xp]])
    return stages


def joint_histories(p0, K, T):
    """Possible joint histories ``((x1_0, x2_0), ..., (x1_t, x2_t))`` for ``t = 0 .. T``.

    A joint history is possible when ``p0 > 0`` at its start and each step has
    positive probability under some ``(u1, u2)``.  Entry ``T`` (final states)
    is included; player 2's information sets are entries ``0 .. T-1``.
    """
    p0 = np.asarray(p0)
    K = np.asarray(K)
    step = K.any(axis=(2, 3))  # step[x1, x2, x1', x2']
    n1, n2 = p0.shape
    stages = [[((x, y),) for x in range(n1) for y in range(n2) if p0[x, y] > 0]]
    for _ in range(int(T)):
        nxt = []
        for h in stages[-1]:
            x, y = h[-1]
            nxt.extend(h + ((xp, yp),) for xp in range(n1) for yp in range(n2) if step[x, y, xp, yp])
        stages.append(nxt)
    return stages


def count_player1_policies(p0, K, T) -> int:
    """Number of player-1 policies :func:`brute_force_value` enumerates."""
    m1 = np.asarray(K).shape[2]
    return m1 ** sum(len(s) for s in player1_histories(p0, K, T))


def count_policy_pairs(p0, K, T) -> int:
    """Number of (mu1, mu2) pairs :func:`literal_brute_force_value` enumerates."""
    K = np.asarray(K)
    m1, m2 = K.shape[2], K.shape[3]
    stages = joint_histories(p0, K, T)[:T]
    info1 = {tuple(x for x, _ in h) for s in stages for h in s}
    info2 = sum(len(s) for s in stages)
    return m1 ** len(info1) * m2 ** info2


def _all_choices(m: int, n: int) -> np.ndarray:
    """Every function from ``n`` information sets to ``m`` actions, shape (m**n, n)."""
    if m ** n > MAX_ENUMERATED:
        raise ValueError(f"refusing to enumerate {m}**{n} = {m ** n} policies (> {MAX_ENUMERATED})")
    if n == 0:
        return np.zeros((1, 0), dtype=np.intp)
    return np.indices((m,) * n).reshape(n, -1).T.astype(np.intp)


# ------------------------------------------------------ best-response brute force
def _best_response_values(p0, K, costs, terminal, beta, T):
    """For every player-1 policy, player 2's best-response value per initial x1.

    Returns ``(root_x1, W)`` where ``W[k, i]`` is the expected cost (weighted
    by ``p0``, not conditioned) contributed by initial state ``root_x1[i]``
    under player-1 policy ``k`` and player 2's best response to it.

    Player 2 knows the x1 history, its x2 history and (as mu1 is
    deterministic) player 1's actions, so against a fixed mu1 it solves a
    finite-horizon MDP whose state is ``(x1 history, x2)``:

        V(h, x2) = min_{u2} c_t(x1, x2, mu1(h), u2)
                   + beta * sum_{x1', x2'} K(x1', x2' | x1, x2, mu1(h), u2) V(h x1', x2')

    with ``V(h, x2) = c_T(x1, x2)`` at ``t = T``.  The recursion is run for all
    enumerated mu1 at once (axis ``k``).
    """
    p0, K, costs, terminal, beta, T = _normalize(p0, K, costs, terminal, beta, T)
    n1, n2, m1, m2 = K.shape[:4]
    stages = player1_histories(p0, K, T)
    column = {h: i for i, h in enumerate(h for s in stages for h in s)}
    actions = _all_choices(m1, len(column))  # actions[k, column[h]] = mu1_k(h)
    P = actions.shape[0]

    V = {}
    for t in reversed(range(T)):
        for h in stages[t]:
            x = h[-1]
            u1 = actions[:, column[h]]  # (P,)
            q = np.moveaxis(costs[t][x][:, u1, :], 1, 0)  # (P, n2, m2)
            for xp in range(n1):
                Kx = K[x, :, :, :, xp, :]  # (n2, m1, m2, n2')
                if not Kx.any():
                    continue
                Ku = np.moveaxis(Kx[:, u1, :, :], 1, 0)  # (P, n2, m2, n2')
                nxt = np.broadcast_to(terminal[xp], (P, n2)) if t + 1 == T else V[h + (xp,)]
                q = q + beta * np.einsum("kyaz,kz->kya", Ku, nxt)
            V[h] = q.min(axis=2)  # player 2 picks u2 knowing x2: (P, n2)
    roots = [h[0] for h in stages[0]]
    W = np.stack([V[(x,)] @ p0[x] for x in roots], axis=1)  # (P, roots)
    return roots, W


def brute_force_value(p0, K, costs, terminal, beta, T) -> float:
    """Optimal team value: min over all deterministic mu1 of player 2's best response.

    Deterministic policies suffice in a team problem (a randomized policy is a
    mixture of deterministic ones, and a mixture is never better than its best
    component).  Minimization form.
    """
    _, W = _best_response_values(p0, K, costs, terminal, beta, T)
    return float(W.sum(axis=1).min())


def brute_force_initial_values(p0, K, costs, terminal, beta, T) -> dict[int, float]:
    """Conditional optimal values ``V_0(x1) = E[cost | x1(0) = x1]`` under an optimal policy.

    Keys are the x1 indices with ``p0(x1) > 0``.  The objective is a sum over
    ``x1(0)`` of terms that depend on disjoint parts of mu1, so each term is
    minimized separately; ``sum_x1 p0(x1) V_0(x1)`` equals
    :func:`brute_force_value`.
    """
    p0 = np.asarray(p0, dtype=np.float64)
    roots, W = _best_response_values(p0, K, costs, terminal, beta, T)
    return {x: float(W[:, i].min() / p0[x].sum()) for i, x in enumerate(roots)}


# ------------------------------------------------------ literal brute force
def literal_brute_force_value(p0, K, costs, terminal, beta, T) -> float:
    """Min over every deterministic pair (mu1, mu2), each evaluated by a forward pass.

    ``mu1`` maps x1 histories to ``U1``; ``mu2`` maps joint histories
    ``(x1 history, x2 history)`` to ``U2``.  For a pair, the probability of
    every joint history is pushed forward stage by stage and the expected
    discounted cost accumulated -- no dynamic programming, no best response.
    Only for micro instances (see :func:`count_policy_pairs`).
    """
    p0, K, costs, terminal, beta, T = _normalize(p0, K, costs, terminal, beta, T)
    if count_policy_pairs(p0, K, T) > MAX_ENUMERATED:
        raise ValueError(f"too many policy pairs: {count_policy_pairs(p0, K, T)}")
    m1, m2 = K.shape[2], K.shape[3]
    stages = joint_histories(p0, K, T)
    info2 = {h: i for i, h in enumerate(h for s in stages[:T] for h in s)}
    info1 = {}
    for h in info2:
        info1.setdefault(tuple(x for x, _ in h), len(info1))
    mu2 = _all_choices(m2, len(info2))  # (Q, info2): vectorized over player-2 policies
    best = math.inf
    for mu1 in _all_choices(m1, len(info1)):
        prob = {h: np.full(mu2.shape[0], p0[h[0]]) for h in stages[0]}
        total = np.zeros(mu2.shape[0])
        for t in range(T):
            nxt = {}
            for h, pr in prob.items():
                x, y = h[-1]
                u1 = mu1[info1[tuple(a for a, _ in h)]]
                u2 = mu2[:, info2[h]]  # (Q,)
                total += beta ** t * pr * costs[t][x, y, u1, u2]
                for xp, yp in itertools.product(range(K.shape[4]), range(K.shape[5])):
                    w = K[x, y, u1, u2, xp, yp]  # (Q,)
                    if w.any():
                        key = h + ((xp, yp),)
                        nxt[key] = nxt.get(key, 0.0) + pr * w
            prob = nxt
        for h, pr in prob.items():
            total += beta ** T * pr * terminal[h[-1]]
        best = min(best, float(total.min()))
    return best


# ------------------------------------------------------------------ bounds
def full_information_value(p0, K, costs, terminal, beta, T) -> float:
    """Centralized MDP on ``(x1, x2)`` with joint action ``(u1, u2)``: a lower bound for costs."""
    p0, K, costs, terminal, beta, T = _normalize(p0, K, costs, terminal, beta, T)
    V = terminal
    for t in reversed(range(T)):
        Q = costs[t] + beta * np.einsum("xyabpq,pq->xyab", K, V)
        V = Q.min(axis=(2, 3))
    return float((p0 * V).sum())


def blind_player2_value(p0, K, costs, terminal, beta, T) -> float:
    """Both players act on the x1 history only (player 2 ignores x2): an upper bound for costs.

    A centralized problem on the x1 history tree.  At a history ``h`` ending
    in ``x1`` at stage ``t`` the state of the search is the *unnormalized*
    vector ``pi(x2) = P(x1 history = h, x2(t) = x2)`` under the actions
    chosen on the path; the cost of the subtree is linear in ``pi`` and the
    actions of different subtrees are independent, so

        S(t, x1, pi) = min_{u1, u2} beta^t pi . c_t(x1, ., u1, u2)
                       + sum_{x1'} S(t+1, x1', pi'_{x1'}),
        pi'_{x1'}(x2') = sum_{x2} pi(x2) K(x1', x2' | x1, x2, u1, u2),
        S(T, x1, pi) = beta^T pi . c_T(x1, .).

    Exhaustive search over the tree (no vectors, no beliefs stored).
    """
    p0, K, costs, terminal, beta, T = _normalize(p0, K, costs, terminal, beta, T)
    n1, n2, m1, m2 = K.shape[:4]

    def search(t, x, pi):
        if t == T:
            return beta ** T * float(pi @ terminal[x])
        best = math.inf
        for u1, u2 in itertools.product(range(m1), range(m2)):
            total = beta ** t * float(pi @ costs[t][x, :, u1, u2])
            for xp in range(n1):
                nxt = pi @ K[x, :, u1, u2, xp, :]
                if nxt.any():
                    total += search(t + 1, xp, nxt)
            best = min(best, total)
        return best

    return float(sum(search(0, x, p0[x]) for x in range(n1) if p0[x].any()))


def mdp_value_x1_only(p0, K, costs, terminal, beta, T) -> float:
    """For ``|X2| = 1``: the ordinary MDP on ``x1`` with joint action ``(u1, u2)``."""
    p0, K, costs, terminal, beta, T = _normalize(p0, K, costs, terminal, beta, T)
    if p0.shape[1] != 1:
        raise ValueError(f"mdp_value_x1_only needs |X2| = 1, got {p0.shape[1]}")
    P = K[:, 0, :, :, :, 0]  # P[x1, u1, u2, x1']
    V = terminal[:, 0]
    for t in reversed(range(T)):
        V = (costs[t][:, 0] + beta * P @ V).min(axis=(1, 2))
    return float(p0[:, 0] @ V)
