"""Commands that write a problem for other tools' solvers: export-dpomdp."""

from __future__ import annotations

import click

from decmdp.cli._common import export_command, write_export
from decmdp.cli._group import main


@export_command(main, "export-dpomdp", "The .dpomdp file.")
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
    from decmdp.pomdp.export import export_horizon

    model = write_export(file, output, horizon, force, dpomdp_text)
    sense = "its value is minus the optimal cost" if model.sense is decmdp.Sense.MINIMIZE else \
        "its value is the optimal reward"
    click.echo(f"wrote {output}; plan it with horizon {export_horizon(model)} ({sense})")
