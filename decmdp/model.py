"""The two-player problem: an immutable, validated, normalized record.

:class:`TwoPlayerMDP` is the one form every later layer reads.  It is built
only through :meth:`TwoPlayerMDP.from_arrays` (the Python API) or
:meth:`TwoPlayerMDP._from_named_arrays` (for readers that fill the arrays by
names they have checked: the file readers in :mod:`decmdp.fileio` and
:meth:`TwoPlayerMDP.from_functions`); either validates everything once, with
the checks of :mod:`decmdp.validation` (the contract is ``docs/format.md``).
After that the record is trusted:

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
        names = (self.player1_states, self.player1_actions, self.player2_states, self.player2_actions)
        axes = _field_axes(names, self.sense, self.cost)
        check_value_range(self.user_cost(), axes[sense_field(self.sense, False)], self.user_terminal(),
                          axes[sense_field(self.sense, True)], int(horizon), self.discount, errors)
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
        cost_field = sense_field(sense, False)
        arrays = _float_arrays({"initial": initial, "transition1": transition1, "transition2": transition2,
                                "transition": transition, cost_field: stage, terminal_field: terminal}, errors)
        errors.raise_if_any()
        _check_transition_form(arrays, errors)
        errors.raise_if_any()
        sizes = _infer_sizes(arrays, cost_field, errors)
        errors.raise_if_any()
        names = _names_or_defaults((player1_states, player1_actions, player2_states, player2_actions),
                                   sizes, errors)
        _check_scalars(horizon, discount, name, description, errors)
        errors.raise_if_any()
        _check_shapes(arrays, _field_axes(names, sense, arrays[cost_field]), errors)
        errors.raise_if_any()
        return cls._validated(arrays, names, sense, horizon, discount, name, description)

    @classmethod
    def _from_named_arrays(
        cls,
        arrays,
        *,
        horizon: int,
        discount,
        player1_states: Sequence[str],
        player1_actions: Sequence[str],
        player2_states: Sequence[str],
        player2_actions: Sequence[str],
        name,
        description,
    ) -> "TwoPlayerMDP":
        """Validate arrays that a reader filled from names it has checked
        (internal: it trusts the names and shapes, so it is not public API).

        The file reader and :func:`decmdp.builder.from_functions` check the
        names first (they need them to read anything) and give every array
        the layout of :func:`field_layouts`; this validates everything else,
        exactly as :meth:`from_arrays` does, without checking the names and
        shapes again.

        Parameters
        ----------
        arrays : mapping of str to ndarray
            Float arrays by field name (``initial``, ``transition1``,
            ``transition2`` or ``transition``, ``cost`` or ``reward``,
            optionally ``terminal_cost`` or ``terminal_reward``), shaped as
            :func:`field_layouts` says (a per-stage cost with a leading
            ``t`` axis).
        horizon, discount, name, description
            As given; validated here.
        player1_states, player1_actions, player2_states, player2_actions : sequence of str
            Names already checked with :func:`decmdp.validation.check_names`.

        Raises
        ------
        ProblemError
            As :meth:`from_arrays`.
        """
        errors = ErrorList()
        sense, *_ = _pick_sense(arrays.get("cost"), arrays.get("reward"), arrays.get("terminal_cost"),
                                arrays.get("terminal_reward"), errors)
        errors.raise_if_any()
        _check_transition_form(arrays, errors)
        errors.raise_if_any()
        _check_scalars(horizon, discount, name, description, errors)
        errors.raise_if_any()
        names = tuple(tuple(given) for given in (player1_states, player1_actions,
                                                 player2_states, player2_actions))
        return cls._validated(arrays, names, sense, horizon, discount, name, description)

    @classmethod
    def _validated(cls, arrays, names, sense: Sense, horizon, discount, name: str,
                   description: str) -> "TwoPlayerMDP":
        """Check the contents of arrays whose layout holds, and build the record."""
        errors = ErrorList()
        cost_field, terminal_field = sense_field(sense, False), sense_field(sense, True)
        axes = _field_axes(names, sense, arrays[cost_field])
        _check_probabilities(arrays, axes, errors)
        check_finite(arrays[cost_field], axes[cost_field], errors)
        if terminal_field in arrays:
            check_finite(arrays[terminal_field], axes[terminal_field], errors)
        _check_cost_stages(arrays[cost_field], int(horizon), errors)
        errors.raise_if_any()
        check_value_range(arrays[cost_field], axes[cost_field], arrays.get(terminal_field),
                          axes[terminal_field], int(horizon), float(discount), errors)
        errors.raise_if_any()

        X1, U1, X2, U2 = names
        factored = "transition" not in arrays
        has_terminal = terminal_field in arrays
        terminal_min = arrays[terminal_field] * sense.sign if has_terminal else np.zeros((len(X1), len(X2)))
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
            cost=_frozen(arrays[cost_field] * sense.sign),
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
    return f"terminal_{sense.objective}" if terminal else sense.objective


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


def field_layouts(player1_states, player1_actions, player2_states, player2_actions,
                  sense: Sense) -> dict[str, list]:
    """The axes of every field of a problem, as ``[(label, names), ...]``.

    Keyed in the order a problem file lists the fields: ``initial``, the
    transitions, the stage objective of ``sense``, its terminal objective,
    then the other sense's terminal objective (a mistake that is reported).
    A per-stage objective adds a leading ``t`` axis (:func:`with_stages`).
    """
    X1, U1, X2, U2 = player1_states, player1_actions, player2_states, player2_actions
    other = Sense.MAXIMIZE if sense is Sense.MINIMIZE else Sense.MINIMIZE
    return {
        "initial": [("x1", X1), ("x2", X2)],
        "transition1": [("x1", X1), ("u1", U1), ("x1'", X1)],
        "transition2": [("x1", X1), ("x2", X2), ("u1", U1), ("u2", U2), ("x2'", X2)],
        "transition": [("x1", X1), ("x2", X2), ("u1", U1), ("u2", U2), ("x1'", X1), ("x2'", X2)],
        sense_field(sense, False): [("x1", X1), ("x2", X2), ("u1", U1), ("u2", U2)],
        sense_field(sense, True): [("x1", X1), ("x2", X2)],
        sense_field(other, True): [("x1", X1), ("x2", X2)],
    }


def with_stages(layout: list, n_stages: int) -> list:
    """``layout`` with a leading stage axis ``t`` of ``n_stages`` entries."""
    return [("t", tuple(str(t) for t in range(n_stages)))] + list(layout)


def _field_axes(names, sense: Sense, cost: np.ndarray) -> dict[str, Axes]:
    """:class:`Axes` of every field, the stage objective's with its stages when ``cost`` has them."""
    layouts = field_layouts(*names, sense)
    cost_field = sense_field(sense, False)
    if cost.ndim == 5:
        layouts[cost_field] = with_stages(layouts[cost_field], cost.shape[0])
    return {field: Axes(field, layout) for field, layout in layouts.items()}


def _float_arrays(given: dict, errors: ErrorList) -> dict[str, np.ndarray]:
    """The fields that were given, as float64 arrays."""
    arrays = {}
    for field, value in given.items():
        if value is None:
            continue
        try:
            arrays[field] = np.array(value, dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            errors.add(f"{field}: not a rectangular array of numbers ({exc})")
    return arrays


def _check_transition_form(arrays, errors: ErrorList) -> None:
    """Either ``transition1`` and ``transition2`` (factored) or a joint ``transition``."""
    if "transition" not in arrays:
        missing = " and ".join(f for f in ("transition1", "transition2") if f not in arrays)
        if missing:
            errors.add(f"{missing}: missing; give transition1 and transition2, or a joint transition")
    elif "transition1" in arrays or "transition2" in arrays:
        errors.add("transition: give either transition1 and transition2, or a joint transition, not both")


def _names_or_defaults(given, sizes, errors: ErrorList) -> tuple[tuple[str, ...], ...]:
    """The four name lists (``"0", "1", ...`` where none was given), checked."""
    names = []
    for field, names_given, size in zip(("player1.states", "player1.actions", "player2.states",
                                         "player2.actions"), given, sizes):
        if names_given is None:
            names.append(tuple(str(i) for i in range(size)))
        elif isinstance(names_given, (list, tuple)):
            names.append(tuple(names_given))
        else:
            errors.add(f"{field}: is {shown(names_given)}, expected a list of {size} names")
            names.append(())
            continue
        check_names(field, list(names[-1]), errors)
    return tuple(names)


def _check_scalars(horizon, discount, name, description, errors: ErrorList) -> None:
    """The horizon, the discount, and name and description as text."""
    check_horizon(horizon, errors)
    check_discount(discount, errors)
    for field, value in (("name", name), ("description", description)):
        if not isinstance(value, str):
            errors.add(f"{field}: is {shown(value)}, expected a string")
        elif not is_text(value):
            errors.add(f"{field}: {shown(value)} holds a lone surrogate, which is not text")


def _check_shapes(arrays, axes: dict[str, Axes], errors: ErrorList) -> None:
    """Every array has the shape its names give."""
    for field, array in arrays.items():
        if array.shape != axes[field].shape:
            expected = "".join(f"[{lab}]" for lab, _ in axes[field].axes)
            errors.add(f"{field}: has shape {array.shape}, expected {axes[field].shape} = {expected}")


def _check_probabilities(arrays, axes, errors: ErrorList) -> None:
    """Initial and transition distributions; a joint transition's coupling once they are valid."""
    check_distributions(arrays["initial"], axes["initial"], 2, errors)
    if "transition" not in arrays:
        check_distributions(arrays["transition1"], axes["transition1"], 1, errors)
        check_distributions(arrays["transition2"], axes["transition2"], 1, errors)
        return
    before = errors.total
    check_distributions(arrays["transition"], axes["transition"], 2, errors)
    if errors.total == before:
        check_one_sided_coupling(arrays["transition"], axes["transition"], errors)


def _infer_sizes(arrays, cost_field: str, errors: ErrorList) -> tuple[int, int, int, int]:
    """Read n1, n2 from ``initial`` and m1, m2 from the transition: ``(n1, m1, n2, m2)``."""
    init = arrays["initial"]
    if init.ndim != 2 or 0 in init.shape:
        errors.add(f"initial: has shape {init.shape}, expected a non-empty [x1][x2] matrix")
        return (0, 0, 0, 0)
    factored = "transition" not in arrays
    source = arrays["transition2"] if factored else arrays["transition"]
    field = "transition2" if factored else "transition"
    if source.ndim < 4 or 0 in source.shape:
        errors.add(f"{field}: has shape {source.shape}, expected "
                   + ("[x1][x2][u1][u2][x2']" if factored else "[x1][x2][u1][u2][x1'][x2']"))
        return (0, 0, 0, 0)
    if arrays[cost_field].ndim not in (4, 5):
        errors.add(f"{cost_field}: has shape {arrays[cost_field].shape}, expected [x1][x2][u1][u2] "
                   "or [t][x1][x2][u1][u2]")
    return (init.shape[0], source.shape[2], init.shape[1], source.shape[3])


def _check_cost_stages(cost: np.ndarray, horizon: int, errors: ErrorList) -> None:
    if cost.ndim == 5 and cost.shape[0] < horizon:
        errors.add(f"horizon: is {horizon}, but the time-varying cost gives only "
                   f"{counted(cost.shape[0], 'stage')}; expected horizon <= {cost.shape[0]}")
