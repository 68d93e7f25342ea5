"""Hypothesis strategies for tiny, valid two-player problems, and the oracle adapter.

Values sit on coarse grids so that ties are frequent (ties are where solvers
break): probabilities are multiples of 1/8 (joint transitions: of 1/64),
costs and rewards multiples of 1/2, discounts in {1, 3/4, 1/2}.  Everything
is dyadic, so the arithmetic is nearly exact.

:func:`oracle_inputs` turns a model into the raw arrays :mod:`oracles`
takes.  For models drawn here it returns the arrays the strategy generated
(converted to minimization form here, not by the model layer), so the oracles
do not depend on :mod:`decmdp` reading its own input correctly.
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import decmdp
from oracles import count_player1_policies, count_policy_pairs

GRID = 8
"""Probabilities are multiples of ``1 / GRID``."""

DISCOUNTS = (1.0, 0.75, 0.5)


class OracleInputs(NamedTuple):
    """Arguments of every oracle, in minimization form, plus the sense sign."""

    p0: np.ndarray
    K: np.ndarray
    costs: list
    terminal: np.ndarray
    beta: float
    T: int
    sign: float  # +1 cost, -1 reward: user value = sign * oracle value

    @property
    def args(self):
        """``(p0, K, costs, terminal, beta, T)`` for an oracle call."""
        return self.p0, self.K, self.costs, self.terminal, self.beta, self.T


_RAW: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
"""Model -> OracleInputs built from the arrays the strategy generated."""


def joint_from_factors(P1, P2) -> np.ndarray:
    """``K[x1, x2, u1, u2, x1', x2'] = P1[x1, u1, x1'] * P2[x1, x2, u1, u2, x2']``."""
    P1 = np.asarray(P1, dtype=np.float64)
    P2 = np.asarray(P2, dtype=np.float64)
    return P1[:, None, :, None, :, None] * P2[:, :, :, :, None, :]


def oracle_inputs(model) -> OracleInputs:
    """Raw oracle arguments for ``model`` (strategy arrays when known, else model fields)."""
    try:
        return _RAW[model]
    except (KeyError, TypeError):
        pass
    K = model.transition if model.transition is not None else joint_from_factors(
        model.transition1, model.transition2)
    T = model.horizon
    cost = np.asarray(model.cost)
    costs = [cost[t] if cost.ndim == 5 else cost for t in range(T)]
    return OracleInputs(np.asarray(model.initial), np.asarray(K), costs,
                        np.asarray(model.terminal_cost), model.discount, T, model.sense.sign)


def raw_inputs(p0, K, stage_values, terminal_values, beta, T, sense) -> OracleInputs:
    """Oracle inputs from arrays in the user's sense (``"cost"`` or ``"reward"``)."""
    sign = 1.0 if sense == "cost" else -1.0
    stage_values = np.asarray(stage_values, dtype=np.float64)
    costs = [sign * (stage_values[t] if stage_values.ndim == 5 else stage_values) for t in range(T)]
    n1, n2 = np.shape(p0)
    terminal = (np.zeros((n1, n2)) if terminal_values is None
                else sign * np.asarray(terminal_values, dtype=np.float64))
    return OracleInputs(np.asarray(p0, dtype=np.float64), np.asarray(K, dtype=np.float64),
                        costs, terminal, float(beta), int(T), sign)


def build(p0, *, horizon, sense="cost", stage=None, terminal=None, transition1=None,
          transition2=None, transition=None, discount=1.0, name="generated"):
    """Build a model through the public API and remember its raw oracle inputs."""
    objective = {sense: stage}
    if terminal is not None:
        objective[f"terminal_{sense}"] = terminal
    model = decmdp.TwoPlayerMDP.from_arrays(
        p0, horizon=horizon, transition1=transition1, transition2=transition2,
        transition=transition, discount=discount, name=name, **objective)
    K = transition if transition is not None else joint_from_factors(transition1, transition2)
    _RAW[model] = raw_inputs(p0, K, stage, terminal, discount, horizon, sense)
    return model


# ------------------------------------------------------------------ pieces
@st.composite
def grid_distribution(draw, n: int, grid: int = GRID) -> np.ndarray:
    """A distribution over ``n`` points with masses in multiples of ``1/grid``.

    One time in four it is a point mass (sparse); otherwise a random
    composition of ``grid``, which itself has zeros often.
    """
    if n == 1:
        return np.ones(1)
    if draw(st.integers(0, 3)) == 0:
        out = np.zeros(n)
        out[draw(st.integers(0, n - 1))] = 1.0
        return out
    cuts = sorted(draw(st.lists(st.integers(0, grid), min_size=n - 1, max_size=n - 1)))
    parts = np.diff([0, *cuts, grid])
    return parts / grid


def _distributions(draw, shape, n):
    """An array ``shape + (n,)`` of independent grid distributions."""
    out = np.empty((*shape, n))
    for index in np.ndindex(*shape):
        out[index] = draw(grid_distribution(n))
    return out


def _values(draw, shape):
    """Costs or rewards: multiples of 1/2 in [-1, 2]."""
    size = int(np.prod(shape))
    ints = draw(st.lists(st.integers(-2, 4), min_size=size, max_size=size))
    return np.array(ints, dtype=np.float64).reshape(shape) / 2


@st.composite
def _initial(draw, n1, n2):
    """``p0`` with some x1 rows possibly forced to probability 0 (degenerate)."""
    alive = draw(st.lists(st.booleans(), min_size=n1, max_size=n1))
    alive[draw(st.integers(0, n1 - 1))] = True
    rows = [x for x in range(n1) if alive[x]]
    mass = draw(grid_distribution(len(rows) * n2))
    p0 = np.zeros((n1, n2))
    p0[rows] = mass.reshape(len(rows), n2)
    return p0


# ------------------------------------------------------------------ problems
@st.composite
def tiny_problems(draw, max_n1=2, max_n2=2, max_m1=2, max_m2=2, max_horizon=3, *,
                  min_n1=1, min_n2=1, min_m1=1, min_m2=1, min_horizon=1,
                  sense=None, kind=None, max_policies=4096, max_pairs=None):
    """Random valid :class:`decmdp.TwoPlayerMDP` instances.

    Parameters
    ----------
    max_n1, max_n2, max_m1, max_m2, max_horizon, min_* : int
        Size ranges (``|X1|, |X2|, |U1|, |U2|, T``); 1 is always allowed.
    sense : {"cost", "reward"} or None
        Fix the sense; None draws it.
    kind : {"factored", "joint"} or None
        Fix the transition form; None draws it.  A joint ``K`` is
        ``P1(x1'|x1,u1) * C(x2'|x1,x2,u1,u2,x1')``: x2' is correlated with x1'.
    max_policies : int or None
        The horizon is lowered until :func:`oracles.count_player1_policies`
        is at most this (keeps :func:`oracles.brute_force_value` cheap).
        None: no limit.
    max_pairs : int or None
        Likewise for :func:`oracles.count_policy_pairs` (micro instances for
        :func:`oracles.literal_brute_force_value`).
    """
    if draw(st.booleans()):  # half the time every size at its maximum: the interesting case
        n1, n2, m1, m2, T0 = max_n1, max_n2, max_m1, max_m2, max_horizon
    else:
        n1 = draw(st.integers(min_n1, max_n1))
        n2 = draw(st.integers(min_n2, max_n2))
        m1 = draw(st.integers(min_m1, max_m1))
        m2 = draw(st.integers(min_m2, max_m2))
        T0 = draw(st.integers(min_horizon, max_horizon))
    sense = sense or draw(st.sampled_from(["cost", "reward"]))
    kind = kind or draw(st.sampled_from(["factored", "joint"]))
    beta = draw(st.sampled_from(DISCOUNTS))

    p0 = draw(_initial(n1, n2))
    P1 = _distributions(draw, (n1, m1), n1)
    if kind == "factored":
        P2 = _distributions(draw, (n1, n2, m1, m2), n2)
        K = joint_from_factors(P1, P2)
        transitions = {"transition1": P1, "transition2": P2}
    else:
        C = _distributions(draw, (n1, n2, m1, m2, n1), n2)  # C[x1, x2, u1, u2, x1', x2']
        K = P1[:, None, :, None, :, None] * C
        transitions = {"transition": K}

    if draw(st.booleans()):  # time-varying, possibly with more stages than the horizon
        stage = _values(draw, (T0 + draw(st.integers(0, 1)), n1, n2, m1, m2))
    else:
        stage = _values(draw, (n1, n2, m1, m2))
    terminal = _values(draw, (n1, n2)) if draw(st.booleans()) else None

    T = T0
    while T > min_horizon and max_policies is not None and count_player1_policies(p0, K, T) > max_policies:
        T -= 1
    while T > min_horizon and max_pairs is not None and count_policy_pairs(p0, K, T) > max_pairs:
        T -= 1
    assume(max_policies is None or count_player1_policies(p0, K, T) <= max_policies)
    assume(max_pairs is None or count_policy_pairs(p0, K, T) <= max_pairs)

    return build(p0, horizon=T, sense=sense, stage=stage, terminal=terminal,
                 discount=beta, name=f"hyp-{kind}-{sense}", **transitions)


def micro_problems(**kwargs):
    """Instances small enough for :func:`oracles.literal_brute_force_value`."""
    kwargs.setdefault("max_horizon", 2)
    kwargs.setdefault("max_pairs", 4096)
    return tiny_problems(**kwargs)


# ------------------------------------------------------------- hand-solved
def guess_the_side():
    """One stage; player 1 must guess x2 blind, player 2 sees x2.  Optimum 1/4.

    X1 = {s}; X2 = {L, R} with p0 = (1/4, 3/4); U1 = U2 = {l, r}; T = 1.
    Cost c(x2, u1, u2) = 1*[u1 != u2] + 2*[u2 != x2] (miscoordination 1,
    wrong side 2), no terminal cost.

    * Team optimum.  Player 1 picks u1 not knowing x2.  With u1 = r, player 2
      plays r at x2 = R (cost 0) and at x2 = L pays min(1, 2) = 1 (it
      follows u1).  Expected 1/4 * 1 = 1/4.  With u1 = l: 3/4 * 1 = 3/4.
      Optimum **1/4**.
    * Full information: u1 = u2 = x2, cost **0**.
    * Blind player 2: (r, r) costs 2 * 1/4 = **1/2**; (l, l) costs 2 * 3/4;
      mixed pairs cost at least 1.  Optimum 1/2.
    """
    c = np.zeros((1, 2, 2, 2))
    for x2, u1, u2 in np.ndindex(2, 2, 2):
        c[0, x2, u1, u2] = 1.0 * (u1 != u2) + 2.0 * (u2 != x2)
    P1 = np.ones((1, 2, 1))
    P2 = np.zeros((1, 2, 2, 2, 2))
    P2[..., 0] = 1.0  # irrelevant with T = 1
    return build([[0.25, 0.75]], horizon=1, stage=c, transition1=P1, transition2=P2,
                 name="guess-the-side")


GUESS_THE_SIDE = {"team": 0.25, "full_information": 0.0, "blind_player2": 0.5}


def noisy_signal(sense="cost"):
    """Two stages; x1' is a noisy reading of the fresh x2'.  Optimum 1/8 (cost).

    X1 = {a, b}, X2 = {L, R}; p0: x1 = a, x2 uniform (x1 = b has probability 0).
    Every step, whatever the state and actions: x2' is uniform and x1' equals
    the "matching" letter (a for L, b for R) with probability 3/4, i.e.
    K(a,L) = K(b,R) = 3/8, K(b,L) = K(a,R) = 1/8.  The x1' marginal is
    (1/2, 1/2) regardless of x2, u2: one-sided coupling holds.
    T = 2, beta = 1/2, stage-0 cost 0, stage-1 cost
    c(x2, u1, u2) = [u1 != u2] + 2*[u2 != x2] (as in :func:`guess_the_side`).

    * Stage 1 given x1 = a: P(x2 = L | a) = 3/4.  Player 1 plays l, player 2
      follows except it pays min(1, 2) = 1 when x2 = R: cost 1/4.  Same for b.
      Value = beta * 1/4 = **1/8**.
    * Full information: 0.  Blind player 2: at x1 = a the pair (l, l) pays
      2 * 1/4 = 1/2, so beta * 1/2 = **1/4**.
    A reward version (reward = -cost) has value -1/8.
    """
    K = np.zeros((2, 2, 2, 2, 2, 2))
    K[..., 0, 0] = K[..., 1, 1] = 3 / 8
    K[..., 1, 0] = K[..., 0, 1] = 1 / 8
    c = np.zeros((2, 2, 2, 2, 2))  # [t][x1][x2][u1][u2]
    for x1, x2, u1, u2 in np.ndindex(2, 2, 2, 2):
        c[1, x1, x2, u1, u2] = 1.0 * (u1 != u2) + 2.0 * (u2 != x2)
    sign = 1.0 if sense == "cost" else -1.0
    return build([[0.5, 0.5], [0.0, 0.0]], horizon=2, sense=sense, stage=sign * c,
                 transition=K, discount=0.5, name=f"noisy-signal-{sense}")


NOISY_SIGNAL = {"team": 0.125, "full_information": 0.0, "blind_player2": 0.25}
