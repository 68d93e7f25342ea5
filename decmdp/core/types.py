"""Plain records passed into and out of the core engine.

These are :class:`typing.NamedTuple` s of numpy arrays: cheap to build, to
unpack and to hand to numba kernels field by field.  The reducers build a
:class:`BackupData`; :func:`decmdp.core.value_iteration.value_iteration`
returns one :class:`StageValue` and one :class:`StageStats` per stage.

Shapes use these letters (``docs/theory.md`` sections 4-5):

==== ==================================================================
``Y``  observed states (``x1``; 1 for a plain POMDP)
``A``  coordinator actions (``u1``; the POMDP's actions)
``S``  hidden states (``x2``; the POMDP's states)
``L``  lifted / inner actions (``u2``; 1 for a plain POMDP)
``K``  branches: one per (``y``, ``a``, successor label) with positive mass
``N``  alpha vectors of a stage, all observed states stacked
==== ==================================================================
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class BackupData(NamedTuple):
    """Everything the backup needs, in minimization form.  Trusted input.

    Attributes
    ----------
    cost : float64[Hc, Y, A, S, L]
        Immediate cost.  ``Hc == 1``: time invariant; otherwise stage ``t``
        uses ``cost[t]`` and ``Hc >= horizon``.
    terminal : float64[Y, S]
        Terminal cost: ``Gamma_T(y) = { terminal[y] }``.
    branch_ptr : int64[Y*A + 1]
        CSR pointer: the branches of ``(y, a)`` are
        ``k in range(branch_ptr[y*A + a], branch_ptr[y*A + a + 1])``.
    branch_target : int64[K]
        Observed state ``y'`` whose ``Gamma_{t+1}(y')`` branch ``k`` draws
        its successor vectors from.
    branch_label : int64[K]
        Column of :attr:`StageValue.successor` that branch ``k`` fills
        (``x1'`` for the two-player reduction, the observation for a POMDP).
        Labels are distinct within one ``(y, a)``.
    n_labels : int
        Number of successor columns.
    projection : float64[K, S, L, S]
        Discount included: the lifted projection of a successor vector
        ``alpha`` through branch ``k`` is
        ``G_k[alpha](s, l) = sum_s' projection[k, s, l, s'] * alpha(s')``.
    """

    cost: np.ndarray
    terminal: np.ndarray
    branch_ptr: np.ndarray
    branch_target: np.ndarray
    branch_label: np.ndarray
    n_labels: int
    projection: np.ndarray


class StageValue(NamedTuple):
    """``Gamma_t(y)`` for every ``y`` at one stage, with provenance.

    Attributes
    ----------
    ptr : int64[Y + 1]
        Vectors of observed state ``y`` are rows ``ptr[y]:ptr[y+1]``.
    values : float64[N, S]
        The alpha vectors (costs): ``V_t(y, b) = min_n b . values[n]`` over
        the rows of ``y``.
    action : int64[N]
        Coordinator action ``a`` of each vector; -1 at the terminal stage.
    prescription : int64[N, S]
        Inner action ``l`` for each hidden state ``s``; all 0 when ``L == 1``;
        -1 at the terminal stage.
    successor : int64[N, n_labels]
        For each label, the local index (row offset from ``ptr[target]`` in
        the next stage) of the successor vector chosen; -1 when the label is
        not a branch of ``(y, action)`` (and everywhere at the terminal
        stage).  This provenance is the policy graph.
    """

    ptr: np.ndarray
    values: np.ndarray
    action: np.ndarray
    prescription: np.ndarray
    successor: np.ndarray


class StageStats(NamedTuple):
    """Work done for one stage.

    Attributes
    ----------
    stage : int
        Decision stage ``t``.
    generated : int
        Vectors produced before pruning, summed over every projection,
        cross-sum and union of the stage.
    kept : int
        Vectors in ``Gamma_t`` (all ``y``).
    lps : int
        Witness LPs solved.
    seconds : float
        Wall-clock time of the stage.
    lp_trouble : int
        Vectors kept because no LP (numba, then HiGHS) could prove whether
        they have a witness (always safe).
    lp_fallbacks : int
        Witness decisions the numba LP could not prove and HiGHS made.
    prune_error : float
        Proven bound on how much this stage's own prunes raise
        ``V_t`` at any belief (the worst chain of prunes of one ``(y, a)``
        plus the union prune).
    error_bound : float
        Proven bound on ``sup_b |V_t(y, b) - exact V_t(y, b)|``: this
        stage's pruning and rounding errors plus the propagated error of the
        later stages.
    work_units : int
        Work units of the prunes finished in this stage (each a batch of
        candidates decided against a kept set, or a block of a dominance
        check), whichever executor ran them.
    """

    stage: int
    generated: int
    kept: int
    lps: int
    seconds: float
    lp_trouble: int = 0
    lp_fallbacks: int = 0
    prune_error: float = 0.0
    error_bound: float = 0.0
    work_units: int = 0
