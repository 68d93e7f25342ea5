"""One self-contained HTML report of a solved problem.

Sections (each a ``<section id=...>``): ``problem`` (what was solved),
``value`` (the optimal value, the two bounds and their gaps, with a bar
chart), ``stages`` (vectors, LPs and seconds per stage), ``value-functions``
(stage 0 over player 2's belief, one figure per initial ``x1``), ``policy``
(the policy graph and a table of what each player does at each node) and
``simulation`` (the distribution of simulated returns against the exact
value).  Every figure is an inline ``<svg>`` inside a ``<figure>``; nothing
is fetched from anywhere, so the file opens offline.  The numbers the solver
computed sit in cells marked ``data-quantity="..."`` so that tools (and the
tests) can read them back.
"""

from __future__ import annotations

import html
import re

import numpy as np

from decmdp.common import Sense
from decmdp.common import number_text as fmt  # the CLI's number format
from decmdp.model import TwoPlayerMDP
from decmdp.plot._backend import figure_bytes, pyplot
from decmdp.plot.graph import policy_picture
from decmdp.plot.value import solution_value_figure
from decmdp.simulation import Z_95, mean_and_stderr, sample_returns

MAX_VALUE_FIGURES = 6
MAX_TABLE_NODES = 500

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #555; } p.note { color: #555; font-size: .9rem; }
"""


def _svg(picture: bytes, prefix: str) -> str:
    """Inline-ready SVG: no XML prolog, doctype, comments or metadata; ids made unique by ``prefix``."""
    text = picture.decode("utf-8")
    text = re.sub(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->|<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    return text.strip()


class _Figures:
    def __init__(self):
        self.count = 0

    def __call__(self, picture: bytes, caption: str) -> str:
        self.count += 1
        return (f'<figure id="figure-{self.count}">{_svg(picture, f"f{self.count}")}'
                f"<figcaption>Figure {self.count}. {html.escape(caption)}</figcaption></figure>")


def _table(header, rows, quantities=None) -> str:
    """An HTML table; ``quantities[i]`` (optional) marks row i's value cell with ``data-quantity``."""
    out = ["<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cells = []
        for j, cell in enumerate(row):
            if isinstance(cell, float):
                mark = f' data-quantity="{quantities[i]}"' if quantities and quantities[i] and j == 1 else ""
                cells.append(f'<td class="num"{mark}>{fmt(cell)}</td>')
            elif isinstance(cell, int):
                cells.append(f'<td class="num">{cell}</td>')
            else:
                cells.append(f"<td>{html.escape(str(cell))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(out) + "</tbody></table>"


def build_report(model: TwoPlayerMDP, solution, episodes: int = 10_000, seed: int | None = 0) -> str:
    """The HTML text of the report of ``solution`` on ``model``.

    Parameters
    ----------
    model : TwoPlayerMDP
    solution : decmdp.Solution
        Solved with bounds for the bounds section (without, it says so).
    episodes, seed
        Simulated episodes for the return distribution (see
        :func:`decmdp.simulate`).

    Raises
    ------
    decmdp.plot.MissingPlotExtra
        If matplotlib is not installed.
    """
    figure = _Figures()
    kind = solution.sense.objective
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>decmdp report: {e(model.name)}</title><style>{STYLE}</style></head><body>",
             f"<h1>decmdp report: {e(model.name)}</h1>"]

    parts.append('<section id="problem"><h2>Problem</h2>')
    if model.description:
        parts.append(f"<p>{e(model.description)}</p>")
    parts.append(_table(["", ""], [
        ("player 1 (sees x1)", f"states {', '.join(model.player1_states)}; actions {', '.join(model.player1_actions)}"),
        ("player 2 (sees x1 and x2)", f"states {', '.join(model.player2_states)}; "
                                      f"actions {', '.join(model.player2_actions)}"),
        ("objective", f"{solution.sense.value} expected total {kind}"
                      + (" (time-varying)" if model.is_time_varying else "")),
        ("horizon", solution.horizon),
        ("discount", fmt(model.discount)),
        ("transition", "factored P1 * P2" if model.is_factored else "joint"),
        ("prescriptions |U2|^|X2|", f"{model.m2}^{model.n2} = {model.prescriptions}"),
    ]))
    parts.append("</section>")

    parts.append('<section id="value"><h2>Optimal value and bounds</h2>')
    rows, marks = [("optimal value", solution.value)], ["value"]
    rows += [(f"optimal value given x1(0) = {x1}", v) for x1, v in solution.initial_values.items()]
    marks += [f"initial:{x1}" for x1 in solution.initial_values]
    b = solution.bounds
    if b:
        better = "lower" if solution.sense is Sense.MINIMIZE else "upper"
        worse = "upper" if better == "lower" else "lower"
        rows += [(f"full information (both see x1, x2): {better} bound", b.full_information),
                 (f"player 2 ignores x2: {worse} bound", b.blind_player2),
                 ("price of decentralization |optimum - full information|", b.price_of_decentralization),
                 ("value of player 2's information |blind - optimum|", b.value_of_information)]
        marks += ["full_information", "blind_player2", "price_of_decentralization", "value_of_information"]
    parts.append(_table(["quantity", kind], rows, marks))
    if b:
        parts.append(figure(_bounds_chart(solution, kind), "The optimum between its bounds; the gaps are the "
                            "price of decentralization and the value of player 2's information."))
    else:
        parts.append('<p class="note">Bounds were not computed.</p>')
    parts.append("</section>")

    parts.append('<section id="stages"><h2>Work per stage</h2>')
    stats = sorted(solution.stats, key=lambda s: s.stage)
    parts.append(_table(["stage", "vectors kept", "generated", "LPs", "seconds"],
                        [(s.stage, s.kept, s.generated, s.lps, f"{s.seconds:.3f}") for s in stats]))
    parts.append(f'<p class="note">Solved in {solution.seconds:.2f} s with method {e(solution.method)}.</p>')
    parts.append("</section>")

    parts.append('<section id="value-functions"><h2>Value functions at stage 0</h2>'
                 "<p>The optimal expected " + kind + "-to-go over player 2's belief about x2, given player "
                 "1's observation; each region is coloured by the optimal u1 and prescription.</p>")
    starts = list(solution.policy.start)[:MAX_VALUE_FIGURES]
    for x1 in starts:
        picture = figure_bytes(solution_value_figure(solution, 0, x1), "svg")
        parts.append(figure(picture, f"Stage 0, x1 = {x1}."))
    parts.append("</section>")

    parts.append(_policy_section(solution, figure))
    parts.append(_simulation_section(model, solution, episodes, seed, kind, figure))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _bounds_chart(solution, kind: str) -> bytes:
    plt = pyplot()
    b = solution.bounds
    names = ["full information", "optimal (decentralized)", "player 2 ignores x2"]
    values = [b.full_information, solution.value, b.blind_player2]
    figure, ax = plt.subplots(figsize=(6.4, 3.2))
    bars = ax.barh(names, values, color=["#7aa6d8", "#2f6db3", "#b0b0b0"])
    ax.bar_label(bars, labels=[fmt(v) for v in values], padding=3, fontsize="small")
    ax.invert_yaxis()
    ax.set_xlabel(f"expected total {kind}")
    low, high = min(values + [0.0]), max(values + [0.0])
    ax.set_xlim(low - 0.05 * (high - low or 1), high + 0.25 * (high - low or 1))
    ax.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return figure_bytes(figure, "svg")


def _policy_section(solution, figure) -> str:
    policy = solution.policy
    parts = ['<section id="policy"><h2>Policy graph</h2>']
    try:
        parts.append(figure(policy_picture(policy, "svg"), f"The optimal policy graph ({len(policy)} nodes): "
                            "stages left to right; edges are labelled with the next x1."))
    except ValueError as exc:  # too large to draw readably
        parts.append(f'<p class="note">{html.escape(str(exc))}</p>')
    parts.append("<h3>What each player does</h3><p>Player 1 plays u1; player 2 plays the prescription at "
                 "its own x2; both move to the node named for the next x1.</p>")
    rows = []
    starts = {node: name for name, node in policy.start.items()}
    for node in policy.nodes[:MAX_TABLE_NODES]:
        a = policy.graph.nodes[node]
        rows.append((node + (f" (start, x1(0) = {starts[node]})" if node in starts else ""), a["stage"], a["x1"],
                     a["u1"], policy.prescription_text(node, " -> "),
                     policy.successor_text(node, " -> ") or "(last stage)"))
    parts.append(_table(["node", "stage", "x1", "player 1: u1", "player 2: x2 -> u2", "next"], rows))
    if len(policy) > MAX_TABLE_NODES:
        parts.append(f'<p class="note">First {MAX_TABLE_NODES} of {len(policy)} nodes.</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _simulation_section(model, solution, episodes, seed, kind, figure) -> str:
    returns = sample_returns(model, solution.policy, episodes=episodes, seed=seed)
    mean, stderr = mean_and_stderr([returns])
    parts = ['<section id="simulation"><h2>Simulated returns</h2>',
             f"<p>{returns.size} episodes of the optimal policy (seed {seed}); the exact value comes from the "
             "solver and is checked by exact forward evaluation elsewhere.</p>",
             _table(["quantity", kind], [("exact optimal value", solution.value), ("simulated mean", mean),
                                         ("standard error", stderr), ("95% interval low", mean - Z_95 * stderr),
                                         ("95% interval high", mean + Z_95 * stderr)],
                    ["exact", "sim_mean", "sim_stderr", "sim_ci_low", "sim_ci_high"])]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    values, counts = np.unique(np.round(returns, 12), return_counts=True)
    if len(values) <= 40:  # few distinct returns: show each one
        width = 0.8 * (np.diff(values).min() if len(values) > 1 else 1.0)
        ax.bar(values, counts / returns.size, width=width, color="#7aa6d8")
    else:
        ax.hist(returns, bins=40, weights=np.full(returns.size, 1 / returns.size), color="#7aa6d8")
    ax.axvline(solution.value, color="#b3302f", linewidth=2, label=f"exact value {fmt(solution.value)}")
    ax.axvline(mean, color="k", linestyle="--", linewidth=1, label=f"simulated mean {fmt(mean)}")
    ax.set_xlabel(f"total discounted {kind} of an episode")
    ax.set_ylabel("fraction of episodes")
    ax.legend(fontsize="small")
    fig.tight_layout()
    parts.append(figure(figure_bytes(fig, "svg"), "Distribution of the simulated returns against the exact "
                        "optimal value."))
    parts.append("</section>")
    return "\n".join(parts)
