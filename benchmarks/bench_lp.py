"""Benchmark: the core engine and its witness LP, numba simplex vs HiGHS.

1. Solve a seeded random POMDP (``Y = 1, L = 1``; default ``S = 8, A = 3``,
   5 observations, horizon 8, sparse dynamics) with the numba LP: seconds,
   vectors, LPs and LPs per second of solve time.
2. Micro-benchmark: the witness LP of every vector of the resulting
   ``Gamma_0`` against all the others, solved by the numba kernel and (for
   a sample) by scipy's HiGHS: LPs per second each, and the largest
   disagreement in ``delta``.
3. With ``--shuttle PATH``: shuttle.95 (pomdp-solve's example) at a given
   horizon through :mod:`decmdp.pomdp`'s parser.

Run: ``python benchmarks/bench_lp.py [--horizon 8] [--shuttle tests/data/shuttle.95.POMDP]``.
The first run compiles the kernels (cached afterwards); the solve is run
once to warm up unless ``--cold``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from decmdp.core.lp import witness_lp, witness_lp_highs  # noqa: E402
from decmdp.core.types import BackupData  # noqa: E402
from decmdp.pomdp import Pomdp, read_pomdp  # noqa: E402
from decmdp.reduce import reduce_pomdp  # noqa: E402
from decmdp.core.value_iteration import value_iteration  # noqa: E402
from decmdp.tolerances import DEFAULT_TOLERANCES  # noqa: E402


def random_pomdp(S, A, O, seed=0, discount=0.95) -> BackupData:
    """A seeded random sparse POMDP, through the same reducer as a .POMDP file."""
    rng = np.random.default_rng(seed)

    def stochastic(*shape):
        raw = rng.random(shape) * (rng.random(shape) < 0.35)
        raw[..., 0] += 1e-3 * (raw.sum(axis=-1) == 0)
        return raw / raw.sum(axis=-1, keepdims=True)

    transition, observation = stochastic(A, S, S), stochastic(A, S, O)
    cost = np.broadcast_to(rng.random((A, S))[:, :, None, None], (A, S, S, O))
    pomdp = Pomdp(states=[f"s{i}" for i in range(S)], actions=[f"a{i}" for i in range(A)],
                  observations=[f"o{i}" for i in range(O)], discount=discount, sense="minimize",
                  start=np.full(S, 1.0 / S), transition=transition, observation=observation,
                  reward=cost, name="random")
    return reduce_pomdp(pomdp)


def solve(data, horizon, label):
    t0 = time.perf_counter()
    stages, stats = value_iteration(data, horizon)
    sec = time.perf_counter() - t0
    lps = sum(s.lps for s in stats)
    trouble = sum(s.lp_trouble for s in stats)
    print(
        f"{label}: horizon {horizon}: {sec:.3f} s, |Gamma_0| = {len(stages[0].values)}, "
        f"{lps} LPs ({lps / sec:,.0f} LPs/s of solve time), LP trouble {trouble}"
    )
    return stages


def lp_micro(V, n_highs=200):
    N, D = V.shape
    b, y = np.empty(D), np.empty(N)
    tol = DEFAULT_TOLERANCES.lp_feasibility
    idx = [np.array([j for j in range(N) if j != i], dtype=np.int64) for i in range(N)]
    KT = np.ascontiguousarray(V.T)
    witness_lp(KT, idx[0], N - 1, V[0], tol, b, y)  # compile / load
    t0 = time.perf_counter()
    deltas = np.empty(N)
    for i in range(N):
        deltas[i] = witness_lp(KT, idx[i], N - 1, V[i], tol, b, y)[1]
    t_numba = (time.perf_counter() - t0) / N
    sample = np.linspace(0, N - 1, min(n_highs, N)).astype(int)
    t0 = time.perf_counter()
    diff = 0.0
    for i in sample:
        _, d, _, _ = witness_lp_highs(V[idx[i]], V[i])
        diff = max(diff, abs(d - deltas[i]))
    t_highs = (time.perf_counter() - t0) / len(sample)
    print(
        f"witness LP, D = {D}, m = {N - 1} kept: numba {1 / t_numba:,.0f} LPs/s "
        f"({t_numba * 1e6:.1f} us), HiGHS {1 / t_highs:,.0f} LPs/s ({t_highs * 1e6:.0f} us), "
        f"speed-up {t_highs / t_numba:.0f}x, max |delta diff| {diff:.1e}"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--states", type=int, default=8)
    ap.add_argument("--actions", type=int, default=3)
    ap.add_argument("--observations", type=int, default=5)
    ap.add_argument("--horizon", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cold", action="store_true", help="do not warm up the kernels first")
    ap.add_argument("--shuttle", type=Path, help="path to shuttle.95.POMDP")
    ap.add_argument("--shuttle-horizon", type=int, default=10)
    args = ap.parse_args()

    data = random_pomdp(args.states, args.actions, args.observations, args.seed)
    if not args.cold:
        value_iteration(data, 2)
    stages = solve(data, args.horizon, f"random POMDP S={args.states} A={args.actions} "
                   f"O={args.observations}")
    lp_micro(stages[0].values)

    if args.shuttle:
        stages = solve(reduce_pomdp(read_pomdp(args.shuttle)), args.shuttle_horizon, "shuttle.95")
        lp_micro(stages[0].values)


if __name__ == "__main__":
    main()
