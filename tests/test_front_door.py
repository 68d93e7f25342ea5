"""What a new user meets first: imports, standard input, help texts, hints, wording."""

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import decmdp
from decmdp.cli import main
from decmdp.errors import counted

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "problems" / "tiny-by-hand.json"


def test_bare_import_reaches_pomdp_solve():
    code = "import decmdp; print(decmdp.pomdp.solve.__module__)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "decmdp.pomdp.solver"


def test_dash_reads_the_problem_from_stdin():
    result = CliRunner().invoke(main, ["solve", "-", "--no-bounds", "--json", "-q"], input=TINY.read_text())
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["value"] == pytest.approx(2.1)


def test_dash_with_bad_input_is_a_clean_error():
    result = subprocess.run([sys.executable, "cli.py", "info", "-"], cwd=ROOT, input="{not json",
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith("error: stdin: not valid JSON")
    assert "Traceback" not in result.stderr


def _commands(command, path=("decmdp",)):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, path + (name,))


def test_every_option_has_help_text():
    missing = [(" ".join(path), param.name) for path, command in _commands(main)
               for param in command.params if isinstance(param, click.Option) and not param.help]
    assert missing == []


def test_help_names_no_file_of_the_source_tree():
    """An installed package has no problems/, docs/ or tests/ folder: help must not point there."""
    runner = CliRunner()
    for path, _ in _commands(main):
        result = runner.invoke(main, list(path[1:]) + ["--help"])
        assert result.exit_code == 0, result.output
        found = re.findall(r"\b(?:problems|docs|tests|benchmarks)/\S+", result.output)
        assert found == [], (path, found)


def test_sparse_file_labelled_dense_gets_a_hint(tmp_path):
    sparse = json.loads(decmdp.dumps(decmdp.load(TINY), form=decmdp.SPARSE))
    sparse["format"] = decmdp.DENSE
    with pytest.raises(decmdp.ProblemError) as info:
        decmdp.loads(json.dumps(sparse))
    assert info.value.errors[0] == ("format: is 'decmdp/1' but the fields are lists of sparse entries "
                                    "[name, ..., value]; did you mean 'decmdp/1-sparse'?")


def test_a_broken_dense_file_gets_no_sparse_hint():
    document = json.loads(TINY.read_text())
    document["initial"] = [[0.5, 0.5]]
    with pytest.raises(decmdp.ProblemError) as info:
        decmdp.loads(json.dumps(document))
    assert info.value.errors == ["initial: has 1 entry, expected 2 (one per x1)"]


@pytest.mark.parametrize("n, noun, expected", [(1, "entry", "1 entry"), (3, "entry", "3 entries"),
                                               (0, "stage", "0 stages"), (2, "day", "2 days"),
                                               (1, "more error", "1 more error")])
def test_counted(n, noun, expected):
    assert counted(n, noun) == expected
