"""The README's commands work: the two set-up commands are the ones CI runs, the three
commands from install to a report, and the tour, which runs in a scratch folder, twice."""

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


QUICK_START = sh_blocks()[1]
TOUR = [line.split("  #")[0].strip() for block in sh_blocks()[2:] for line in block]


def test_three_commands_from_install_to_a_report():
    install, report, view = QUICK_START
    assert install.split("#")[0].strip() == "python3 -m pip install -e '.[plot]'"
    assert report.startswith("decmdp report problems/") and "-o report.html" in report
    assert "report.html" in view


def shell_line(command: str) -> str:
    if command.startswith("decmdp "):
        return f"{shlex.quote(sys.executable)} {shlex.quote(str(ROOT / 'cli.py'))}{command[len('decmdp'):]}"
    assert command.startswith("mkdir -p "), command
    return command


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A scratch folder that sees the example files, as the repository's top folder does."""
    work = tmp_path_factory.mktemp("tour")
    (work / "problems").symlink_to(ROOT / "problems")
    (work / "tests").mkdir()
    (work / "tests" / "data").symlink_to(ROOT / "tests" / "data")
    return work


def test_quick_start_report_runs(workdir):
    result = subprocess.run(["bash", "-c", shell_line(QUICK_START[1].split("  #")[0].strip())], cwd=workdir,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (workdir / "report.html").read_text().count("<figure") >= 4


WRITERS = [c for c in TOUR if c.startswith("mkdir") or re.search(r"(^| )(-o|--output|--dot|--alpha) ", c)]


def run_tour(workdir, commands):
    for command in commands:
        result = subprocess.run(["bash", "-c", shell_line(command)], cwd=workdir, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, (command, result.stderr)
        assert "Traceback" not in result.stderr


def test_tour_runs_twice_in_a_scratch_folder(workdir, monkeypatch):
    """The whole tour in order (later commands read what earlier ones wrote); then every command that
    writes a file runs again over its own outputs (in-process, to save start-up time), as a reader
    repeating the tour would."""
    from click.testing import CliRunner

    from decmdp.cli import main

    assert all("--force" in c for c in WRITERS if not c.startswith("mkdir"))
    run_tour(workdir, TOUR)
    monkeypatch.chdir(workdir)
    for command in WRITERS:
        words = shlex.split(command)
        if words[0] == "mkdir":
            Path(words[-1]).mkdir(parents=True, exist_ok=True)
            continue
        result = CliRunner().invoke(main, words[1:])
        assert result.exit_code == 0, (command, result.output)


def test_readme_python_example_runs(monkeypatch):
    block = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    monkeypatch.chdir(ROOT)
    exec(compile(block, "README.md", "exec"), {})
