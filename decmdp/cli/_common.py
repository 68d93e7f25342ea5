"""What every command shares: exit statuses, error handling, progress, outputs."""

from __future__ import annotations

import functools
import json
import math
import os
import sys
import threading
import time

import click

from decmdp.common import number_text as fmt  # noqa: F401  (the CLI's number format)

EXIT_BAD_INPUT = 2
EXIT_LIMIT = 3
EXIT_INTERRUPTED = 130

MAX_VECTORS_HELP = ("Stop (exit 3) when any set of vectors a stage builds would exceed this: each pruned "
                    "partial cross-sum, each Gamma_t(x1) and the stage total, not only the vectors kept  "
                    "[default: 100000].")


def _fail(messages, status: int) -> None:
    for message in messages:
        click.echo(f"error: {message}", err=True)
    sys.exit(status)


def handle_errors(command):
    """Run a command in a worker thread; turn decmdp's exceptions into messages and statuses.

    The numeric kernels release the GIL and run for seconds, while Python
    handles a signal only in the main thread between bytecodes.  So the
    command runs in a worker thread and the main thread only waits: Ctrl-C
    is handled at once, removes the temporary output files in flight and
    exits with status 130 without waiting for the kernel.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from decmdp.errors import MemoryLimitError, PolicyError, ProblemError, VectorLimitError, counted

        try:
            return _in_worker_thread(command, args, kwargs)
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
        except (VectorLimitError, MemoryLimitError) as exc:
            _fail([str(exc)], EXIT_LIMIT)
        except MemoryError:
            _fail(["ran out of memory; lower --max-vectors, the horizon or --episodes"], EXIT_LIMIT)
        except KeyboardInterrupt:
            _fail(["interrupted; nothing was written"], EXIT_INTERRUPTED)

    return wrapper


def _in_worker_thread(command, args, kwargs):
    from decmdp.common import forget_writes

    forget_writes()
    outcome = {}

    def work():
        try:
            outcome["result"] = command(*args, **kwargs)
        except BaseException as exc:  # handed to the main thread, which reports it
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="decmdp-command", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
    except KeyboardInterrupt:
        _exit_interrupted()
    if "error" in outcome:
        error = outcome.pop("error")
        raise error
    return outcome.get("result")


def _exit_interrupted() -> None:
    """Remove the temporary files in flight and leave at once (the kernel may still run)."""
    from decmdp.common import abandon_writes

    written = abandon_writes()
    from decmdp.core.dask_executor import cancel_all

    cancel_all()
    message = ("interrupted; nothing was written" if not written
               else f"interrupted after writing {', '.join(written)}")
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    try:
        sys.stderr.write(f"error: {message}\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_INTERRUPTED)


class Progress:
    """Progress lines on stderr: none in the first second, then at most one a second.

    The last stage's line (stage 0, the solve's last) is always shown once
    any line has been, so the final summary is never swallowed.  Within a
    stage, the work units done move a bar when stderr is a terminal
    (redrawn at most :attr:`BAR_INTERVAL` apart) and give a plain line at
    most once a second otherwise.
    """

    INTERVAL = 1.0
    """Seconds of silence at the start and between two lines."""
    BAR_INTERVAL = 0.1
    """Seconds between two redraws of the bar on a terminal."""
    BAR_WIDTH = 24

    def __init__(self, quiet: bool, label: str = "", clock=time.perf_counter, terminal: bool | None = None):
        self.quiet, self.label, self.clock = quiet, label, clock
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.started = clock()
        self.last_shown: float | None = None
        self.bar_shown: float | None = None
        self._lock = threading.Lock()

    def _due(self, now: float) -> bool:
        return now - self.started >= self.INTERVAL and (self.last_shown is None
                                                        or now - self.last_shown >= self.INTERVAL)

    def __call__(self, stats) -> None:
        if self.quiet:
            return
        with self._lock:
            now = self.clock()
            final = stats.stage == 0 and self.last_shown is not None
            if self._due(now) or final:
                clear = "\r\033[K" if self.bar_shown is not None else ""
                click.echo(f"{clear}{self.label}stage {stats.stage}: {stats.kept} vectors ({stats.generated} "
                           f"generated, {stats.lps} LPs), {now - self.started:.1f} s elapsed", err=True)
                self.last_shown, self.bar_shown = now, None

    def on_unit(self, stage: int, done: int, submitted: int) -> None:
        """A work unit of ``stage`` finished (called from any thread)."""
        if self.quiet:
            return
        with self._lock:
            now = self.clock()
            elapsed = now - self.started
            if self.terminal:
                if elapsed >= self.INTERVAL and (self.bar_shown is None or now - self.bar_shown >= self.BAR_INTERVAL):
                    filled = self.BAR_WIDTH * done // max(submitted, 1)
                    bar = "#" * filled + "." * (self.BAR_WIDTH - filled)
                    click.echo(f"\r\033[K{self.label}stage {stage} [{bar}] {done}/{submitted} work units, "
                               f"{elapsed:.1f} s", err=True, nl=False)
                    self.bar_shown = now
            elif self._due(now):
                click.echo(f"{self.label}stage {stage}: {done}/{submitted} work units done so far, "
                           f"{elapsed:.1f} s elapsed", err=True)
                self.last_shown = now


def check_outputs(paths, force: bool) -> None:
    """Before any work: outputs are distinct, writable, and none is overwritten unasked."""
    from pathlib import Path

    from decmdp.common import check_output

    seen = set()
    for path in (Path(p) for p in paths if p is not None):
        key = path.resolve()
        if key in seen:
            raise FileExistsError(f"{path}: given for two outputs; choose different files")
        seen.add(key)
        check_output(path, force)


def json_text(document) -> str:
    """One line of strict JSON: a NaN or infinity (never expected) becomes null, not bare NaN."""
    try:
        return json.dumps(document, allow_nan=False)
    except ValueError:
        return json.dumps(_finite_or_null(document), allow_nan=False)


def _finite_or_null(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_null(v) for v in value]
    return value


infinite_option = click.option(
    "--infinite", is_flag=True,
    help="Discounted infinite horizon (discount < 1): a finite-state controller with a certified gap.")

epsilon_option = click.option(
    "--epsilon", type=float, default=None,
    help="With --infinite: certified distance of the value to the optimum  [default: 1e-06].")

max_vectors_option = click.option("--max-vectors", type=click.IntRange(min=1), default=None,
                                  help=MAX_VECTORS_HELP)

lp_option = click.option(
    "--lp", type=click.Choice(["numba", "highs"]), default="numba", show_default=True,
    help="Witness LP solver: numba (HiGHS decides what it cannot prove) or HiGHS throughout.")


jobs_option = click.option(
    "--jobs", type=click.IntRange(min=1), default=None,
    help="Workers for the prunes: threads here, or the workers of --scheduler local  "
         "[default: all cores]. The answer is the same for every --jobs.")

scheduler_option = click.option(
    "--scheduler", metavar="tcp://HOST:PORT|local", default=None,
    help="Run the prunes on a dask.distributed cluster: a running scheduler's address, "
         "or 'local' for a LocalCluster of --jobs workers (needs pip install 'decmdp[dask]').")


horizon_option = click.option("--horizon", type=int, help="Override the file's horizon.")
force_option = click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")


def export_command(group, name: str, what: str):
    """Declare an export command: FILE, ``-o/--output`` (``what``),
    ``--horizon`` and ``--force``, with errors handled."""
    def decorate(command):
        for option in (
            handle_errors,
            force_option,
            horizon_option,
            click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help=what),
            click.argument("file", type=click.Path(dir_okay=True)),
        ):
            command = option(command)
        return group.command(name)(command)
    return decorate


def write_export(file, output, horizon, force, render):
    """Load FILE (at ``horizon`` if given), write ``render(model)`` to
    ``output`` atomically, and return the model."""
    import decmdp
    from decmdp.common import write_text_atomic

    check_outputs([output], force)
    model = decmdp.load(file)
    if horizon is not None:
        model = model.with_horizon(horizon)
    write_text_atomic(output, render(model), force=force)
    return model


def check_horizon_options(infinite: bool, epsilon) -> None:
    """``--epsilon`` serves infinite-horizon solves only."""
    from decmdp.errors import ProblemError

    if epsilon is not None and not infinite:
        raise ProblemError("--epsilon: only applies with --infinite")


def echo_stage_table(stats, first_column: str = "stage") -> None:
    """The per-stage statistics, stage 0 first (``first_column`` names it)."""
    click.echo(f"  {first_column:>5}  vectors  generated      LPs  fallbacks  in doubt  seconds")
    for s in sorted(stats, key=lambda s: s.stage):
        click.echo(f"  {s.stage:5d}  {s.kept:7d}  {s.generated:9d}  {s.lps:7d}  {s.lp_fallbacks:9d}  "
                   f"{s.lp_trouble:8d}  {s.seconds:7.3f}")


PREPARE_REPORT_SECONDS = 0.5
"""Preparing the kernels is reported when it takes at least this long."""


def prepare_kernels(quiet: bool) -> None:
    """Compile or load the numeric kernels before a solve, and say so when it
    takes a while, so that the time is not charged to the first stage."""
    from decmdp.core.warmup import warm_up

    seconds = warm_up()
    if not quiet and seconds >= PREPARE_REPORT_SECONDS:
        click.echo(f"prepared the numeric kernels in {seconds:.1f} s (compiled on first use, then cached "
                   f"on disk)", err=True)

