"""A two-player problem written as the naive centralized POMDP.

For cross-checking with pomdp-solve or any other POMDP solver.  The hidden
state carries the stage, so time-varying and terminal costs are exact::

    pre(x1, x2) --any action--> t0(x1, x2) --(u1, g)--> t1(x1', x2') ... --> fin(x1, x2) --> end
       k = 0                       k = 1                                      k = H + 1     absorbing

* actions: every pair ``(u1, g)`` with ``g`` a prescription ``X2 -> U2``:
  ``|U1| * |U2|**|X2|`` of them (this is the enumeration the real solver
  avoids);
* observation: the ``(stage, x1)`` of the state reached (``end`` when
  leaving ``fin`` or ``end``);
* the ``pre`` stage lets the POMDP observe ``x1(0)`` before the first real
  decision, as the coordinator does; to keep the discounting exact every
  reward is divided by ``beta`` (stage ``t`` is POMDP stage ``t + 1``);
* solve it with horizon ``H + 2`` (or more: past ``end`` nothing happens).

Names in the file are index-based (``t0_1_0`` = stage 0, ``x1`` number 1,
``x2`` number 0) since ``.POMDP`` names are restricted; a comment block at
the top maps them to the problem's names.
"""

from __future__ import annotations

import itertools

import numpy as np

from decmdp.errors import ProblemError
from decmdp.model import TwoPlayerMDP
from decmdp.pomdp.model import Pomdp
from decmdp.pomdp.writer import comment_text, format_pomdp

MAX_EXPORT_NUMBERS = 20_000_000
"""Refuse to write more than this many matrix entries (``A * S * (S + O)``)."""


def export_horizon(model: TwoPlayerMDP) -> int:
    """The POMDP horizon whose value equals the two-player optimum: ``H + 2``."""
    return model.horizon + 2


def staged_states(model: TwoPlayerMDP) -> list[str]:
    """Names of the staged chain's states, index ``k * |X1||X2| + x1 * |X2| + x2`` for layer ``k``.

    Layers ``pre``, ``t0`` .. ``t{H-1}``, ``fin``, each over ``(x1, x2)`` by
    index (``t0_1_0`` = stage 0, ``x1`` number 1, ``x2`` number 0), then the
    absorbing ``end``.  Shared with the ``.dpomdp`` export.
    """
    layers = ["pre"] + [f"t{t}" for t in range(model.horizon)] + ["fin"]
    return [f"{layer}_{x1}_{x2}" for layer in layers for x1 in range(model.n1) for x2 in range(model.n2)] + ["end"]


def to_pomdp(model: TwoPlayerMDP) -> Pomdp:
    """The naive centralized POMDP of ``model`` (see the module docstring).

    Raises
    ------
    ProblemError
        When ``|U1| * |U2|**|X2|`` actions over the states would be too large
        to write (more than :data:`MAX_EXPORT_NUMBERS` numbers).
    """
    n1, n2, m1, m2, H = model.n1, model.n2, model.m1, model.m2, model.horizon
    layer = n1 * n2
    n_states = (H + 2) * layer + 1
    n_obs = (H + 1) * n1 + 1
    n_actions = m1 * model.prescriptions
    size = n_actions * n_states * (n_states + n_obs)
    if size > MAX_EXPORT_NUMBERS:
        raise ProblemError(
            f"export: {n_actions} actions (|U1| x |U2|^|X2| = {m1} x {m2}^{n2}) over {n_states} states "
            f"need {size:.3g} numbers, more than the limit of {MAX_EXPORT_NUMBERS:.3g}; "
            f"the naive POMDP is too large to write (decmdp solve handles it without enumerating)")
    end_state, end_obs = n_states - 1, n_obs - 1
    beta = model.discount
    K = model.joint_transition()
    user_cost = model.sense.sign * 1.0  # internal -> file sense
    prescriptions = list(itertools.product(range(m2), repeat=n2))

    def state(k, x1, x2):
        return k * layer + x1 * n2 + x2

    T = np.zeros((n_actions, n_states, n_states))
    O = np.zeros((n_actions, n_states, n_obs))
    R = np.zeros((n_actions, n_states, n_states, n_obs))
    for a in range(n_actions):
        T[a, end_state, end_state] = 1.0
        for x1, x2 in itertools.product(range(n1), range(n2)):
            T[a, state(0, x1, x2), state(1, x1, x2)] = 1.0
            T[a, state(H + 1, x1, x2), end_state] = 1.0
            R[a, state(H + 1, x1, x2)] = user_cost * model.terminal_cost[x1, x2] / beta
    for a, (u1, g) in enumerate(itertools.product(range(m1), prescriptions)):
        for t in range(H):
            c = model.stage_cost(t)
            for x1, x2 in itertools.product(range(n1), range(n2)):
                s = state(t + 1, x1, x2)
                T[a, s, (t + 2) * layer:(t + 3) * layer] = K[x1, x2, u1, g[x2]].ravel()
                R[a, s] = user_cost * c[x1, x2, u1, g[x2]] / beta
    # the observation is the (stage, x1) of the state reached
    for k in range(1, H + 2):
        for x1, x2 in itertools.product(range(n1), range(n2)):
            O[:, state(k, x1, x2), (k - 1) * n1 + x1] = 1.0
    O[:, :layer, end_obs] = 1.0  # pre states are never reached
    O[:, end_state, end_obs] = 1.0

    states = staged_states(model)
    observations = [f"{stage}_{x1}" for stage in [f"t{t}" for t in range(H)] + ["fin"]
                    for x1 in range(n1)] + ["end"]
    actions = [f"a{u1}_" + "-".join(map(str, g)) for u1, g in itertools.product(range(m1), prescriptions)]
    start = np.zeros(n_states)
    start[:layer] = model.initial.ravel()
    return Pomdp(states=states, actions=actions, observations=observations, discount=beta,
                 sense=model.sense, start=start, transition=T, observation=O, reward=R, name=model.name)


def index_legend(model: TwoPlayerMDP) -> list[str]:
    """Comment lines mapping the indices in exported names to the problem's names."""
    return [f"#   {label}: " + ", ".join(f"{i}={n}" for i, n in enumerate(names))
            for label, names in (("x1", model.player1_states), ("x2", model.player2_states),
                                 ("u1", model.player1_actions), ("u2", model.player2_actions))]


def export_text(model: TwoPlayerMDP) -> str:
    """The ``.POMDP`` text, with a comment header mapping indices to names."""
    header = [
        f"# {comment_text(model.name)}: the naive centralized POMDP of a decmdp two-player problem.",
        f"# Solve with horizon {export_horizon(model)} (= {model.horizon} stages + 2); its value at the",
        "# start belief is the two-player optimum.  States are <stage>_<x1>_<x2>, observations",
        "# <stage>_<x1>, actions a<u1>_<u2 for x2=0>-<u2 for x2=1>-..., all by index:",
    ] + index_legend(model)
    body = format_pomdp(to_pomdp(model))
    return "\n".join(header) + "\n" + body

