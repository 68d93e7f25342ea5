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

from decmdp.common import Sense, number_text
from decmdp.tolerances import DEFAULT_TOLERANCES
from decmdp.validation import NEGATIVE, NOT_FINITE, ErrorList, distribution_faults

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


def _row_violations(table: str, rows: np.ndarray, row_label, columns: Sequence[str],
                    tol: float) -> list[Violation]:
    """One :class:`Violation` per fault of the probability rows ``rows[..., :]``, row by row."""
    found = []
    for kind, index, value in distribution_faults(rows, 1, tol, exact_sums=True):
        row = index[:rows.ndim - 1]
        label = row_label(row)
        if kind == NOT_FINITE:
            message = f"{label}: entry for {columns[index[-1]]} is {value}, expected a finite probability"
        elif kind == NEGATIVE:
            message = f"{label}: entry for {columns[index[-1]]} is {number_text(value)}, expected >= 0"
        else:
            message = (f"{label}: row sums to {number_text(value)}, expected 1 "
                       f"(tolerance {format_tolerance(tol)})")
        found.append(Violation(table, row, message))
    return found


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
    found = _row_violations("start", np.asarray(start), lambda row: "start", states, tolerance)
    for name, table, columns in (("T", transition, states), ("O", observation, observations)):
        found += _row_violations(name, np.asarray(table), lambda row, name=name:
                                 f"{name}: {actions[row[0]]} : {states[row[1]]}", columns, tolerance)
    return found


def _frozen(value, name: str, shape: tuple[int, ...], errors: ErrorList) -> np.ndarray:
    try:
        array = np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        errors.add(f"{name}: not an array of numbers ({exc})")
        return np.zeros(shape)
    if array.shape != shape:
        errors.add(f"{name}: shape {array.shape}, expected {shape}")
        return np.zeros(shape)
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def _names(value, what: str, errors: ErrorList) -> tuple[str, ...]:
    names = tuple(value) if not isinstance(value, str) else (value,)
    if not names:
        errors.add(f"{what}: need at least one")
    seen: set[str] = set()
    for n in names:
        if not isinstance(n, str) or not n:
            errors.add(f"{what}: {n!r} is not a non-empty string")
        elif n in seen:
            errors.add(f"{what}: {n!r} appears twice")
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
        errors = ErrorList()
        states = _names(self.states, "states", errors)
        actions = _names(self.actions, "actions", errors)
        observations = _names(self.observations, "observations", errors)
        errors.raise_if_any()
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
            errors.add(f"discount: {self.discount!r}, expected a number in [0, 1]")
        set_(self, "discount", discount)

        try:
            sense = Sense(self.sense)
        except ValueError:
            valid = ", ".join(repr(s.value) for s in Sense)
            errors.add(f"sense: {self.sense!r}, expected one of {valid}")
            sense = Sense.MAXIMIZE
        set_(self, "sense", sense)

        start = _frozen(self.start, "start", (n_s,), errors)
        transition = _frozen(self.transition, "transition", (n_a, n_s, n_s), errors)
        observation = _frozen(self.observation, "observation", (n_a, n_s, n_o), errors)
        reward = _frozen(self.reward, "reward", (n_a, n_s, n_s, n_o), errors)
        errors.raise_if_any()  # shapes wrong: row checks would only repeat them
        set_(self, "start", start)
        set_(self, "transition", transition)
        set_(self, "observation", observation)
        set_(self, "reward", reward)

        errors.add_each(np.argwhere(~np.isfinite(reward)), lambda i: (
            f"R: {actions[i[0]]} : {states[i[1]]} : {states[i[2]]} : {observations[i[3]]}: "
            f"{reward[tuple(i)]}, expected a finite number"))
        for v in probability_violations(
            states, actions, observations, start, transition, observation
        ):
            errors.add(v.message)
        errors.raise_if_any()

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
