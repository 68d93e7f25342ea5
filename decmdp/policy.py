"""The joint policy: a policy graph, its controllers, JSON and Graphviz files.

A node is one alpha vector ``(t, x1, k)`` that is reachable from the initial
distribution; it carries player 1's action ``u1`` and player 2's prescription
``x2 -> u2``, and for each observed ``x1'`` an edge to one node of stage
``t + 1`` (``docs/theory.md`` section 7).  Both players follow the same pointers, since
both see ``x1``; player 2 also reads its ``x2`` off the prescription::

      stage 0              stage 1              stage 2
    +----------+  x1'=a  +----------+
    | n0  x1=a |-------->| n1  x1=a |-----> ...
    | u1, g    |  x1'=b  +----------+
    |          |-------->| n2  x1=b |-----> ...
    +----------+         +----------+

A **cyclic** policy (``horizon == "infinite"``, made by an infinite-horizon
solve) is a finite-state controller: its nodes have no stage and ``next``
may point to any node, earlier ones included; it runs forever.

The JSON schema (``decmdp-policy/1``) is documented in
``docs/policy-format.md``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from typing import NamedTuple

import networkx as nx
import numpy as np

from decmdp import dot
from decmdp.core import value_iteration as core_vi
from decmdp.core.types import BackupData, StageValue
from decmdp.errors import MemoryLimitError, PolicyError
from decmdp.inputfile import InputError, clip, listing, read_json, shown
from decmdp.model import TwoPlayerMDP
from decmdp.provenance import Walk, observed_state, walk_stages
from decmdp.validation import ErrorList, check_horizon

POLICY_FORMAT = "decmdp-policy/1"
INFINITE = "infinite"
"""The ``horizon`` of a cyclic policy (a finite-state controller)."""
PROBLEM_FORMATS = ("decmdp/1", "decmdp/1-sparse")  # what a swapped argument looks like
_NODE_KEYS = {"id", "stage", "x1", "u1", "prescription", "next", "alpha"}
POLICY_NODE_BYTES = 2048
"""Memory counted per node of a policy graph (networkx node, attributes, edges)."""


class PolicyTables(NamedTuple):
    """A policy graph as plain arrays (node order = ``PolicyGraph.nodes``).

    Attributes
    ----------
    stage, x1, u1 : int64[N]
        ``stage`` is -1 for every node of a cyclic policy.
    prescription : int64[N, n2]
        ``u2`` for each ``x2``.
    next : int64[N, n1]
        Node index followed after observing ``x1'``; -1 where none.
    start : int64[n1]
        Node index for each initial ``x1``; -1 where none.
    """

    stage: np.ndarray
    x1: np.ndarray
    u1: np.ndarray
    prescription: np.ndarray
    next: np.ndarray
    start: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class PolicyGraph:
    """A joint policy for both players as a DAG.

    Attributes
    ----------
    graph : networkx.DiGraph
        Node ids are strings (``"n0"``, ...).  Node attributes: ``stage``
        (int), ``x1``, ``u1`` (names), ``prescription`` (tuple of ``u2``
        names, one per ``x2`` in order) and optionally ``alpha`` (the value
        vector over ``x2`` in the problem's sense, for a node made by the
        solver).  Each edge carries ``x1``: the observed next ``x1'``.
    start : dict of str to str
        Initial node for each initial ``x1`` (by name).
    horizon : int or "infinite"
        Number of decision stages, or :data:`INFINITE` for a cyclic policy
        (a finite-state controller, whose nodes have no ``stage`` and whose
        edges may form cycles).
    player1_states, player1_actions, player2_states, player2_actions : tuple of str
        The names the policy refers to.
    problem : str
        Name of the problem it was made for.
    """

    graph: nx.DiGraph
    start: dict
    horizon: int
    player1_states: tuple
    player1_actions: tuple
    player2_states: tuple
    player2_actions: tuple
    problem: str = ""

    @property
    def nodes(self) -> list[str]:
        """Node ids ordered by stage, then as stored."""
        return sorted(self.graph.nodes, key=lambda n: (_stage_key(self.graph.nodes[n].get("stage")), _order(n)))

    def __len__(self) -> int:
        return self.graph.number_of_nodes()

    @property
    def is_cyclic(self) -> bool:
        """True for a finite-state controller (``horizon == "infinite"``)."""
        return self.horizon == INFINITE

    # ------------------------------------------------------------ checking
    def check(self, model: TwoPlayerMDP) -> None:
        """Check that the policy is complete and consistent for ``model``.

        Raises
        ------
        PolicyError
            Listing every problem: names that differ from the model's, a
            horizon other than the model's (``model.with_horizon`` evaluates
            at another one), nodes
            with unknown actions or incomplete prescriptions, a missing or
            wrong successor for a reachable ``x1'``, a missing start node.
        """
        self._check_names(model)
        self._check_horizon(model)
        errors: list[str] = []
        support, P1 = model.player1_support(), model.player1_transition()
        for node in self.nodes:
            self._check_node(node, model, support, P1, errors)
        self._check_start(model, errors)
        if errors:
            raise PolicyError(errors)

    def _check_names(self, model: TwoPlayerMDP) -> None:
        errors = []
        for field in ("player1_states", "player1_actions", "player2_states", "player2_actions"):
            if tuple(getattr(self, field)) != tuple(getattr(model, field)):
                errors.append(f"{field.replace('_', '.', 1)}: policy has [{listing(getattr(self, field))}], "
                              f"the problem has [{listing(getattr(model, field))}]")
        if errors:
            raise PolicyError(errors)

    def _check_horizon(self, model: TwoPlayerMDP) -> None:
        if self.is_cyclic:
            errors = []
            if model.discount >= 1:
                errors.append(f"horizon: the policy is cyclic (infinite horizon) but the problem's discount "
                              f"is {model.discount:g}; expected a discount < 1")
            if model.is_time_varying:
                errors.append("horizon: the policy is cyclic (infinite horizon) but the problem's cost is "
                              "time-varying; expected a time-invariant cost")
            if errors:
                raise PolicyError(errors)
            return
        horizon_errors = ErrorList()
        if not check_horizon(self.horizon, horizon_errors):
            raise PolicyError([f"{m} or {INFINITE!r}" for m in horizon_errors.messages])
        if self.horizon != model.horizon:
            raise PolicyError(f"horizon: the policy has horizon {self.horizon}, the problem {model.horizon}; "
                              f"evaluate at the policy's horizon with --horizon {self.horizon} "
                              f"(model.with_horizon({self.horizon}) in Python)")

    def _check_node(self, node: str, model: TwoPlayerMDP, support, P1, errors: list) -> None:
        """Append to ``errors`` what is wrong with ``node``: its attributes, then its successors."""
        X1, U1, U2 = model.player1_states, model.player1_actions, model.player2_actions
        cyclic, g = self.is_cyclic, self.graph
        attrs = g.nodes[node]
        t, x1, u1, presc = attrs.get("stage"), attrs.get("x1"), attrs.get("u1"), attrs.get("prescription")
        where = f"node {clip(node)}"
        if cyclic:
            if t is not None:
                errors.append(f"{where}: has stage {shown(t)}, but a cyclic policy's nodes have no stage")
                return
        elif isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < self.horizon:
            errors.append(f"{where}: stage is {shown(t)}, expected an integer in 0..{self.horizon - 1}")
            return
        if x1 not in X1:
            errors.append(f"{where}: x1 is {shown(x1)}, expected one of {listing(X1)}")
            return
        if u1 not in U1:
            errors.append(f"{where}: u1 is {shown(u1)}, expected one of {listing(U1)}")
            return
        if not isinstance(presc, (tuple, list)) or len(presc) != model.n2 or any(u not in U2 for u in presc):
            errors.append(f"{where}: prescription is {shown(presc)}, expected one action of "
                          f"{listing(U2)} for each x2 in {listing(model.player2_states)}")
        observed = {}
        for _, child, data in g.out_edges(node, data=True):
            label = data.get("x1")
            if label not in X1:
                errors.append(f"{where}: successor for x1'={shown(label)}, which is not one of {listing(X1)}")
            if label in observed:
                errors.append(f"{where}: two successors for x1'={clip(label)}")
            observed[label] = child
        if not cyclic and t == self.horizon - 1:
            if observed:
                errors.append(f"{where}: is at the last stage {t} but has successors")
            return
        for j in np.flatnonzero(support[X1.index(x1), U1.index(u1)]):
            child = observed.get(X1[j])
            if child is None:
                errors.append(f"{where}: no successor for x1'={X1[j]}, which has probability "
                              f"{P1[X1.index(x1), U1.index(u1), j]:.6g} after x1={x1}, u1={u1}")
                continue
            cattrs = g.nodes[child]
            if cyclic and cattrs.get("x1") != X1[j]:
                errors.append(f"{where}: successor for x1'={X1[j]} is {child} (x1={cattrs.get('x1')!r}), "
                              f"expected a node with x1={X1[j]}")
            elif not cyclic and (cattrs.get("stage") != t + 1 or cattrs.get("x1") != X1[j]):
                errors.append(f"{where}: successor for x1'={X1[j]} is {child} (stage "
                              f"{shown(cattrs.get('stage'))}, x1={shown(cattrs.get('x1'))}), expected a "
                              f"node of stage {t + 1} with x1={X1[j]}")

    def _check_start(self, model: TwoPlayerMDP, errors: list) -> None:
        X1, g = model.player1_states, self.graph
        initial_mass = model.initial.sum(axis=1)
        for name, node in self.start.items():
            if name not in X1:
                errors.append(f"start: x1={shown(name)} is not one of {listing(X1)}")
            elif node not in g:
                errors.append(f"start[{clip(name)}]: {shown(node)} is not a node")
        for i, name in enumerate(X1):
            if initial_mass[i] <= 0:
                continue
            node = self.start.get(name)
            if node is None:
                errors.append(f"start: no node for initial x1={name}, which has probability "
                              f"{initial_mass[i]:.6g}")
            elif node in g and g.nodes[node].get("x1") != name:
                errors.append(f"start[{clip(name)}]: node {clip(node)} is not a node with x1={clip(name)}")
            elif node in g and not self.is_cyclic and g.nodes[node].get("stage") != 0:
                errors.append(f"start[{clip(name)}]: node {clip(node)} is not a stage-0 node with x1={clip(name)}")

    def tables(self) -> PolicyTables:
        """The policy as index arrays (call :meth:`check` first)."""
        order = self.nodes
        index = {node: i for i, node in enumerate(order)}
        X1, U1, U2 = self.player1_states, self.player1_actions, self.player2_actions
        n = len(order)
        stage = np.empty(n, dtype=np.int64)
        x1 = np.empty(n, dtype=np.int64)
        u1 = np.empty(n, dtype=np.int64)
        prescription = np.empty((n, len(self.player2_states)), dtype=np.int64)
        nxt = np.full((n, len(X1)), -1, dtype=np.int64)
        for i, node in enumerate(order):
            attrs = self.graph.nodes[node]
            stage[i] = -1 if self.is_cyclic else attrs["stage"]
            x1[i] = X1.index(attrs["x1"])
            u1[i] = U1.index(attrs["u1"])
            prescription[i] = [U2.index(u) for u in attrs["prescription"]]
            for _, child, data in self.graph.out_edges(node, data=True):
                nxt[i, X1.index(data["x1"])] = index[child]
        start = np.full(len(X1), -1, dtype=np.int64)
        for name, node in self.start.items():
            start[X1.index(name)] = index[node]
        return PolicyTables(stage, x1, u1, prescription, nxt, start)

    # ------------------------------------------------------------ files
    def to_document(self) -> dict:
        """The ``decmdp-policy/1`` JSON document (see docs/policy-format.md)."""
        nodes = []
        for node in self.nodes:
            attrs = self.graph.nodes[node]
            entry = {
                "id": node,
                **({} if self.is_cyclic else {"stage": attrs["stage"]}),
                "x1": attrs["x1"],
                "u1": attrs["u1"],
                "prescription": dict(zip(self.player2_states, attrs["prescription"])),
                "next": {data["x1"]: child for _, child, data in sorted(
                    self.graph.out_edges(node, data=True), key=lambda e: self.player1_states.index(e[2]["x1"]))},
            }
            if "alpha" in attrs:
                entry["alpha"] = list(attrs["alpha"])
            nodes.append(entry)
        return {
            "format": POLICY_FORMAT,
            "problem": self.problem,
            "horizon": self.horizon,
            "player1": {"states": list(self.player1_states), "actions": list(self.player1_actions)},
            "player2": {"states": list(self.player2_states), "actions": list(self.player2_actions)},
            "start": dict(self.start),
            "nodes": nodes,
        }

    def dumps(self) -> str:
        """The policy file text (one node per line)."""
        doc = self.to_document()
        nodes = doc.pop("nodes")
        head = json.dumps(doc, indent=2)[:-2]
        body = ",\n".join("    " + json.dumps(n) for n in nodes)
        return f"{head},\n  \"nodes\": [\n{body}\n  ]\n}}\n"

    def plot(self, path, engine: str = "auto", force: bool = False) -> None:
        """Draw the policy graph to ``path`` (``.png``, ``.svg``, ``.pdf``).

        Parameters
        ----------
        path : str or path-like
        engine : {"auto", "graphviz", "matplotlib"}
            ``auto``: Graphviz's ``dot`` when it is on PATH, else a layered
            layout drawn with matplotlib (extra ``decmdp[plot]``).
        force : bool
            Overwrite ``path`` if it exists.

        Raises
        ------
        decmdp.plot.MissingPlotExtra
            If matplotlib is needed and not installed.
        FileExistsError
            If ``path`` exists and ``force`` is false.
        ValueError
            For an unknown format or engine, or a graph too large to draw.
        """
        from decmdp.plot import policy_picture, save_picture

        save_picture(lambda fmt: policy_picture(self, fmt, engine), path, force)

    def prescription_text(self, node: str, arrow: str = "->") -> str:
        """Player 2's prescription at ``node`` as ``x2->u2, ...``."""
        return ", ".join(f"{x2}{arrow}{u2}"
                         for x2, u2 in zip(self.player2_states, self.graph.nodes[node]["prescription"]))

    def successor_text(self, node: str, arrow: str = "->") -> str:
        """The nodes after ``node`` as ``x1'->node, ...`` (empty at the last stage)."""
        return ", ".join(f"{d['x1']}{arrow}{c}" for _, c, d in self.graph.out_edges(node, data=True))

    def node_lines(self, node: str) -> tuple[str, str, str]:
        """What a picture shows of ``node``: where (stage, unless the graph is
        cyclic, and ``x1``), player 1's action, player 2's prescription."""
        attrs = self.graph.nodes[node]
        where = ("" if self.is_cyclic else f"t={attrs['stage']} ") + f"x1={attrs['x1']}"
        return where, f"u1={attrs['u1']}", self.prescription_text(node)

    def to_dot(self) -> str:
        """Graphviz DOT text: one box per node, edges labelled with ``x1'``."""
        return dot.digraph(self.problem or "policy", [(node, self.node_lines(node)) for node in self.nodes],
                           [("start " + name, node) for name, node in self.start.items()],
                           [(u, v, data["x1"]) for u, v, data in self.graph.edges(data=True)])


def _stage_key(stage):
    """Sort key of a stage; a malformed one (for check() to report) sorts last."""
    ok = isinstance(stage, int) and not isinstance(stage, bool)
    return (0, stage) if ok else (1, 0)


_SOLVER_ID = re.compile(r"n([0-9]{1,18})")


def _order(node_id: str):
    """Sort key: solver ids ``n0, n1, ...`` by number, any other id after them by text."""
    match = _SOLVER_ID.fullmatch(node_id)
    return (0, int(match.group(1)), "") if match else (1, 0, node_id)


def _finite(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond the float range
        return False


def _kind(value) -> str:
    if isinstance(value, str):
        return f"the string {shown(value)}"
    return {list: "a list", dict: "an object", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def policy_from_document(doc) -> PolicyGraph:
    """Build a :class:`PolicyGraph` from a parsed ``decmdp-policy/1`` document.

    Raises
    ------
    PolicyError
        When the document is not of that schema; whether the policy fits a
        problem is checked by :meth:`PolicyGraph.check`.
    """
    _check_top_level(doc)
    names = _document_names(doc)
    X2 = names["player2.states"]
    errors: list[str] = []
    graph, rejected = _document_nodes(doc["nodes"], doc["horizon"] == INFINITE, X2, errors)
    _document_edges(doc["nodes"], graph, rejected, errors)
    if errors:
        raise PolicyError(errors)
    return PolicyGraph(graph=graph, start=dict(doc["start"]), horizon=doc["horizon"],
                       player1_states=names["player1.states"], player1_actions=names["player1.actions"],
                       player2_states=X2, player2_actions=names["player2.actions"],
                       problem=str(doc.get("problem", "")))


def _check_top_level(doc) -> None:
    """Raise :class:`PolicyError` unless ``doc`` is an object with the policy format and its keys."""
    if not isinstance(doc, dict):
        raise PolicyError("policy: top level is not a JSON object")
    if doc.get("format") in PROBLEM_FORMATS:
        raise PolicyError(f"format: is {doc['format']!r}: this is a problem file, not a policy file")
    errors = []
    known = {"format", "problem", "horizon", "player1", "player2", "start", "nodes"}
    for key in doc:
        if key not in known:
            errors.append(f"{clip(key)}: unknown key; expected one of {listing(sorted(known))}")
    if doc.get("format") != POLICY_FORMAT:
        errors.append(f"format: is {shown(doc.get('format'))}, expected {POLICY_FORMAT!r}")
    for key in ("horizon", "player1", "player2", "start", "nodes"):
        if key not in doc:
            errors.append(f"{key}: missing")
    if errors:
        raise PolicyError(errors)


def _document_names(doc) -> dict:
    """The name lists by ``"player1.states"`` etc.; raises unless they, ``start`` and ``nodes`` have their shape."""
    errors, names = [], {}
    for player in ("player1", "player2"):
        block = doc[player]
        for key in block if isinstance(block, dict) else ():
            if key not in ("states", "actions"):
                errors.append(f"{player}.{clip(key)}: unknown key; expected states, actions")
        for key in ("states", "actions"):
            value = block.get(key) if isinstance(block, dict) else None
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors.append(f"{player}.{key}: expected a list of names")
            else:
                names[f"{player}.{key}"] = tuple(value)
    if not isinstance(doc["start"], dict) or not all(isinstance(v, str) for v in doc["start"].values()):
        errors.append("start: expected an object mapping x1 names to node ids")
    if not isinstance(doc["nodes"], list):
        errors.append("nodes: expected a list of node objects")
    if errors:
        raise PolicyError(errors)
    return names


def _document_nodes(entries: list, cyclic: bool, X2: tuple, errors: list):
    """The graph of the well-formed node entries, and the ids of the ill-formed ones (reported in ``errors``)."""
    graph = nx.DiGraph()
    rejected: set = set()  # ids of nodes already reported; edges to them are not reported again
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            errors.append(f"nodes[{i}]: expected an object with a string id")
            continue
        node = entry["id"]
        rejected.add(node)
        if node in graph:
            errors.append(f"nodes[{i}]: id {shown(node)} is used twice")
            continue
        attrs = _node_attributes(entry, cyclic, X2, errors)
        if attrs is not None:
            graph.add_node(node, **attrs)
            rejected.discard(node)
    return graph, rejected


def _node_attributes(entry: dict, cyclic: bool, X2: tuple, errors: list) -> dict | None:
    """A node entry's attributes, or None after reporting what is wrong with it."""
    node = entry["id"]
    extra = set(entry) - _NODE_KEYS
    missing = ({"x1", "u1", "prescription", "next"} | (set() if cyclic else {"stage"})) - set(entry)
    if extra or missing:
        errors.append(f"node {clip(node)}: " + "; ".join(
            ([f"unknown key(s) {listing(sorted(extra))}"] if extra else [])
            + ([f"missing {listing(sorted(missing))}"] if missing else [])))
        return None
    presc = entry["prescription"]
    if not isinstance(presc, dict):
        errors.append(f"node {clip(node)}: prescription must map every x2 in {listing(X2)} to an action")
        return None
    absent = [x2 for x2 in X2 if x2 not in presc]
    unknown = [str(x2) for x2 in presc if x2 not in X2]
    if absent or unknown:
        errors.append(f"node {clip(node)}: prescription " + "; ".join(
            ([f"has no action for x2={listing(absent)}"] if absent else [])
            + ([f"names unknown x2 {listing(unknown)}"] if unknown else [])))
        return None
    attrs = {"x1": entry["x1"], "u1": entry["u1"], "prescription": tuple(presc[x2] for x2 in X2)}
    if "stage" in entry:  # a cyclic policy's node with a stage is reported by check()
        attrs["stage"] = entry["stage"]
    if "alpha" in entry:
        alpha = entry["alpha"]
        if not isinstance(alpha, list) or len(alpha) != len(X2) or not all(map(_finite, alpha)):
            errors.append(f"node {clip(node)}: alpha must be a list of {len(X2)} finite numbers, one per x2")
            return None
        attrs["alpha"] = tuple(alpha)
    return attrs


def _document_edges(entries: list, graph: nx.DiGraph, rejected: set, errors: list) -> None:
    """Add the ``next`` pointers of the nodes in ``graph`` as edges; report the bad ones in ``errors``."""
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("id") not in graph:
            continue
        nxt = entry["next"]
        if not isinstance(nxt, dict):
            errors.append(f"node {clip(entry['id'])}: next must map x1' names to node ids")
            continue
        for label, child in nxt.items():
            if not isinstance(child, str):
                errors.append(f"node {clip(entry['id'])}: next[{shown(label)}] is {_kind(child)}, expected a node id")
                continue
            if child in rejected:
                continue
            if child not in graph:
                errors.append(f"node {clip(entry['id'])}: next[{shown(label)}] is {shown(child)}, which is not a node")
            elif graph.has_edge(entry["id"], child) and graph.nodes[child]["x1"] != label:
                continue  # one edge per pair: keep the label that can be valid (the child's x1)
            else:
                graph.add_edge(entry["id"], child, x1=label)


def policy_from_stages(model: TwoPlayerMDP, data: BackupData, stages: list[StageValue], start: dict) -> PolicyGraph:
    """The policy graph reachable from the chosen stage-0 rows.

    Parameters
    ----------
    model : TwoPlayerMDP
    data : BackupData
        The backup data of ``model`` the stages were computed from.
    stages : list of StageValue
        Core output, ``len(stages) == horizon + 1``.
    start : dict of int to int
        Initial ``x1`` index -> global row of ``stages[0]``.

    Raises
    ------
    MemoryLimitError
        If the graph would take more than
        :data:`decmdp.core.value_iteration.MAX_STORED_BYTES`
        (:data:`POLICY_NODE_BYTES` per node).
    """

    def admit(key, count: int) -> None:
        if count * POLICY_NODE_BYTES > core_vi.MAX_STORED_BYTES:
            raise MemoryLimitError(stage=key[0], estimate=count * POLICY_NODE_BYTES,
                                   limit=core_vi.MAX_STORED_BYTES, what="the policy graph")

    def attributes(key) -> dict:
        t, row = key
        sv = stages[t]
        return {"stage": t, **vector_attributes(model, sv, row),
                "alpha": tuple(float(v) for v in model.to_user_sense(sv.values[row]))}

    found = walk_stages(data, stages, [start[x1] for x1 in sorted(start)], admit)
    return policy_from_walk(model, found, sorted(start), attributes, horizon=len(stages) - 1)


def vector_attributes(model: TwoPlayerMDP, stage: StageValue, row: int) -> dict:
    """The node attributes ``x1``, ``u1``, ``prescription`` (names) of one row of a stage."""
    return {"x1": model.player1_states[observed_state(stage, row)],
            "u1": model.player1_actions[stage.action[row]],
            "prescription": tuple(model.player2_actions[u] for u in stage.prescription[row])}


def policy_from_walk(model: TwoPlayerMDP, found: Walk, start_x1: list, attributes, horizon) -> PolicyGraph:
    """The :class:`PolicyGraph` of a provenance walk (:mod:`decmdp.provenance`).

    Node ``i`` of the walk becomes ``"n{i}"`` with ``attributes(found.keys[i])``;
    ``found.start[j]`` is the start node of ``x1`` index ``start_x1[j]``;
    an edge's label is the observed ``x1'``.  ``horizon``: an int, or
    :data:`INFINITE` for a controller.
    """
    X1 = model.player1_states
    ids = [f"n{i}" for i in range(len(found.keys))]
    out: list[list] = [[] for _ in ids]
    for node, label, child in found.edges:
        out[node].append((label, child))
    graph = nx.DiGraph()
    for node, key in enumerate(found.keys):
        graph.add_node(ids[node], **attributes(key))
        for label, child in out[node]:
            graph.add_edge(ids[node], ids[child], x1=X1[label])
    return PolicyGraph(graph=graph, start={X1[x1]: ids[node] for x1, node in zip(start_x1, found.start)},
                       horizon=horizon, player1_states=X1, player1_actions=model.player1_actions,
                       player2_states=model.player2_states, player2_actions=model.player2_actions,
                       problem=model.name)


def load_policy(path: str | os.PathLike) -> PolicyGraph:
    """Read a ``decmdp-policy/1`` file.

    Raises
    ------
    PolicyError
        The file is missing, not JSON or not a policy document.
    """
    try:
        doc = read_json(path, "policy file")
    except InputError as exc:
        raise PolicyError(str(exc)) from None
    return policy_from_document(doc)


class _Follower:
    """Walks a policy on ``x1``, as both players do."""

    def __init__(self, policy: PolicyGraph):
        self.policy = policy
        self.node: str | None = None

    def _enter(self, x1: str) -> dict:
        """Go to the start node of ``x1(0)``; return its attributes."""
        if x1 not in self.policy.start:
            raise PolicyError(f"start: no node for initial x1={x1}")
        self.node = self.policy.start[x1]
        return self.policy.graph.nodes[self.node]

    def _advance(self, x1: str) -> dict:
        """Follow the edge of the observed ``x1``; return the new node's attributes."""
        self.node = _follow(self.policy, self.node, x1)
        return self.policy.graph.nodes[self.node]


class Player1Controller(_Follower):
    """Player 1's executable policy: sees only ``x1``.

    Call :meth:`reset` with ``x1(0)``, then :meth:`step` with each new ``x1``;
    both return the action name.  A cyclic policy (finite-state controller)
    can be stepped forever.
    """

    def reset(self, x1: str) -> str:
        """Start an episode at ``x1(0)``; return ``u1(0)``."""
        return self._enter(x1)["u1"]

    def step(self, x1: str) -> str:
        """Observe the next ``x1``; return the next action."""
        return self._advance(x1)["u1"]


class Player2Controller(_Follower):
    """Player 2's executable policy: sees ``x1`` and ``x2``.

    Follows the same pointers on ``x1`` as player 1 and plays the node's
    prescription at its own ``x2``.
    """

    def _act(self, attrs: dict, x2: str) -> str:
        if x2 not in self.policy.player2_states:
            raise PolicyError(f"x2 is {shown(x2)}, expected one of {listing(self.policy.player2_states)}")
        return attrs["prescription"][self.policy.player2_states.index(x2)]

    def reset(self, x1: str, x2: str) -> str:
        """Start an episode at ``(x1(0), x2(0))``; return ``u2(0)``."""
        return self._act(self._enter(x1), x2)

    def step(self, x1: str, x2: str) -> str:
        """Observe the next ``(x1, x2)``; return the next action."""
        return self._act(self._advance(x1), x2)


def _follow(policy: PolicyGraph, node: str | None, x1: str) -> str:
    if node is None:
        raise PolicyError("call reset() before step()")
    for _, child, data in policy.graph.out_edges(node, data=True):
        if data["x1"] == x1:
            return child
    if policy.is_cyclic:
        raise PolicyError(f"node {node} has no successor for x1'={x1}")
    stage = policy.graph.nodes[node]["stage"]
    raise PolicyError(f"node {clip(node)} (stage {stage}) has no successor for x1'={x1}"
                      + (" (the horizon is over)" if stage == policy.horizon - 1 else ""))
