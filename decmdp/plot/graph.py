"""Pictures of a policy graph: Graphviz when ``dot`` is on PATH, else matplotlib.

Both routes draw the same graph: one box per node (stage, what is played),
edges labelled by the observation that selects the next node, stages from
left to right.  Graphviz lays out the DOT text the policy already writes
(``to_dot``); without it a layered :func:`networkx.multipartite_layout` is
drawn with matplotlib.
"""

from __future__ import annotations

import shutil
import subprocess

import networkx as nx
import numpy as np

from decmdp.plot._backend import figure_bytes, pyplot

MAX_DRAWN_NODES = 400
"""Larger graphs are refused (the picture would be unreadable)."""


def graphviz() -> str | None:
    """Path of the ``dot`` program, or None."""
    return shutil.which("dot")


def two_player_graph(policy) -> nx.DiGraph:
    """A :class:`~decmdp.policy.PolicyGraph` as a labelled DiGraph (nodes: ``stage``, ``label``)."""
    drawn = nx.DiGraph()
    for node in policy.nodes:
        where, u1, g = policy.node_lines(node)
        drawn.add_node(node, stage=policy.graph.nodes[node].get("stage", 0),  # a controller: one layer
                       label=f"{node}  {where}\n{u1}\n{g}")
    for name, node in policy.start.items():
        drawn.add_node(f"start {name}", stage=-1, label=f"start\nx1(0)={name}", start=True)
        drawn.add_edge(f"start {name}", node, label="")
    for u, v, data in policy.graph.edges(data=True):
        drawn.add_edge(u, v, label=data["x1"])
    return drawn


def pomdp_graph(solution) -> nx.DiGraph:
    """The policy graph of a :class:`~decmdp.pomdp.PomdpSolution` reachable from its start belief."""
    graph = solution.policy_graph()
    drawn = nx.DiGraph()
    drawn.add_node("start", stage=-1, label="start", start=True)
    drawn.add_edge("start", graph.graph["start"], label="")
    for node, a in graph.nodes(data=True):
        drawn.add_node(node, stage=a["stage"] or 0, label="\n".join(solution.node_lines(node, a)))
    for u, v, data in graph.edges(data=True):
        drawn.add_edge(u, v, label=data["observation"])
    return drawn


def graph_figure(drawn: nx.DiGraph, title: str):
    """The layered matplotlib drawing of a labelled graph (see :func:`two_player_graph`)."""
    if drawn.number_of_nodes() > MAX_DRAWN_NODES:
        raise ValueError(f"policy graph: {drawn.number_of_nodes()} nodes, more than the {MAX_DRAWN_NODES} "
                         "that can be drawn readably; write it with --dot instead")
    plt = pyplot()
    position = nx.multipartite_layout(drawn, subset_key="stage", align="vertical", scale=1.0)
    layers = {}
    for node, data in drawn.nodes(data=True):
        layers.setdefault(data["stage"], []).append(node)
    for nodes in layers.values():  # keep the stored order top to bottom, evenly spaced
        for k, node in enumerate(nodes):
            position[node] = np.array([position[node][0], -k])
    tallest = max(len(nodes) for nodes in layers.values())
    longest = max(len(line) for _, d in drawn.nodes(data=True) for line in d["label"].splitlines())
    figure, ax = plt.subplots(figsize=(max(6.0, len(layers) * (1.2 + 0.09 * longest)),
                                       max(2.5, 1.1 * tallest + 1)))
    boxes = {node: ax.text(*position[node], data["label"], ha="center", va="center", fontsize=7,
                           family="monospace", zorder=3,
                           bbox=dict(boxstyle="round,pad=0.4", edgecolor="0.3",
                                     facecolor="white" if data.get("start") else "#e8f0fb"))
             for node, data in drawn.nodes(data=True)}
    xs = sorted({float(x) for x, _ in position.values()})
    half_step = (xs[-1] - xs[0]) / (len(xs) - 1) / 2 if len(xs) > 1 else 1.0  # texts set no data limits
    ax.set_xlim(xs[0] - half_step, xs[-1] + half_step)
    ax.set_ylim(-tallest + 0.4, 0.6)
    ax.axis("off")
    figure.canvas.draw()  # places the boxes, so that the arrows below can be clipped at their borders
    for u, v, data in drawn.edges(data=True):
        ax.annotate("", xy=position[v], xytext=position[u], zorder=4,
                    arrowprops=dict(arrowstyle="-|>", color="0.45", shrinkA=2, shrinkB=2,
                                    patchA=boxes[u].get_bbox_patch(), patchB=boxes[v].get_bbox_patch()))
        if data["label"]:
            # before the middle: labels of crossing edges do not meet, and arrowheads stay clear
            where = position[u] + 0.4 * (position[v] - position[u])
            ax.text(*where, data["label"], ha="center", va="center", fontsize=7, zorder=4,
                    bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none"))
    ax.set_title(title, fontsize="medium")
    return figure


def render_graph(dot_text: str, drawn, fmt: str, title: str, engine: str = "auto") -> bytes:
    """The picture of a policy graph as ``fmt`` (png, svg, pdf) bytes.

    Parameters
    ----------
    dot_text : str
        Its Graphviz DOT text (used when Graphviz draws it).
    drawn : callable
        Builds the same graph as a networkx DiGraph, for the matplotlib
        route only.
    fmt : str
    title : str
    engine : {"auto", "graphviz", "matplotlib"}
        ``auto``: Graphviz when ``dot`` is on PATH, matplotlib otherwise.
    """
    if engine not in ("auto", "graphviz", "matplotlib"):
        raise ValueError(f"engine: is {engine!r}, expected auto, graphviz or matplotlib")
    dot = graphviz() if engine != "matplotlib" else None
    if engine == "graphviz" and dot is None:
        raise ValueError("engine: graphviz asked for, but the dot program is not on PATH")
    if dot is not None:
        result = subprocess.run([dot, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True,
                                check=False)
        if result.returncode == 0:
            return result.stdout
        if engine == "graphviz":
            raise ValueError(f"dot failed: {result.stderr.decode(errors='replace').strip()}")
    return figure_bytes(graph_figure(drawn(), title), fmt)


def policy_picture(policy, fmt: str, engine: str = "auto") -> bytes:
    """A two-player policy graph drawn as ``fmt`` bytes."""
    return render_graph(policy.to_dot(), lambda: two_player_graph(policy), fmt,
                        f"{policy.problem or 'policy'}: policy graph ({len(policy)} nodes)", engine)


def pomdp_policy_picture(solution, fmt: str, engine: str = "auto") -> bytes:
    """A POMDP solution's policy graph drawn as ``fmt`` bytes."""
    return render_graph(solution.to_dot(), lambda: pomdp_graph(solution), fmt,
                        f"{solution.pomdp.name or 'POMDP'}: policy graph", engine)


