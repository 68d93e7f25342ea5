"""The ``decmdp`` command line.

Exit status: 0 success, 2 bad input (problem or policy file, options, an
output file that exists without ``--force``), 3 a solver limit was hit,
130 interrupted.  Errors are ``error: ...`` lines on stderr, never a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time

import click

from decmdp.validation import MAX_HORIZON

EXIT_BAD_INPUT = 2
EXIT_LIMIT = 3
EXIT_INTERRUPTED = 130


def _fail(messages, status: int) -> None:
    for message in messages:
        click.echo(f"error: {message}", err=True)
    sys.exit(status)


def handle_errors(command):
    """Turn decmdp's documented exceptions into messages and exit statuses."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from decmdp.errors import PolicyError, ProblemError, VectorLimitError

        try:
            return command(*args, **kwargs)
        except ProblemError as exc:
            _fail(exc.errors + ([f"... and {exc.omitted} more error(s)"] if exc.omitted else []),
                  EXIT_BAD_INPUT)
        except PolicyError as exc:
            _fail(exc.errors, EXIT_BAD_INPUT)
        except FileExistsError as exc:
            _fail([str(exc)], EXIT_BAD_INPUT)
        except BrokenPipeError:
            # The reader stopped early (``decmdp solve ... | head``): not an error.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except FileNotFoundError as exc:
            _fail([str(exc)] if not exc.filename else [f"{exc.filename}: {exc.strerror}"], EXIT_BAD_INPUT)
        except OSError as exc:
            _fail([f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")], EXIT_BAD_INPUT)
        except VectorLimitError as exc:
            _fail([str(exc)], EXIT_LIMIT)
        except MemoryError:
            _fail(["ran out of memory; lower --max-vectors, the horizon or --episodes"], EXIT_LIMIT)
        except KeyboardInterrupt:
            _fail(["interrupted; nothing was written"], EXIT_INTERRUPTED)

    return wrapper


def _version() -> str:
    from decmdp import __version__

    return __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=_version(), prog_name="decmdp")
def main():
    """Exact solver for two-player decentralized MDPs with nested information.

    Player 1 sees x1; player 2 sees x1 and x2 and cannot influence x1.
    Problems are decmdp/1 JSON files (see docs/format.md).

    \b
    Example:
      decmdp solve problems/tiny-by-hand.json
    """


# ------------------------------------------------------------------ files
@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@handle_errors
def validate(files):
    """Check problem FILES; print ok or every error.

    \b
    Example:
      decmdp validate problems/*.json
    """
    from decmdp import ProblemError, load

    failed = False
    for path in files:
        try:
            load(path)
            click.echo(f"{path}: ok")
        except ProblemError as exc:
            failed = True
            for message in exc.errors:
                prefix = "" if message.startswith(f"{path}:") else f"{path}: "
                click.echo(f"error: {prefix}{message}", err=True)
            if exc.omitted:
                click.echo(f"error: {path}: ... and {exc.omitted} more error(s)", err=True)
    if failed:
        sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@handle_errors
def info(file, as_json):
    """Describe the problem in FILE: sizes, sense, horizon, form, memory.

    \b
    Example:
      decmdp info problems/maintenance.json
    """
    from decmdp import load

    model = load(file)
    facts = {
        "name": model.name,
        "player1": {"states": model.n1, "actions": model.m1},
        "player2": {"states": model.n2, "actions": model.m2},
        "sense": model.sense.value,
        "horizon": model.horizon,
        "discount": model.discount,
        "transition": "factored" if model.is_factored else "joint",
        "cost": "time-varying" if model.is_time_varying else "time-invariant",
        "prescriptions": model.prescriptions,
        "memory_bytes": model.nbytes,
    }
    if as_json:
        click.echo(json.dumps(facts))
        return
    click.echo(f"{model.name}: {_headline(model.description)}".rstrip(": "))
    click.echo(f"  player 1      {model.n1} states, {model.m1} actions")
    click.echo(f"  player 2      {model.n2} states, {model.m2} actions")
    click.echo(f"  objective     {model.sense.value} {'cost' if model.sense.value == 'minimize' else 'reward'}"
               f" ({facts['cost']}), discount {model.discount:g}")
    click.echo(f"  horizon       {model.horizon}")
    click.echo(f"  transition    {facts['transition']}")
    click.echo(f"  prescriptions |U2|^|X2| = {model.m2}^{model.n2} = {model.prescriptions}")
    click.echo(f"  memory        {_bytes(model.nbytes)}")


def _headline(text: str, width: int = 100) -> str:
    """The first sentence of ``text``, cut to ``width`` characters."""
    first = text.strip().split(". ")[0].splitlines()[0] if text.strip() else ""
    return first if len(first) <= width else first[: width - 3].rstrip() + "..."


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:g} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--to", "form", type=click.Choice(["dense", "sparse"]), required=True,
              help="Target form.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Output file.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@handle_errors
def convert(file, form, output, force):
    """Rewrite FILE in the dense or sparse decmdp/1 form.

    \b
    Example:
      decmdp convert problems/maintenance.json --to dense -o maintenance-dense.json
    """
    from decmdp import DENSE, SPARSE, load, save

    model = load(file)
    save(model, output, form=DENSE if form == "dense" else SPARSE, force=force)
    click.echo(f"wrote {output}")


# ------------------------------------------------------------------ solving
class _Progress:
    """One stderr line per stage, once the solve has run for about a second."""

    def __init__(self, quiet: bool, label: str = ""):
        self.quiet, self.label = quiet, label
        self.started = time.perf_counter()
        self.pending: list[str] = []

    def __call__(self, stats) -> None:
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.started
        self.pending.append(f"{self.label}stage {stats.stage}: {stats.kept} vectors "
                            f"({stats.generated} generated, {stats.lps} LPs), {elapsed:.1f} s elapsed")
        if elapsed > 1.0:
            for line in self.pending:
                click.echo(line, err=True)
            self.pending.clear()


def _check_outputs(paths, force: bool) -> None:
    """Before any work: outputs are distinct, their folders exist, none is overwritten unasked."""
    from pathlib import Path

    given = [Path(p) for p in paths if p is not None]
    seen = set()
    for path in given:
        key = path.resolve()
        if key in seen:
            raise FileExistsError(f"{path}: given for two outputs; choose different files")
        seen.add(key)
        if not key.parent.is_dir():
            raise FileNotFoundError(f"{path}: folder {path.parent} does not exist")
        if path.exists() and not force:
            raise FileExistsError(f"{path}: exists; not overwriting it (use --force)")


def _fmt(x: float) -> str:
    return f"{x:.10g}"


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--horizon", type=int, help="Override the file's horizon.")
@click.option("--method", type=click.Choice(["lifted", "enumerate"]), default="lifted", show_default=True,
              help="lifted: pointwise prescriptions, incremental pruning; enumerate: every prescription.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the policy (JSON) here.")
@click.option("--dot", type=click.Path(dir_okay=False), help="Write the policy graph (Graphviz DOT) here.")
@click.option("--max-vectors", type=click.IntRange(min=1), default=None,
              help="Stop (exit 3) when a stage needs more vectors  [default: 100000].")
@click.option("--no-bounds", is_flag=True, help="Skip the full-information and blind-player-2 bounds.")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@handle_errors
def solve(file, horizon, method, as_json, output, dot, max_vectors, no_bounds, force, quiet):
    """Solve the problem in FILE exactly; print the value and the policy.

    \b
    Examples:
      decmdp solve problems/maintenance.json
      decmdp solve problems/maintenance.json --horizon 4 -o policy.json --dot policy.dot
      decmdp solve problems/maintenance.json --json | python -m json.tool
    """
    import decmdp
    from decmdp.fileio import write_text_atomic
    from decmdp.solver import DEFAULT_MAX_VECTORS

    _check_outputs([output, dot], force)
    model = decmdp.load(file)
    solution = decmdp.solve(model, horizon=horizon, method=method, bounds=not no_bounds,
                            max_vectors=max_vectors or DEFAULT_MAX_VECTORS,
                            progress=_Progress(quiet))
    if output:
        write_text_atomic(output, solution.policy.dumps(), force=force)
    if dot:
        write_text_atomic(dot, solution.policy.to_dot(), force=force)
    if as_json:
        click.echo(json.dumps(solution.summary()))
        return
    _print_solution(model, solution)
    for path, what in ((output, "policy"), (dot, "policy graph")):
        if path:
            click.echo(f"wrote {what} to {path}")


def _print_solution(model, solution, max_nodes: int = 24) -> None:
    kind = "cost" if solution.sense.value == "minimize" else "reward"
    click.echo(f"{model.name}: {solution.sense.value} expected total {kind}, horizon {solution.horizon}, "
               f"method {solution.method}, {solution.seconds:.2f} s")
    click.echo(f"  optimal value          {_fmt(solution.value)}")
    if len(solution.initial_values) > 1:
        parts = ", ".join(f"x1={k}: {_fmt(v)}" for k, v in solution.initial_values.items())
        click.echo(f"  given x1(0)            {parts}")
    if solution.bounds:
        b = solution.bounds
        click.echo(f"  full information       {_fmt(b.full_information)}  "
                   f"(price of decentralization {_fmt(b.price_of_decentralization)})")
        click.echo(f"  player 2 ignores x2    {_fmt(b.blind_player2)}  "
                   f"(value of player 2's information {_fmt(b.value_of_information)})")
    click.echo("  stage  vectors  generated      LPs  seconds")
    for s in sorted(solution.stats, key=lambda s: s.stage):
        click.echo(f"  {s.stage:5d}  {s.kept:7d}  {s.generated:9d}  {s.lps:7d}  {s.seconds:7.3f}")
    policy = solution.policy
    click.echo(f"policy: {len(policy)} nodes (player 1 plays u1; player 2 plays the prescription at its x2)")
    for i, node in enumerate(policy.nodes):
        if i == max_nodes:
            click.echo(f"  ... {len(policy) - max_nodes} more nodes (write them with -o or --dot)")
            break
        a = policy.graph.nodes[node]
        g = ", ".join(f"{x2}->{u2}" for x2, u2 in zip(policy.player2_states, a["prescription"]))
        nxt = ", ".join(f"{d['x1']}->{c}" for _, c, d in policy.graph.out_edges(node, data=True))
        starts = [x1 for x1, n in policy.start.items() if n == node]
        tag = f" [start x1={','.join(starts)}]" if starts else ""
        click.echo(f"  {node:>4} t={a['stage']} x1={a['x1']}: u1={a['u1']}; player 2: {g}"
                   + (f"; next {nxt}" if nxt else "") + tag)


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.argument("policy", type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
@handle_errors
def evaluate(file, policy, as_json):
    """Evaluate POLICY on FILE exactly (forward propagation, no DP).

    \b
    Example:
      decmdp solve problems/maintenance.json -o policy.json
      decmdp evaluate problems/maintenance.json policy.json
    """
    import decmdp

    model = decmdp.load(file)
    graph = decmdp.load_policy(policy)
    value = decmdp.evaluate(model, graph)
    if as_json:
        click.echo(json.dumps({"value": value, "sense": model.sense.value, "horizon": graph.horizon,
                               "policy_nodes": len(graph)}))
    else:
        click.echo(f"{model.name}: policy value {_fmt(value)} ({model.sense.value}, horizon {graph.horizon}, "
                   f"{len(graph)} nodes)")


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.argument("policy", type=click.Path(dir_okay=True))
@click.option("--episodes", type=click.IntRange(min=2), default=10_000, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
@handle_errors
def simulate(file, policy, episodes, seed, as_json):
    """Monte Carlo estimate of POLICY's value on FILE, with a 95% interval.

    \b
    Example:
      decmdp simulate problems/maintenance.json policy.json --episodes 100000 --seed 1
    """
    import dataclasses

    import decmdp

    model = decmdp.load(file)
    result = decmdp.simulate(model, decmdp.load_policy(policy), episodes=episodes, seed=seed)
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(result) | {"sense": model.sense.value}))
    else:
        click.echo(f"{model.name}: mean {_fmt(result.mean)} +- {_fmt(result.stderr)} (standard error); "
                   f"95% interval [{_fmt(result.ci_low)}, {_fmt(result.ci_high)}] over {episodes} episodes, "
                   f"seed {seed}")


# ------------------------------------------------------------------ POMDPs
@main.group()
def pomdp():
    """General POMDPs in Cassandra's .POMDP format (pomdp-solve's input).

    \b
    Example:
      decmdp pomdp solve tests/data/tiger.95.POMDP --horizon 10
    """


@pomdp.command("solve")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--horizon", type=click.IntRange(min=1, max=MAX_HORIZON), required=True,
              help="Number of stages.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
@click.option("--alpha", type=click.Path(dir_okay=False),
              help="Write the stage-0 vectors in pomdp-solve's .alpha format here.")
@click.option("--dot", type=click.Path(dir_okay=False), help="Write the policy graph (Graphviz DOT) here.")
@click.option("--max-vectors", type=click.IntRange(min=1), default=None,
              help="Stop (exit 3) when a stage needs more vectors  [default: 100000].")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@handle_errors
def pomdp_solve(file, horizon, as_json, alpha, dot, max_vectors, force, quiet):
    """Solve the POMDP in FILE exactly for HORIZON stages.

    Prints the value at the start belief (uniform when the file has none) in
    the file's own sense and the number of vectors per stage.

    \b
    Example:
      decmdp pomdp solve tests/data/tiger.95.POMDP --horizon 10 --alpha tiger.alpha
    """
    from decmdp.fileio import write_text_atomic
    from decmdp.pomdp import read_pomdp
    from decmdp.pomdp.solver import solve as solve_pomdp
    from decmdp.solver import DEFAULT_MAX_VECTORS

    _check_outputs([alpha, dot], force)
    model = read_pomdp(file)
    solution = solve_pomdp(model, horizon, max_vectors=max_vectors or DEFAULT_MAX_VECTORS,
                           progress=_Progress(quiet))
    if alpha:
        write_text_atomic(alpha, solution.alpha_text(), force=force)
    if dot:
        write_text_atomic(dot, solution.to_dot(), force=force)
    seconds = sum(s.seconds for s in solution.stats)
    if as_json:
        click.echo(json.dumps({
            "value": solution.value(), "sense": model.sense.value, "horizon": horizon,
            "start": solution.pomdp.start.tolist(), "best_action": solution.best_action(),
            "vectors_per_stage": list(solution.vectors_per_stage), "seconds": seconds,
            "stats": [s._asdict() for s in sorted(solution.stats, key=lambda s: s.stage)]}))
        return
    click.echo(f"{model.name}: {model.sense.value}, {len(model.states)} states, {len(model.actions)} actions, "
               f"{len(model.observations)} observations, discount {model.discount:g}, horizon {horizon}")
    click.echo(f"  value at the start belief   {_fmt(solution.value())}  (first action {solution.best_action()})")
    click.echo(f"  vectors per stage t=0..{horizon - 1}  {' '.join(map(str, solution.vectors_per_stage))}")
    click.echo(f"  LPs {sum(s.lps for s in solution.stats)}, {seconds:.2f} s")
    for path, what in ((alpha, "alpha vectors"), (dot, "policy graph")):
        if path:
            click.echo(f"wrote {what} to {path}")


@main.command("export-pomdp")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="The .POMDP file.")
@click.option("--horizon", type=int, help="Override the file's horizon.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@handle_errors
def export_pomdp(file, output, horizon, force):
    """Write FILE as the naive centralized POMDP in .POMDP format.

    States are (stage, x1, x2), actions (u1, prescription), observations the
    next (stage, x1).  Solved with horizon H + 2 by any exact POMDP solver
    (pomdp-solve, or decmdp pomdp solve) its start value equals decmdp solve's.

    \b
    Example:
      decmdp export-pomdp problems/tiny-by-hand.json -o tiny.POMDP
      decmdp pomdp solve tiny.POMDP --horizon 4
    """
    import decmdp
    from decmdp.fileio import write_text_atomic
    from decmdp.pomdp.export import export_horizon, export_text

    _check_outputs([output], force)
    model = decmdp.load(file)
    if horizon is not None:
        model = model.with_horizon(horizon)
    write_text_atomic(output, export_text(model), force=force)
    click.echo(f"wrote {output}; solve it with horizon {export_horizon(model)}")


if __name__ == "__main__":
    main()
