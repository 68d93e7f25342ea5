"""Reading and writing problem files: round trips, fuzzing, the format doc.

Round trips are properties over random valid models (sizes 1..3, random names,
factored or joint, cost or reward, per-stage costs, terminal or not, discount).
The fuzzer corrupts valid documents in many ways; every corruption must give a
:class:`ProblemError` with a message (or a valid model), never another exception.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import decmdp
from decmdp import DENSE, SPARSE, ProblemError, TwoPlayerMDP
from decmdp.fileio import to_document

ROOT = Path(__file__).resolve().parent.parent
FORMAT_DOC = ROOT / "docs" / "format.md"

# ------------------------------------------------------------------ strategies
NAME = st.text(min_size=1, max_size=4).filter(lambda s: s.strip() != "" and s != "*" and s.isprintable())


def _distribution(rng: np.random.Generator, shape, n_outcome_axes: int) -> np.ndarray:
    """Random distributions over the last axes, with some exact zeros."""
    weights = rng.random(shape)
    weights[rng.random(shape) < 0.3] = 0.0
    outcome = tuple(range(len(shape) - n_outcome_axes, len(shape)))
    flat = weights.reshape(-1, int(np.prod(shape[len(shape) - n_outcome_axes:])))
    flat[flat.sum(axis=1) == 0, 0] = 1.0
    weights = flat.reshape(shape)
    return weights / weights.sum(axis=outcome, keepdims=True)


def _values(rng: np.random.Generator, shape) -> np.ndarray:
    values = rng.choice([0.0, 0.0, 1.0, -2.5, 0.1, 1e-300, 123456.789], size=shape)
    return values + np.where(rng.random(shape) < 0.3, rng.normal(size=shape), 0.0)


@st.composite
def models(draw) -> TwoPlayerMDP:
    n1, n2, m1, m2 = (draw(st.integers(1, 3)) for _ in range(4))
    names = [draw(st.lists(NAME, min_size=n, max_size=n, unique=True)) for n in (n1, m1, n2, m2)]
    horizon = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kwargs = {}
    if draw(st.booleans()):
        kwargs["transition1"] = _distribution(rng, (n1, m1, n1), 1)
        kwargs["transition2"] = _distribution(rng, (n1, n2, m1, m2, n2), 1)
    else:
        p1 = _distribution(rng, (n1, m1, n1), 1)
        q = _distribution(rng, (n1, n2, m1, m2, n1, n2), 1)  # x2' given x1' (correlated)
        kwargs["transition"] = p1[:, None, :, None, :, None] * q
    stages = draw(st.sampled_from([None, horizon, horizon + 2]))
    shape = (n1, n2, m1, m2) if stages is None else (stages, n1, n2, m1, m2)
    sense = draw(st.sampled_from(["cost", "reward"]))
    kwargs[sense] = _values(rng, shape)
    if draw(st.booleans()):
        kwargs[f"terminal_{sense}"] = _values(rng, (n1, n2))
    discount = draw(st.one_of(st.just(1.0), st.floats(0, 1, exclude_min=True)))
    return TwoPlayerMDP.from_arrays(
        _distribution(rng, (n1, n2), 2), horizon=horizon, discount=discount,
        player1_states=names[0], player1_actions=names[1],
        player2_states=names[2], player2_actions=names[3],
        name=draw(st.text(max_size=6)), description=draw(st.text(max_size=12)), **kwargs)


ARRAYS = ("initial", "transition1", "transition2", "transition", "cost", "terminal_cost")


def assert_identical(a: TwoPlayerMDP, b: TwoPlayerMDP) -> None:
    for field in ARRAYS:
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None) == (y is None), field
        if x is not None:
            assert x.shape == y.shape, field
            assert np.array_equal(x, y), field  # exact, not approximate
    for field in ("name", "description", "player1_states", "player1_actions", "player2_states",
                  "player2_actions", "horizon", "discount", "sense", "has_terminal",
                  "is_factored", "is_time_varying"):
        assert getattr(a, field) == getattr(b, field), field


# ------------------------------------------------------------------ round trips
@given(models())
def test_dense_round_trip_is_identical(model):
    assert_identical(model, decmdp.loads(decmdp.dumps(model, DENSE)))


@given(models())
def test_sparse_round_trip_is_identical(model):
    text = decmdp.dumps(model, SPARSE)
    assert json.loads(text)["format"] == SPARSE
    assert_identical(model, decmdp.loads(text))


@given(models())
def test_dense_to_sparse_to_dense_gives_identical_text(model):
    dense = decmdp.dumps(model, DENSE)
    sparse = decmdp.dumps(decmdp.loads(dense), SPARSE)
    assert decmdp.dumps(decmdp.loads(sparse), DENSE) == dense


@settings(max_examples=10)
@given(models(), st.sampled_from([DENSE, SPARSE]))
def test_save_then_load(tmp_path_factory, model, form):
    path = tmp_path_factory.mktemp("save") / "problem.json"
    decmdp.save(model, path, form=form)
    loaded = decmdp.load(path)
    assert_identical(model, loaded)
    with pytest.raises(FileExistsError):
        decmdp.save(model, path, form=form)
    decmdp.save(model, path, form=DENSE if form == SPARSE else SPARSE, force=True)
    assert_identical(model, decmdp.load(path))
    assert sorted(p.name for p in path.parent.iterdir()) == ["problem.json"]  # no temp files left


def test_default_name_is_the_file_stem(tmp_path):
    doc = json.loads(decmdp.dumps(decmdp.load(ROOT / "problems" / "tiny-by-hand.json")))
    del doc["name"]
    path = tmp_path / "my-problem.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert decmdp.load(path).name == "my-problem"
    assert decmdp.loads(json.dumps(doc)).name == "unnamed"


def test_dumps_rejects_an_unknown_form():
    model = decmdp.load(ROOT / "problems" / "tiny-by-hand.json")
    with pytest.raises(ValueError, match="form"):
        decmdp.dumps(model, "decmdp/2")


# ------------------------------------------------------------------ fuzzing
def _paths(node, prefix=()):
    """Every path (tuple of keys/indices) into a JSON document, root excluded."""
    out = []
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return out
    for key, child in items:
        out.append(prefix + (key,))
        out.extend(_paths(child, prefix + (key,)))
    return out


def _parent(doc, path):
    node = doc
    for key in path[:-1]:
        node = node[key]
    return node


DEEP = "@@DEEP@@"
REPLACEMENTS = ["x", "0.5", math.nan, math.inf, -math.inf, -1, -0.5, 10**400, 1e308, True, False,
                None, [], {}, [[]], {"a": 1}, 0, 2, 1.5, "*", "", DEEP]


def _expect_problem_error_or_model(text: str):
    try:
        result = decmdp.loads(text)
    except ProblemError as error:
        assert str(error).strip(), "empty message"
        assert error.errors and all(isinstance(m, str) and m.strip() for m in error.errors)
        return error
    assert isinstance(result, TwoPlayerMDP)
    return result


@st.composite
def documents(draw):
    model = draw(models())
    return to_document(model, draw(st.sampled_from([DENSE, SPARSE])))


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents(), st.data())
def test_corrupted_documents_give_problem_error(doc, data):
    doc = copy.deepcopy(doc)
    paths = _paths(doc)
    kind = data.draw(st.sampled_from(["delete", "replace", "truncate", "unknown", "deep", "text"]))
    deep_depth = data.draw(st.sampled_from([3, 60, 5000]))
    if kind in ("delete", "replace", "truncate"):
        path = data.draw(st.sampled_from(paths))
        parent = _parent(doc, path)
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "replace":
            parent[path[-1]] = data.draw(st.sampled_from(REPLACEMENTS))
        else:
            target = parent[path[-1]]
            if isinstance(target, list):
                parent[path[-1]] = target[:data.draw(st.integers(0, max(0, len(target) - 1)))]
            else:
                parent[path[-1]] = [target]
    elif kind == "unknown":
        block = data.draw(st.sampled_from(["", "player1", "player2"]))
        (doc[block] if block else doc)[data.draw(st.text(min_size=1, max_size=8))] = 1
    elif kind == "deep":
        key = data.draw(st.sampled_from(sorted(doc)))
        doc[key] = DEEP
    text = json.dumps(doc)
    text = text.replace(json.dumps(DEEP), "[" * deep_depth + "1" + "]" * deep_depth)
    if kind == "text":
        text = text[:data.draw(st.integers(0, max(0, len(text) - 1)))]
    _expect_problem_error_or_model(text)


@given(st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_random_text_gives_problem_error(text):
    with pytest.raises(ProblemError) as info:
        decmdp.loads(text)
    assert str(info.value).strip()


@pytest.mark.parametrize("text, message", [
    ("", "not valid JSON"),
    ("[1, 2]", "top level is a list, expected a JSON object"),
    ('"x"', "top level is the string 'x', expected a JSON object"),
    ("null", "top level is null, expected a JSON object"),
    ("{", "not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ('{"horizon": ' + "9" * 5000 + "}", "not valid JSON"),
])
def test_non_documents(text, message):
    with pytest.raises(ProblemError, match=re.escape(message)):
        decmdp.loads(text)


@pytest.mark.parametrize("key, value", [
    ("discount", 10**400), ("discount", -10**400), ("horizon", -10**400),
    ("discount", 1e400), ("horizon", 1e400),
], ids=["discount-big-int", "discount-big-negative-int", "horizon-big-negative-int",
        "discount-inf", "horizon-inf"])
def test_huge_numbers_in_scalars(key, value):
    """(A huge positive integer horizon is valid: the model does not cap it.)"""
    doc = to_document(decmdp.load(ROOT / "problems" / "tiny-by-hand.json"))
    doc[key] = value
    with pytest.raises(ProblemError, match=f"^{key}: is "):
        decmdp.loads(json.dumps(doc))


def test_huge_sparse_fields_are_refused_before_allocating():
    doc = to_document(decmdp.load(ROOT / "problems" / "maintenance.json"), SPARSE)
    doc["horizon"] = 10**12
    with pytest.raises(ProblemError, match=r"^cost: 1000000000000 stages x \[x1\]\[x2\]\[u1\]\[u2\] would hold"):
        decmdp.loads(json.dumps(doc))
    doc = to_document(decmdp.load(ROOT / "problems" / "maintenance.json"), SPARSE)
    doc["player2"]["states"] = [f"s{i}" for i in range(3000)]
    doc["initial"] = [["low", "*", 1 / 3000]]
    doc["transition2"] = [["*", "*", "*", "*", "*", 1 / 3000]]
    doc["cost"] = [["*", "*", "*", "*", "*", 1.0]]
    del doc["terminal_cost"]
    with pytest.raises(ProblemError) as info:
        decmdp.loads(json.dumps(doc))
    assert ("transition2: [x1][x2][u1][u2][x2'] would hold 108000000 numbers, more than the limit "
            "of 10000000 (fewer names, or fewer stages)") in info.value.errors


# ------------------------------------------------------------------ load() and the file system
def test_load_missing_file(tmp_path):
    with pytest.raises(ProblemError, match=r"no such file$"):
        decmdp.load(tmp_path / "nope.json")


def test_load_directory(tmp_path):
    with pytest.raises(ProblemError, match=r"is a directory, expected a problem file$"):
        decmdp.load(tmp_path)


def test_load_through_a_file_as_directory(tmp_path):
    (tmp_path / "plain").write_text("{}")
    with pytest.raises(ProblemError, match=r"cannot read \(Not a directory\)$"):
        decmdp.load(tmp_path / "plain" / "problem.json")


def test_load_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.json"
    path.write_text("{}")
    if os.geteuid() != 0:
        path.chmod(0)
    else:  # root reads anything: simulate the permission error
        real_open = os.open

        def denied(name, *args, **kwargs):
            if str(name) == str(path):
                raise PermissionError(13, "Permission denied", str(name))
            return real_open(name, *args, **kwargs)
        monkeypatch.setattr(os, "open", denied)
    with pytest.raises(ProblemError, match=r"cannot read \(Permission denied\)$"):
        decmdp.load(path)


def test_load_non_utf8(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"format": "decmdp/1", "name": "caf\xe9"}')
    with pytest.raises(ProblemError, match=r"not UTF-8 text \(byte 35\)$"):
        decmdp.load(path)


@given(st.binary(min_size=1, max_size=64))
def test_load_random_bytes(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("bytes") / "random.json"
    path.write_bytes(raw)
    with pytest.raises(ProblemError) as info:
        decmdp.load(path)
    assert str(info.value).strip()


# ------------------------------------------------------------------ the format doc
def _doc_blocks():
    return re.findall(r"```([\w-]*)\n(.*?)```", FORMAT_DOC.read_text(encoding="utf-8"), re.S)


def test_format_doc_examples_load():
    examples = [body for kind, body in _doc_blocks() if kind == "json"]
    assert len(examples) >= 5
    loaded = [decmdp.loads(body) for body in examples]
    forms = {json.loads(body)["format"] for body in examples}
    assert forms == {DENSE, SPARSE}
    assert any(not m.is_factored for m in loaded)
    assert any(m.is_time_varying for m in loaded)
    assert any(m.sense is decmdp.Sense.MAXIMIZE for m in loaded)
    # the hand-written sparse "two-by-two" is the dense one, identically
    pair = [m for m in loaded if m.name == "two-by-two"]
    assert len(pair) == 2
    assert_identical(pair[0], pair[1])
    assert decmdp.dumps(pair[0]) == decmdp.dumps(pair[1])


def test_format_doc_error_examples_are_exact():
    blocks = _doc_blocks()
    checked = 0
    for (kind, body), (next_kind, expected) in zip(blocks, blocks[1:]):
        if kind == "json-invalid":
            assert next_kind == "text"
            with pytest.raises(ProblemError) as info:
                decmdp.loads(body)
            assert str(info.value) == expected.strip()
            checked += 1
    assert checked >= 4


def test_format_doc_python_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    code = [body for kind, body in _doc_blocks() if kind == "python"]
    assert len(code) == 1
    exec(compile(code[0], str(FORMAT_DOC), "exec"), {})
