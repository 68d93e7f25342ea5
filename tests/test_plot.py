"""Plots: value functions over the belief, policy graphs, the plot commands, the missing extra."""

import os
import stat
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import decmdp
from decmdp.cli import main
from decmdp.plot import MissingPlotExtra, value
from decmdp.plot.graph import graph_figure, two_player_graph

ROOT = Path(__file__).resolve().parents[1]
TINY = str(ROOT / "problems" / "tiny-by-hand.json")
TIGER = str(ROOT / "tests" / "data" / "tiger.95.POMDP")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chain(n2: int, horizon: int = 2):
    """A small problem with |X2| = n2 (player 2 repairs a state that drifts upwards)."""
    states = [f"s{i}" for i in range(n2)]
    return decmdp.TwoPlayerMDP.from_functions(
        player1=(["a", "b"], ["go", "wait"]), player2=(states, ["keep", "fix"]),
        initial=lambda x1, x2: 1.0 / (2 * n2),
        p1=lambda x1, u1: {"a": 0.5, "b": 0.5} if u1 == "go" else {x1: 1.0},
        p2=lambda x1, x2, u1, u2: {"s0": 1.0} if u2 == "fix" else
        {x2: 0.5, states[min(states.index(x2) + 1, n2 - 1)]: 0.5} if x2 != states[-1] else {x2: 1.0},
        cost=lambda x1, x2, u1, u2: (1.0 if u2 == "fix" else 0.0) + states.index(x2) * (1.5 if u1 == "go" else 0.6)
        + (0.0 if u1 == "go" else 0.4) + (0.3 if x1 == "b" else 0.0),
        horizon=horizon, name=f"chain{n2}")


def svg_root(path):
    return ET.parse(path).getroot()


def svg_text(path) -> str:
    return " ".join(t for t in svg_root(path).itertext())


@pytest.mark.parametrize("n2", [1, 2, 3, 4])
def test_value_plot_for_every_belief_dimension(tmp_path, n2):
    solution = decmdp.solve(chain(n2), bounds=False)
    out = tmp_path / "value.svg"
    assert solution.plot_value(out, stage=0, x1="b") is None
    text = svg_text(out)
    assert "stage 0, x1 = b" in text
    # the legend names exactly the choices of the stage-0 vectors of x1 = b
    sv = solution.value_function[0]
    rows = slice(sv.ptr[1], sv.ptr[2])
    for label in value.choice_labels(sv.action[rows], sv.prescription[rows], ("go", "wait"),
                                     solution.policy.player2_states, ("keep", "fix")):
        assert label in text
    png = tmp_path / "value.png"
    solution.plot_value(png, stage=1)
    assert png.read_bytes()[:8] == PNG_MAGIC


def test_many_states_draw_one_panel_per_edge():
    figure = decmdp.solve(chain(4), bounds=False).plot_value()
    assert sum(ax.get_visible() for ax in figure.axes) == 6  # the 6 edges of the 4-state simplex


def test_the_envelope_drawn_is_the_solver_value_at_the_initial_belief():
    """What the picture draws at b0(x1) is V_0(x1, b0), the solver's conditional value."""
    model = decmdp.load(ROOT / "problems" / "maintenance.json")
    solution = decmdp.solve(model, bounds=False)
    sv = solution.value_function[0]
    for i, x1 in enumerate(model.player1_states):
        if x1 not in solution.initial_values:
            continue
        b0 = model.initial[i] / model.initial[i].sum()
        drawn, _ = value.envelope(solution.sense.sign * sv.values[sv.ptr[i]:sv.ptr[i + 1]], b0[None, :],
                                  solution.sense)
        assert drawn[0] == pytest.approx(solution.initial_values[x1], rel=1e-12)


def test_envelope_is_the_pointwise_best_vector_for_rewards_and_costs():
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(7, 3)) * 1e6
    beliefs = rng.dirichlet(np.ones(3), size=50)
    for sense, pick in ((decmdp.Sense.MINIMIZE, min), (decmdp.Sense.MAXIMIZE, max)):
        drawn, best = value.envelope(vectors, beliefs, sense)
        for b, v, k in zip(beliefs, drawn, best):
            assert v == pick(float(row @ b) for row in vectors) == float(vectors[k] @ b)


def test_bad_stage_and_x1_are_named():
    solution = decmdp.solve(chain(2), bounds=False)
    with pytest.raises(ValueError, match=r"stage: is 2, expected an integer in 0\.\.1"):
        solution.plot_value(stage=2)
    with pytest.raises(ValueError, match="x1: is 'c', expected one of a, b"):
        solution.plot_value(x1="c")


def test_policy_graph_fallback_layout_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr("decmdp.plot.graph.shutil.which", lambda name: None)
    solution = decmdp.solve(decmdp.load(TINY), bounds=False)
    out = tmp_path / "policy.svg"
    solution.policy.plot(out)
    text = svg_text(out)
    for node in solution.policy.nodes:
        assert node in text
    assert "u1=run" in text and "u1=rest" in text and "x1(0)=good" in text
    with pytest.raises(ValueError, match="dot program is not on PATH"):
        solution.policy.plot(tmp_path / "p.svg", engine="graphviz")


def test_policy_graph_uses_graphviz_when_dot_is_on_path(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ncat > {tmp_path / 'input.dot'}\n"
                    "echo '<svg xmlns=\"http://www.w3.org/2000/svg\"><text>drawn by dot</text></svg>'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    solution = decmdp.solve(decmdp.load(TINY), bounds=False)
    solution.policy.plot(tmp_path / "policy.svg")
    assert svg_text(tmp_path / "policy.svg") == "drawn by dot"
    assert (tmp_path / "input.dot").read_text() == solution.policy.to_dot()
    solution.policy.plot(tmp_path / "forced.svg", engine="matplotlib")
    assert "drawn by dot" not in svg_text(tmp_path / "forced.svg")


def test_layered_layout_puts_stages_left_to_right():
    policy = decmdp.solve(decmdp.load(ROOT / "problems" / "relay.json"), bounds=False).policy
    drawn = two_player_graph(policy)
    figure = graph_figure(drawn, "relay")
    boxes = {t.get_text().split()[0]: t.get_position()[0] for t in figure.axes[0].texts
             if t.get_text().startswith("n")}
    for u, v in policy.graph.edges:
        assert boxes[u] < boxes[v]


def test_an_infinite_horizon_controller_is_drawn_on_one_layer(tmp_path):
    model = decmdp.load(ROOT / "problems" / "leader-follower.json")
    policy = decmdp.solve(model, horizon="infinite", bounds=False).policy
    drawn = two_player_graph(policy)
    assert {drawn.nodes[n]["stage"] for n in policy.nodes} == {0}
    assert all("t=" not in drawn.nodes[n]["label"] for n in policy.nodes)
    policy.plot(tmp_path / "controller.svg", engine="matplotlib")
    assert "<svg" in (tmp_path / "controller.svg").read_text()


def test_pomdp_value_and_policy_pictures(tmp_path, monkeypatch):
    monkeypatch.setattr("decmdp.plot.graph.shutil.which", lambda name: None)
    solution = decmdp.pomdp.solve(decmdp.pomdp.read_pomdp(TIGER), 3)
    solution.plot_value(tmp_path / "v.svg")
    text = svg_text(tmp_path / "v.svg")
    assert "P(s = tiger-right)" in text and "listen" in text
    solution.plot_policy(tmp_path / "g.svg")
    assert "listen" in svg_text(tmp_path / "g.svg")


def test_missing_matplotlib_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    solution = decmdp.solve(decmdp.load(TINY), bounds=False)
    with pytest.raises(MissingPlotExtra, match=r"pip install 'decmdp\[plot\]'"):
        solution.plot_value()
    for command in (["plot", TINY], ["plot-policy", TINY], ["report", TINY]):
        out = tmp_path / ("x.html" if command[0] == "report" else "x.png")
        result = CliRunner().invoke(main, command + ["-o", str(out)])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: plots need matplotlib")
        assert "pip install 'decmdp[plot]'" in result.output
        assert not out.exists()


def test_test_extra_installs_the_plot_extra():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(extras["plot"]) <= set(extras["test"])


def test_plot_commands(tmp_path):
    runner = CliRunner()
    out = tmp_path / "v.png"
    result = runner.invoke(main, ["plot", TINY, "--stage", "1", "--x1", "poor", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == PNG_MAGIC
    result = runner.invoke(main, ["plot", TINY, "-o", str(out)])
    assert result.exit_code == 2 and "exists; not overwriting it" in result.output
    for args, message in ((["--stage", "5"], "error: stage: is 5, expected an integer in 0..1"),
                          (["--x1", "fine"], "error: x1: is 'fine', expected one of good, poor")):
        result = runner.invoke(main, ["plot", TINY, "-o", str(tmp_path / "w.png"), "-q"] + args)
        assert result.exit_code == 2 and result.output.strip() == message
    result = runner.invoke(main, ["plot", TINY, "-o", str(tmp_path / "w.jpg")])
    assert result.exit_code == 2 and "unknown figure format '.jpg'" in result.output
    result = runner.invoke(main, ["plot-policy", TINY, "-o", str(tmp_path / "g.svg"), "--engine", "matplotlib"])
    assert result.exit_code == 0, result.output
    assert "u1=rest" in svg_text(tmp_path / "g.svg")
    result = runner.invoke(main, ["pomdp", "plot", TIGER, "--horizon", "2", "-o", str(tmp_path / "t.svg")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["pomdp", "plot-policy", TIGER, "--horizon", "2", "--engine", "matplotlib",
                                  "-o", str(tmp_path / "tg.png")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tg.png").read_bytes()[:8] == PNG_MAGIC


def test_docs_plots_python_example_runs(tmp_path, monkeypatch):
    import re

    block = re.search(r"```python\n(.*?)```", (ROOT / "docs" / "plots.md").read_text(), re.S).group(1)
    (tmp_path / "problems").symlink_to(ROOT / "problems")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(ROOT / "tests" / "data")
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/plots.md", "exec"), {})
    for made in ("value.svg", "policy.png", "tiger-value.png", "tiger-policy.svg"):
        assert (tmp_path / made).stat().st_size > 0


def test_pictures_never_overwrite_unasked(tmp_path):
    solution = decmdp.solve(decmdp.load(TINY), bounds=False)
    for draw in (lambda p, **kw: solution.plot_value(p, **kw), lambda p, **kw: solution.policy.plot(p, **kw)):
        target = tmp_path / "mine.svg"
        target.write_text("keep me")
        with pytest.raises(FileExistsError, match="exists; not overwriting it"):
            draw(target)
        assert target.read_text() == "keep me"
        draw(target, force=True)
        assert svg_root(target).tag.endswith("svg")
