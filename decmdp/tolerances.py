"""Named numerical tolerances, in one place.

Kernels receive them as a :class:`Tolerances` named tuple so that a test or a
user can tighten or loosen one without touching code.

Pruning tolerances are relative.  The **scale** of a prune is the spread of
the set of vectors being pruned, ``spread = max V - min V`` over all its
entries, and a relative tolerance ``r`` means the absolute margin
``r * spread`` in that prune.  Multiplying every cost by ``c > 0`` multiplies
every margin by ``c``, and adding a constant to every cost changes no margin,
so neither changes a pruning decision (beyond float64's rounding of the
shifted values).  Rounding is accounted for separately, in units of
``4 u max|V|`` per term summed; the witness margin is never below
:data:`decmdp.core.prune.TAU_FLOOR_UNITS` such units, so that a set whose
spread is tiny next to its magnitude can still be certified.

Every prune reports the certified bound of what it dropped, and the solvers
add these bounds up (with the rounding of the backups) into the
``error_bound`` of a solution: a proven bound on ``|reported value - exact
optimum|``.  ``docs/design.md`` ("Tolerances and the error bound") derives
it.
"""

from typing import NamedTuple

FLOAT64_UNIT_ROUNDOFF = 2.0**-53
"""``u``: the relative rounding error of one float64 operation."""

HIGHS_MIN_TOLERANCE = 1e-10
"""HiGHS refuses feasibility tolerances below this; ``lp_feasibility`` is
raised to it for HiGHS."""


def rounding_bound(n_terms: int, magnitude: float) -> float:
    """Bound on the rounding error of a float64 sum of ``n_terms`` terms.

    ``gamma_n * magnitude`` with ``gamma_n = n u / (1 - n u)``, where
    ``magnitude`` bounds the sum of the absolute values of the terms (Higham,
    *Accuracy and Stability of Numerical Algorithms*, section 3.1).
    """
    nu = max(int(n_terms), 1) * FLOAT64_UNIT_ROUNDOFF
    return nu / (1.0 - nu) * float(magnitude)


class Tolerances(NamedTuple):
    """Tolerances used by validation, pruning and evaluation.

    Attributes
    ----------
    probability : float
        A probability row must sum to 1 within this (absolute), and a joint
        transition's ``x1'`` marginal must not depend on ``x2`` or ``u2`` by
        more than this.  The ``decmdp/1`` format fixes it at 1e-9.  Read by
        validation when a model is built, never by a solver: ``solve`` takes
        an already validated model.
    pomdp_probability : float
        The same for ``.POMDP`` files: 1e-5, what pomdp-solve accepts.
    dominance : float
        Relative (to the spread).  Vector ``w`` is dropped by a full
        pointwise scan when a kept vector ``v`` has
        ``v <= w + dominance * spread`` in every component.  The default 0
        skips that scan (it costs ``O(N^2 D)``): duplicates are removed, and
        the witness step drops what a kept vector dominates within its own
        certified margin.
    witness : float
        Relative (to the spread).  A vector is dropped when it is PROVEN to
        improve on the kept vectors by at most ``witness * spread`` at every
        belief (see
        :mod:`decmdp.core.lp`), so one prune raises the envelope by at most
        that much; the error bound of a solution adds up the proven amounts.
        The default keeps the vector sets parsimonious (near-duplicates that
        differ by rounding-level amounts are merged) while the values agree
        with exact arithmetic far below any modelling precision.
    lp_feasibility : float
        Relative pivot / feasibility tolerance of the witness LP: the numba
        simplex works on the payoff scaled into ``[1, 2]``, HiGHS on the
        payoff scaled to largest magnitude 1, and both use this (HiGHS no
        less than :data:`HIGHS_MIN_TOLERANCE`).  It never
        decides a drop on its own: drops are certified in unscaled
        arithmetic.
    """

    probability: float = 1e-9
    pomdp_probability: float = 1e-5
    dominance: float = 0.0
    witness: float = 5e-7
    lp_feasibility: float = 1e-11


DEFAULT_TOLERANCES = Tolerances()
