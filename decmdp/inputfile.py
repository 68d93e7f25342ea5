"""Reading an input file the user named, safely: one home for the rules every
reader shares.

* only a regular file is read (not a device such as ``/dev/zero``, a FIFO or
  a directory), and at most :data:`MAX_INPUT_BYTES` bytes of it;
* JSON objects may not repeat a key (``"horizon": 3, ..., "horizon": 7``);
* no string may hold a lone surrogate (``"\\ud800"``), which JSON allows but
  which cannot be printed or written back as UTF-8.

Every failure raises the reader's own error class (``ProblemError`` or
``PolicyError``) with a message that starts with the path.
"""

from __future__ import annotations

import json
import os
import stat
import sys

MAX_INPUT_BYTES = 256 * 1024 * 1024
"""Largest input file read (problem, policy or ``.POMDP``): 256 MiB."""


class InputError(ValueError):
    """Why an input could not be read; the caller re-raises its own class."""


def read_bytes(path: str | os.PathLike, what: str = "file") -> bytes:
    """The bytes of a regular file of at most :data:`MAX_INPUT_BYTES`.

    Raises
    ------
    InputError
        With the path and the reason (missing, a directory, not a regular
        file, too large, unreadable).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a {what}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise InputError(f"{path}: is a directory, expected a {what}")
        raise InputError(f"{path}: is not a regular file (a device, pipe or socket); "
                         f"expected a {what}")
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return _within_limit(data, str(path))


def _within_limit(data: bytes, source: str) -> bytes:
    """``data``, read with one byte to spare, unless it passes :data:`MAX_INPUT_BYTES`."""
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{source}: larger than the limit of {MAX_INPUT_BYTES // 2**20} MiB for an input file")
    return data


def _unique_keys(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise InputError(f"key {shown(key)} appears twice in one object; give it once")
        seen[key] = value
    return seen


def parse_json(text: str, source: str):
    """Parse JSON text strictly (no repeated keys, no lone surrogates).

    Raises
    ------
    InputError
        ``source: not valid JSON: ...`` and where, or the repeated key.
    """
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not valid JSON: {exc.msg} "
                         f"(line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise InputError(f"{source}: not valid JSON: nested too deeply") from None
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise InputError(f"{source}: not valid JSON: {exc}") from None
    bad = _first_unencodable(document)
    if bad is not None:
        raise InputError(f"{source}: the string {shown(bad)} holds a lone surrogate (an unpaired "
                         "\\ud800-\\udfff escape), which is not text; fix the escape")
    return document


def _first_unencodable(document):
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not is_text(item):
                return item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def is_text(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_text(path: str | os.PathLike, what: str = "file") -> str:
    """The UTF-8 text of a regular file (see :func:`read_bytes`)."""
    return _decoded(read_bytes(path, what), str(path))


def read_stdin_text() -> str:
    """The UTF-8 text on standard input, at most :data:`MAX_INPUT_BYTES`
    (messages name it ``stdin``)."""
    return _decoded(_within_limit(sys.stdin.buffer.read(MAX_INPUT_BYTES + 1), "stdin"), "stdin")


def _decoded(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text (byte {exc.start})") from None


def read_json(path: str | os.PathLike, what: str = "file"):
    """Read and strictly parse a UTF-8 JSON file; see :func:`read_bytes`, :func:`parse_json`."""
    return parse_json(read_text(path, what), str(path))


def shown(value, limit: int = 60) -> str:
    """``repr`` of a value cut to about ``limit`` characters, safe to print as UTF-8."""
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit] + "..."
    text = repr(value)
    if len(text) > limit + 10:
        text = text[:limit] + "..."
    return text if is_text(text) else ascii(value)[:limit + 10]


def clip(text, limit: int = 60) -> str:
    """``str(text)`` cut to about ``limit`` characters, safe to print as UTF-8 (no quotes added)."""
    text = str(text)
    text = text if len(text) <= limit else text[:limit] + "..."
    return text if is_text(text) else ascii(text)[1:-1]


def listing(names, limit: int = 10) -> str:
    """``a, b, c`` for a few names; the first ``limit`` and a count for many."""
    names = list(names)
    shown_names = ", ".join(clip(name) for name in names[:limit])
    return shown_names if len(names) <= limit else f"{shown_names}, ... ({len(names)} in all)"
