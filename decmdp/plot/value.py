"""The value function over a belief, each region coloured by its optimal choice.

A stage's value over the belief ``b`` of the hidden state (``x2``, or a
POMDP's state) is the lower (cost) or upper (reward) envelope of its alpha
vectors, ``V(b) = min_n b . alpha_n`` (``max`` for rewards); the vector that
attains it carries the choice (``u1`` and the prescription, or the POMDP
action).  The picture depends on the number of hidden states ``S``:

* ``S = 1``: one number;
* ``S = 2``: a line over ``P(second state)``, coloured by the choice;
* ``S = 3``: the belief simplex, coloured by the choice, with value contours;
* ``S > 3``: the value along the simplex's edges (the beliefs that mix two
  states), one labelled panel per edge, at most :data:`MAX_EDGE_PANELS`.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from decmdp.common import Sense
from decmdp.plot._backend import pyplot

MAX_EDGE_PANELS = 12
MAX_THIN_LINES = 200
"""At most this many vectors are drawn under the envelope (the envelope itself is always exact)."""
LINE_POINTS = 801
SIMPLEX_DIVISIONS = 90


def envelope(vectors: np.ndarray, beliefs: np.ndarray, sense: Sense):
    """Value and index of the best vector at each belief (rows of ``beliefs``)."""
    scores = beliefs @ vectors.T
    best = np.argmax(scores, axis=1) if sense is Sense.MAXIMIZE else np.argmin(scores, axis=1)
    return scores[np.arange(len(beliefs)), best], best


def value_figure(vectors, labels, states, sense: Sense, title: str, hidden: str = "x2"):
    """A figure of the value over the belief.

    Parameters
    ----------
    vectors : ndarray, shape (N, S)
        Alpha vectors in the problem's sense (costs or rewards).
    labels : sequence of str, length N
        The choice each vector stands for; regions with equal labels share a
        colour.
    states : sequence of str, length S
        Names of the hidden states.
    sense : Sense
    title : str
    hidden : str
        What the hidden state is called on the axes (``x2``, ``s``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = pyplot()
    vectors = np.asarray(vectors, dtype=np.float64)
    kinds = list(dict.fromkeys(labels))
    colour_of = {k: plt.get_cmap("tab10" if len(kinds) <= 10 else "tab20")(i % 20) for i, k in enumerate(kinds)}
    n = len(states)
    objective = sense.objective
    if n <= 2:
        figure, ax = plt.subplots(figsize=(7, 4.2))
        _line_panel(ax, vectors, labels, colour_of, states, (0, n - 1), sense, hidden)
    elif n == 3:
        figure, ax = plt.subplots(figsize=(6.4, 5.6))
        _simplex_panel(plt, ax, vectors, labels, colour_of, states, sense)
    else:
        edges = list(itertools.combinations(range(n), 2))[:MAX_EDGE_PANELS]
        cols = min(3, len(edges))
        rows = math.ceil(len(edges) / cols)
        figure, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
        for ax, edge in zip(axes.ravel(), edges):
            _line_panel(ax, vectors, labels, colour_of, states, edge, sense, hidden)
        for ax in axes.ravel()[len(edges):]:
            ax.set_visible(False)
        if len(edges) < n * (n - 1) // 2:
            title += f" (first {len(edges)} of {n * (n - 1) // 2} edges)"
    handles = [plt.matplotlib.patches.Patch(color=colour_of[k], label=k) for k in kinds]
    figure.legend(handles=handles, loc="lower center", ncol=1 if len(kinds) > 3 else len(kinds),
                  fontsize="small", frameon=False, bbox_to_anchor=(0.5, -0.02 - 0.045 * max(0, len(kinds) - 3)))
    figure.suptitle(f"{title}\nexpected {objective}-to-go, coloured by the optimal choice", fontsize="medium")
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    return figure


def _line_panel(ax, vectors, labels, colour_of, states, edge, sense, hidden):
    """Value along beliefs ``(1 - s) e_i + s e_j`` for ``s`` in [0, 1]."""
    i, j = edge
    s = np.linspace(0.0, 1.0, LINE_POINTS if i != j else 1)
    beliefs = np.zeros((len(s), vectors.shape[1]))
    beliefs[:, i] = 1.0 - s
    beliefs[:, j] += s
    value, best = envelope(vectors, beliefs, sense)
    for row in vectors[:MAX_THIN_LINES]:  # the vectors the envelope is made of, thin
        ax.plot(s, beliefs @ row, color="0.8", linewidth=0.6, zorder=1)
    start = 0
    for k in range(1, len(s) + 1):
        if k == len(s) or labels[best[k]] != labels[best[start]]:
            stop = min(k + 1, len(s))  # overlap one point so the line has no gaps
            ax.plot(s[start:stop], value[start:stop], color=colour_of[labels[best[start]]], linewidth=2.4,
                    zorder=2, marker="o" if len(s) == 1 else None)
            start = k
    if i == j:
        ax.set_xticks([0.0], [f"{states[i]} (certain)"])
    else:
        ax.set_xlabel(f"P({hidden} = {states[j]})  [0: surely {states[i]}, 1: surely {states[j]}]", fontsize="small")
        ax.set_xlim(0, 1)
    ax.set_ylabel("value", fontsize="small")
    ax.grid(alpha=0.3)


def _simplex_panel(plt, ax, vectors, labels, colour_of, states, sense):
    """The belief triangle coloured by the choice, with value contours."""
    tri_module = plt.matplotlib.tri
    n = SIMPLEX_DIVISIONS
    weights = np.array([(a, b, n - a - b) for a in range(n + 1) for b in range(n + 1 - a)], dtype=float) / n
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, math.sqrt(3) / 2]])
    xy = weights @ corners
    triangulation = tri_module.Triangulation(xy[:, 0], xy[:, 1])
    centroids = weights[triangulation.triangles].mean(axis=1)
    _, best = envelope(vectors, centroids, sense)
    kinds = list(colour_of)
    face = np.array([kinds.index(labels[b]) for b in best], dtype=float)
    cmap = plt.matplotlib.colors.ListedColormap([colour_of[k] for k in kinds])
    ax.tripcolor(triangulation, facecolors=face, cmap=cmap, vmin=-0.5, vmax=len(kinds) - 0.5,
                 shading="flat", edgecolors="face", linewidth=0.1)
    value, _ = envelope(vectors, weights, sense)
    if np.ptp(value) > 0:
        contours = ax.tricontour(triangulation, value, levels=8, colors="k", linewidths=0.6)
        ax.clabel(contours, fontsize="x-small", fmt="%.4g")
    for corner, name, align in zip(corners, states, (("right", "top"), ("left", "top"), ("center", "bottom"))):
        ax.annotate(name, corner, ha=align[0], va=align[1], fontsize="small", fontweight="bold",
                    xytext=(0, -4 if align[1] == "top" else 4), textcoords="offset points")
    ax.set_aspect("equal")
    ax.axis("off")


def choice_labels(actions, prescriptions, player1_actions, player2_states, player2_actions) -> list[str]:
    """``u1=run; ok->idle, worn->repair`` for each vector of a two-player stage."""
    return [f"u1={player1_actions[a]}; " + ", ".join(f"{x2}->{player2_actions[u]}"
                                                     for x2, u in zip(player2_states, g))
            for a, g in zip(actions, prescriptions)]


def solution_value_figure(solution, stage: int = 0, x1: str | None = None):
    """The value over player 2's belief at ``stage`` for observed ``x1``.

    Parameters
    ----------
    solution : decmdp.Solution
    stage : int
        ``0 .. horizon - 1``.
    x1 : str, optional
        Player 1's state; default the first one that can start.

    Raises
    ------
    ValueError
        For a stage or ``x1`` the solution does not have.
    """
    policy = solution.policy
    if isinstance(stage, bool) or not isinstance(stage, (int, np.integer)) or not 0 <= stage < solution.horizon:
        raise ValueError(f"stage: is {stage!r}, expected an integer in 0..{solution.horizon - 1}")
    X1 = policy.player1_states
    x1 = next(iter(solution.initial_values)) if x1 is None else x1
    if x1 not in X1:
        raise ValueError(f"x1: is {x1!r}, expected one of {', '.join(X1)}")
    sv = solution.full_stage(stage)
    rows = slice(sv.ptr[X1.index(x1)], sv.ptr[X1.index(x1) + 1])
    labels = choice_labels(sv.action[rows], sv.prescription[rows], policy.player1_actions,
                           policy.player2_states, policy.player2_actions)
    title = f"{policy.problem or 'problem'}: stage {stage}, x1 = {x1}, belief over x2"
    return value_figure(solution.sense.sign * sv.values[rows], labels, policy.player2_states,
                        solution.sense, title)


def pomdp_value_figure(solution, stage: int = 0):
    """The value of a :class:`~decmdp.pomdp.PomdpSolution` over the belief, by action."""
    if isinstance(stage, bool) or not isinstance(stage, (int, np.integer)) or not 0 <= stage < solution.horizon:
        raise ValueError(f"stage: is {stage!r}, expected an integer in 0..{solution.horizon - 1}")
    pomdp = solution.pomdp
    sense = Sense(pomdp.sense)
    sv = solution.value_function[stage]
    labels = [pomdp.actions[a] for a in sv.action]
    title = f"{pomdp.name or 'POMDP'}: stage {stage} of {solution.horizon}"
    return value_figure(sense.sign * sv.values, labels, pomdp.states, sense, title, hidden="s")
