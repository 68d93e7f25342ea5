"""Commands that write a problem for other tools' solvers: export-dpomdp."""

from __future__ import annotations

import click

from decmdp.cli._common import check_outputs, handle_errors
from decmdp.cli._group import main


@main.command("export-dpomdp")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="The .dpomdp file.")
@click.option("--horizon", type=int, help="Override the file's horizon.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@handle_errors
def export_dpomdp(file, output, horizon, force):
    """Write FILE as a two-agent Dec-POMDP in MADP's .dpomdp format.

    Agent 1 observes x1, agent 2 observes (x1, x2).  A first 'pre' stage lets
    both see the initial state before they act, so plan with horizon H + 2;
    MADP's optimal value then equals decmdp solve's (negated for a cost
    problem, written as reward = -cost).

    \b
    Example:
      decmdp export-dpomdp problem.json -o problem.dpomdp
      GMAA --GMAA=MAAstar -Q QMDP problem.dpomdp -h4   # MADP's exact planner, H + 2 = 4
    """
    import decmdp
    from decmdp.dpomdp import dpomdp_text
    from decmdp.fileio import write_text_atomic
    from decmdp.pomdp.export import export_horizon

    check_outputs([output], force)
    model = decmdp.load(file)
    if horizon is not None:
        model = model.with_horizon(horizon)
    write_text_atomic(output, dpomdp_text(model), force=force)
    sense = "its value is minus the optimal cost" if model.sense is decmdp.Sense.MINIMIZE else \
        "its value is the optimal reward"
    click.echo(f"wrote {output}; plan it with horizon {export_horizon(model)} ({sense})")
