"""Ctrl-C: the core does not swallow it, and the CLI stops cleanly."""

import pytest
from click.testing import CliRunner

from decmdp import cli
import decmdp
from helpers import random_problem, write_problem


def interrupt_after_first_stage(stats):
    raise KeyboardInterrupt


def test_core_lets_keyboard_interrupt_through():
    model = random_problem(1, n1=2, n2=3, m1=2, m2=3, horizon=3)
    with pytest.raises(KeyboardInterrupt):
        decmdp.solve(model, progress=interrupt_after_first_stage)


def test_cli_reports_interrupt_and_writes_nothing(tmp_path, monkeypatch):
    path = write_problem(tmp_path, random_problem(2, horizon=3), "p.json")
    real_solve = decmdp.solve
    monkeypatch.setattr(decmdp, "solve",
                        lambda *a, **k: real_solve(*a, **dict(k, progress=interrupt_after_first_stage)))
    result = CliRunner().invoke(cli.main, ["solve", str(path), "-o", str(tmp_path / "policy.json")])
    assert result.exit_code == 130
    assert result.stderr.strip() == "error: interrupted; nothing was written"
    assert not (tmp_path / "policy.json").exists()
    assert "Traceback" not in result.output
