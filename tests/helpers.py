"""Small shared test utilities: seeded random problems, hand-made policies.

Everything here goes through the public API (``decmdp.TwoPlayerMDP.from_arrays``,
``decmdp.save``, ``decmdp.PolicyGraph``) so the tests that use it exercise
what users call.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path

import networkx as nx
import numpy as np

import decmdp

X1_NAMES = ("a", "b", "c", "d")
U1_NAMES = ("stay", "go", "jump")
X2_NAMES = ("lo", "hi", "mid", "top")
U2_NAMES = ("wait", "act", "poke")


def _distributions(rng: np.random.Generator, shape, sparsity: float = 0.3) -> np.ndarray:
    """Random probability rows over the last axis, some entries exactly 0."""
    raw = rng.random(shape)
    raw[rng.random(shape) < sparsity] = 0.0
    # at least one positive entry per row
    rows = raw.reshape(-1, shape[-1])
    empty = rows.sum(axis=1) == 0
    rows[empty, rng.integers(shape[-1], size=int(empty.sum()))] = 1.0
    return raw / raw.sum(axis=-1, keepdims=True)


def random_problem(seed: int, n1: int = 2, n2: int = 2, m1: int = 2, m2: int = 2, horizon: int = 3, *,
                   sense: str = "cost", joint: bool = False, time_varying: bool = False,
                   discount: float = 1.0, terminal: bool = True, initial_x1: int | None = None,
                   name: str = "random") -> decmdp.TwoPlayerMDP:
    """A seeded random valid problem with readable names.

    Parameters
    ----------
    joint : bool
        Give a joint transition ``K`` in which ``x2'`` depends on ``x1'``
        (not a product of factors), still one-sided coupled.
    time_varying : bool
        One cost slice per stage (``horizon`` slices).
    initial_x1 : int, optional
        Put all initial mass on this ``x1`` (other ``x1`` have ``p0 = 0``).
    """
    rng = np.random.default_rng(seed)
    p0 = rng.random((n1, n2)) + 0.05
    if initial_x1 is not None:
        p0[np.arange(n1) != initial_x1] = 0.0
    p0 /= p0.sum()
    P1 = _distributions(rng, (n1, m1, n1))
    kwargs = {}
    if joint:
        Q = _distributions(rng, (n1, n2, m1, m2, n1, n2))  # x2' | x1, x2, u1, u2, x1'
        kwargs["transition"] = P1[:, None, :, None, :, None] * Q
    else:
        kwargs["transition1"] = P1
        kwargs["transition2"] = _distributions(rng, (n1, n2, m1, m2, n2))
    shape = (n1, n2, m1, m2)
    stage = rng.integers(0, 9, size=((horizon,) + shape) if time_varying else shape) / 4.0
    kwargs[sense] = stage
    if terminal:
        kwargs[f"terminal_{sense}"] = rng.integers(0, 9, size=(n1, n2)) / 4.0
    return decmdp.TwoPlayerMDP.from_arrays(
        p0, horizon=horizon, discount=discount, name=name,
        player1_states=X1_NAMES[:n1], player1_actions=U1_NAMES[:m1],
        player2_states=X2_NAMES[:n2], player2_actions=U2_NAMES[:m2], **kwargs)


def hand_problem(discount: float = 1.0, horizon: int = 2) -> decmdp.TwoPlayerMDP:
    """A problem whose policy values are easy to compute by hand.

    ``x1`` in {a, b}: ``stay`` keeps it, ``go`` flips it.  ``x2`` in {lo, hi}:
    ``act`` resets it to ``lo``; under ``wait``, ``lo`` becomes ``hi`` with
    probability 1/2 and ``hi`` stays ``hi``.  Stage cost ``2 [x2 = hi] +
    [u2 = act] + 0.5 [u1 = go]``; terminal cost ``3 [x2 = hi]``.  Start at
    ``x1 = a`` with ``x2`` uniform.
    """
    P1 = np.zeros((2, 2, 2))
    P1[:, 0, :] = np.eye(2)
    P1[:, 1, :] = np.eye(2)[::-1]
    P2 = np.zeros((2, 2, 2, 2, 2))
    P2[:, :, :, 1, 0] = 1.0            # act -> lo
    P2[:, 0, :, 0, :] = [0.5, 0.5]     # wait at lo
    P2[:, 1, :, 0, 1] = 1.0            # wait at hi
    x2_hi = np.array([0.0, 2.0])[None, :, None, None]
    u1_go = np.array([0.0, 0.5])[None, None, :, None]
    u2_act = np.array([0.0, 1.0])[None, None, None, :]
    cost = np.broadcast_to(x2_hi + u1_go + u2_act, (2, 2, 2, 2))
    terminal = np.array([[0.0, 3.0], [0.0, 3.0]])
    return decmdp.TwoPlayerMDP.from_arrays(
        [[0.5, 0.5], [0.0, 0.0]], horizon=horizon, discount=discount, name="by-hand",
        transition1=P1, transition2=P2, cost=cost, terminal_cost=terminal,
        player1_states=("a", "b"), player1_actions=("stay", "go"),
        player2_states=("lo", "hi"), player2_actions=("wait", "act"))


def deterministic_problem(horizon: int = 3, sense: str = "cost") -> decmdp.TwoPlayerMDP:
    """All transitions and the initial distribution are 0/1; costs are dyadic."""
    n1, n2, m1, m2 = 2, 2, 2, 2
    P1 = np.zeros((n1, m1, n1))
    for x1, u1 in itertools.product(range(n1), range(m1)):
        P1[x1, u1, (x1 + u1) % n1] = 1.0
    P2 = np.zeros((n1, n2, m1, m2, n2))
    for x1, x2, u1, u2 in itertools.product(range(n1), range(n2), range(m1), range(m2)):
        P2[x1, x2, u1, u2, (x1 + x2 + u2) % n2] = 1.0
    cost = (np.arange(n1 * n2 * m1 * m2).reshape(n1, n2, m1, m2) % 5) / 2.0
    p0 = np.zeros((n1, n2))
    p0[0, 1] = 1.0
    return decmdp.TwoPlayerMDP.from_arrays(
        p0, horizon=horizon, transition1=P1, transition2=P2, name="deterministic", **{sense: cost},
        player1_states=X1_NAMES[:n1], player1_actions=U1_NAMES[:m1],
        player2_states=X2_NAMES[:n2], player2_actions=U2_NAMES[:m2])


def write_problem(directory: Path, model: decmdp.TwoPlayerMDP, filename: str, form: str = decmdp.DENSE) -> Path:
    """Save ``model`` as ``directory / filename`` and return the path."""
    path = Path(directory) / filename
    decmdp.save(model, path, form=form)
    return path


def history_tree_policy(model: decmdp.TwoPlayerMDP, rng: np.random.Generator,
                        horizon: int | None = None) -> decmdp.PolicyGraph:
    """A random policy on the full tree of ``x1`` histories.

    One node per ``x1`` history ``(x1(0), ..., x1(t))`` reachable under the
    node's own random ``u1``; each node gets a random ``u1`` and a random
    prescription.  Every deterministic decentralized policy has this form.
    """
    horizon = model.horizon if horizon is None else horizon
    P1 = model.player1_transition()
    graph = nx.DiGraph()
    counter = itertools.count()
    start = {}

    def grow(t: int, x1: int) -> str:
        node = f"n{next(counter)}"
        u1 = int(rng.integers(model.m1))
        graph.add_node(node, stage=t, x1=model.player1_states[x1], u1=model.player1_actions[u1],
                       prescription=tuple(model.player2_actions[int(u)]
                                          for u in rng.integers(model.m2, size=model.n2)))
        if t + 1 < horizon:
            for x1_next in np.flatnonzero(P1[x1, u1] > 0):
                child = grow(t + 1, int(x1_next))
                graph.add_edge(node, child, x1=model.player1_states[x1_next])
        return node

    for x1 in np.flatnonzero(model.initial.sum(axis=1) > 0):
        start[model.player1_states[x1]] = grow(0, int(x1))
    return policy_graph(model, graph, start, horizon)


def policy_graph(model: decmdp.TwoPlayerMDP, graph: nx.DiGraph, start: dict,
                 horizon: int | None = None) -> decmdp.PolicyGraph:
    """Wrap a hand-built graph with the model's names."""
    return decmdp.PolicyGraph(
        graph=graph, start=start, horizon=model.horizon if horizon is None else horizon,
        player1_states=model.player1_states, player1_actions=model.player1_actions,
        player2_states=model.player2_states, player2_actions=model.player2_actions,
        problem=model.name)


def constant_policy(model: decmdp.TwoPlayerMDP, u1: str, u2: str, horizon: int | None = None) -> dict:
    """A ``decmdp-policy/1`` document: one node per ``(t, x1)``, always ``u1`` and ``u2``."""
    horizon = model.horizon if horizon is None else horizon
    X1 = model.player1_states
    nodes = []
    for t, x1 in itertools.product(range(horizon), X1):
        nodes.append({
            "id": f"t{t}-{x1}", "stage": t, "x1": x1, "u1": u1,
            "prescription": {x2: u2 for x2 in model.player2_states},
            "next": {} if t == horizon - 1 else {y: f"t{t + 1}-{y}" for y in X1},
        })
    return {
        "format": "decmdp-policy/1",
        "problem": model.name,
        "horizon": horizon,
        "player1": {"states": list(X1), "actions": list(model.player1_actions)},
        "player2": {"states": list(model.player2_states), "actions": list(model.player2_actions)},
        "start": {x1: f"t0-{x1}" for x1 in X1},
        "nodes": nodes,
    }


def edited(document: dict, edit) -> dict:
    """A deep copy of ``document`` after ``edit(copy)``."""
    doc = copy.deepcopy(document)
    edit(doc)
    return doc


def node_entry(document: dict, node_id: str) -> dict:
    """The node object with this id in a policy document."""
    return next(n for n in document["nodes"] if n["id"] == node_id)


def write_json(path: Path, value) -> Path:
    Path(path).write_text(json.dumps(value), encoding="utf-8")
    return Path(path)


def sparse_joint_problem(n1: int, n2: int, m1: int, m2: int, horizon: int, seed: int) -> decmdp.TwoPlayerMDP:
    """Two successors per transition row; x2' depends on the observed x1'."""
    rng = np.random.default_rng(seed)

    def two_per_row(*shape):
        raw = rng.random(shape)
        if shape[-1] > 2:
            raw = raw * (np.argsort(rng.random(shape), axis=-1) < 2)
        return raw / raw.sum(axis=-1, keepdims=True)

    P1 = two_per_row(n1, m1, n1)
    K = P1[:, None, :, None, :, None] * two_per_row(n1, n2, m1, m2, n1, n2)
    return decmdp.TwoPlayerMDP.from_arrays(
        two_per_row(n1 * n2).reshape(n1, n2), horizon=horizon, transition=K,
        cost=rng.random((n1, n2, m1, m2)), name=f"sparse-{n1}-{n2}-{m1}-{m2}-{horizon}-{seed}")
