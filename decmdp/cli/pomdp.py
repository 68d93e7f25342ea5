"""Commands on general POMDPs (``.POMDP`` files) and the export to one."""

from __future__ import annotations

import dataclasses

import click

from decmdp.cli._common import (
    Progress,
    check_horizon_options,
    check_outputs,
    epsilon_option,
    export_command,
    fmt,
    handle_errors,
    infinite_option,
    jobs_option,
    json_text,
    lp_option,
    max_vectors_option,
    prepare_kernels,
    quiet_option,
    scheduler_option,
    write_export,
)
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
@click.option("--horizon", type=click.IntRange(min=1, max=MAX_HORIZON),
              help="Number of stages (this or --infinite is required).")
@infinite_option
@epsilon_option
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
@click.option("--alpha", type=click.Path(dir_okay=False),
              help="Write the stage-0 vectors in pomdp-solve's .alpha format here.")
@click.option("--dot", type=click.Path(dir_okay=False), help="Write the policy graph (Graphviz DOT) here.")
@max_vectors_option
@lp_option
@jobs_option
@scheduler_option
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@quiet_option
@handle_errors
def pomdp_solve(file, horizon, infinite, epsilon, as_json, alpha, dot, max_vectors, lp, jobs, scheduler, force,
                quiet):
    """Solve the POMDP in FILE exactly for HORIZON stages, or for an infinite horizon.

    Prints the value at the start belief (uniform when the file has none) in
    the file's own sense and the number of vectors per stage.

    \b
    Example:
      decmdp pomdp solve tiger.POMDP --horizon 10 --alpha tiger.alpha
      decmdp pomdp solve tiger.POMDP --infinite --epsilon 1e-6 --dot tiger.dot
    """
    from decmdp.common import write_text_atomic
    from decmdp.errors import ProblemError
    from decmdp.pomdp import read_pomdp
    from decmdp.pomdp.solver import solve as solve_pomdp
    from decmdp.pomdp.solver import solve_infinite
    from decmdp.solver import DEFAULT_EPSILON, DEFAULT_MAX_VECTORS

    if (horizon is None) == (not infinite):
        raise ProblemError("--horizon, --infinite: give exactly one of them")
    check_horizon_options(infinite, epsilon)
    check_outputs([alpha, dot], force)
    model = read_pomdp(file)
    prepare_kernels(quiet)
    if infinite:
        solution = solve_infinite(model, DEFAULT_EPSILON if epsilon is None else epsilon,
                                  max_vectors=max_vectors or DEFAULT_MAX_VECTORS,
                                  progress=Progress(quiet, "infinite horizon, "), lp=lp, jobs=jobs,
                                  scheduler=scheduler)
        horizon = "infinite"
    else:
        solution = solve_pomdp(model, horizon, max_vectors=max_vectors or DEFAULT_MAX_VECTORS,
                               progress=Progress(quiet), lp=lp, jobs=jobs, scheduler=scheduler)
    if alpha:
        write_text_atomic(alpha, solution.alpha_text(), force=force)
    if dot:
        write_text_atomic(dot, solution.to_dot(), force=force)
    seconds = sum(s.seconds for s in solution.stats)
    cert = solution.certificate
    if as_json:
        click.echo(json_text({
            "value": solution.value(), "error_bound": solution.error_bound, "sense": model.sense.value,
            "horizon": horizon,
            "start": solution.pomdp.start.tolist(), "best_action": solution.best_action(),
            "vectors_per_stage": list(solution.vectors_per_stage), "seconds": seconds,
            "stats": [s._asdict() for s in sorted(solution.stats, key=lambda s: s.stage)]}
            | ({"certificate": dataclasses.asdict(cert), "controller_nodes": len(solution.controller)}
               if cert else {})))
        return
    click.echo(f"{model.name}: {model.sense.value}, {len(model.states)} states, {len(model.actions)} actions, "
               f"{len(model.observations)} observations, discount {model.discount:g}, horizon {horizon}")
    click.echo(f"  value at the start belief   {fmt(solution.value())}  (first action {solution.best_action()})")
    if cert:
        bound = "lower" if model.sense.value == "minimize" else "upper"
        click.echo(f"  within {cert.error_bound:.3g} of the optimum"
                   + ("" if cert.converged else "; NOT converged to --epsilon: iteration limit or float64 precision reached"))
        click.echo(f"  {bound} bound on the optimum  {fmt(cert.optimum_bound)}")
        click.echo(f"  controller: {len(solution.controller)} nodes, exact value {fmt(cert.controller_value)} "
                   f"(certified gap {cert.gap:.3g})")
        click.echo(f"  iterations {cert.iterations} (Bellman residual {cert.residual:.3g}, epsilon {cert.epsilon:g}), "
                   f"final vectors {solution.vectors_per_stage[-1]}")
    else:
        click.echo(f"  error bound                 {solution.error_bound:.3g}  (proven, at every belief)")
        click.echo(f"  vectors per stage t=0..{horizon - 1}  {' '.join(map(str, solution.vectors_per_stage))}")
    click.echo(f"  LPs {sum(s.lps for s in solution.stats)} ({sum(s.lp_fallbacks for s in solution.stats)} "
               f"decided by HiGHS, {sum(s.lp_trouble for s in solution.stats)} vectors kept in doubt), "
               f"{seconds:.2f} s")
    for path, what in ((alpha, "alpha vectors"), (dot, "policy graph")):
        if path:
            click.echo(f"wrote {what} to {path}")


@export_command(main, "export-pomdp", "The .POMDP file.")
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
    from decmdp.pomdp.export import export_horizon, export_text

    model = write_export(file, output, horizon, force, export_text)
    click.echo(f"wrote {output}; solve it with horizon {export_horizon(model)}")
