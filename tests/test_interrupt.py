"""Ctrl-C: the core does not swallow it, and the CLI stops cleanly, also mid-kernel."""

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from decmdp import cli
import decmdp
from helpers import random_problem, sparse_joint_problem, write_problem

ROOT = Path(__file__).resolve().parents[1]


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


# ----------------------------------------------------------------- a real signal into a kernel
def hard_problem(path):
    """A problem whose solve spends minutes in the kernels: sparse joint
    dynamics (two successors per row) with x2' tied to the observed x1', so
    the vector sets grow fast with the horizon (stage 2 alone takes seconds)."""
    decmdp.save(sparse_joint_problem(2, 4, 2, 2, horizon=10, seed=0), path)
    return path


PROGRESS = re.compile(r"stage \d+: (\d+ vectors \(\d+ generated, \d+ LPs\)|\d+/\d+ work units done so far), "
                      r"[\d.]+ s elapsed")


def interrupt_once_running(command, cwd):
    """Start the CLI, send SIGINT after its first progress line (it is in the kernels), wait."""
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *command], cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stderr.readline()
        assert PROGRESS.fullmatch(first.strip()), first
        process.send_signal(signal.SIGINT)
        out, rest = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, out, [first.strip()] + rest.splitlines()


@pytest.mark.parametrize("kind", ["solve", "pomdp solve"])
def test_sigint_inside_a_kernel_exits_130_with_one_line_and_no_file(tmp_path, kind):
    if kind == "solve":
        output = tmp_path / "out.json"
        command = ["solve", str(hard_problem(tmp_path / "hard.json")), "--no-bounds", "-o", str(output)]
    else:
        output = tmp_path / "out.alpha"
        command = ["pomdp", "solve", str(ROOT / "tests" / "data" / "shuttle.95.POMDP"), "--horizon", "1000",
                   "--alpha", str(output)]
    status, out, err = interrupt_once_running(command, tmp_path)
    assert status == 130, err
    assert out == ""
    assert err[-1] == "error: interrupted; nothing was written"
    assert all(PROGRESS.fullmatch(line) for line in err[:-1]), err
    assert sorted(p.name for p in tmp_path.iterdir()) == (["hard.json"] if kind == "solve" else [])
