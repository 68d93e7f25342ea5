"""The two-player problem: an immutable, validated, normalized record.

:class:`TwoPlayerMDP` is the one form every later layer reads.  It is built
only through :meth:`TwoPlayerMDP.from_arrays` (the Python API; also
:meth:`TwoPlayerMDP.from_functions`, which fills the arrays from functions of
names) or the file readers in :mod:`decmdp.fileio`, all of which validate
everything once (the contract is ``docs/format.md``).  After that the record
is trusted:

* costs are stored in **minimization form** (a reward problem keeps
  ``-reward``) and :attr:`TwoPlayerMDP.sense` remembers the file's sense;
* a factored transition (``transition1`` + ``transition2``) is kept factored,
  a joint one is kept joint; :meth:`TwoPlayerMDP.joint_transition` and
  :meth:`TwoPlayerMDP.player1_transition` give either view on demand;
* every array is float64, C-contiguous and read-only.

Axis order is always ``x1, x2, u1, u2`` for conditioning, next-state axes last.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from decmdp.common import Sense
from decmdp.errors import counted
from decmdp.inputfile import is_text, shown
from decmdp.validation import (
    Axes,
    ErrorList,
    check_discount,
    check_distributions,
    check_finite,
    check_horizon,
    check_names,
    check_one_sided_coupling,
    check_value_range,
)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=np.float64).copy()
    array.setflags(write=False)
    return array


@dataclasses.dataclass(frozen=True, eq=False)
class TwoPlayerMDP:
    """A validated two-player decentralized MDP with nested information.

    Do not call the constructor directly; use :meth:`from_arrays`,
    :meth:`from_functions` or :func:`decmdp.load`.

    Attributes
    ----------
    name, description : str
        Short name and free text from the problem file.
    player1_states, player1_actions, player2_states, player2_actions : tuple of str
        Names of ``X1``, ``U1``, ``X2``, ``U2``.
    horizon : int
        Number of decision stages ``T``.
    discount : float
        ``beta`` with ``0 < beta <= 1``.
    sense : Sense
        ``MINIMIZE`` when the file gives costs, ``MAXIMIZE`` for rewards.
    initial : ndarray, shape (n1, n2)
        ``p0(x1, x2)``.
    transition1 : ndarray, shape (n1, m1, n1), or None
        ``P1(x1' | x1, u1)`` of the factored form.
    transition2 : ndarray, shape (n1, n2, m1, m2, n2), or None
        ``P2(x2' | x1, x2, u1, u2)`` of the factored form.
    transition : ndarray, shape (n1, n2, m1, m2, n1, n2), or None
        ``K(x1', x2' | x1, x2, u1, u2)`` when the file gives the joint form.
    cost : ndarray, shape (n1, n2, m1, m2) or (stages, n1, n2, m1, m2)
        Stage cost in minimization form (``-reward`` for reward problems).
    terminal_cost : ndarray, shape (n1, n2)
        Terminal cost in minimization form (zeros when not given).
    has_terminal : bool
        Whether the source gave a terminal cost or reward (kept for writing
        the file back exactly as it was).
    """

    name: str
    description: str
    player1_states: tuple[str, ...]
    player1_actions: tuple[str, ...]
    player2_states: tuple[str, ...]
    player2_actions: tuple[str, ...]
    horizon: int
    discount: float
    sense: Sense
    initial: np.ndarray
    transition1: np.ndarray | None
    transition2: np.ndarray | None
    transition: np.ndarray | None
    cost: np.ndarray
    terminal_cost: np.ndarray
    has_terminal: bool

    # ----------------------------------------------------------------- sizes
    @property
    def n1(self) -> int:
        """``|X1|``."""
        return len(self.player1_states)

    @property
    def n2(self) -> int:
        """``|X2|``."""
        return len(self.player2_states)

    @property
    def m1(self) -> int:
        """``|U1|``."""
        return len(self.player1_actions)

    @property
    def m2(self) -> int:
        """``|U2|``."""
        return len(self.player2_actions)

    @property
    def is_factored(self) -> bool:
        """True when the transition is ``P1 * P2`` rather than joint."""
        return self.transition is None

    @property
    def is_time_varying(self) -> bool:
        """True when the cost has one slice per stage."""
        return self.cost.ndim == 5

    @property
    def prescriptions(self) -> int:
        """Number of prescriptions ``|U2| ** |X2|`` (an exact Python int)."""
        return self.m2 ** self.n2

    @property
    def nbytes(self) -> int:
        """Memory held by the model's arrays, in bytes."""
        arrays = (self.initial, self.transition1, self.transition2, self.transition,
                  self.cost, self.terminal_cost)
        return sum(a.nbytes for a in arrays if a is not None)

    # ----------------------------------------------------------------- views
    def stage_cost(self, t: int) -> np.ndarray:
        """Cost ``c_t[x1, x2, u1, u2]`` of stage ``t`` in minimization form."""
        return self.cost[t] if self.is_time_varying else self.cost

    def player1_transition(self) -> np.ndarray:
        """``P1[x1, u1, x1']``, the ``x1'`` marginal (independent of ``x2, u2``)."""
        if self.transition1 is not None:
            return self.transition1
        return self.transition[:, 0, :, 0, :, :].sum(axis=3)

    def player1_support(self) -> np.ndarray:
        """Boolean ``[x1, u1, x1']``: can ``x1'`` follow ``(x1, u1)``?

        For a joint transition this is the union over ``x2, u2``: one-sided
        coupling holds only within the probability tolerance, so a marginal
        that is 0 at one ``(x2, u2)`` may be 1e-10 at another, and that
        successor must still be planned for.
        """
        if self.transition1 is not None:
            return self.transition1 > 0
        return (self.transition.sum(axis=5) > 0).any(axis=(1, 3))

    def transition_block(self, x1: int, u1: int) -> np.ndarray:
        """``K[x1, :, u1, :, :, :]`` as ``[x2, u2, x1', x2']``, without building all of ``K``."""
        if self.transition is not None:
            return self.transition[x1, :, u1]
        return self.transition1[x1, u1][None, None, :, None] * self.transition2[x1, :, u1][:, :, None, :]

    def joint_transition(self) -> np.ndarray:
        """``K[x1, x2, u1, u2, x1', x2']`` (built from the factors when factored)."""
        if self.transition is not None:
            return self.transition
        # K = P1[x1, u1, x1'] * P2[x1, x2, u1, u2, x2']
        return np.einsum("xap,xyabq->xyabpq", self.transition1, self.transition2)

    def to_user_sense(self, internal_value):
        """Convert a minimization-form value to the file's sense."""
        return self.sense.sign * internal_value

    def with_horizon(self, horizon: int) -> "TwoPlayerMDP":
        """The same problem with another horizon (validated).

        Raises
        ------
        ProblemError
            If ``horizon`` is not a positive integer, or exceeds the number of
            stages of a time-varying cost.
        """
        errors = ErrorList()
        if check_horizon(horizon, errors):
            _check_cost_stages(self.cost, int(horizon), errors)
        errors.raise_if_any()
        states = [("x1", self.player1_states), ("x2", self.player2_states)]
        axes = states + [("u1", self.player1_actions), ("u2", self.player2_actions)]
        if self.is_time_varying:
            axes = [("t", [str(t) for t in range(self.cost.shape[0])])] + axes
        check_value_range(self.user_cost(), Axes(sense_field(self.sense, False), axes), self.user_terminal(),
                          Axes(sense_field(self.sense, True), states), int(horizon), self.discount, errors)
        errors.raise_if_any()
        return dataclasses.replace(self, horizon=int(horizon))

    # ----------------------------------------------------------------- build
    @classmethod
    def from_arrays(
        cls,
        initial,
        *,
        horizon: int,
        transition1=None,
        transition2=None,
        transition=None,
        cost=None,
        reward=None,
        terminal_cost=None,
        terminal_reward=None,
        discount: float = 1.0,
        player1_states: Sequence[str] | None = None,
        player1_actions: Sequence[str] | None = None,
        player2_states: Sequence[str] | None = None,
        player2_actions: Sequence[str] | None = None,
        name: str = "unnamed",
        description: str = "",
    ) -> "TwoPlayerMDP":
        """Build and validate a problem from arrays.

        Give either ``transition1`` and ``transition2`` (factored) or
        ``transition`` (joint), and exactly one of ``cost`` / ``reward`` with
        the matching ``terminal_cost`` / ``terminal_reward`` (optional).
        Names default to ``"0", "1", ...`` from the array shapes.

        Parameters
        ----------
        initial : array_like, shape (n1, n2)
            Initial joint distribution ``p0(x1, x2)``.
        horizon : int
            Number of decision stages.
        transition1 : array_like, shape (n1, m1, n1), optional
            ``P1(x1' | x1, u1)``.
        transition2 : array_like, shape (n1, n2, m1, m2, n2), optional
            ``P2(x2' | x1, x2, u1, u2)``.
        transition : array_like, shape (n1, n2, m1, m2, n1, n2), optional
            Joint ``K(x1', x2' | x1, x2, u1, u2)``; must satisfy one-sided
            coupling.
        cost, reward : array_like, shape (n1, n2, m1, m2) or (T, n1, n2, m1, m2)
            Stage cost (minimize) or reward (maximize), per stage if 5-d.
        terminal_cost, terminal_reward : array_like, shape (n1, n2), optional
            Terminal cost or reward; default 0.
        discount : float, default 1
            ``0 < discount <= 1``.
        player1_states, player1_actions, player2_states, player2_actions : sequence of str, optional
            Names, unique and non-empty.
        name, description : str
            Free text.

        Returns
        -------
        TwoPlayerMDP

        Raises
        ------
        ProblemError
            Listing every violation found, with field and indices by name.
        """
        errors = ErrorList()
        if initial is None:
            errors.add("initial: missing; expected the [x1][x2] initial distribution")
        sense, stage, terminal, terminal_field = _pick_sense(cost, reward, terminal_cost,
                                                             terminal_reward, errors)
        errors.raise_if_any()
        arrays = {}
        for field, value in (("initial", initial), ("transition1", transition1),
                             ("transition2", transition2), ("transition", transition),
                             (sense_field(sense, False), stage), (terminal_field, terminal)):
            if value is None:
                continue
            try:
                arrays[field] = np.array(value, dtype=np.float64)
            except (TypeError, ValueError, OverflowError) as exc:
                errors.add(f"{field}: not a rectangular array of numbers ({exc})")
        errors.raise_if_any()

        factored = transition is None
        if factored and (transition1 is None or transition2 is None):
            missing = " and ".join(f for f, v in (("transition1", transition1), ("transition2", transition2))
                                   if v is None)
            errors.add(f"{missing}: missing; give transition1 and transition2, or a joint transition")
        if not factored and (transition1 is not None or transition2 is not None):
            errors.add("transition: give either transition1 and transition2, or a joint transition, not both")
        errors.raise_if_any()

        cost_field = sense_field(sense, False)
        sizes = _infer_sizes(arrays, factored, cost_field, errors)
        errors.raise_if_any()
        names = {}
        for field, given, size in (("player1.states", player1_states, sizes["n1"]),
                                   ("player1.actions", player1_actions, sizes["m1"]),
                                   ("player2.states", player2_states, sizes["n2"]),
                                   ("player2.actions", player2_actions, sizes["m2"])):
            if given is None:
                names[field] = tuple(str(i) for i in range(size))
            elif isinstance(given, (list, tuple)):
                names[field] = tuple(given)
            else:
                errors.add(f"{field}: is {shown(given)}, expected a list of {size} names")
                continue
            check_names(field, list(names[field]), errors)
        ok_h = check_horizon(horizon, errors)
        check_discount(discount, errors)
        for field, value in (("name", name), ("description", description)):
            if not isinstance(value, str):
                errors.add(f"{field}: is {shown(value)}, expected a string")
            elif not is_text(value):
                errors.add(f"{field}: {shown(value)} holds a lone surrogate, which is not text")
        errors.raise_if_any()

        X1, X2 = names["player1.states"], names["player2.states"]
        U1, U2 = names["player1.actions"], names["player2.actions"]
        layouts = {
            "initial": [("x1", X1), ("x2", X2)],
            "transition1": [("x1", X1), ("u1", U1), ("x1'", X1)],
            "transition2": [("x1", X1), ("x2", X2), ("u1", U1), ("u2", U2), ("x2'", X2)],
            "transition": [("x1", X1), ("x2", X2), ("u1", U1), ("u2", U2), ("x1'", X1), ("x2'", X2)],
            cost_field: [("x1", X1), ("x2", X2), ("u1", U1), ("u2", U2)],
            terminal_field: [("x1", X1), ("x2", X2)],
        }
        if cost_field in arrays and arrays[cost_field].ndim == 5:
            stages = [str(t) for t in range(arrays[cost_field].shape[0])]
            layouts[cost_field] = [("t", stages)] + layouts[cost_field]
        for field, array in arrays.items():
            axes = Axes(field, layouts[field])
            if array.shape != axes.shape:
                expected = "".join(f"[{lab}]" for lab, _ in axes.axes)
                errors.add(f"{field}: has shape {array.shape}, expected {axes.shape} = {expected}")
        errors.raise_if_any()

        check_distributions(arrays["initial"], Axes("initial", layouts["initial"]), 2, errors)
        if factored:
            check_distributions(arrays["transition1"], Axes("transition1", layouts["transition1"]), 1, errors)
            check_distributions(arrays["transition2"], Axes("transition2", layouts["transition2"]), 1, errors)
        else:
            axes = Axes("transition", layouts["transition"])
            before = len(errors.messages) + errors.omitted
            check_distributions(arrays["transition"], axes, 2, errors)
            if len(errors.messages) + errors.omitted == before:
                check_one_sided_coupling(arrays["transition"], axes, errors)
        check_finite(arrays[cost_field], Axes(cost_field, layouts[cost_field]), errors)
        if terminal_field in arrays:
            check_finite(arrays[terminal_field], Axes(terminal_field, layouts[terminal_field]), errors)
        if ok_h:
            _check_cost_stages(arrays[cost_field], int(horizon), errors)
        errors.raise_if_any()
        check_value_range(arrays[cost_field], Axes(cost_field, layouts[cost_field]), arrays.get(terminal_field),
                          Axes(terminal_field, layouts[terminal_field]), int(horizon), float(discount), errors)
        errors.raise_if_any()

        sign = sense.sign
        stage_cost = arrays[cost_field] * sign
        has_terminal = terminal_field in arrays
        terminal_min = arrays[terminal_field] * sign if has_terminal else np.zeros((len(X1), len(X2)))
        return cls(
            name=name,
            description=description,
            player1_states=X1,
            player1_actions=U1,
            player2_states=X2,
            player2_actions=U2,
            horizon=int(horizon),
            discount=float(discount),
            sense=sense,
            initial=_frozen(arrays["initial"]),
            transition1=_frozen(arrays["transition1"]) if factored else None,
            transition2=_frozen(arrays["transition2"]) if factored else None,
            transition=None if factored else _frozen(arrays["transition"]),
            cost=_frozen(stage_cost),
            terminal_cost=_frozen(terminal_min),
            has_terminal=has_terminal,
        )

    @classmethod
    def from_functions(cls, **kwargs) -> "TwoPlayerMDP":
        """Build and validate a problem from functions or dictionaries of names.

        ``TwoPlayerMDP.from_functions(player1=..., player2=..., initial=...,
        p1=lambda x1, u1: {...}, p2=lambda x1, x2, u1, u2: {...},
        cost=lambda x1, x2, u1, u2: ..., horizon=...)``; see
        :func:`decmdp.builder.from_functions` for every argument.

        Raises
        ------
        ProblemError
            Listing every violation with the argument and the names, e.g.
            ``p1(x1=a, u1=go): sums to 0.9, expected 1``.
        """
        from decmdp.builder import from_functions

        return from_functions(**kwargs)

    def user_cost(self) -> np.ndarray:
        """Stage cost or reward in the file's sense (the array as given)."""
        return self.sense.sign * self.cost

    def user_terminal(self) -> np.ndarray:
        """Terminal cost or reward in the file's sense."""
        return self.sense.sign * self.terminal_cost


def sense_field(sense: Sense, terminal: bool) -> str:
    """Field name of the stage or terminal objective for a sense."""
    base = "cost" if sense is Sense.MINIMIZE else "reward"
    return f"terminal_{base}" if terminal else base


def _pick_sense(cost, reward, terminal_cost, terminal_reward, errors: ErrorList):
    if (cost is None) == (reward is None):
        errors.add("cost/reward: give exactly one of cost and reward")
        return Sense.MINIMIZE, None, None, "terminal_cost"
    if cost is not None:
        if terminal_reward is not None:
            errors.add("terminal_reward: a cost problem takes terminal_cost, not terminal_reward")
        return Sense.MINIMIZE, cost, terminal_cost, "terminal_cost"
    if terminal_cost is not None:
        errors.add("terminal_cost: a reward problem takes terminal_reward, not terminal_cost")
    return Sense.MAXIMIZE, reward, terminal_reward, "terminal_reward"


def _infer_sizes(arrays, factored: bool, cost_field: str, errors: ErrorList) -> dict[str, int]:
    """Read n1, n2 from ``initial`` and m1, m2 from the transition."""
    sizes = {"n1": 0, "n2": 0, "m1": 0, "m2": 0}
    init = arrays["initial"]
    if init.ndim != 2 or 0 in init.shape:
        errors.add(f"initial: has shape {init.shape}, expected a non-empty [x1][x2] matrix")
        return sizes
    sizes["n1"], sizes["n2"] = init.shape
    source = arrays["transition2"] if factored else arrays["transition"]
    field = "transition2" if factored else "transition"
    if source.ndim < 4 or 0 in source.shape:
        errors.add(f"{field}: has shape {source.shape}, expected "
                   + ("[x1][x2][u1][u2][x2']" if factored else "[x1][x2][u1][u2][x1'][x2']"))
        return sizes
    sizes["m1"], sizes["m2"] = source.shape[2], source.shape[3]
    if arrays[cost_field].ndim not in (4, 5):
        errors.add(f"{cost_field}: has shape {arrays[cost_field].shape}, expected [x1][x2][u1][u2] "
                   "or [t][x1][x2][u1][u2]")
    return sizes


def _check_cost_stages(cost: np.ndarray, horizon: int, errors: ErrorList) -> None:
    if cost.ndim == 5 and cost.shape[0] < horizon:
        errors.add(f"horizon: is {horizon}, but the time-varying cost gives only "
                   f"{counted(cost.shape[0], 'stage')}; expected horizon <= {cost.shape[0]}")
