"""matplotlib, loaded on demand with the Agg backend (no display needed).

matplotlib is the optional extra ``decmdp[plot]``; without it every plotting
function raises :class:`MissingPlotExtra`, which says how to install it.
"""

from __future__ import annotations

import io
from pathlib import Path

from decmdp.common import check_output, write_text_atomic

INSTALL_HINT = "pip install 'decmdp[plot]'"


class MissingPlotExtra(ImportError):
    """matplotlib, needed for plots and reports, is not installed."""

    def __init__(self, cause: Exception | None = None):
        detail = f" ({cause})" if cause else ""
        super().__init__(f"plots need matplotlib, which is not installed{detail}; "
                         f"install it with: {INSTALL_HINT}")


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend.

    Raises
    ------
    MissingPlotExtra
        If matplotlib cannot be imported.
    """
    try:
        import matplotlib
    except ImportError as exc:
        raise MissingPlotExtra(exc) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def require_matplotlib() -> None:
    """Raise :class:`MissingPlotExtra` now, before any work, if matplotlib is missing."""
    pyplot()


FORMATS = (".png", ".svg", ".pdf")


def check_format(path) -> str:
    """The figure format of ``path`` from its suffix, or ValueError naming the choices."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: unknown figure format {suffix or '(no suffix)'!r}; "
                         f"expected one of {', '.join(FORMATS)}")
    return suffix[1:]


def figure_bytes(figure, fmt: str) -> bytes:
    """The figure rendered as ``fmt`` (png, svg, pdf); closes it."""
    plt = pyplot()
    buffer = io.BytesIO()
    # no date and a fixed hash salt keep SVG output reproducible; text stays text (searchable, small)
    metadata = {"Date": None} if fmt in ("svg", "pdf") else {}
    with plt.rc_context({"svg.hashsalt": "decmdp", "svg.fonttype": "none"}):
        figure.savefig(buffer, format=fmt, bbox_inches="tight", metadata=metadata)
    plt.close(figure)
    return buffer.getvalue()


def _writable(path, force: bool) -> str:
    """The format of ``path``, after checking that it may be written (before anything is drawn)."""
    fmt = check_format(path)
    check_output(path, force)
    return fmt


def save_figure(make_figure, path=None, force: bool = False):
    """Draw ``make_figure()``; return the Figure, or write it to ``path`` and return None.

    The format (from the suffix) and an existing ``path`` are checked first;
    the file is written atomically and the figure closed.
    """
    if path is None:
        return make_figure()
    fmt = _writable(path, force)
    write_text_atomic(path, figure_bytes(make_figure(), fmt), force=force)
    return None


def save_picture(make_picture, path, force: bool = False) -> None:
    """Write ``make_picture(fmt)`` (bytes in the format of ``path``'s suffix), atomically."""
    write_text_atomic(path, make_picture(_writable(path, force)), force=force)
