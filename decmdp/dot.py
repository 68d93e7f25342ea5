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


def digraph(name: str, nodes, starts, edges) -> str:
    """The DOT text of a policy graph drawn left to right, one box per node.

    Parameters
    ----------
    name : str
        The graph's name.
    nodes : iterable of (str, sequence of str)
        Each node's id and the lines of its label.
    starts : iterable of (str, str)
        A plain-text start marker's id and the node it points to.
    edges : iterable of (str, str, str)
        ``(from, to, label)``.
    """
    lines = [f"digraph {quote(name)} {{", "  rankdir=LR;", "  node [shape=box, fontname=\"monospace\"];"]
    lines += [f"  {quote(node)} [label={label(*text)}];" for node, text in nodes]
    for marker, node in starts:
        lines.append(f"  {quote(marker)} [shape=plaintext];")
        lines.append(f"  {quote(marker)} -> {quote(node)};")
    lines += [f"  {quote(u)} -> {quote(v)} [label={quote(text)}];" for u, v, text in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"
