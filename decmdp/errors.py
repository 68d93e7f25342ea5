"""Exceptions that decmdp raises on purpose.

Every message is meant for a person: it names the field, the indices (by name
where names exist) and what was expected.  The CLI prints them as ``error:``
lines and exits with status 2 (bad input) or 3 (a solver limit was hit).
"""

from __future__ import annotations

from collections.abc import Iterable


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``"1 entry"``, ``"3 entries"``: a count with its noun in the right number."""
    if n == 1:
        return f"{n} {noun}"
    if plural is None:
        plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
    return f"{n} {plural}"


class ProblemError(ValueError):
    """A problem file or model is invalid.

    Parameters
    ----------
    errors : iterable of str
        One message per violation, e.g.
        ``"transition2[x1=a, x2=hi, u1=go, u2=act]: sums to 0.97, expected 1"``.
    omitted : int, optional
        How many further violations were found but not listed.

    Attributes
    ----------
    errors : list of str
        The messages, in the order they were found.
    omitted : int
        Count of violations beyond ``errors``.
    """

    def __init__(self, errors: Iterable[str] | str, omitted: int = 0):
        if isinstance(errors, str):
            errors = [errors]
        self.errors = list(errors)
        self.omitted = int(omitted)
        lines = list(self.errors)
        if self.omitted:
            lines.append(f"... and {counted(self.omitted, 'more error')}")
        super().__init__("\n".join(lines))


class PolicyError(ValueError):
    """A policy (graph or file) is invalid or does not fit the model.

    Attributes
    ----------
    errors : list of str
        One message per violation.
    """

    def __init__(self, errors: Iterable[str] | str):
        if isinstance(errors, str):
            errors = [errors]
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class VectorLimitError(RuntimeError):
    """A solve would keep more alpha vectors than the caller allowed.

    The limit (``--max-vectors`` / ``max_vectors``) applies to every set of
    vectors a stage builds, not only to the vectors the stage finally keeps:
    each pruned partial cross-sum, each ``Gamma_t(x1)``, and the stage total.
    A stage whose final ``Gamma_t`` has exactly ``K`` vectors can therefore
    need a limit above ``K``.  An unpruned cross-sum is capped separately at
    a fixed multiple of the limit (``what`` says which was hit).

    Attributes
    ----------
    stage : int
        The decision stage (0-based) where the limit was exceeded.
    count : int
        The number of vectors that stage needed (at least).
    limit : int
        The limit that was set.
    what : str
        What was counted: ``"vectors"`` (after pruning) or the raw
        cross-sum about to be built, whose cap is a multiple of the limit.
    """

    def __init__(self, stage: int, count: int, limit: int, what: str = "vectors"):
        self.stage = int(stage)
        self.count = int(count)
        self.limit = int(limit)
        self.what = what
        counted = ("in one of its sets (a pruned partial cross-sum, a Gamma_t(x1) or the stage total; "
                   "--max-vectors counts all of them, not only the vectors kept)") if what == "vectors" else ""
        super().__init__(
            f"stage {self.stage} needs at least {self.count} {what}{' ' + counted if counted else ''}, "
            f"more than the limit of {self.limit} (raise it with --max-vectors / max_vectors)"
        )


class TimeLimitError(RuntimeError):
    """A solve ran past the time the caller allowed it.

    Attributes
    ----------
    stage : int
        The decision stage (0-based) being computed when time ran out.
    seconds : float
        The time limit that was set.
    """

    def __init__(self, stage: int, seconds: float):
        self.stage = int(stage)
        self.seconds = float(seconds)
        super().__init__(f"stage {self.stage} was still running after the time limit of {self.seconds:.3g} s")


class MemoryLimitError(RuntimeError):
    """The stored value function of a solve would outgrow the memory allowed.

    Exact value iteration keeps one vector set per stage (the policy graph is
    built from all of them), so memory grows with the horizon unless the
    stages start to repeat (then one set is stored for all of them).

    Attributes
    ----------
    stage : int
        The decision stage (0-based) at which the estimate passed the limit.
    estimate : int
        Bytes the stages computed so far take (an estimate, Python objects
        included).
    limit : int
        The limit, in bytes.
    what : str
        What outgrew it: the stored value function, or the policy graph
        built from it (one node per stage and reachable vector).
    """

    def __init__(self, stage: int, estimate: int, limit: int, what: str = "the stored value function"):
        self.stage = int(stage)
        self.estimate = int(estimate)
        self.limit = int(limit)
        self.what = what
        super().__init__(
            f"horizon: at stage {self.stage} {what} already takes about "
            f"{self.estimate / 2**20:.0f} MiB, more than the limit of {self.limit / 2**20:.0f} MiB; "
            f"the stages do not repeat, so memory grows with the horizon: lower the horizon "
            f"(or, discounted with a time-invariant cost, solve with --infinite)"
        )
