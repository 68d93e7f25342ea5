"""What every command shares: exit statuses, error handling, progress, outputs."""

from __future__ import annotations

import functools
import os
import sys
import time

import click

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
        from decmdp.errors import PolicyError, ProblemError, VectorLimitError, counted

        try:
            return command(*args, **kwargs)
        except ProblemError as exc:
            _fail(exc.errors + ([f"... and {counted(exc.omitted, 'more error')}"] if exc.omitted else []),
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


class Progress:
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


def check_outputs(paths, force: bool) -> None:
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


def fmt(x: float) -> str:
    return f"{x:.10g}"
