"""Neutral types every layer may use: the objective's sense, choosing an
enum member from text, printing a number, and writing an output file
atomically.

This module imports nothing from decmdp, so that the two-player model, the
``.POMDP`` model, the core and the command line can all depend on it without
depending on one another.

Writing an output file never loses what the user had:

* A file is written to a temporary file beside it, flushed, then moved into
  place in one step: a reader never sees half a file.
* Without ``force`` the move is an exclusive hard link: when two writers race
  for the same new path exactly one wins and the other gets
  :class:`FileExistsError`.
* With ``force`` an existing *regular* file is replaced; anything else there
  (a device such as ``/dev/full``, a FIFO, a directory) is never replaced.
* :func:`check_output` says before any work whether a path can be written,
  naming the user's path, not the temporary file.
* The temporary files in flight are remembered, so that an interrupted
  command can remove them (:func:`abandon_writes`).
"""

from __future__ import annotations

import enum
import errno
import os
import stat
import tempfile
import threading
from pathlib import Path


class Sense(str, enum.Enum):
    """Whether the objective is a cost to minimize or a reward to maximize."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    @property
    def objective(self) -> str:
        """``"cost"`` or ``"reward"``: what the values of this sense are called."""
        return "cost" if self is Sense.MINIMIZE else "reward"

    @property
    def sign(self) -> float:
        """+1 for costs, -1 for rewards: ``user value = sign * internal value``."""
        return 1.0 if self is Sense.MINIMIZE else -1.0


class Choice(enum.Enum):
    """An enum a user picks by name: ``Kind.parse("name")``.

    A subclass names what it chooses, for the error message:
    ``class LPSolver(Choice, what="LP solver")``.
    """

    def __init_subclass__(cls, what: str = "choice", **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._what = what

    @classmethod
    def parse(cls, value):
        """A member from itself, its value or its name (any case).

        Raises
        ------
        ValueError
            Naming what is chosen and listing the valid values.
        """
        if isinstance(value, cls):
            return value
        for member in cls:
            if isinstance(value, str) and value.lower() in (member.value, member.name.lower()):
                return member
        what = cls._what
        valid = ", ".join(repr(m.value) for m in cls)
        raise ValueError(f"unknown {what} {value!r}; valid {what}s: {valid}")


def number_text(x: float, digits: int = 10) -> str:
    """``x`` with ``digits`` significant digits, the way decmdp prints numbers."""
    return f"{x:.{digits}g}"


def exact_number_text(x: float) -> str:
    """``x`` as the shortest text that reads back as the same float64 (for
    files another program reads: nothing is rounded)."""
    return repr(float(x))


# ------------------------------------------------------------- output files
_lock = threading.Lock()
_pending: set[str] = set()
_written: list[str] = []


def check_output(path: str | os.PathLike, force: bool) -> None:
    """Raise unless ``path`` can be written: its folder exists and takes new files,
    and it is either absent or (with ``force``) a regular file.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``force`` is false, or it is not a regular file.
    FileNotFoundError, PermissionError, OSError
        The folder is missing or cannot take a new file; the message names ``path``.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"{path}: folder {folder} does not exist")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OSError(f"{path}: cannot write it ({exc.strerror or exc})") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise FileExistsError(f"{path}: exists and is not a regular file (a device, folder, pipe or "
                              "socket); not replacing it")
    if mode is not None and not force:
        raise FileExistsError(f"{path}: exists; not overwriting it (use --force)")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
    except OSError as exc:
        raise OSError(f"{path}: cannot write in folder {folder} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)


def write_text_atomic(path: str | os.PathLike, text: str | bytes, force: bool = False) -> None:
    """Write ``text`` (UTF-8) or bytes to ``path`` through a temporary file and
    one atomic step.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``force`` is false (also when another writer
        created it meanwhile), or if it is not a regular file.
    OSError
        If the folder cannot take the file; the message names ``path``.
    """
    path = Path(path)
    check_output(path, force)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise OSError(f"{path}: cannot write in folder {path.parent} ({exc.strerror or exc})") from None
    with _lock:
        _pending.add(tmp)
    try:
        binary = isinstance(text, bytes)
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; give what open() would
        with _lock:
            _commit(tmp, path, force)
            _pending.discard(tmp)
            _written.append(str(path))
    except OSError as exc:
        if exc.filename == tmp or exc.filename2 == tmp:  # name the user's file, not ours
            raise OSError(exc.errno, f"{path}: cannot write it ({exc.strerror})") from None
        raise
    finally:
        with _lock:
            if tmp in _pending:
                _pending.discard(tmp)
                _unlink_quietly(tmp)


def _commit(tmp: str, path: Path, force: bool) -> None:
    if force:
        # a non-regular file may have appeared since check_output: re-check right before
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                raise FileExistsError(f"{path}: exists and is not a regular file; not replacing it")
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(f"{path}: exists; not overwriting it (use --force)") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        _copy_exclusive(tmp, path)  # a file system without hard links
    os.unlink(tmp)


def _copy_exclusive(tmp: str, path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        raise FileExistsError(f"{path}: exists; not overwriting it (use --force)") from None
    with open(tmp, "rb") as source, os.fdopen(fd, "wb") as target:
        target.write(source.read())


def _unlink_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def forget_writes() -> None:
    """Start a new command: no output written yet (see :func:`abandon_writes`)."""
    with _lock:
        _written.clear()


def abandon_writes() -> list[str]:
    """Remove every temporary file in flight; return the outputs already written.

    Called by the command line when it is interrupted.  Holds the write lock,
    so no output is completed afterwards.
    """
    _lock.acquire()  # never released: the process is about to exit
    for tmp in list(_pending):
        _unlink_quietly(tmp)
    _pending.clear()
    return list(_written)


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
