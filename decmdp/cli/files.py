"""Commands on problem files: validate, info, convert."""

from __future__ import annotations

import sys

import click

from decmdp.cli._common import EXIT_BAD_INPUT, force_option, handle_errors, json_text
from decmdp.cli._group import main
from decmdp.errors import counted


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@handle_errors
def validate(files):
    """Check problem FILES; print ok or every error.

    \b
    Example:
      decmdp validate *.json
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
                click.echo(f"error: {path}: ... and {counted(exc.omitted, 'more error')}", err=True)
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
      decmdp info problem.json
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
        click.echo(json_text(facts))
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
@force_option
@handle_errors
def convert(file, form, output, force):
    """Rewrite FILE in the dense or sparse decmdp/1 form.

    \b
    Example:
      decmdp convert problem.json --to dense -o problem-dense.json
    """
    from decmdp import DENSE, SPARSE, load, save

    model = load(file)
    save(model, output, form=DENSE if form == "dense" else SPARSE, force=force)
    click.echo(f"wrote {output}")
