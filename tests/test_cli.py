"""The ``decmdp`` command line, through click's CliRunner (plus two real processes)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from decmdp import cli
import decmdp
from helpers import constant_policy, hand_problem, random_problem, write_json, write_problem

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("validate", "info", "convert", "solve", "evaluate", "simulate")


def run(*args):
    """Invoke the CLI in-process; stdout and stderr stay separate."""
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def assert_clean_failure(result, status: int = 2):
    """Exit ``status`` with ``error:`` lines on stderr and no traceback anywhere."""
    assert result.exit_code == status, (result.exit_code, result.output)
    assert result.stderr.strip(), "expected error lines on stderr"
    assert all(line.startswith("error: ") for line in result.stderr.splitlines()), result.stderr
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Problem files written by this module (not problems/*.json)."""
    d = tmp_path_factory.mktemp("problems")
    return {
        "random": write_problem(d, random_problem(3, name="rand"), "random.json"),
        "sparse": write_problem(d, random_problem(3, name="rand"), "random-sparse.json", decmdp.SPARSE),
        "reward": write_problem(d, random_problem(4, sense="reward", joint=True, name="rew"), "reward.json"),
        "hand": write_problem(d, hand_problem(), "hand.json"),
        "varying": write_problem(d, random_problem(5, time_varying=True, horizon=2, name="tv"), "tv.json"),
        "big": write_problem(d, random_problem(6, n1=2, n2=3, m1=2, m2=3, horizon=3, name="big"), "big.json"),
    }


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, files):
    """One bad problem file per kind of defect."""
    d = tmp_path_factory.mktemp("bad")
    doc = json.loads(Path(files["hand"]).read_text())
    shape = dict(doc, initial=[[0.5, 0.5, 0.0], [0.0, 0.0, 0.0]])
    negative = dict(doc, initial=[[1.5, -0.5], [0.0, 0.0]])
    (d / "not-json.json").write_text('{"format": "decmdp/1",\n  "horizon": }\n')
    (d / "subdir").mkdir()
    return {
        "missing": d / "does-not-exist.json",
        "directory": d / "subdir",
        "not-json": d / "not-json.json",
        "bad-shape": write_json(d / "shape.json", shape),
        "negative-probability": write_json(d / "negative.json", negative),
    }


@pytest.fixture(scope="module")
def api(files):
    """The Python API's answers for the problem files."""
    return {key: decmdp.solve(decmdp.load(path)) for key, path in files.items()}


# ----------------------------------------------------------------- real processes
def test_python_cli_help_in_a_real_process():
    done = subprocess.run([sys.executable, "cli.py", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout and "Example" in done.stdout
    for command in COMMANDS:
        assert command in done.stdout


def test_installed_decmdp_version_in_a_real_process():
    exe = shutil.which("decmdp")
    if exe is None:
        pytest.skip("the decmdp entry point is not on PATH")
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"decmdp, version {decmdp.__version__}"


def test_version_in_process():
    result = run("--version")
    assert result.exit_code == 0
    assert decmdp.__version__ in result.stdout


# ----------------------------------------------------------------- help
def command_paths(group, prefix=()):
    """Every command and group under ``group``, as argument tuples."""
    for name, command in group.commands.items():
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from command_paths(command, prefix + (name,))


@pytest.mark.parametrize("path", sorted(set(command_paths(cli.main)) | {(c,) for c in COMMANDS}),
                         ids=" ".join)
def test_every_command_help_has_an_example(path):
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"decmdp {' '.join(path)}" in result.stdout


def test_main_help_lists_commands_and_example():
    result = run("-h")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert set(COMMANDS) <= set(cli.main.commands)
    for command in cli.main.commands:
        assert command in result.stdout


def test_unknown_command_and_no_arguments_are_usage_errors():
    assert run("frobnicate").exit_code == 2
    assert run("validate").exit_code == 2
    assert run("solve").exit_code == 2


# ----------------------------------------------------------------- validate
def test_validate_ok(files):
    result = run("validate", files["random"])
    assert result.exit_code == 0
    assert result.stdout == f"{files['random']}: ok\n"
    assert result.stderr == ""


def test_validate_multiple_files(files):
    paths = [files["random"], files["sparse"], files["reward"], files["hand"]]
    result = run("validate", *paths)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"{p}: ok" for p in paths]


def test_validate_reports_every_bad_file_and_goes_on(files, bad_files):
    result = run("validate", files["random"], bad_files["negative-probability"], bad_files["missing"],
                 files["hand"])
    assert_clean_failure(result, 2)
    assert result.stdout.splitlines() == [f"{files['random']}: ok", f"{files['hand']}: ok"]
    assert f"error: {bad_files['negative-probability']}: initial" in result.stderr
    assert f"{bad_files['missing']}" in result.stderr and "no such file" in result.stderr


@pytest.mark.parametrize("kind, fragment", [
    ("missing", "no such file"),
    ("directory", "is a directory"),
    ("not-json", "not valid JSON"),
    ("bad-shape", "initial"),
    ("negative-probability", "initial"),
])
def test_validate_bad_files(bad_files, kind, fragment):
    result = run("validate", bad_files[kind])
    assert_clean_failure(result, 2)
    assert fragment in result.stderr
    assert result.stdout == ""


def test_validate_not_json_names_line_and_column(bad_files):
    result = run("validate", bad_files["not-json"])
    assert re.search(r"line 2, column \d+", result.stderr)


def test_validate_negative_probability_names_the_indices(bad_files):
    result = run("validate", bad_files["negative-probability"])
    assert "x1=a" in result.stderr and "x2=hi" in result.stderr


# ----------------------------------------------------------------- info
def test_info_text(files):
    result = run("info", files["big"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.splitlines()[0] == "big"
    assert "player 1      2 states, 2 actions" in out
    assert "player 2      3 states, 3 actions" in out
    assert "horizon       3" in out
    assert "transition    factored" in out
    assert "|U2|^|X2| = 3^3 = 27" in out
    assert "minimize cost" in out


def test_info_json(files):
    result = run("info", files["reward"], "--json")
    assert result.exit_code == 0
    facts = json.loads(result.stdout)
    model = decmdp.load(files["reward"])
    assert facts == {
        "name": "rew",
        "player1": {"states": 2, "actions": 2},
        "player2": {"states": 2, "actions": 2},
        "sense": "maximize",
        "horizon": 3,
        "discount": 1.0,
        "transition": "joint",
        "cost": "time-invariant",
        "prescriptions": 4,
        "memory_bytes": model.nbytes,
    }
    assert json.loads(run("info", files["varying"], "--json").stdout)["cost"] == "time-varying"


@pytest.mark.parametrize("kind", ["missing", "directory", "not-json", "bad-shape", "negative-probability"])
def test_info_bad_files(bad_files, kind):
    assert_clean_failure(run("info", bad_files[kind]))


# ----------------------------------------------------------------- convert
def test_convert_round_trip(tmp_path, files):
    sparse, dense = tmp_path / "s.json", tmp_path / "d.json"
    result = run("convert", files["random"], "--to", "sparse", "-o", sparse)
    assert result.exit_code == 0 and result.stdout == f"wrote {sparse}\n"
    assert json.loads(sparse.read_text())["format"] == decmdp.SPARSE
    assert run("convert", sparse, "--to", "dense", "-o", dense).exit_code == 0
    assert json.loads(dense.read_text())["format"] == decmdp.DENSE
    assert dense.read_bytes() == Path(files["random"]).read_bytes()
    a, b = decmdp.load(files["random"]), decmdp.load(sparse)
    for field in ("initial", "transition1", "transition2", "cost", "terminal_cost"):
        assert (getattr(a, field) == getattr(b, field)).all(), field
    assert decmdp.solve(b, bounds=False).value == decmdp.solve(a, bounds=False).value


def test_convert_joint_reward_round_trip(tmp_path, files):
    sparse, dense = tmp_path / "s.json", tmp_path / "d.json"
    assert run("convert", files["reward"], "--to", "sparse", "-o", sparse).exit_code == 0
    assert run("convert", sparse, "--to", "dense", "-o", dense).exit_code == 0
    assert dense.read_bytes() == Path(files["reward"]).read_bytes()


def test_convert_refuses_to_overwrite(tmp_path, files):
    target = tmp_path / "existing.json"
    target.write_bytes(b"precious \x00 bytes\n")
    result = run("convert", files["random"], "--to", "sparse", "-o", target)
    assert_clean_failure(result, 2)
    assert "exists" in result.stderr and "--force" in result.stderr
    assert target.read_bytes() == b"precious \x00 bytes\n"
    assert [p.name for p in tmp_path.iterdir()] == ["existing.json"]  # no temporary left over


def test_convert_force_overwrites(tmp_path, files):
    target = tmp_path / "existing.json"
    target.write_text("old")
    result = run("convert", files["random"], "--to", "sparse", "-o", target, "--force")
    assert result.exit_code == 0
    assert decmdp.load(target).name == "rand"


def test_convert_bad_input(tmp_path, files, bad_files):
    assert_clean_failure(run("convert", bad_files["negative-probability"], "--to", "dense",
                             "-o", tmp_path / "x.json"))
    assert not (tmp_path / "x.json").exists()
    assert run("convert", files["random"], "-o", tmp_path / "x.json").exit_code == 2  # --to missing
    assert run("convert", files["random"], "--to", "csv", "-o", tmp_path / "x.json").exit_code == 2


# ----------------------------------------------------------------- solve
def test_solve_summary_text(files, api):
    result = run("solve", files["random"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    solution = api["random"]
    assert f"optimal value          {solution.value:.10g}" in out
    assert out.startswith("rand: minimize expected total cost, horizon 3, method lifted")
    assert f"full information       {solution.bounds.full_information:.10g}" in out
    assert f"player 2 ignores x2    {solution.bounds.blind_player2:.10g}" in out
    assert f"policy: {len(solution.policy)} nodes" in out
    for node in solution.policy.nodes:
        assert re.search(rf"^\s+{node} t=\d x1=\w+: u1=\w+; player 2: ", out, re.M)


def test_solve_reward_text(files, api):
    result = run("solve", files["reward"], "--no-bounds")
    assert result.exit_code == 0
    assert "maximize expected total reward" in result.stdout
    assert f"{api['reward'].value:.10g}" in result.stdout
    assert "full information" not in result.stdout


def test_solve_json_is_exactly_one_object(files, api):
    result = run("solve", files["random"], "--json")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    summary = json.loads(result.stdout)
    assert isinstance(summary, dict)
    assert {"value", "sense", "horizon", "method", "bounds", "stats"} <= set(summary)
    solution = api["random"]
    assert summary["value"] == pytest.approx(solution.value, abs=1e-12)
    assert summary["sense"] == "minimize"
    assert summary["horizon"] == 3
    assert summary["method"] == "lifted"
    assert summary["bounds"]["full_information"] == pytest.approx(solution.bounds.full_information)
    assert summary["bounds"]["blind_player2"] == pytest.approx(solution.bounds.blind_player2)
    assert [s["stage"] for s in summary["stats"]] == [0, 1, 2]
    assert all({"kept", "generated", "lps", "seconds"} <= set(s) for s in summary["stats"])


def test_solve_json_no_bounds(files):
    summary = json.loads(run("solve", files["hand"], "--json", "--no-bounds").stdout)
    assert summary["bounds"] is None
    assert summary["value"] == 3.0


def test_solve_horizon_override(files):
    model = decmdp.load(files["random"])
    expected = decmdp.solve(model, horizon=5, bounds=False).value
    summary = json.loads(run("solve", files["random"], "--horizon", "5", "--json").stdout)
    assert summary["horizon"] == 5
    assert summary["value"] == pytest.approx(expected, abs=1e-12)
    assert len(summary["stats"]) == 5
    text = run("solve", files["random"], "--horizon", "5").stdout
    assert "horizon 5" in text and f"{expected:.10g}" in text


@pytest.mark.parametrize("horizon", ["0", "-2"])
def test_solve_bad_horizon(files, horizon):
    result = run("solve", files["random"], "--horizon", horizon)
    assert_clean_failure(result, 2)
    assert "horizon" in result.stderr


def test_solve_horizon_beyond_time_varying_cost(files):
    result = run("solve", files["varying"], "--horizon", "3")
    assert_clean_failure(result, 2)
    assert "time-varying cost gives only 2 stages" in result.stderr


def test_solve_method_enumerate_gives_the_same_value(files, api):
    for key in ("random", "big", "reward"):
        summary = json.loads(run("solve", files[key], "--method", "enumerate", "--json").stdout)
        assert summary["method"] == "enumerate"
        assert summary["value"] == pytest.approx(api[key].value, abs=1e-9)
    assert run("solve", files["random"], "--method", "magic").exit_code == 2


def test_solve_writes_policy_and_dot(tmp_path, files, api):
    policy, dot = tmp_path / "policy.json", tmp_path / "policy.dot"
    result = run("solve", files["big"], "-o", policy, "--dot", dot)
    assert result.exit_code == 0, result.output
    assert f"wrote policy to {policy}" in result.stdout
    assert f"wrote policy graph to {dot}" in result.stdout
    loaded = decmdp.load_policy(policy)
    model = decmdp.load(files["big"])
    assert decmdp.evaluate(model, loaded) == pytest.approx(api["big"].value, abs=1e-9)
    assert policy.read_text() == api["big"].policy.dumps()
    text = dot.read_text()
    assert text.startswith('digraph "big" {') and text.rstrip().endswith("}")
    for node in loaded.nodes:
        assert f'"{node}" [label=' in text


def test_solve_json_with_output_files_still_prints_one_object(tmp_path, files):
    result = run("solve", files["hand"], "--json", "-o", tmp_path / "p.json", "--dot", tmp_path / "p.dot")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["value"] == 3.0
    assert len(result.stdout.splitlines()) == 1
    assert (tmp_path / "p.json").exists() and (tmp_path / "p.dot").exists()


@pytest.mark.parametrize("option", ["-o", "--output", "--dot"])
def test_solve_refuses_to_overwrite_before_solving(tmp_path, files, monkeypatch, option):
    target = tmp_path / "existing"
    target.write_bytes(b"keep me\n")

    def must_not_run(*args, **kwargs):
        raise AssertionError("solved before refusing to overwrite")

    monkeypatch.setattr(decmdp, "solve", must_not_run)
    monkeypatch.setattr(decmdp, "load", must_not_run)
    result = run("solve", files["random"], option, target)
    assert_clean_failure(result, 2)
    assert f"{target}: exists; not overwriting it (use --force)" in result.stderr
    assert target.read_bytes() == b"keep me\n"
    assert result.stdout == ""


def test_solve_refuses_if_either_output_exists(tmp_path, files):
    policy, dot = tmp_path / "p.json", tmp_path / "p.dot"
    dot.write_text("old dot")
    result = run("solve", files["random"], "-o", policy, "--dot", dot)
    assert_clean_failure(result, 2)
    assert not policy.exists()
    assert dot.read_text() == "old dot"


def test_solve_force_overwrites(tmp_path, files, api):
    policy, dot = tmp_path / "p.json", tmp_path / "p.dot"
    policy.write_text("old")
    dot.write_text("old")
    result = run("solve", files["random"], "-o", policy, "--dot", dot, "--force")
    assert result.exit_code == 0
    assert policy.read_text() == api["random"].policy.dumps()
    assert dot.read_text() == api["random"].policy.to_dot()


def test_solve_max_vectors_limit_exits_3(files):
    model = decmdp.load(files["big"])
    with pytest.raises(decmdp.VectorLimitError) as excinfo:
        decmdp.solve(model, max_vectors=1)
    stage, count = excinfo.value.stage, excinfo.value.count
    assert count > 1
    result = run("solve", files["big"], "--max-vectors", "1")
    assert_clean_failure(result, 3)
    assert f"stage {stage} needs at least {count} vectors" in result.stderr
    assert "limit of 1" in result.stderr
    assert result.stdout == ""


def test_solve_max_vectors_limit_writes_nothing(tmp_path, files):
    result = run("solve", files["big"], "--max-vectors", "1", "-o", tmp_path / "p.json")
    assert result.exit_code == 3
    assert list(tmp_path.iterdir()) == []


def test_solve_max_vectors_large_enough_is_fine(files, api):
    summary = json.loads(run("solve", files["big"], "--max-vectors", "100000", "--json").stdout)
    assert summary["value"] == pytest.approx(api["big"].value, abs=1e-12)
    assert run("solve", files["big"], "--max-vectors", "0").exit_code == 2


@pytest.mark.parametrize("kind", ["missing", "directory", "not-json", "bad-shape", "negative-probability"])
def test_solve_bad_problem_file(tmp_path, bad_files, kind):
    result = run("solve", bad_files[kind], "-o", tmp_path / "p.json")
    assert_clean_failure(result, 2)
    assert result.stdout == ""
    assert not (tmp_path / "p.json").exists()


def test_solve_bad_shape_message_names_field_and_shape(bad_files):
    result = run("solve", bad_files["bad-shape"])
    assert "error: initial[x1=a]: has 3 entries, expected 2" in result.stderr


class FakeClock:
    """A clock that moves ``step`` seconds each time it is read (speed-independent progress tests)."""

    def __init__(self, step: float, start: float = 0.0):
        self.now, self.step = start, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def progress_with_clock(step: float):
    class Clocked(cli.Progress):
        def __init__(self, quiet, label=""):
            super().__init__(quiet, label, clock=FakeClock(step))
    return Clocked


def test_progress_lines_and_quiet(files, monkeypatch):
    monkeypatch.setattr(cli.solving, "Progress", progress_with_clock(step=5.0))  # every stage is slow
    loud = run("solve", files["random"])
    assert loud.exit_code == 0
    progress = [line for line in loud.stderr.splitlines() if re.match(r"stage \d+: \d+ vectors", line)]
    assert len(progress) == 3
    quiet = run("solve", files["random"], "--quiet")
    assert quiet.exit_code == 0
    assert quiet.stderr == ""
    assert quiet.stdout.replace(" ", "").count("optimalvalue") == 1
    assert run("solve", files["random"], "-q", "--json").stderr == ""


def test_progress_is_silent_for_fast_solves(files, monkeypatch):
    monkeypatch.setattr(cli.solving, "Progress", progress_with_clock(step=0.01))  # however slow the machine
    monkeypatch.setattr(cli._common, "PREPARE_REPORT_SECONDS", float("inf"))  # a first compile is not progress
    result = run("solve", files["random"])
    assert result.exit_code == 0
    assert result.stderr == ""


def test_compiling_the_kernels_is_its_own_line_before_any_stage(files, monkeypatch):
    import decmdp.core.warmup

    monkeypatch.setattr(decmdp.core.warmup, "warm_up", lambda: 12.34)
    monkeypatch.setattr(cli.solving, "Progress", progress_with_clock(step=0.6))
    lines = run("solve", files["random"]).stderr.splitlines()
    assert lines[0] == "prepared the numeric kernels in 12.3 s (compiled on first use, then cached on disk)"
    assert all(line.startswith("stage ") for line in lines[1:])
    assert run("solve", files["random"], "-q").stderr == ""


def test_progress_prints_at_most_one_line_a_second_and_the_last_stage(capsys):
    from decmdp.core.types import StageStats

    clock = FakeClock(step=0.001)
    progress = cli.Progress(False, clock=clock)
    stages = 100_000  # 100 s of stages at 1 ms each
    for t in reversed(range(stages)):
        progress(StageStats(stage=t, generated=4, kept=2, lps=1, seconds=0.001))
    lines = capsys.readouterr().err.splitlines()
    assert 90 <= len(lines) <= 101
    assert lines[-1].startswith("stage 0: 2 vectors")
    shown = [float(line.split(", ")[-1].split(" s ")[0]) for line in lines[:-1]]
    assert all(b - a >= 0.999 for a, b in zip(shown, shown[1:]))
    assert shown[0] >= 1.0


# ----------------------------------------------------------------- evaluate / simulate
@pytest.fixture(scope="module")
def saved_policy(tmp_path_factory, files):
    path = tmp_path_factory.mktemp("policy") / "policy.json"
    assert run("solve", files["big"], "-o", path, "-q").exit_code == 0
    return path


def test_evaluate_text(files, api, saved_policy):
    result = run("evaluate", files["big"], saved_policy)
    assert result.exit_code == 0, result.output
    solution = api["big"]
    assert result.stdout == (f"big: policy value {solution.value:.10g} (minimize, horizon 3, "
                             f"{len(solution.policy)} nodes)\n")


def test_evaluate_json(files, api, saved_policy):
    result = run("evaluate", files["big"], saved_policy, "--json")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1
    out = json.loads(result.stdout)
    assert out["value"] == pytest.approx(api["big"].value, abs=1e-9)
    assert out == {"value": out["value"], "sense": "minimize", "horizon": 3,
                   "policy_nodes": len(api["big"].policy)}


def test_evaluate_hand_written_policy(tmp_path, files):
    path = write_json(tmp_path / "always-act.json", constant_policy(hand_problem(), "stay", "act"))
    out = json.loads(run("evaluate", files["hand"], path, "--json").stdout)
    assert out["value"] == 3.0
    path = write_json(tmp_path / "always-wait.json", constant_policy(hand_problem(), "go", "wait"))
    out = json.loads(run("evaluate", files["hand"], path, "--json").stdout)
    assert out["value"] == pytest.approx(6.125, abs=1e-12)


def test_evaluate_and_simulate_mismatched_policy(files, saved_policy):
    # the policy of "big" (3 x2 states, 3 u2 actions) on "random" (2 and 2)
    for command in ("evaluate", "simulate"):
        result = run(command, files["random"], saved_policy)
        assert_clean_failure(result, 2)
        assert "player2.states: policy has" in result.stderr
        assert result.stdout == ""


def test_evaluate_policy_with_a_missing_successor(tmp_path, files):
    doc = constant_policy(hand_problem(), "go", "act")
    doc["nodes"][0]["next"].pop("b")
    result = run("evaluate", files["hand"], write_json(tmp_path / "p.json", doc))
    assert_clean_failure(result, 2)
    assert f"error: {tmp_path / 'p.json'}: node t0-a: no successor for x1'=b" in result.stderr


@pytest.mark.parametrize("content, fragment", [
    (None, "no such file"),
    ("{ nope", "not valid JSON"),
    ('{"format": "decmdp-policy/9"}', "format: is 'decmdp-policy/9'"),
])
def test_evaluate_bad_policy_file(tmp_path, files, content, fragment):
    path = tmp_path / "p.json"
    if content is not None:
        path.write_text(content)
    for command in ("evaluate", "simulate"):
        result = run(command, files["hand"], path)
        assert_clean_failure(result, 2)
        assert fragment in result.stderr


def test_evaluate_bad_problem_file(bad_files, saved_policy):
    for kind in ("missing", "not-json", "negative-probability"):
        assert_clean_failure(run("evaluate", bad_files[kind], saved_policy))
        assert_clean_failure(run("simulate", bad_files[kind], saved_policy))


def test_simulate_text(files, saved_policy):
    result = run("simulate", files["big"], saved_policy, "--episodes", "3000", "--seed", "4")
    assert result.exit_code == 0, result.output
    model, policy = decmdp.load(files["big"]), decmdp.load_policy(saved_policy)
    r = decmdp.simulate(model, policy, episodes=3000, seed=4)
    assert result.stdout == (f"big: mean {r.mean:.10g} +- {r.stderr:.10g} (standard error); 95% interval "
                             f"[{r.ci_low:.10g}, {r.ci_high:.10g}] over 3000 episodes, seed 4\n")


def test_simulate_json(files, api, saved_policy):
    args = ("simulate", files["big"], saved_policy, "--episodes", "20000", "--seed", "11", "--json")
    result = run(*args)
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1
    out = json.loads(result.stdout)
    assert set(out) == {"mean", "stderr", "ci_low", "ci_high", "episodes", "seed", "steps", "bias_bound", "sense"}
    assert out["episodes"] == 20000 and out["seed"] == 11 and out["sense"] == "minimize"
    assert out["ci_low"] <= out["mean"] <= out["ci_high"]
    assert abs(out["mean"] - api["big"].value) <= 4 * out["stderr"]
    assert json.loads(run(*args).stdout) == out  # same seed, same answer


def test_simulate_default_seed_is_reproducible(files, saved_policy):
    a = run("simulate", files["big"], saved_policy, "--episodes", "100", "--json")
    b = run("simulate", files["big"], saved_policy, "--episodes", "100", "--json")
    assert json.loads(a.stdout) == json.loads(b.stdout)
    assert json.loads(a.stdout)["seed"] == 0


@pytest.mark.parametrize("episodes", ["1", "0", "-3", "many"])
def test_simulate_rejects_bad_episodes(files, saved_policy, episodes):
    result = run("simulate", files["big"], saved_policy, "--episodes", episodes)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_live_progress_moves_a_bar_on_a_terminal_and_plain_lines_elsewhere(capsys):
    stats = decmdp.StageStats(stage=3, generated=10, kept=4, lps=7, seconds=0.1)
    bar = cli.Progress(False, clock=FakeClock(0.5), terminal=True)
    for done in range(1, 5):
        bar.on_unit(3, done, 4)
    bar(stats)
    err = capsys.readouterr().err.replace("\033[K", "")  # click drops the escape off a terminal anyway
    assert "\rstage 3 [" in err and "] 4/4 work units" in err and "#" * 24 in err
    assert "\n" not in err[:-1]  # the bar redraws one line
    assert err.endswith("\rstage 3: 4 vectors (10 generated, 7 LPs), 2.5 s elapsed\n")
    plain = cli.Progress(False, clock=FakeClock(0.5), terminal=False)
    for done in range(1, 5):
        plain.on_unit(3, done, 4)
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(re.fullmatch(r"stage 3: \d/4 work units done so far, [\d.]+ s elapsed", x) for x in lines)
    assert len(lines) <= 2  # at most one a second
