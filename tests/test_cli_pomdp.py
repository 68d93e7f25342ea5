"""The POMDP commands: pomdp solve and export-pomdp, through click's runner."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from decmdp.cli import main

DATA = Path(__file__).parent / "data"
PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_pomdp_solve_prints_the_golden_value():
    refs = json.loads((DATA / "refs.json").read_text())
    expected = refs["tiger.95.POMDP"]["horizons"]["10"]
    result = run("pomdp", "solve", DATA / "tiger.95.POMDP", "--horizon", 10, "--json", "--quiet")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["start"] == expected["beliefs"][0]
    assert out["value"] == pytest.approx(expected["values"][0], abs=1e-6)
    assert out["vectors_per_stage"][0] == expected["vectors"]
    assert out["sense"] == "maximize"


def test_pomdp_solve_text_and_alpha_file(tmp_path):
    alpha = tmp_path / "tiger.alpha"
    result = run("pomdp", "solve", DATA / "tiger.95.POMDP", "--horizon", 3, "--alpha", alpha,
                 "--dot", tmp_path / "g.dot")
    assert result.exit_code == 0, result.output
    assert "value at the start belief" in result.output
    blocks = alpha.read_text().strip().split("\n\n")
    vectors = np.array([[float(x) for x in b.split("\n")[1].split()] for b in blocks])
    value = float(result.output.split("value at the start belief")[1].split()[0])
    assert (vectors @ [0.5, 0.5]).max() == pytest.approx(value, abs=1e-9)
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    again = run("pomdp", "solve", DATA / "tiger.95.POMDP", "--horizon", 3, "--alpha", alpha)
    assert again.exit_code == 2 and "exists" in again.output


def test_pomdp_solve_reports_line_and_column(tmp_path):
    bad = tmp_path / "bad.POMDP"
    bad.write_text("discount: 0.9\nvalues: reward\nstates: 2\nactions: 1\nobservations: 1\n"
                   "T: 0\n1 0\n0 x\n")
    result = run("pomdp", "solve", bad, "--horizon", 2)
    assert result.exit_code == 2
    assert f"error: {bad}:8:3:" in result.output
    assert "Traceback" not in result.output


def test_export_then_pomdp_solve_gives_the_two_player_value(tmp_path):
    problem = PROBLEMS / "tiny-by-hand.json"
    out = tmp_path / "tiny.POMDP"
    exported = run("export-pomdp", problem, "-o", out)
    assert exported.exit_code == 0, exported.output
    horizon = int(exported.output.split("horizon")[-1])
    pomdp = json.loads(run("pomdp", "solve", out, "--horizon", horizon, "--json", "-q").output)
    two_player = json.loads(run("solve", problem, "--json", "-q").output)
    assert pomdp["value"] == pytest.approx(two_player["value"], abs=1e-9)
    refused = run("export-pomdp", problem, "-o", out)
    assert refused.exit_code == 2 and "exists" in refused.output
