"""Output files: checked before any work, never clobbered, never half-written."""

from pathlib import Path

from click.testing import CliRunner

from decmdp import cli

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = str(ROOT / "problems" / "tiny-by-hand.json")


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


def test_same_file_for_two_outputs_is_refused_before_writing(tmp_path):
    same = tmp_path / "out"
    result = run("solve", PROBLEM, "-o", same, "--dot", same, "--force")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {same}: given for two outputs; choose different files"
    assert not same.exists()


def test_missing_output_folder_is_named_before_solving(tmp_path, monkeypatch):
    import decmdp

    monkeypatch.setattr(decmdp, "solve", lambda *a, **k: (_ for _ in ()).throw(AssertionError("solved")))
    target = tmp_path / "nowhere" / "policy.json"
    result = run("solve", PROBLEM, "-o", target)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {target}: folder {target.parent} does not exist"


def test_validate_names_a_missing_file_once(tmp_path):
    missing = tmp_path / "missing.json"
    result = run("validate", missing)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {missing}: no such file"


def test_bad_seed_is_a_usage_error(tmp_path):
    policy = tmp_path / "p.json"
    assert run("solve", PROBLEM, "-o", policy, "-q").exit_code == 0
    result = run("simulate", PROBLEM, policy, "--seed", "-1")
    assert result.exit_code == 2 and "--seed" in result.output


def test_pomdp_write_is_atomic_and_refuses_to_overwrite(tmp_path):
    import pytest

    from decmdp.pomdp import read_pomdp, write_pomdp

    model = read_pomdp(ROOT / "tests" / "data" / "tiger.95.POMDP")
    target = tmp_path / "t.POMDP"
    target.write_text("keep me")
    with pytest.raises(FileExistsError):
        write_pomdp(model, target)
    assert target.read_text() == "keep me"
    write_pomdp(model, target, force=True)
    assert read_pomdp(target) == model


def test_output_piped_into_head_is_not_an_error():
    """-q: whether progress lines appear depends on the machine's speed, not on this."""
    import subprocess
    import sys

    # -q: no progress lines on stderr, however slow the machine is
    line = f"{sys.executable} {ROOT / 'cli.py'} solve {PROBLEM} -q | head -1; exit ${{PIPESTATUS[0]}}"
    result = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
