"""Writer for Cassandra's ``.POMDP`` format.

The output reads back to an equal model: every number is written with
``repr(float(x))``, the shortest text that parses to the same double, so
``parse_pomdp(format_pomdp(p)) == p`` holds bit for bit.  Layout:

* the preamble (names, or counts when the names are ``"0", "1", ...``),
  ``start:`` as a full vector;
* ``T: a`` and ``O: a`` as full matrices, one row per line;
* ``R`` compactly: nothing for an all-zero action, ``R: a : * : * : * v``
  for a constant one, else per state nothing (all zero),
  ``R: a : s : * : * v`` (constant) or ``R: a : s`` and an ``S x O`` matrix.
"""

from __future__ import annotations

from decmdp.common import exact_number_text, write_text_atomic
from decmdp.errors import ProblemError
from decmdp.pomdp.model import Pomdp
from decmdp.pomdp.parser import NAME_PATTERN, RESERVED_WORDS


def comment_text(text: str) -> str:
    """``text`` for a ``#`` comment line: anything not printable (a newline) escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _row(values) -> str:
    return " ".join(exact_number_text(x) for x in values)


def _declaration(names: tuple[str, ...], key: str, errors: list[str]) -> str:
    """``states: 3`` when names are the indices, else the names (checked)."""
    if names == tuple(str(i) for i in range(len(names))):
        return f"{key}: {len(names)}"
    for n in names:
        if not NAME_PATTERN.fullmatch(n):
            errors.append(
                f"{key}: {n!r} cannot be written: a .POMDP name starts with a letter "
                "and continues with letters, digits, '_' or '-'"
            )
        elif n in RESERVED_WORDS:
            errors.append(f"{key}: {n!r} is a reserved word of the .POMDP format")
    return f"{key}: " + " ".join(names)


def format_pomdp(pomdp: Pomdp) -> str:
    """The text of a ``.POMDP`` file describing ``pomdp`` exactly.

    Parameters
    ----------
    pomdp : Pomdp

    Returns
    -------
    str

    Raises
    ------
    decmdp.errors.ProblemError
        When a name cannot be written in the format (must match
        ``[A-Za-z][A-Za-z0-9_-]*`` and not be a keyword such as ``uniform``),
        unless all names of that kind are ``"0", "1", ...``.
    """
    errors: list[str] = []
    decls = [
        _declaration(pomdp.states, "states", errors),
        _declaration(pomdp.actions, "actions", errors),
        _declaration(pomdp.observations, "observations", errors),
    ]
    if errors:
        raise ProblemError(errors)
    S, A, _ = pomdp.shape
    st, ac = pomdp.states, pomdp.actions
    lines = []
    if pomdp.name:
        lines.append(f"# {comment_text(pomdp.name)}")
    lines += [
        f"discount: {exact_number_text(pomdp.discount)}",
        f"values: {pomdp.sense.objective}",
        *decls,
        "",
        "start:",
        _row(pomdp.start),
    ]
    for table, array in (("T", pomdp.transition), ("O", pomdp.observation)):
        for a in range(A):
            lines.append("")
            lines.append(f"{table}: {ac[a]}")
            lines.extend(_row(r) for r in array[a])
    lines.append("")
    for a in range(A):
        block = pomdp.reward[a]
        if not block.any():
            continue
        if (block == block.flat[0]).all():
            lines.append(f"R: {ac[a]} : * : * : * {exact_number_text(block.flat[0])}")
            continue
        for s in range(S):
            mat = block[s]
            if not mat.any():
                continue
            if (mat == mat.flat[0]).all():
                lines.append(f"R: {ac[a]} : {st[s]} : * : * {exact_number_text(mat.flat[0])}")
            else:
                lines.append(f"R: {ac[a]} : {st[s]}")
                lines.extend(_row(r) for r in mat)
    return "\n".join(lines) + "\n"


def write_pomdp(pomdp: Pomdp, path, force: bool = False) -> None:
    """Write ``pomdp`` to ``path`` atomically; see :func:`format_pomdp`.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``force`` is false: nothing is overwritten.
    """
    write_text_atomic(path, format_pomdp(pomdp), force=force)
