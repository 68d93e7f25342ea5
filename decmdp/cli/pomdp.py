"""Commands on general POMDPs (``.POMDP`` files) and the export to one."""

from __future__ import annotations

import json

import click

from decmdp.cli._common import Progress, check_outputs, fmt, handle_errors
from decmdp.cli._group import main
from decmdp.validation import MAX_HORIZON


@main.group()
def pomdp():
    """General POMDPs in Cassandra's .POMDP format (pomdp-solve's input).

    \b
    Example:
      decmdp pomdp solve tiger.POMDP --horizon 10
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
      decmdp pomdp solve tiger.POMDP --horizon 10 --alpha tiger.alpha
    """
    from decmdp.fileio import write_text_atomic
    from decmdp.pomdp import read_pomdp
    from decmdp.pomdp.solver import solve as solve_pomdp
    from decmdp.solver import DEFAULT_MAX_VECTORS

    check_outputs([alpha, dot], force)
    model = read_pomdp(file)
    solution = solve_pomdp(model, horizon, max_vectors=max_vectors or DEFAULT_MAX_VECTORS,
                           progress=Progress(quiet))
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
    click.echo(f"  value at the start belief   {fmt(solution.value())}  (first action {solution.best_action()})")
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
      decmdp export-pomdp problem.json -o problem.POMDP
      decmdp pomdp solve problem.POMDP --horizon 4
    """
    import decmdp
    from decmdp.fileio import write_text_atomic
    from decmdp.pomdp.export import export_horizon, export_text

    check_outputs([output], force)
    model = decmdp.load(file)
    if horizon is not None:
        model = model.with_horizon(horizon)
    write_text_atomic(output, export_text(model), force=force)
    click.echo(f"wrote {output}; solve it with horizon {export_horizon(model)}")
