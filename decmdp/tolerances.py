"""Named numerical tolerances, in one place.

Kernels receive them as a :class:`Tolerances` named tuple so that a test or a
user can tighten or loosen one without touching code.
"""

from typing import NamedTuple


class Tolerances(NamedTuple):
    """Tolerances used by validation, pruning and evaluation.

    Attributes
    ----------
    probability : float
        A probability row must sum to 1 within this (absolute), and a joint
        transition's ``x1'`` marginal must not depend on ``x2`` or ``u2`` by
        more than this.  DESIGN.md section 6 fixes it at 1e-9.
    pomdp_probability : float
        The same for ``.POMDP`` files: 1e-5, what pomdp-solve accepts.
    dominance : float
        Vector ``a`` is pointwise dominated by ``b`` (costs) when
        ``b <= a + dominance`` in every component; it is then dropped.
    witness : float
        A witness LP must show a vector improving on all kept vectors by more
        than this at some belief, or the vector is pruned.  Vectors that help
        by less than this change the value by less than this, so pruning them
        costs at most ``witness`` per stage in the value.
    lp_feasibility : float
        Primal feasibility / pivot tolerance inside the simplex kernel.
    """

    probability: float = 1e-9
    pomdp_probability: float = 1e-5
    dominance: float = 1e-12
    witness: float = 1e-10
    lp_feasibility: float = 1e-11


DEFAULT_TOLERANCES = Tolerances()
