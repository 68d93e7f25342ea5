"""Build a problem from Python functions or dictionaries instead of nested lists.

:func:`from_functions` (also :meth:`TwoPlayerMDP.from_functions`) checks the
names, asks each function only about named states and actions and fills the
arrays that :meth:`TwoPlayerMDP._from_named_arrays` validates, so every error
names the field and the indices exactly as for a file::

    p2(x1=a, x2=hi, u1=go, u2=act): sums to 0.97, expected 1

Every argument that describes a table may be a function of the names or a
dictionary keyed by tuples of names:

============== ======================== =====================================
argument       called as                returns
============== ======================== =====================================
``initial``    ``initial(x1, x2)``      probability
``p1``         ``p1(x1, u1)``           ``{x1': probability}``
``p2``         ``p2(x1, x2, u1, u2)``   ``{x2': probability}``
``transition`` ``transition(x1, x2,     ``{(x1', x2'): probability}`` (joint
               u1, u2)``                form, instead of ``p1`` and ``p2``)
``cost``       ``cost(x1, x2, u1, u2)`` number; ``cost(t, x1, x2, u1, u2)``
               or with ``t`` first      for a time-varying cost
``terminal_*`` ``terminal(x1, x2)``     number
============== ======================== =====================================

A key missing from a dictionary is probability 0 (or cost 0), as in the
sparse file form; a successor missing from a returned distribution has
probability 0.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Mapping

import numpy as np

from decmdp.errors import ProblemError
from decmdp.validation import ErrorList, check_horizon, check_names

# the model's field names (in its messages) -> the builder's argument names
_ARGUMENT = {"transition1": "p1", "transition2": "p2"}


def _players(player, field: str, errors: ErrorList):
    """``(states, actions)`` from a ``{"states": [...], "actions": [...]}`` or a pair."""
    if isinstance(player, Mapping):
        unknown = set(player) - {"states", "actions"}
        if unknown:
            errors.add(f"{field}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                       "expected states, actions")
        states, actions = player.get("states"), player.get("actions")
    elif isinstance(player, (tuple, list)) and len(player) == 2:
        states, actions = player
    else:
        errors.add(f"{field}: is {player!r}, expected {{'states': [...], 'actions': [...]}}")
        return None
    for key, names in (("states", states), ("actions", actions)):
        if not isinstance(names, (list, tuple)) or not names or not all(isinstance(n, str) for n in names):
            errors.add(f"{field}.{key}: is {names!r}, expected a non-empty list of names")
            return None
    if not all([check_names(f"{field}.{key}", names, errors)  # a list: report both
                for key, names in (("states", states), ("actions", actions))]):
        return None
    return tuple(states), tuple(actions)


_FAILED = object()
"""What a user's function that raised returned (the error is already recorded)."""


class _Table:
    """Reads one argument (function or dictionary) at named keys, recording errors."""

    def __init__(self, field: str, source, labels: tuple[str, ...], names: dict, errors: ErrorList):
        self.field, self.source, self.labels, self.errors = field, source, labels, errors
        if isinstance(source, Mapping):  # a key that matches nothing must not be silently ignored
            for key in source:
                if not (isinstance(key, tuple) and len(key) == len(labels)
                        and all(k in names[lab] for k, lab in zip(key, labels))):
                    self.errors.add(f"{field}: key {key!r} is not ({', '.join(labels)}) of known names")

    def where(self, key) -> str:
        return f"{self.field}({', '.join(f'{lab}={k}' for lab, k in zip(self.labels, key))})"

    def __call__(self, *key):
        """The value at ``key``: None for a key missing from a dictionary, _FAILED if the call raised."""
        if isinstance(self.source, Mapping):
            return self.source.get(key, None)
        try:
            return self.source(*key)
        except Exception as exc:  # the user's function failed: say where, keep going
            self.errors.add(f"{self.where(key)}: raised {type(exc).__name__}: {exc}")
            return _FAILED

    def number(self, key) -> float:
        value = self(*key)
        if value is _FAILED or (value is None and isinstance(self.source, Mapping)):
            return 0.0
        try:
            return float(value)
        except (TypeError, ValueError):
            self.errors.add(f"{self.where(key)}: is {value!r}, expected a number")
            return 0.0

    def distribution(self, key, outcomes: dict, out: np.ndarray, next_label: str) -> None:
        """Write the returned ``{outcome: probability}`` into ``out`` (indexed by outcome)."""
        value = self(*key)
        if value is _FAILED or (value is None and isinstance(self.source, Mapping)):
            return
        if not isinstance(value, Mapping):
            self.errors.add(f"{self.where(key)}: is {value!r}, expected a dictionary "
                            f"{{{next_label}: probability}}")
            return
        for outcome, probability in value.items():
            if outcome not in outcomes:
                choices = ", ".join(map(str, outcomes))
                self.errors.add(f"{self.where(key)}: {next_label} {outcome!r} is not one of {choices}")
                continue
            try:
                out[outcomes[outcome]] = float(probability)
            except (TypeError, ValueError):
                self.errors.add(f"{self.where(key)}: probability of {next_label}={outcome} is "
                                f"{probability!r}, expected a number")


def _takes_stage(function) -> bool:
    """Whether a cost function takes ``(t, x1, x2, u1, u2)`` rather than four names."""
    if isinstance(function, Mapping):
        return any(isinstance(k, tuple) and len(k) == 5 for k in function)
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == 5


def from_functions(
    *,
    player1,
    player2,
    initial: Callable | Mapping,
    horizon: int,
    p1: Callable | Mapping | None = None,
    p2: Callable | Mapping | None = None,
    transition: Callable | Mapping | None = None,
    cost: Callable | Mapping | None = None,
    reward: Callable | Mapping | None = None,
    terminal_cost: Callable | Mapping | None = None,
    terminal_reward: Callable | Mapping | None = None,
    discount: float = 1.0,
    name: str = "unnamed",
    description: str = "",
):
    """Build and validate a problem from functions or dictionaries of names.

    Parameters
    ----------
    player1, player2 : dict or pair
        ``{"states": [...], "actions": [...]}`` or ``(states, actions)``.
    initial : callable or dict
        ``initial(x1, x2)`` -> ``p0(x1, x2)``.
    horizon : int
        Number of decision stages.
    p1 : callable or dict
        ``p1(x1, u1)`` -> ``{x1': P1(x1' | x1, u1)}``.
    p2 : callable or dict
        ``p2(x1, x2, u1, u2)`` -> ``{x2': P2(x2' | x1, x2, u1, u2)}``.
    transition : callable or dict, optional
        Joint form instead of ``p1`` and ``p2``: ``transition(x1, x2, u1, u2)``
        -> ``{(x1', x2'): K(x1', x2' | x1, x2, u1, u2)}``.
    cost, reward : callable or dict
        Exactly one: ``cost(x1, x2, u1, u2)``, or ``cost(t, x1, x2, u1, u2)``
        for a cost that changes with the stage ``t = 0 .. horizon - 1``.
    terminal_cost, terminal_reward : callable or dict, optional
        ``terminal_cost(x1, x2)``, matching ``cost`` / ``reward``.
    discount : float, default 1
    name, description : str

    Returns
    -------
    TwoPlayerMDP

    Raises
    ------
    ProblemError
        Listing every violation, naming the argument and the names it was
        asked about, e.g. ``p1(x1=a, u1=go): sums to 0.9, expected 1``.
    """
    from decmdp.model import TwoPlayerMDP

    errors = ErrorList()
    names1 = _players(player1, "player1", errors)
    names2 = _players(player2, "player2", errors)
    if (cost is None) == (reward is None):
        errors.add("cost/reward: give exactly one of cost and reward")
    if transition is None and (p1 is None or p2 is None):
        errors.add(" and ".join(f for f, v in (("p1", p1), ("p2", p2)) if v is None)
                   + ": missing; give p1 and p2, or a joint transition")
    if transition is not None and (p1 is not None or p2 is not None):
        errors.add("transition: give either p1 and p2, or a joint transition, not both")
    check_horizon(horizon, errors)  # the stages of a time-varying cost are read up to it
    errors.raise_if_any()

    X1, U1 = names1
    X2, U2 = names2
    names = {"x1": X1, "x2": X2, "u1": U1, "u2": U2, "t": range(horizon)}
    table = _Table("initial", initial, ("x1", "x2"), names, errors)
    arrays = {"initial": np.array([[table.number((a, b)) for b in X2] for a in X1])}
    if transition is None:
        arrays.update(_factored_transition(p1, p2, names, errors))
    else:
        arrays.update(_joint_transition(transition, names, errors))
    arrays.update(_objective(cost, reward, terminal_cost, terminal_reward, names, errors))
    errors.raise_if_any()

    try:
        return TwoPlayerMDP._from_named_arrays(
            arrays, horizon=horizon, discount=discount, name=name, description=description,
            player1_states=X1, player1_actions=U1, player2_states=X2, player2_actions=U2)
    except ProblemError as exc:
        raise ProblemError([_builder_wording(m) for m in exc.errors], exc.omitted) from None


def _factored_transition(p1, p2, names: dict, errors: ErrorList) -> dict[str, np.ndarray]:
    """``transition1`` and ``transition2`` read from ``p1`` and ``p2``."""
    X1, X2, U1, U2 = names["x1"], names["x2"], names["u1"], names["u2"]
    index1, index2 = {x: i for i, x in enumerate(X1)}, {x: i for i, x in enumerate(X2)}
    t1 = np.zeros((len(X1), len(U1), len(X1)))
    table = _Table("p1", p1, ("x1", "u1"), names, errors)
    for (i, a), (j, u) in itertools.product(enumerate(X1), enumerate(U1)):
        table.distribution((a, u), index1, t1[i, j], "x1'")
    t2 = np.zeros((len(X1), len(X2), len(U1), len(U2), len(X2)))
    table = _Table("p2", p2, ("x1", "x2", "u1", "u2"), names, errors)
    for (i, a), (k, b), (j, u), (l, v) in itertools.product(enumerate(X1), enumerate(X2),
                                                            enumerate(U1), enumerate(U2)):
        table.distribution((a, b, u, v), index2, t2[i, k, j, l], "x2'")
    return {"transition1": t1, "transition2": t2}


def _joint_transition(transition, names: dict, errors: ErrorList) -> dict[str, np.ndarray]:
    """The joint ``transition`` read from the ``transition`` argument."""
    X1, X2, U1, U2 = names["x1"], names["x2"], names["u1"], names["u2"]
    n1, n2, m1, m2 = len(X1), len(X2), len(U1), len(U2)
    pairs = {(a, b): i * n2 + k for (i, a), (k, b) in itertools.product(enumerate(X1), enumerate(X2))}
    joint = np.zeros((n1, n2, m1, m2, n1 * n2))
    table = _Table("transition", transition, ("x1", "x2", "u1", "u2"), names, errors)
    for (i, a), (k, b), (j, u), (l, v) in itertools.product(enumerate(X1), enumerate(X2),
                                                            enumerate(U1), enumerate(U2)):
        table.distribution((a, b, u, v), pairs, joint[i, k, j, l], "(x1', x2')")
    return {"transition": joint.reshape(n1, n2, m1, m2, n1, n2)}


def _objective(cost, reward, terminal_cost, terminal_reward, names: dict,
               errors: ErrorList) -> dict[str, np.ndarray]:
    """The stage cost or reward (per stage if the function takes ``t``) and its terminal one."""
    X1, X2, U1, U2 = names["x1"], names["x2"], names["u1"], names["u2"]
    arrays = {}
    field = "cost" if cost is not None else "reward"
    source = cost if cost is not None else reward
    stages = (None,) if not _takes_stage(source) else tuple(names["t"])
    labels = ("x1", "x2", "u1", "u2") if stages == (None,) else ("t", "x1", "x2", "u1", "u2")
    table = _Table(field, source, labels, names, errors)
    stage_tables = [np.array([[[[table.number(((t,) if t is not None else ()) + (a, b, u, v))
                                 for v in U2] for u in U1] for b in X2] for a in X1]) for t in stages]
    arrays[field] = stage_tables[0] if stages == (None,) else np.stack(stage_tables)

    terminal_field, terminal = (("terminal_cost", terminal_cost) if cost is not None
                                else ("terminal_reward", terminal_reward))
    wrong_field, wrong = (("terminal_reward", terminal_reward) if cost is not None
                          else ("terminal_cost", terminal_cost))
    if wrong is not None:
        errors.add(f"{wrong_field}: a {field} problem takes {terminal_field}, not {wrong_field}")
    if terminal is not None:
        table = _Table(terminal_field, terminal, ("x1", "x2"), names, errors)
        arrays[terminal_field] = np.array([[table.number((a, b)) for b in X2] for a in X1])
    return arrays


def _builder_wording(message: str) -> str:
    """``transition1[x1=a, u1=go]: ...`` -> ``p1(x1=a, u1=go): ...``: the names the caller used."""
    for field in ("initial", "transition1", "transition2", "transition", "cost", "reward",
                  "terminal_cost", "terminal_reward"):
        argument = _ARGUMENT.get(field, field)
        if message.startswith(field + "["):
            head, _, rest = message[len(field) + 1:].partition("]")
            return f"{argument}({head}){rest}"
        if message.startswith(field + ":"):
            return argument + message[len(field):]
    return message
