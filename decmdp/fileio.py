"""Reading and writing problem files: ``decmdp/1`` (dense) and ``decmdp/1-sparse``.

Both forms load into the same :class:`~decmdp.model.TwoPlayerMDP`; see
``docs/format.md`` for the contract.  Every defect of a file, from a missing
file to a negative probability, raises :class:`~decmdp.errors.ProblemError`
whose messages name the field and the indices; nothing else escapes.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from pathlib import Path

import numpy as np

from decmdp.common import Sense, write_text_atomic
from decmdp.errors import ProblemError, counted
from decmdp.inputfile import InputError, clip, listing, parse_json, read_stdin_text, read_text, shown
from decmdp.model import TwoPlayerMDP, field_layouts, sense_field, with_stages
from decmdp.policy import POLICY_FORMAT
from decmdp.validation import Axes, ErrorList, check_names

DENSE = "decmdp/1"
SPARSE = "decmdp/1-sparse"
WILDCARD = "*"
MAX_MODEL_NUMBERS = 10**7
"""A problem file may describe at most this many numbers in all its fields
(80 MB as float64; validation holds a few copies).  Checked from the name
lists before anything is allocated: a sparse file is not bounded by its own
length, so a tiny one could otherwise ask for terabytes."""

_TOP_KEYS = ("format", "name", "description", "horizon", "discount", "player1", "player2",
             "initial", "transition1", "transition2", "transition", "cost", "reward",
             "terminal_cost", "terminal_reward")
_PLAYER_KEYS = ("states", "actions")


# --------------------------------------------------------------------- reading
def load(path: str | os.PathLike) -> TwoPlayerMDP:
    """Read a problem file (dense or sparse ``decmdp/1``).

    Parameters
    ----------
    path : str or path-like
        The JSON file; ``"-"`` reads standard input (name ``stdin``).

    Returns
    -------
    TwoPlayerMDP

    Raises
    ------
    ProblemError
        The file is missing, unreadable, not UTF-8, not JSON, or not a valid
        problem; the messages say which and where.
    """
    stdin = str(path) == "-"
    try:
        text = read_stdin_text() if stdin else read_text(path, "problem file")
    except InputError as exc:
        raise ProblemError(str(exc)) from None
    if stdin:
        return loads(text, default_name="stdin", source="stdin")
    return loads(text, default_name=Path(path).stem, source=str(path))


def loads(text: str, default_name: str = "unnamed", source: str = "<string>") -> TwoPlayerMDP:
    """Parse a problem from JSON text; see :func:`load`."""
    try:
        document = parse_json(text, source)
    except InputError as exc:
        raise ProblemError(str(exc)) from None
    return from_document(document, default_name=default_name)


def from_document(document, default_name: str = "unnamed") -> TwoPlayerMDP:
    """Build a model from an already-parsed JSON document (dict).

    The document's structure and names are checked here (they are needed to
    read the fields); the arrays read from it are validated once, by
    :meth:`TwoPlayerMDP._from_named_arrays`.
    """
    names = _check_structure(document)
    form = document["format"]
    sense = Sense.MINIMIZE if "cost" in document else Sense.MAXIMIZE
    layouts = field_layouts(*names, sense)
    arrays = _read_fields(document, form, layouts)
    X1, U1, X2, U2 = names
    return TwoPlayerMDP._from_named_arrays(
        arrays,
        horizon=document["horizon"],
        discount=document.get("discount", 1.0),
        player1_states=X1, player1_actions=U1, player2_states=X2, player2_actions=U2,
        name=document.get("name", default_name),
        description=document.get("description", ""),
    )


def _check_structure(document) -> tuple[tuple[str, ...], ...]:
    """Keys, format, required fields and the four name lists ``(X1, U1, X2, U2)``."""
    errors = ErrorList()
    if not isinstance(document, dict):
        raise ProblemError(f"file: top level is {_kind(document)}, expected a JSON object")
    form = document.get("format")
    if form == POLICY_FORMAT:
        raise ProblemError(f"format: is {shown(form)}: this is a policy file, not a problem file")
    _check_keys("", document, _TOP_KEYS, errors)
    if form not in (DENSE, SPARSE):
        errors.add(f"format: is {shown(form)}, expected {DENSE!r} or {SPARSE!r}")
    for key in ("horizon", "player1", "player2", "initial"):
        if key not in document:
            errors.add(f"{key}: missing")
    if "cost" not in document and "reward" not in document:
        errors.add("cost/reward: missing; give exactly one of them")
    if "cost" in document and "reward" in document:
        errors.add("cost/reward: both given; give exactly one of them")
    for key in ("name", "description"):
        if key in document and not isinstance(document[key], str):
            errors.add(f"{key}: is {_kind(document[key])}, expected a string")
    names = {}
    for player in ("player1", "player2"):
        if player not in document:
            continue  # reported above as missing
        block = document[player]
        if not isinstance(block, dict):
            errors.add(f"{player}: is {_kind(block)}, expected an object with states and actions")
            continue
        _check_keys(f"{player}.", block, _PLAYER_KEYS, errors)
        for key in _PLAYER_KEYS:
            field = f"{player}.{key}"
            if key not in block:
                errors.add(f"{field}: missing")
            elif check_names(field, block[key], errors):
                names[field] = tuple(block[key])
    errors.raise_if_any()
    return tuple(names[f"{player}.{key}"] for player in ("player1", "player2") for key in _PLAYER_KEYS)


def _read_fields(document: dict, form: str, layouts: dict) -> dict[str, np.ndarray]:
    """The arrays of the fields the document gives, each in its layout (size checked first)."""
    errors = ErrorList()
    reader = _read_sparse if form == SPARSE else _read_dense
    horizon = document["horizon"]
    stages = horizon if isinstance(horizon, int) and not isinstance(horizon, bool) and horizon > 0 else 1
    planned = {field: (_stage_count(document[field], field, layout, form, stages), layout)
               for field, layout in layouts.items() if field in document}
    if form == SPARSE:  # nothing bounds it but the names: check before allocating
        _check_model_size(planned, errors)
        errors.raise_if_any()
    arrays = {}
    for field, (n_stages, layout) in planned.items():
        if n_stages is not None:
            layout = with_stages(layout, n_stages)
        array = reader(document[field], field, layout, errors)
        if array is not None:
            arrays[field] = array
    if errors and form == DENSE and _looks_sparse(document, layouts):
        errors.messages.insert(0, f"format: is {DENSE!r} but the fields are lists of sparse entries "
                                  f"[name, ..., value]; did you mean {SPARSE!r}?")
    errors.raise_if_any()
    if form == DENSE:  # the numbers are in the (capped) file; the structure was checked first, so
        _check_model_size(planned, errors)  # that a name list that disagrees with the arrays is reported as such
        errors.raise_if_any()
    return arrays


def _looks_sparse(document: dict, fields) -> bool:
    """Does some field hold entries ``[name, ..., value]`` (a dense field never holds names)?"""
    return any(isinstance(document.get(field), list) and document[field]
               and isinstance(document[field][0], list) and document[field][0]
               and isinstance(document[field][0][0], str) for field in fields)


def _check_keys(prefix: str, block: dict, known, errors: ErrorList) -> None:
    for key in block:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of {', '.join(known)}"
            errors.add(f"{prefix}{clip(key)}: unknown key{hint}")


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {shown(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return shown(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite_number(value) -> bool:
    if not _is_number(value):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _time_varying(value, depth: int) -> bool:
    """Whether a cost is nested one level deeper than ``depth`` (per-stage)."""
    probe = value
    for _ in range(depth):
        if not isinstance(probe, list) or not probe:
            return False
        probe = probe[0]
    return isinstance(probe, list)


def _stage_count(value, field: str, layout, form: str, stages: int) -> int | None:
    """The number of stages of a time-varying cost or reward (its first axis ``t``); None if not.

    Dense: a cost nested one level deeper than ``[x1][x2][u1][u2]`` has one
    slice per stage.  Sparse: entries with one key more than
    ``[x1, x2, u1, u2]`` carry the stage ``t`` (an integer or ``*``); the
    number of stages is the horizon, or ``t + 1`` for the largest ``t`` named
    if that is more.
    """
    if field not in ("cost", "reward"):
        return None
    if form == SPARSE:
        timed = [e for e in value if isinstance(e, list) and len(e) == len(layout) + 2] \
            if isinstance(value, list) else []
        if not timed:
            return None
        named = [e[0] for e in timed if _is_number(e[0]) and not isinstance(e[0], float)]
        return max([stages] + [t + 1 for t in named])
    return len(value) if _time_varying(value, 4) else None


def _check_model_size(planned, errors: ErrorList) -> None:
    """Refuse a problem whose fields would hold more than :data:`MAX_MODEL_NUMBERS` numbers."""
    sizes = {field: math.prod(len(names) for _, names in layout) * (n_stages or 1)
             for field, (n_stages, layout) in planned.items()}
    for field, size in sizes.items():
        if size > MAX_MODEL_NUMBERS:
            n_stages, layout = planned[field]
            shape = "".join(f"[{label}]" for label, _ in layout)
            shape = f"{n_stages} stages x {shape}" if n_stages else shape
            errors.add(f"{field}: {shape} would hold {size} numbers, more than the limit of "
                       f"{MAX_MODEL_NUMBERS} (fewer names, or fewer stages)")
    total = sum(sizes.values())
    if not errors and total > MAX_MODEL_NUMBERS:
        parts = ", ".join(f"{field} {size}" for field, size in sizes.items())
        errors.add(f"problem: its fields would hold {total} numbers in all ({parts}), more than the "
                   f"limit of {MAX_MODEL_NUMBERS}")


def _read_dense(value, field: str, layout, errors: ErrorList):
    """Nested lists; their lengths are checked before anything is allocated."""
    axes = Axes(field, layout)
    flat: list[float] = []
    before = errors.total

    def walk(node, index):
        depth = len(index)
        if depth == len(axes.axes):
            if _finite_number(node) or isinstance(node, float):  # nan/inf: the finiteness check names them
                flat.append(float(node))
            else:
                errors.add(f"{axes.label(index)}: is {_kind(node)}, expected a number")
            return
        label, names = axes.axes[depth]
        if not isinstance(node, list):
            errors.add(f"{axes.label(index)}: is {_kind(node)}, expected a list of "
                       f"{len(names)} (one per {label})")
            return
        if len(node) != len(names):
            errors.add(f"{axes.label(index)}: has {counted(len(node), 'entry')}, expected {len(names)} "
                       f"(one per {label})")
            return
        for i, child in enumerate(node):
            walk(child, index + (i,))

    try:
        walk(value, ())
    except RecursionError:
        errors.add(f"{field}: nested too deeply")
    if errors.total != before:
        return None
    return np.array(flat, dtype=np.float64).reshape(axes.shape)


def _read_sparse(value, field: str, layout, errors: ErrorList):
    """Entries ``[key, ..., key, value]``; keys are names or ``*``; later ones win.

    ``layout`` includes the stage axis of a time-varying field (see
    :func:`_stage_count`); the size was checked by :func:`_check_model_size`.
    """
    if not isinstance(value, list):
        errors.add(f"{field}: is {_kind(value)}, expected a list of entries [key, ..., value]")
        return None
    axes = Axes(field, layout)
    positions = [{name: i for i, name in enumerate(names)} for _, names in layout]
    out = np.zeros(axes.shape)
    before = errors.total
    for k, entry in enumerate(value):
        where = f"{field} entry {k}"
        if not isinstance(entry, list) or len(entry) != len(layout) + 1:
            keys = ", ".join(lab for lab, _ in layout)
            errors.add(f"{where}: is {_kind(entry) if not isinstance(entry, list) else f'a list of {len(entry)}'}"
                       f", expected [{keys}, value]")
            continue
        *keys, number = entry
        if not _finite_number(number):
            errors.add(f"{where}: value is {_kind(number)}, expected a finite number")
            continue
        selector = []
        for key, (label, names), position in zip(keys, layout, positions):
            if key == WILDCARD:
                selector.append(slice(None))
            elif label == "t" and _is_number(key) and not isinstance(key, float) and 0 <= key < len(names):
                selector.append(int(key))
            elif isinstance(key, str) and key in position:
                selector.append(position[key])
            else:
                choices = listing(names) if label != "t" else f"0..{len(names) - 1}"
                errors.add(f"{where}: {label} is {_kind(key)}, expected one of {choices} or '*'")
                break
        else:
            out[tuple(selector)] = float(number)
    return out if errors.total == before else None


# --------------------------------------------------------------------- writing
def to_document(model: TwoPlayerMDP, form: str = DENSE) -> dict:
    """The JSON document (a dict) of a model in the dense or sparse form."""
    if form not in (DENSE, SPARSE):
        raise ValueError(f"form: is {form!r}, expected {DENSE!r} or {SPARSE!r}")
    if form == SPARSE:
        encode = _sparse_entries
    else:
        encode = lambda a, _layout: (a + 0.0).tolist()  # noqa: E731  (+ 0.0 turns -0.0 into 0.0)
    X1, X2 = model.player1_states, model.player2_states
    U1, U2 = model.player1_actions, model.player2_actions
    doc = {
        "format": form,
        "name": model.name,
        "description": model.description,
        "horizon": model.horizon,
        "discount": model.discount,
        "player1": {"states": list(X1), "actions": list(U1)},
        "player2": {"states": list(X2), "actions": list(U2)},
        "initial": encode(model.initial, [X1, X2]),
    }
    if model.is_factored:
        doc["transition1"] = encode(model.transition1, [X1, U1, X1])
        doc["transition2"] = encode(model.transition2, [X1, X2, U1, U2, X2])
    else:
        doc["transition"] = encode(model.transition, [X1, X2, U1, U2, X1, X2])
    cost_layout = [X1, X2, U1, U2]
    if model.is_time_varying:
        cost_layout = [list(range(model.cost.shape[0]))] + cost_layout
    doc[sense_field(model.sense, False)] = encode(model.user_cost(), cost_layout)
    if form == SPARSE and model.is_time_varying:
        # the reader counts stages as max(horizon, last t + 1): if the last stage
        # has no non-zero entry, name it with an explicit 0 (written first, so it
        # overrides nothing)
        last = model.cost.shape[0] - 1
        if not np.any(model.cost[last]):
            entries = doc[sense_field(model.sense, False)]
            entries.insert(0, [last, X1[0], X2[0], U1[0], U2[0], 0.0])
    if model.has_terminal:
        doc[sense_field(model.sense, True)] = encode(model.user_terminal(), [X1, X2])
    return doc


def _sparse_entries(array: np.ndarray, layout) -> list:
    return [[layout[d][i] for d, i in enumerate(index)] + [float(array[tuple(index)])]
            for index in np.argwhere(array != 0)]


def dumps(model: TwoPlayerMDP, form: str = DENSE) -> str:
    """The problem file text; innermost rows (or sparse entries) on one line each."""
    return _format_json(to_document(model, form)) + "\n"


def save(model: TwoPlayerMDP, path: str | os.PathLike, form: str = DENSE, force: bool = False) -> None:
    """Write a problem file atomically.

    Parameters
    ----------
    model : TwoPlayerMDP
    path : str or path-like
    form : {"decmdp/1", "decmdp/1-sparse"}
    force : bool
        Overwrite an existing file; without it an existing file raises
        :class:`FileExistsError`.
    """
    write_text_atomic(path, dumps(model, form), force=force)


def _format_json(value, indent: int = 0) -> str:
    """JSON with objects indented and lists of scalars kept on one line."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {_format_json(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and any(isinstance(v, (list, dict)) for v in value):
        items = [f"{inner}{_format_json(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value)
