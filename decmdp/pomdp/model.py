"""A validated flat POMDP, as read from or written to a ``.POMDP`` file.

The record follows Cassandra's pomdp-solve conventions exactly, with
``S`` states, ``A`` actions and ``O`` observations:

* ``transition[a, s, s2] = T(s2 | s, a)``: each row ``transition[a, s, :]``
  is a probability distribution;
* ``observation[a, s2, o] = O(o | s2, a)``: the observation is drawn from the
  state reached (``s2``), after action ``a``;
* ``reward[a, s, s2, o] = R(a, s, s2, o)`` in the file's own sense: rewards
  to maximize when ``sense`` is ``"maximize"`` (``values: reward``), costs to
  minimize when it is ``"minimize"`` (``values: cost``).  Nothing is negated.

The expected immediate reward of taking ``a`` in ``s`` is ::

    r(a, s) = sum_{s2, o} T(s2 | s, a) * O(o | s2, a) * R(a, s, s2, o)

(:meth:`Pomdp.expected_reward`), and the finite-horizon value of a belief
``b`` is ``V_0 = 0``, ::

    V_h(b) = opt_a [ b . r(a, .)
                     + discount * sum_o P(o | b, a) * V_{h-1}(b_{a,o}) ]

with ``opt`` = max for rewards and min for costs.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from decmdp.common import Sense
from decmdp.errors import ProblemError
from decmdp.tolerances import DEFAULT_TOLERANCES
from decmdp.validation import MAX_LISTED_ERRORS

PROBABILITY_SUM_TOLERANCE = DEFAULT_TOLERANCES.pomdp_probability
"""A ``.POMDP`` probability row must sum to 1 within this (absolute): 1e-5.

pomdp-solve accepts the same slack, so files written with 5-6 significant
digits (``0.333333 0.333333 0.333334``) load.  Rows are kept as given, not
renormalized.  Deliberately looser than
:attr:`decmdp.tolerances.Tolerances.probability`, which is for our own format.
"""


class Violation(NamedTuple):
    """One invalid probability row, found by :func:`probability_violations`.

    Attributes
    ----------
    table : str
        ``"start"``, ``"T"`` or ``"O"``.
    index : tuple of int
        The row: ``()`` for start, ``(a, s)`` for T, ``(a, s2)`` for O.
    message : str
        For a person, naming the row by names, e.g.
        ``"T: listen : tiger-left: row sums to 0.98, expected 1 (tolerance 1e-5)"``.
    """

    table: str
    index: tuple[int, ...]
    message: str


def format_tolerance(tol: float) -> str:
    """``1e-05`` -> ``"1e-5"``: a tolerance written the way people write it."""
    text = f"{tol:g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def _fmt(x: float) -> str:
    return f"{x:.10g}"


def _row_violations(row: np.ndarray, label: str, columns: Sequence[str], tol: float):
    """Messages for one probability row (empty when it is fine)."""
    out = []
    finite = np.isfinite(row)
    for j in np.flatnonzero(~finite):
        out.append(f"{label}: entry for {columns[j]} is {row[j]}, expected a finite probability")
    for j in np.flatnonzero(finite & (row < 0)):
        out.append(f"{label}: entry for {columns[j]} is {_fmt(row[j])}, expected >= 0")
    if finite.all():
        total = math.fsum(row.tolist())
        if not abs(total - 1.0) <= tol:
            out.append(
                f"{label}: row sums to {_fmt(total)}, expected 1 "
                f"(tolerance {format_tolerance(tol)})"
            )
    return out


def probability_violations(
    states: Sequence[str],
    actions: Sequence[str],
    observations: Sequence[str],
    start: np.ndarray,
    transition: np.ndarray,
    observation: np.ndarray,
    tolerance: float = PROBABILITY_SUM_TOLERANCE,
) -> list[Violation]:
    """Every start, transition and observation row that is not a distribution.

    A row is a distribution when all its entries are finite and ``>= 0`` and
    it sums to 1 within ``tolerance``.  Rows are named the way a ``.POMDP``
    file addresses them (``T: action : state``, ``O: action : next-state``).

    Parameters
    ----------
    states, actions, observations : sequence of str
        Names, for the messages.
    start : ndarray, shape (S,)
    transition : ndarray, shape (A, S, S)
    observation : ndarray, shape (A, S, O)
    tolerance : float, optional
        Allowed ``|sum - 1|``; see :data:`PROBABILITY_SUM_TOLERANCE`.

    Returns
    -------
    list of Violation
        In the order start, T (by action, then state), O; at most one entry
        per bad row and kind of problem.
    """
    found: list[Violation] = []
    for msg in _row_violations(np.asarray(start), "start", states, tolerance):
        found.append(Violation("start", (), msg))
    for name, table, columns in (
        ("T", transition, states),
        ("O", observation, observations),
    ):
        table = np.asarray(table)
        # Vectorised screen first; only bad rows are examined one by one.
        with np.errstate(invalid="ignore", over="ignore"):
            ok = (
                np.isfinite(table).all(axis=2)
                & (table >= 0).all(axis=2)
                & (np.abs(table.sum(axis=2) - 1.0) <= tolerance)
            )
        for a, s in zip(*np.nonzero(~ok)):
            label = f"{name}: {actions[a]} : {states[s]}"
            for msg in _row_violations(table[a, s], label, columns, tolerance):
                found.append(Violation(name, (int(a), int(s)), msg))
    return found


def _frozen(value, name: str, shape: tuple[int, ...], errors: list[str]) -> np.ndarray:
    try:
        array = np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        errors.append(f"{name}: not an array of numbers ({exc})")
        return np.zeros(shape)
    if array.shape != shape:
        errors.append(f"{name}: shape {array.shape}, expected {shape}")
        return np.zeros(shape)
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def _names(value, what: str, errors: list[str]) -> tuple[str, ...]:
    names = tuple(value) if not isinstance(value, str) else (value,)
    if not names:
        errors.append(f"{what}: need at least one")
    seen: set[str] = set()
    for n in names:
        if not isinstance(n, str) or not n:
            errors.append(f"{what}: {n!r} is not a non-empty string")
        elif n in seen:
            errors.append(f"{what}: {n!r} appears twice")
        seen.add(n)
    return names


@dataclasses.dataclass(frozen=True, eq=False)
class Pomdp:
    """A flat POMDP in pomdp-solve's conventions, validated on construction.

    Every instance is valid: the constructor copies the arrays to read-only
    float64 arrays, checks shapes, names, the discount and that every
    probability row is a distribution (within
    :data:`PROBABILITY_SUM_TOLERANCE`), and raises one
    :class:`~decmdp.errors.ProblemError` listing all violations.

    Parameters
    ----------
    states, actions, observations : sequence of str
        Names, unique and non-empty.  A file that gives only counts gets
        ``"0", "1", ...``.
    discount : float
        In ``[0, 1]``.
    sense : {"maximize", "minimize"} or decmdp.common.Sense
        ``"maximize"`` when ``reward`` holds rewards (``values: reward``),
        ``"minimize"`` when it holds costs (``values: cost``).
    start : array_like, shape (S,)
        Initial belief.
    transition : array_like, shape (A, S, S)
        ``transition[a, s, s2] = T(s2 | s, a)``.
    observation : array_like, shape (A, S, O)
        ``observation[a, s2, o] = O(o | s2, a)``, conditioned on the state
        reached.
    reward : array_like, shape (A, S, S, O)
        ``reward[a, s, s2, o] = R(a, s, s2, o)``, in the sense of ``sense``
        (never negated).
    name : str, optional
        A label (e.g. the file name without ``.POMDP``).  Ignored by ``==``.

    Attributes
    ----------
    sense : decmdp.common.Sense
        A ``str`` enum: ``pomdp.sense == "maximize"`` works.

    Raises
    ------
    decmdp.errors.ProblemError
        With one message per violation, e.g.
        ``"T: listen : tiger-left: row sums to 0.98, expected 1 (tolerance 1e-5)"``.

    Notes
    -----
    Two models are equal when names, discount, sense and every array are
    equal (``np.array_equal``); ``name`` does not take part.
    """

    states: tuple[str, ...]
    actions: tuple[str, ...]
    observations: tuple[str, ...]
    discount: float
    sense: Sense
    start: np.ndarray
    transition: np.ndarray
    observation: np.ndarray
    reward: np.ndarray
    name: str = dataclasses.field(default="", compare=False)

    def __post_init__(self):
        errors: list[str] = []
        states = _names(self.states, "states", errors)
        actions = _names(self.actions, "actions", errors)
        observations = _names(self.observations, "observations", errors)
        if errors:
            raise ProblemError(errors)
        n_s, n_a, n_o = len(states), len(actions), len(observations)
        set_ = object.__setattr__
        set_(self, "states", states)
        set_(self, "actions", actions)
        set_(self, "observations", observations)
        set_(self, "name", str(self.name))

        try:
            discount = float(self.discount)
        except (TypeError, ValueError):
            discount = math.nan
        if not 0.0 <= discount <= 1.0:
            errors.append(f"discount: {self.discount!r}, expected a number in [0, 1]")
        set_(self, "discount", discount)

        try:
            sense = Sense(self.sense)
        except ValueError:
            valid = ", ".join(repr(s.value) for s in Sense)
            errors.append(f"sense: {self.sense!r}, expected one of {valid}")
            sense = Sense.MAXIMIZE
        set_(self, "sense", sense)

        start = _frozen(self.start, "start", (n_s,), errors)
        transition = _frozen(self.transition, "transition", (n_a, n_s, n_s), errors)
        observation = _frozen(self.observation, "observation", (n_a, n_s, n_o), errors)
        reward = _frozen(self.reward, "reward", (n_a, n_s, n_s, n_o), errors)
        if errors:  # shapes wrong: row checks would only repeat them
            raise ProblemError(errors)
        set_(self, "start", start)
        set_(self, "transition", transition)
        set_(self, "observation", observation)
        set_(self, "reward", reward)

        bad = np.argwhere(~np.isfinite(reward))
        for a, s, s2, o in bad[:MAX_LISTED_ERRORS]:
            errors.append(
                f"R: {actions[a]} : {states[s]} : {states[s2]} : {observations[o]}: "
                f"{reward[a, s, s2, o]}, expected a finite number"
            )
        omitted = max(0, len(bad) - MAX_LISTED_ERRORS)
        for v in probability_violations(
            states, actions, observations, start, transition, observation
        ):
            if len(errors) < MAX_LISTED_ERRORS:
                errors.append(v.message)
            else:
                omitted += 1
        if errors:
            raise ProblemError(errors, omitted)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(S, A, O)``: numbers of states, actions and observations."""
        return len(self.states), len(self.actions), len(self.observations)

    def expected_reward(self) -> np.ndarray:
        """Expected immediate reward (or cost) of each action in each state.

        Returns
        -------
        ndarray, shape (A, S)
            ``r[a, s] = sum_{s2, o} T(s2|s,a) O(o|s2,a) R(a,s,s2,o)``, in the
            sense of :attr:`sense` (not negated); a fresh writable array.
            This is the per-stage term of finite-horizon value iteration.
        """
        return np.einsum(
            "ast,ato,asto->as", self.transition, self.observation, self.reward
        )

    def __eq__(self, other):
        if not isinstance(other, Pomdp):
            return NotImplemented
        return (
            self.states == other.states
            and self.actions == other.actions
            and self.observations == other.observations
            and self.discount == other.discount
            and self.sense == other.sense
            and all(
                np.array_equal(getattr(self, f), getattr(other, f))
                for f in ("start", "transition", "observation", "reward")
            )
        )

    def __hash__(self):
        return hash((self.states, self.actions, self.observations, self.discount, self.sense))

    def __repr__(self):
        s, a, o = self.shape
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"Pomdp({label}{s} states, {a} actions, {o} observations, "
            f"discount={self.discount!r}, sense={self.sense.value!r})"
        )
