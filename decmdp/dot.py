"""Graphviz DOT quoting: any name, however hostile, becomes a valid quoted string.

Inside a DOT quoted string ``"`` must be escaped; in a label a backslash
starts an escape (``\\n``, ``\\l``, ``\\N``, ...), so a literal backslash is
written ``\\\\`` and a name ending in a backslash cannot swallow the closing
quote.  Line breaks of a label are ``\\n``.
"""

from __future__ import annotations


def quote(text: str) -> str:
    """``text`` as a DOT quoted string, shown literally (one line)."""
    escaped = (str(text).replace("\\", "\\\\").replace('"', '\\"')
               .replace("\r", "\\r").replace("\n", "\\n"))
    return f'"{escaped}"'


def label(*lines: str) -> str:
    """A quoted DOT label of several lines, each shown literally."""
    return '"' + "\\n".join(quote(line)[1:-1] for line in lines) + '"'
