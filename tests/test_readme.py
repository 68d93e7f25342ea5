"""The README's two set-up commands are the ones CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_starts_with_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert "decmdp solve problems/" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    install, test = readme_commands()[1].split(" && ")
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install in ci and test in ci


def test_readme_example_problem_exists():
    path = readme_commands()[0].split()[-1]
    assert (ROOT / path).is_file()
