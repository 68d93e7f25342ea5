"""Commands that draw: plot, plot-policy, report, pomdp plot, pomdp plot-policy.

They need the extra ``decmdp[plot]`` (matplotlib); without it they stop
with status 2 and an ``error:`` line naming the install command.
"""

from __future__ import annotations

import functools

import click

from decmdp.cli._common import (EXIT_BAD_INPUT, Progress, _fail, check_outputs, force_option, handle_errors,
                                horizon_option, prepare_kernels, quiet_option)
from decmdp.cli._group import main
from decmdp.cli.pomdp import pomdp as pomdp_group
from decmdp.validation import MAX_HORIZON

ENGINES = ("auto", "graphviz", "matplotlib")


def drawing_errors(command):
    """A missing matplotlib, a bad stage, x1 or figure format: one error line, status 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from decmdp.errors import PolicyError, ProblemError
        from decmdp.plot import MissingPlotExtra

        try:
            return command(*args, **kwargs)
        except (ProblemError, PolicyError):
            raise  # handle_errors reports these
        except (MissingPlotExtra, ValueError) as exc:
            _fail([str(exc)], EXIT_BAD_INPUT)

    return wrapper


def _solve_pomdp(file, horizon, quiet):
    from decmdp.pomdp import read_pomdp, solve

    model = read_pomdp(file)
    prepare_kernels(quiet)
    return solve(model, horizon, progress=Progress(quiet))


def _load_and_solve(file, horizon, quiet, bounds=False):
    import decmdp

    model = decmdp.load(file)
    prepare_kernels(quiet)
    return model, decmdp.solve(model, horizon=horizon, bounds=bounds, progress=Progress(quiet))


def _prepare(output, force):
    """Before any work: a known figure format, and an output that may be written."""
    from decmdp.plot import check_format, require_matplotlib

    check_format(output)
    check_outputs([output], force)
    require_matplotlib()


pomdp_horizon_option = click.option("--horizon", type=click.IntRange(min=1, max=MAX_HORIZON), required=True,
                                    help="Number of stages solved.")
engine_option = click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True,
                             help="Who lays out the graph: Graphviz's dot when on PATH (auto), or matplotlib.")


def figure_output(help_text):
    return click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help=help_text)


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--stage", type=click.IntRange(min=0), default=0, show_default=True,
              help="Decision stage t (0 .. horizon-1) whose value function is drawn.")
@click.option("--x1", "x1", help="Player 1's observed state [default: the first initial one].")
@figure_output("Picture file: .png, .svg or .pdf.")
@horizon_option
@force_option
@quiet_option
@handle_errors
@drawing_errors
def plot(file, stage, x1, output, horizon, force, quiet):
    """Draw the value function over player 2's belief about x2.

    One stage and one x1; each region is coloured by the optimal u1 and
    prescription.  |X2| = 2: a line; |X2| = 3: the belief triangle; larger:
    the value along the simplex's edges.  Needs matplotlib (decmdp[plot]).

    \b
    Example:
      decmdp plot problem.json --stage 0 --x1 good -o value.png
    """
    _prepare(output, force)
    _, solution = _load_and_solve(file, horizon, quiet)
    solution.plot_value(output, stage=stage, x1=x1, force=force)
    click.echo(f"wrote {output}")


@main.command("plot-policy")
@click.argument("file", type=click.Path(dir_okay=True))
@figure_output("Picture file: .png, .svg or .pdf.")
@engine_option
@horizon_option
@force_option
@quiet_option
@handle_errors
@drawing_errors
def plot_policy(file, output, engine, horizon, force, quiet):
    """Draw the optimal policy graph of the problem in FILE.

    Stages run left to right; each box says what player 1 plays (u1) and
    player 2's prescription x2 -> u2; edges are labelled with the next x1.

    \b
    Example:
      decmdp plot-policy problem.json -o policy.svg
    """
    _prepare(output, force)
    _, solution = _load_and_solve(file, horizon, quiet)
    solution.policy.plot(output, engine=engine, force=force)
    click.echo(f"wrote {output}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="The HTML report (one self-contained file).")
@click.option("--episodes", type=click.IntRange(min=2), default=10_000, show_default=True,
              help="Simulated episodes for the return distribution.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the simulation; the same seed gives the same simulated returns.")
@horizon_option
@force_option
@quiet_option
@handle_errors
@drawing_errors
def report(file, output, episodes, seed, horizon, force, quiet):
    """Solve FILE and write a self-contained HTML report with figures.

    The problem, the optimal value and its bounds, per-stage statistics,
    value-function plots, the policy graph, what each player does at each
    node, and simulated returns against the exact value.  Figures are inline
    SVG: the file needs no network to be viewed.

    \b
    Example:
      decmdp report problem.json -o report.html
    """
    from decmdp.common import write_text_atomic
    from decmdp.plot import require_matplotlib
    from decmdp.plot.report import build_report

    check_outputs([output], force)
    require_matplotlib()
    model, solution = _load_and_solve(file, horizon, quiet, bounds=True)
    write_text_atomic(output, build_report(model, solution, episodes=episodes, seed=seed), force=force)
    click.echo(f"wrote {output}")


@pomdp_group.command("plot")
@click.argument("file", type=click.Path(dir_okay=True))
@pomdp_horizon_option
@click.option("--stage", type=click.IntRange(min=0), default=0, show_default=True,
              help="Stage t (0 .. horizon-1) whose value function is drawn.")
@figure_output("Picture file: .png, .svg or .pdf.")
@force_option
@quiet_option
@handle_errors
@drawing_errors
def pomdp_plot(file, horizon, stage, output, force, quiet):
    """Draw a POMDP's value function over the belief, coloured by action.

    \b
    Example:
      decmdp pomdp plot tiger.POMDP --horizon 5 -o tiger-value.png
    """
    _prepare(output, force)
    solution = _solve_pomdp(file, horizon, quiet)
    solution.plot_value(output, stage=stage, force=force)
    click.echo(f"wrote {output}")


@pomdp_group.command("plot-policy")
@click.argument("file", type=click.Path(dir_okay=True))
@pomdp_horizon_option
@figure_output("Picture file: .png, .svg or .pdf.")
@engine_option
@force_option
@quiet_option
@handle_errors
@drawing_errors
def pomdp_plot_policy(file, horizon, output, engine, force, quiet):
    """Draw a POMDP's policy graph from its start belief.

    \b
    Example:
      decmdp pomdp plot-policy tiger.POMDP --horizon 3 -o tiger-policy.svg
    """
    _prepare(output, force)
    solution = _solve_pomdp(file, horizon, quiet)
    solution.plot_policy(output, engine=engine, force=force)
    click.echo(f"wrote {output}")
