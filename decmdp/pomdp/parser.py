"""Reader for Cassandra's ``.POMDP`` format (the pomdp-solve input format).

Grammar accepted (``#`` starts a comment; tokens may be split by any
whitespace, newlines included; ``:`` may touch its neighbours)::

    file      := item*
    item      := preamble | start | entry
    preamble  := 'discount' ':' NUMBER            # in [0, 1]
               | 'values' ':' ('reward' | 'cost')
               | ('states' | 'actions' | 'observations') ':' (UINT | NAME+)
    start     := 'start' ':' (NUMBER{S} | 'uniform' | NAME | UINT)
               | 'start' ('include' | 'exclude') ':' REF+
    entry     := 'T' ':' REF [':' REF [':' REF]] tail     # action, s, s2
               | 'O' ':' REF [':' REF [':' REF]] tail     # action, s2, o
               | 'R' ':' REF ':' REF [':' REF [':' REF]] tail   # a, s, s2, o
    REF       := NAME | UINT | '*'    # a UINT is always a 0-based index
    NUMBER    := ['+'|'-'] (digits ['.' digits*] | '.' digits) [('e'|'E') ['+'|'-'] digits]
    NAME      := letter (letter | digit | '_' | '-')*

An entry with every index given takes one number; one index short, a row
(``T``/``O`` rows may also be ``uniform``); two short, a matrix (``T``:
``S x S`` or ``uniform`` or ``identity``; ``O``: ``S x O`` or ``uniform``;
``R``: ``S x O``).  Later entries override earlier ones; ``*`` covers every
index; entries never given are 0.  ``discount``, ``states``, ``actions`` and
``observations`` are required, ``values`` defaults to ``reward``, ``start``
to uniform.  The preamble sections may come in any order, but a section must
be declared before an entry or ``start`` uses it.  ``reset`` (a pomdp-solve
keyword) is rejected as unsupported.

Every problem raises :class:`PomdpFormatError` with ``file:line:column``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from decmdp.common import Sense
from decmdp.errors import ProblemError
from decmdp.inputfile import InputError, read_bytes
from decmdp.pomdp.model import PROBABILITY_SUM_TOLERANCE, Pomdp, probability_violations
from decmdp.validation import ErrorList

RESERVED_WORDS = frozenset(
    "discount values states actions observations start include exclude "
    "reward cost uniform identity reset T O R".split()
)
"""Keywords of the format; they cannot name a state, action or observation."""

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
"""What a state, action or observation name looks like (pomdp-solve's rule)."""

NUMBER_PATTERN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

MAX_DENSE_ENTRIES = 25_000_000
"""Refuse models whose dense reward array ``A*S*S*O`` would exceed this (200 MB of floats)."""

MAX_COUNT = 10**6
"""Refuse ``states: N`` (and actions, observations) with ``N`` above this."""

_TOKEN = re.compile(
    # text that may be a run of numbers (the rows and matrices that make up nearly
    # all of a large file): read in bulk when it is one, else word by word
    r"(?P<run>[-+.\d][-+.\deE \t\r\n]*)(?=[\s:#*]|\Z)"
    r"|(?P<space>[^\S\n]+)|(?P<newline>\n)|(?P<comment>#[^\n]*)"
    r"|(?P<colon>:)|(?P<star>\*)|(?P<word>[^\s:#*]+)"
)
_WORD = re.compile(r"\S+")
_UINT = re.compile(r"\d+")
_UINT_DIGITS = 15  # longer digit strings are "too large" without int() cost


class PomdpFormatError(ProblemError):
    """A ``.POMDP`` file is malformed or describes an invalid model.

    Parameters
    ----------
    errors : str or list of str
        Complete messages, each starting with ``file:line:column:`` (or
        ``file:`` when no position applies).
    filename : str
        The file (or ``"<string>"``).
    line, column : int or None
        1-based position of the first error, when it has one.
    omitted : int, optional
        Further violations found but not listed.

    Attributes
    ----------
    errors : list of str
    filename : str
    line, column : int or None
    """

    def __init__(self, errors, filename="<string>", line=None, column=None, omitted=0):
        super().__init__(errors, omitted)
        self.filename = filename
        self.line = line
        self.column = column


class _Token(NamedTuple):
    kind: str  # "name", "number", "colon", "star", "bad", "eof"
    text: str
    line: int
    column: int
    value: float = 0.0  # numbers
    index: int = -1  # unsigned integers: their value (huge ones: 10**15)
    problem: str = ""  # "bad" tokens: why


def _describe(tok: _Token) -> str:
    return "end of file" if tok.kind == "eof" else repr(tok.text)


class _Run:
    """Consecutive numbers read in bulk; a single one becomes a token only when asked for."""

    def __init__(self, text: str, values: np.ndarray, line: int, column: int):
        self.values = values
        self.words: list[tuple[str, int, int]] = []
        self.unread = _positioned_words(text, line, column)

    def __len__(self) -> int:
        return len(self.values)

    def token(self, k: int) -> _Token:
        """The ``k``-th number as a token, with its line and column (for messages)."""
        while len(self.words) <= k:
            self.words.append(next(self.unread))
        word, line, column = self.words[k]
        return _number_token(word, line, column, float(self.values[k]))


def _positioned_words(text: str, line: int, column: int):
    """``(word, line, column)`` of each word of ``text``, which starts at
    ``(line, column)``; one pass over the text."""
    scanned, line_start = 0, None
    for word in _WORD.finditer(text):
        start = word.start()
        newlines = text.count("\n", scanned, start)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", scanned, start) + 1
        scanned = start
        yield word.group(), line, (start - line_start + 1 if line_start is not None else column + start)


def _number_token(word: str, line: int, column: int, value: float) -> _Token:
    index = -1
    if _UINT.fullmatch(word):
        index = int(word) if len(word) <= _UINT_DIGITS else 10**_UINT_DIGITS
    return _Token("number", word, line, column, value, index)


def _tokenize(text: str) -> tuple[list[_Token], dict[int, _Run]]:
    """The tokens of ``text``, and the runs of numbers by their position among the tokens."""
    tokens: list[_Token] = []
    runs: dict[int, _Run] = {}
    line, line_start = 1, 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "newline":
            line, line_start = line + 1, m.end()
            continue
        if kind in ("space", "comment"):
            continue
        word = m.group()
        col = m.start() - line_start + 1
        if kind == "run":
            values = _bulk_numbers(word)
            prev = tokens[-1] if tokens else None
            lone_sign = prev is not None and prev.kind == "bad" and prev.text in ("+", "-")
            if values is not None and not lone_sign:
                runs[len(tokens)] = _Run(word, values, line, col)
                tokens.append(_Token("run", "", line, col))
            else:  # out-of-range numbers or a sign before the first: one by one
                for sub, sub_line, sub_col in _positioned_words(word, line, col):
                    _add_word(tokens, sub, sub_line, sub_col)
            newlines = word.count("\n")
            if newlines:
                line, line_start = line + newlines, m.start() + word.rfind("\n") + 1
            continue
        if kind != "word":
            tokens.append(_Token(kind, word, line, col))
        else:
            _add_word(tokens, word, line, col)
    tokens.append(_Token("eof", "", line, len(text) - line_start + 1))
    return tokens, runs


def _bulk_numbers(text: str) -> np.ndarray | None:
    """The numbers of ``text`` if it holds at least three, all finite numbers; else None.

    On this alphabet (digits, signs, '.', 'e', 'E') ``float`` accepts exactly
    what :data:`NUMBER_PATTERN` matches.
    """
    words = text.split()
    if len(words) < 3:
        return None
    try:
        values = np.fromiter(map(float, words), dtype=np.float64, count=len(words))
    except ValueError:
        return None
    return values if np.isfinite(values).all() else None


def _add_word(tokens: list[_Token], word: str, line: int, col: int) -> None:
    if NUMBER_PATTERN.fullmatch(word):
        value = float(word)
        if not np.isfinite(value):
            tokens.append(_Token("bad", word, line, col, problem=f"number {word!r} is out of range"))
            return
        # A lone sign before a number ("- 4") belongs to it, as in pomdp-solve.
        prev = tokens[-1] if tokens else None
        if prev is not None and prev.kind == "bad" and prev.text in ("+", "-") and word[0] not in "+-":
            tokens[-1] = _Token("number", prev.text + word, prev.line, prev.column,
                                -value if prev.text == "-" else value)
            return
        tokens.append(_number_token(word, line, col, value))
    elif NAME_PATTERN.fullmatch(word):
        tokens.append(_Token("name", word, line, col))
    else:
        tokens.append(_Token(
            "bad", word, line, col,
            problem=f"invalid token {word!r}: names start with a letter and "
            "continue with letters, digits, '_' or '-'; numbers look like "
            "12, -0.5 or 1e-3",
        ))


class _Numbers:
    """Numbers read in a row (from runs and single tokens): their values, and each one's token."""

    def __init__(self, parts):
        self.parts = parts  # a number _Token, or (_Run, first, stop)

    @staticmethod
    def _size(part) -> int:
        return 1 if isinstance(part, _Token) else part[2] - part[1]

    def __len__(self) -> int:
        return sum(map(self._size, self.parts))

    def values(self) -> np.ndarray:
        chunks = [np.array([p.value]) if isinstance(p, _Token) else p[0].values[p[1]:p[2]]
                  for p in self.parts]
        return np.concatenate(chunks) if chunks else np.zeros(0)

    def token(self, k: int) -> _Token:
        for part in self.parts:
            if k < self._size(part):
                return part if isinstance(part, _Token) else part[0].token(part[1] + k)
            k -= self._size(part)
        raise IndexError(k)


_PREAMBLE = ("discount", "values", "states", "actions", "observations")
_KINDS = {"action": "actions", "state": "states", "observation": "observations"}
_ENTRY_AXES = {
    "T": ("action", "state", "state"),
    "O": ("action", "state", "observation"),
    "R": ("action", "state", "state", "observation"),
}


class _Op(NamedTuple):
    table: str
    where: tuple  # one int or slice(None) per leading axis
    value: object  # float, ndarray, or "identity"
    token: _Token  # the T/O/R keyword, for locating row errors


class _Parser:
    def __init__(self, text: str, filename: str):
        self.filename = filename
        self.tokens, self.runs = _tokenize(text)
        self.pos = 0
        self.sub = 0  # position inside the run at self.pos
        self.seen: dict[str, _Token] = {}
        self.discount: float | None = None
        self.sense = Sense.MAXIMIZE
        self.names: dict[str, tuple[str, ...]] = {}
        self.lookup: dict[str, dict[str, int]] = {}
        self.start: np.ndarray | None = None
        self.start_token: _Token | None = None
        self.ops: list[_Op] = []

    # -- token helpers -------------------------------------------------
    def error(self, tok: _Token, message: str) -> PomdpFormatError:
        return PomdpFormatError(
            f"{self.filename}:{tok.line}:{tok.column}: {message}",
            self.filename, tok.line, tok.column,
        )

    def peek(self) -> _Token:
        tok = self.tokens[self.pos]
        if tok.kind == "run":
            return self.runs[self.pos].token(self.sub)
        if tok.kind == "bad":
            raise self.error(tok, tok.problem)
        return tok

    def advance(self) -> _Token:
        tok = self.peek()
        if self.tokens[self.pos].kind == "run":
            self.sub += 1
            if self.sub == len(self.runs[self.pos]):
                self.pos, self.sub = self.pos + 1, 0
        elif tok.kind != "eof":
            self.pos += 1
        return tok

    def expect_colon(self, after: str) -> None:
        tok = self.advance()
        if tok.kind != "colon":
            raise self.error(tok, f"expected ':' after {after!r}, got {_describe(tok)}")

    def is_keyword(self, tok: _Token, *words: str) -> bool:
        return tok.kind == "name" and tok.text in words

    def number(self, what: str) -> _Token:
        tok = self.advance()
        if tok.kind != "number":
            raise self.error(tok, f"expected {what} (number), got {_describe(tok)}")
        return tok

    def numbers(self) -> _Numbers:
        parts = []
        while True:
            tok = self.tokens[self.pos]
            if tok.kind == "run":
                parts.append((self.runs[self.pos], self.sub, len(self.runs[self.pos])))
                self.pos, self.sub = self.pos + 1, 0
            elif tok.kind == "number":
                parts.append(tok)
                self.pos += 1
            else:
                return _Numbers(parts)

    # -- top level -----------------------------------------------------
    def parse(self) -> Pomdp:
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                break
            if tok.kind == "name" and tok.text in _PREAMBLE:
                self.preamble()
            elif self.is_keyword(tok, "start"):
                self.start_section()
            elif self.is_keyword(tok, "T", "O", "R"):
                self.entry()
            else:
                raise self.error(
                    tok,
                    "expected a section ('discount:', 'values:', 'states:', "
                    "'actions:', 'observations:', 'start:') or an entry "
                    f"('T:', 'O:', 'R:'), got {_describe(tok)}",
                )
        return self.build(tok)

    def once(self, key: str, tok: _Token) -> None:
        if key in self.seen:
            first = self.seen[key]
            raise self.error(
                tok, f"'{key}:' given twice (first at line {first.line}, column {first.column})"
            )
        self.seen[key] = tok

    def preamble(self) -> None:
        tok = self.advance()
        key = tok.text
        self.once(key, tok)
        self.expect_colon(key)
        if key == "discount":
            num = self.number("a discount factor")
            if not 0.0 <= num.value <= 1.0:
                raise self.error(num, f"discount must be in [0, 1], got {num.text}")
            self.discount = num.value
        elif key == "values":
            val = self.advance()
            if not self.is_keyword(val, "reward", "cost"):
                raise self.error(val, f"expected 'reward' or 'cost' after 'values:', got {_describe(val)}")
            self.sense = Sense.MAXIMIZE if val.text == "reward" else Sense.MINIMIZE
        else:
            self.declare(key)

    def declare(self, key: str) -> None:
        singular = {"states": "state", "actions": "action", "observations": "observation"}[key]
        first = self.peek()
        if first.kind == "number":
            self.advance()
            if first.index < 0:
                raise self.error(
                    first, f"expected a whole number of {key} or a list of {singular} names, got {first.text!r}"
                )
            if first.index == 0:
                raise self.error(first, f"need at least one {singular}, got 0")
            if first.index > MAX_COUNT:
                raise self.error(first, f"too many {key}: {first.text} (at most {MAX_COUNT})")
            names = tuple(str(i) for i in range(first.index))
        else:
            names_list: list[str] = []
            where: dict[str, _Token] = {}
            while (tok := self.peek()).kind == "name" and tok.text not in RESERVED_WORDS:
                self.advance()
                if tok.text in where:
                    raise self.error(tok, f"{singular} {tok.text!r} declared twice")
                where[tok.text] = tok
                names_list.append(tok.text)
            if not names_list:
                raise self.error(
                    first,
                    f"expected a number of {key} or a list of {singular} names, got {_describe(first)}",
                )
            names = tuple(names_list)
        self.names[key] = names
        self.lookup[key] = {n: i for i, n in enumerate(names)}
        known = [len(self.names.get(k, ())) or 1 for k in ("actions", "states", "states", "observations")]
        if int(np.prod(known, dtype=object)) > MAX_DENSE_ENTRIES:
            raise self.error(
                first, f"model too large: the reward table would have more than {MAX_DENSE_ENTRIES} "
                "entries (actions x states x states x observations)"
            )

    def require(self, tok: _Token, keys: tuple[str, ...]) -> None:
        missing = [k for k in keys if k not in self.names]
        if missing:
            need = " and ".join(f"'{k}:'" for k in missing)
            raise self.error(tok, f"'{tok.text}' needs {need} declared before it")

    def ref(self, kind: str, after: str):
        """One action/state/observation reference: an index, or slice(None) for '*'."""
        return self.resolve(self.advance(), kind, after)

    def resolve(self, tok: _Token, kind: str, after: str):
        """The index a reference token stands for, or slice(None) for '*'."""
        key = _KINDS[kind]
        names = self.names[key]
        if tok.kind == "star":
            return slice(None)
        if tok.kind == "number" and tok.index >= 0:
            if tok.index >= len(names):
                raise self.error(
                    tok, f"{kind} index {tok.text} out of range ({len(names)} {key}: 0..{len(names) - 1})"
                )
            return tok.index
        if tok.kind == "name" and tok.text not in RESERVED_WORDS:
            try:
                return self.lookup[key][tok.text]
            except KeyError:
                shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
                raise self.error(tok, f"unknown {kind} {tok.text!r} ({key}: {shown})") from None
        article = "an" if kind[0] in "ao" else "a"
        raise self.error(
            tok, f"expected {article} {kind} (name, index or '*') after {after!r}, got {_describe(tok)}"
        )

    def start_section(self) -> None:
        tok = self.advance()
        self.once("start", tok)
        self.require(tok, ("states",))
        n = len(self.names["states"])
        self.start_token = tok
        mode = self.peek()
        if self.is_keyword(mode, "include", "exclude"):
            self.advance()
            self.expect_colon(f"start {mode.text}")
            chosen = np.zeros(n, dtype=bool)
            count = 0
            while (nxt := self.peek()).kind in ("star", "number") or (
                nxt.kind == "name" and nxt.text not in RESERVED_WORDS
            ):
                chosen[self.ref("state", f"start {mode.text}:")] = True
                count += 1
            if count == 0:
                raise self.error(nxt, f"expected states after 'start {mode.text}:', got {_describe(nxt)}")
            if mode.text == "exclude":
                chosen = ~chosen
            if not chosen.any():
                raise self.error(mode, "'start exclude:' excludes every state")
            self.start = chosen / chosen.sum()
            return
        self.expect_colon("start")
        first = self.peek()
        if self.is_keyword(first, "uniform"):
            self.advance()
            self.start = np.full(n, 1.0 / n)
        elif self.is_keyword(first, "reset"):
            raise self.error(first, "'reset' is not supported")
        elif first.kind == "name" and first.text not in RESERVED_WORDS:
            self.start = np.zeros(n)
            self.start[self.ref("state", "start:")] = 1.0
        elif first.kind == "number":
            nums = self.numbers()
            if len(nums) == 1 and n > 1 and nums.token(0).index >= 0:
                self.start = np.zeros(n)
                self.start[self.resolve(nums.token(0), "state", "start:")] = 1.0
            else:
                self.check_count(nums, n, f"start: expected {n} probabilities (one per state)")
                self.start = nums.values()
        else:
            raise self.error(
                first,
                f"expected {n} start probabilities, 'uniform' or a state after 'start:', got {_describe(first)}",
            )

    def check_count(self, nums: _Numbers, want: int, what: str) -> None:
        if len(nums) > want:
            raise self.error(nums.token(want), f"{what}, got more than {want}")
        if len(nums) < want:
            nxt = self.peek()
            raise self.error(nxt, f"{what}, got {len(nums)} before {_describe(nxt)}")

    def entry(self) -> None:
        head = self.advance()
        table = head.text
        axes = _ENTRY_AXES[table]
        self.require(head, tuple(dict.fromkeys(_KINDS[k] for k in axes)))
        self.expect_colon(table)
        label = f"{table}:"
        texts: list[str] = []
        where: list = []
        while True:
            texts.append(self.peek().text)
            where.append(self.ref(axes[len(where)], label))
            label = f"{table}: " + " : ".join(texts)
            if len(where) == len(axes) or self.peek().kind != "colon":
                break
            self.advance()
        if table == "R" and len(where) == 1:
            raise self.error(
                self.peek(),
                f"expected ':' and a state after {label!r} "
                "(R entries give at least an action and a state)",
            )
        sizes = [len(self.names[_KINDS[k]]) for k in axes]
        rest = sizes[len(where):]  # shape of the value this entry takes
        what = "a reward value" if table == "R" else "a probability"
        nxt = self.peek()
        if not rest:
            value: object = self.number(what).value
            extra = self.peek()
            if extra.kind == "number":
                raise self.error(extra, f"{label!r} takes one number, got another: {extra.text!r}")
        elif table != "R" and self.is_keyword(nxt, "uniform"):
            self.advance()
            value = 1.0 / rest[-1]
        elif table == "T" and len(rest) == 2 and self.is_keyword(nxt, "identity"):
            self.advance()
            value = "identity"
        elif self.is_keyword(nxt, "reset"):
            raise self.error(nxt, "'reset' is not supported")
        else:
            nums = self.numbers()
            if not len(nums):
                shape = " x ".join(map(str, rest))
                choices = [f"{'a row' if len(rest) == 1 else 'a matrix'} of {shape} numbers"]
                if table != "R":
                    choices.append("'uniform'")
                if table == "T" and len(rest) == 2:
                    choices.append("'identity'")
                expected = choices[0] if len(choices) == 1 else (
                    ", ".join(choices[:-1]) + " or " + choices[-1]
                )
                raise self.error(nxt, f"expected {expected} after {label!r}, got {_describe(nxt)}")
            want = int(np.prod(rest))
            if len(rest) == 1:
                desc = f"{label}: expected a row of {want} numbers"
            else:
                desc = f"{label}: expected a {rest[0]} x {rest[1]} matrix ({want} numbers)"
            self.check_count(nums, want, desc)
            value = nums.values().reshape(rest)
        self.ops.append(_Op(table, tuple(where), value, head))

    # -- assembling the model --------------------------------------------
    def build(self, eof: _Token) -> Pomdp:
        missing = [k for k in ("discount", "states", "actions", "observations") if k not in self.seen]
        if missing:
            raise self.error(eof, "missing " + ", ".join(f"'{k}:'" for k in missing)
                             + (" section" if len(missing) == 1 else " sections"))
        states, actions, obs = (self.names[k] for k in ("states", "actions", "observations"))
        n_s, n_a, n_o = len(states), len(actions), len(obs)
        if n_a * n_s * n_s * n_o > MAX_DENSE_ENTRIES:
            raise self.error(
                eof, f"model too large: {n_a} actions x {n_s}^2 states x {n_o} observations "
                f"exceeds {MAX_DENSE_ENTRIES} reward entries"
            )
        arrays = {
            "T": np.zeros((n_a, n_s, n_s)),
            "O": np.zeros((n_a, n_s, n_o)),
            "R": np.zeros((n_a, n_s, n_s, n_o)),
        }
        # Which op last wrote each probability row, to point at it in errors.
        last = {"T": np.full((n_a, n_s), -1), "O": np.full((n_a, n_s), -1)}
        for k, op in enumerate(self.ops):
            target = arrays[op.table]
            if isinstance(op.value, str):  # identity, for a whole T: a
                target[op.where] = np.eye(n_s)
            else:
                target[op.where] = op.value
            if op.table in last:
                last[op.table][op.where[:2]] = k
        start = self.start if self.start is not None else np.full(n_s, 1.0 / n_s)

        messages: list[tuple[_Token | None, str]] = []
        for v in probability_violations(states, actions, obs, start, arrays["T"], arrays["O"],
                                        PROBABILITY_SUM_TOLERANCE):
            if v.table == "start":
                messages.append((self.start_token, v.message))
                continue
            k = last[v.table][v.index]
            if k < 0:
                messages.append((None, f"{v.message}; no {v.table} entry sets this row"))
            else:
                messages.append((self.ops[k].token, v.message))
        if messages:
            located = [m for m in messages if m[0] is not None]
            located.sort(key=lambda m: (m[0].line, m[0].column))
            ordered = located + [m for m in messages if m[0] is None]
            errors = ErrorList()
            for t, msg in ordered:
                errors.add(f"{self.filename}:{t.line}:{t.column}: {msg}" if t is not None
                           else f"{self.filename}: {msg}")
            first = ordered[0][0]
            raise PomdpFormatError(
                errors.messages, self.filename,
                first.line if first else None, first.column if first else None,
                omitted=errors.omitted,
            )
        try:
            return Pomdp(
                states=states, actions=actions, observations=obs,
                discount=self.discount, sense=self.sense, start=start,
                transition=arrays["T"], observation=arrays["O"], reward=arrays["R"],
                name=_model_name(self.filename),
            )
        except ProblemError as exc:  # not expected: the checks above cover it
            raise PomdpFormatError(
                [f"{self.filename}: {e}" for e in exc.errors], self.filename, omitted=exc.omitted
            ) from exc


def _model_name(filename: str) -> str:
    if filename == "<string>":
        return ""
    name = Path(filename).name
    return name[: -len(".pomdp")] if name.lower().endswith(".pomdp") else name


def parse_pomdp(text: str, filename: str = "<string>") -> Pomdp:
    """Parse the text of a ``.POMDP`` file.

    Parameters
    ----------
    text : str
        The file's contents.
    filename : str, optional
        Used in error messages and, without its ``.POMDP`` suffix, as
        :attr:`Pomdp.name`.

    Returns
    -------
    Pomdp

    Raises
    ------
    PomdpFormatError
        For any malformed input, with ``filename:line:column:`` and what was
        expected.  Invalid probability rows are all listed, each at the entry
        that last wrote it.
    """
    return _Parser(text, str(filename)).parse()


def read_pomdp(path) -> Pomdp:
    """Read a ``.POMDP`` file (UTF-8, an optional BOM is skipped).

    Raises
    ------
    PomdpFormatError
        When the file cannot be read or decoded, or :func:`parse_pomdp` fails.
    """
    filename = str(path)
    try:
        data = read_bytes(path, ".POMDP file")
    except InputError as exc:
        raise PomdpFormatError(str(exc), filename) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise PomdpFormatError(
            f"{filename}:{line}:{column}: not UTF-8 (byte 0x{data[exc.start]:02x})",
            filename, line, column,
        ) from exc
    return parse_pomdp(text, filename)
