"""The ``decmdp`` command group; the commands register themselves on it."""

from __future__ import annotations

import click


def _version() -> str:
    from decmdp import __version__

    return __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=_version(), prog_name="decmdp")
def main():
    """Exact solver for two-player decentralized MDPs with nested information.

    Player 1 sees x1; player 2 sees x1 and x2 and cannot influence x1.
    Problems are decmdp/1 JSON files (dense, or "decmdp/1-sparse" with
    entries by name); FILE may be - to read standard input.

    \b
    Example:
      decmdp solve problem.json
      decmdp report problem.json -o report.html
    """
