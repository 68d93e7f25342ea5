"""The README's commands work: the two set-up commands are the ones CI runs,
and every command of the tour runs cleanly on the example files."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def sh_blocks() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    return [[line for line in block.splitlines() if line.strip()]
            for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


def test_readme_starts_with_two_setup_commands():
    commands = sh_blocks()[0]
    assert len(commands) == 2
    assert "decmdp solve problems/" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    install, test = sh_blocks()[0][1].split(" && ")
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install in ci and test in ci


def test_readme_example_problem_exists():
    path = sh_blocks()[0][0].split()[-1]
    assert (ROOT / path).is_file()


TOUR = [line.split("  #")[0].strip() for block in sh_blocks()[1:] for line in block]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("tour")
    (work / "problems").symlink_to(ROOT / "problems")
    (work / "tests").mkdir()
    (work / "tests" / "data").symlink_to(ROOT / "tests" / "data")
    return work


@pytest.mark.parametrize("command", TOUR)
def test_tour_command_runs(workdir, command):
    """Commands run in order in one folder (later ones read what earlier ones wrote)."""
    assert command.startswith("decmdp ")
    shell_line = f"{shlex.quote(sys.executable)} {shlex.quote(str(ROOT / 'cli.py'))}{command[len('decmdp'):]}"
    result = subprocess.run(["bash", "-c", shell_line], cwd=workdir, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_readme_python_example_runs(monkeypatch):
    block = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    monkeypatch.chdir(ROOT)
    exec(compile(block, "README.md", "exec"), {})
