"""Validation of a problem, once, with messages that name indices.

Every check appends to an :class:`ErrorList` (one cap,
:data:`MAX_LISTED_ERRORS`, for every problem kind); the caller raises one
:class:`~decmdp.errors.ProblemError` carrying all of them.  Messages name the
field and the indices by name, e.g.
``transition2[x1=a, x2=hi, u1=go, u2=act]: sums to 0.97, expected 1``.

:func:`distribution_faults` finds what keeps an array from holding
probability distributions; the two-player checks here and the ``.POMDP``
model (:mod:`decmdp.pomdp.model`) both word their messages from it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from decmdp.common import number_text
from decmdp.errors import ProblemError
from decmdp.inputfile import is_text, shown
from decmdp.tolerances import DEFAULT_TOLERANCES

MAX_NAMES = 1_000_000
"""Most states or actions one player may have."""

MAX_LISTED_ERRORS = 20
"""At most this many messages are listed; the rest are counted."""


class ErrorList:
    """Collects validation messages up to a limit and counts the rest."""

    def __init__(self, limit: int = MAX_LISTED_ERRORS):
        self.limit = limit
        self.messages: list[str] = []
        self.omitted = 0

    def add(self, message: str) -> None:
        """Record one violation."""
        if len(self.messages) < self.limit:
            self.messages.append(message)
        else:
            self.omitted += 1

    def add_each(self, items, message) -> None:
        """Record one violation per entry of the sequence ``items``; only the
        ones listed are turned into text (``message(item)``), the rest are
        counted."""
        room = max(0, self.limit - len(self.messages))
        self.messages.extend(message(item) for item in items[:room])
        self.omitted += max(0, len(items) - room)

    def __bool__(self) -> bool:
        return bool(self.messages)

    @property
    def total(self) -> int:
        """How many violations were recorded, listed or counted."""
        return len(self.messages) + self.omitted

    def raise_if_any(self) -> None:
        """Raise :class:`ProblemError` with every recorded message, if any."""
        if self.messages:
            raise ProblemError(self.messages, self.omitted)


class Axes:
    """Names of the axes of one field, for readable index labels.

    Parameters
    ----------
    field : str
        Field name as in the file (``transition2``).
    axes : sequence of (str, sequence of str)
        For each array axis, its label (``x1``, ``u2``, ``x2'``, ``t``) and the
        names of its entries.
    """

    def __init__(self, field: str, axes):
        self.field = field
        self.axes = [(label, tuple(names)) for label, names in axes]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(names) for _, names in self.axes)

    def label(self, index) -> str:
        """``field[x1=a, x2=hi]`` for a (possibly partial) index tuple."""
        parts = [f"{lab}={names[i]}" for (lab, names), i in zip(self.axes, index)]
        return f"{self.field}[{', '.join(parts)}]" if parts else self.field

    def prefix(self, n: int) -> "Axes":
        """The axes without the last ``len - n`` ones."""
        return Axes(self.field, self.axes[:n])


def _fmt(x: float) -> str:
    return number_text(x, 12)


def check_finite(values: np.ndarray, axes: Axes, errors: ErrorList) -> bool:
    """Report every non-finite entry; return True when all are finite."""
    bad = np.argwhere(~np.isfinite(values))
    errors.add_each(bad, lambda index: f"{axes.label(tuple(index))}: is {_fmt(values[tuple(index)])}, "
                                       "expected a finite number")
    return len(bad) == 0


NOT_FINITE, NEGATIVE, BAD_SUM = "not finite", "negative", "bad sum"
"""The kinds of :class:`DistributionFault`, in the order a row reports them."""


class DistributionFault(NamedTuple):
    """One reason an array does not hold distributions (see :func:`distribution_faults`).

    Attributes
    ----------
    kind : str
        :data:`NOT_FINITE` or :data:`NEGATIVE` (an entry), or :data:`BAD_SUM`
        (a whole distribution).
    index : tuple of int
        The entry's full index, or for :data:`BAD_SUM` the index of the
        distribution (its leading axes; ``()`` when there is one).
    value : float
        The entry, or the sum.
    """

    kind: str
    index: tuple[int, ...]
    value: float


def distribution_faults(values: np.ndarray, n_outcome_axes: int, tol: float,
                        exact_sums: bool = False) -> list[DistributionFault]:
    """Everything that keeps ``values`` from holding distributions over its last axes.

    A distribution (one index of the leading axes) is valid when all its
    entries are finite and ``>= 0`` and its sum is within ``tol`` of 1.  The
    sum of a distribution with a non-finite entry is not judged.

    Parameters
    ----------
    values : ndarray
        The probabilities; the last ``n_outcome_axes`` axes are the outcome.
    n_outcome_axes : int
        How many trailing axes form one distribution (at least 1).
    tol : float
        Allowed absolute deviation of a sum from 1.
    exact_sums : bool, default False
        Judge and report the sums of suspect distributions (a bad numpy sum
        or a negative entry) with :func:`math.fsum` instead of numpy's sum.

    Returns
    -------
    list of DistributionFault
        Ordered by distribution (C order), and within one: non-finite
        entries, negative entries, the sum.  A stable sort by ``kind``
        (:func:`faults_by_kind`) lists all entries of one kind first.
    """
    lead = values.ndim - n_outcome_axes
    outcome = tuple(range(lead, values.ndim))
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(values)
        negative = finite & (values < 0)
        sums = np.asarray(values.sum(axis=outcome))
        sum_ok = np.abs(sums - 1.0) <= tol
    finite_rows = finite.all(axis=outcome)
    negative_rows = negative.any(axis=outcome)
    bad_rows = ~(finite_rows & ~negative_rows & sum_ok)
    faults = []
    for row in np.argwhere(bad_rows):
        row = tuple(int(i) for i in row)
        block, row_finite = values[row], finite[row]
        for kind, mask in ((NOT_FINITE, ~row_finite), (NEGATIVE, negative[row])):
            faults.extend(DistributionFault(kind, row + tuple(int(i) for i in j), block[tuple(j)])
                          for j in np.argwhere(mask))
        if not finite_rows[row]:
            continue
        total = float(sums[row])
        if exact_sums:
            total = math.fsum(block.ravel().tolist())
        if not abs(total - 1.0) <= tol:
            faults.append(DistributionFault(BAD_SUM, row, total))
    return faults


def faults_by_kind(faults: list[DistributionFault]) -> list[DistributionFault]:
    """``faults`` with every non-finite entry first, then negative entries, then sums."""
    order = (NOT_FINITE, NEGATIVE, BAD_SUM)
    return sorted(faults, key=lambda fault: order.index(fault.kind))


def check_distributions(values: np.ndarray, axes: Axes, n_outcome_axes: int,
                        errors: ErrorList, tol: float = DEFAULT_TOLERANCES.probability) -> None:
    """Check that ``values`` holds distributions over its last axes.

    Non-finite entries are reported alone (nothing else is judged then);
    otherwise every negative entry, then every sum that is not 1.

    Parameters
    ----------
    values : ndarray
        The probabilities; the last ``n_outcome_axes`` axes are the outcome.
    axes : Axes
        Names for every axis of ``values``.
    n_outcome_axes : int
        How many trailing axes form one distribution.
    errors : ErrorList
        Where violations go.
    tol : float
        Allowed absolute deviation of a sum from 1.
    """
    if not check_finite(values, axes, errors):
        return
    condition = axes.prefix(values.ndim - n_outcome_axes)
    for kind, index, value in faults_by_kind(distribution_faults(values, n_outcome_axes, tol)):
        if kind == NEGATIVE:
            errors.add(f"{axes.label(index)}: is {_fmt(value)}, expected a probability >= 0")
        else:
            errors.add(f"{condition.label(index)}: sums to {_fmt(value)}, expected 1")


def check_one_sided_coupling(transition: np.ndarray, axes: Axes, errors: ErrorList,
                             tol: float = DEFAULT_TOLERANCES.probability) -> None:
    """Check that the ``x1'`` marginal of a joint transition ignores ``x2`` and ``u2``.

    The reference marginal for each ``(x1, u1)`` is the one at the first
    ``x2`` and ``u2``; every ``(x2, u2)`` whose marginal differs by more than
    ``tol`` is reported with the largest difference and where it occurs.
    """
    marginal = transition.sum(axis=5)  # [x1, x2, u1, u2, x1']
    reference = marginal[:, :1, :, :1, :]
    gap = np.abs(marginal - reference)
    worst = gap.max(axis=4)
    (_, x2_names), (_, u2_names) = axes.axes[1], axes.axes[3]
    x1p_names = axes.axes[4][1]
    for x1, x2, u1, u2 in np.argwhere(worst > tol):
        x1p = int(np.argmax(gap[x1, x2, u1, u2]))
        errors.add(
            f"{axes.label((x1, x2, u1, u2))}: P1(x1'={x1p_names[x1p]}) is "
            f"{_fmt(marginal[x1, x2, u1, u2, x1p])} but {_fmt(reference[x1, 0, u1, 0, x1p])} at "
            f"x2={x2_names[0]}, u2={u2_names[0]} (differs by {_fmt(worst[x1, x2, u1, u2])}); "
            f"player 2 must not influence x1 (one-sided coupling)"
        )


def check_names(field: str, names, errors: ErrorList) -> bool:
    """Names must be a non-empty list of unique, non-empty strings other than ``*``."""
    if not isinstance(names, (list, tuple)) or len(names) == 0:
        errors.add(f"{field}: expected a non-empty list of names")
        return False
    if len(names) > MAX_NAMES:
        errors.add(f"{field}: has {len(names)} names, more than the limit of {MAX_NAMES}")
        return False
    ok = True
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            errors.add(f"{field}[{i}]: is {shown(name)}, expected a non-empty string")
            ok = False
        elif not is_text(name):
            errors.add(f"{field}[{i}]: {shown(name)} holds a lone surrogate, which is not text")
            ok = False
        elif not name.isprintable():
            errors.add(f"{field}[{i}]: {shown(name)} contains a control character (newline, tab, ...); "
                       "names must be printable")
            ok = False
        elif name == "*":
            errors.add(f"{field}[{i}]: '*' is reserved (the wildcard of the sparse form); "
                       "choose another name")
            ok = False
        elif name in seen:
            errors.add(f"{field}[{i}]: {shown(name)} repeats {field}[{seen[name]}]; names must be unique")
            ok = False
        else:
            seen[name] = i
    return ok


MAX_HORIZON = 1_000_000
"""Largest horizon accepted: far beyond any exact solve, small enough to index."""


def check_horizon(horizon, errors: ErrorList, field: str = "horizon") -> bool:
    """The horizon must be an integer in ``1..MAX_HORIZON`` (bools are not integers)."""
    if (isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer))
            or not 1 <= horizon <= MAX_HORIZON):
        errors.add(f"{field}: is {shown(horizon)}, expected a positive integer <= {MAX_HORIZON}")
        return False
    return True


def check_discount(discount, errors: ErrorList) -> bool:
    """The discount must be a number with 0 < discount <= 1."""
    if isinstance(discount, bool) or not isinstance(discount, (int, float, np.floating, np.integer)):
        errors.add(f"discount: is {shown(discount)}, expected a number in (0, 1]")
        return False
    try:
        finite = math.isfinite(discount)
    except OverflowError:  # an int too large for a float
        finite = False
    if not finite or not 0 < discount <= 1:
        errors.add(f"discount: is {shown(discount)}, expected a number in (0, 1]")
        return False
    return True


MAX_VALUE_MAGNITUDE = 1e300
"""Largest total objective a problem may be able to reach: the solver adds and
compares values of that size, and float64 ends near 1.8e308."""


def total_bound(stage_maxima, terminal_max: float, horizon: int, discount: float) -> float:
    """Largest ``|sum_t beta^t c_t + beta^T c_T|`` possible, from the per-stage maxima of ``|c_t|``.

    ``stage_maxima`` has one entry (time-invariant) or one per stage; computed
    in Python floats, so that an overflow gives ``inf`` and no warning.
    """
    maxima = [float(m) for m in stage_maxima]
    beta = float(discount)
    if len(maxima) == 1:
        weight = float(horizon) if beta == 1.0 else (1.0 - beta**horizon) / (1.0 - beta)
        total = maxima[0] * weight
    else:
        total = sum(beta**t * maxima[t] for t in range(horizon))
    return total + beta**horizon * float(terminal_max)


def check_value_range(cost: np.ndarray, cost_axes: Axes, terminal: np.ndarray | None, terminal_axes: Axes,
                      horizon: int, discount: float, errors: ErrorList) -> None:
    """Refuse objectives so large that the total over the horizon could overflow float64.

    ``cost`` is ``[x1, x2, u1, u2]`` or ``[t, x1, x2, u1, u2]`` and
    ``terminal`` ``[x1, x2]`` or None, both finite; the message names the
    largest entry of whichever of the two is larger.
    """
    size = np.abs(cost)
    maxima = size.reshape(size.shape[0], -1).max(axis=1) if cost.ndim == 5 else [size.max()]
    terminal_size = np.abs(terminal) if terminal is not None else np.zeros((1, 1))
    bound = total_bound(maxima, float(terminal_size.max()), horizon, discount)
    if bound <= MAX_VALUE_MAGNITUDE:
        return
    values, axes, size = ((cost, cost_axes, size) if size.max() >= terminal_size.max()
                          else (terminal, terminal_axes, terminal_size))
    where = tuple(int(i) for i in np.unravel_index(int(np.argmax(size)), size.shape))
    errors.add(f"{axes.label(where)}: is {_fmt(float(values[where]))}; with values this large the "
               f"total over {horizon} stage(s) could reach {bound:.3g}, beyond the limit of "
               f"{MAX_VALUE_MAGNITUDE:.0e} (float64 ends near 1.8e308); scale the "
               f"{axes.field} down")
