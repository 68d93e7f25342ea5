"""docs/tutorial.md runs as written: its files, commands and Python, in order, in an empty folder."""

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from decmdp.cli import main

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "docs" / "tutorial.md").read_text()
BLOCK = re.compile(r"```(\w+)([^\n]*)\n(.*?)```", re.S)


def test_tutorial_runs_in_order(tmp_path, monkeypatch):
    blocks = BLOCK.findall(TEXT)
    kinds = [kind for kind, _, _ in blocks]
    assert kinds.count("json") == 1 and kinds.count("sh") == 2 and kinds.count("python") == 4
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for kind, info, body in blocks:
        if kind == "json":
            (tmp_path / info.strip()).write_text(body)
        elif kind == "sh":
            for line in filter(None, (line.split("  #")[0].strip() for line in body.splitlines())):
                words = shlex.split(line)
                assert words[0] == "decmdp"
                result = CliRunner().invoke(main, words[1:])
                assert result.exit_code == 0, (line, result.output)
        else:
            exec(compile(body, "docs/tutorial.md", "exec"), namespace)
    for made in ("shop-policy.json", "shop-value.svg", "shop-policy.svg", "shop-report.html",
                 "python-value.png", "python-policy.svg"):
        assert (tmp_path / made).stat().st_size > 0, made
