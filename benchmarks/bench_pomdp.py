"""Benchmark: the classic POMDPs solved exactly by the core, by horizon.

Prints two tables:

1. Every file and horizon of ``tests/data/refs.json``, plus a few longer
   horizons: CPU seconds (the JIT is compiled before timing), vectors at
   stage 0, LPs, and pomdp-solve 5.5's figures where refs.json lists them
   (and the published reference times for shuttle.95 at horizons 9 and 10,
   14.3 s and 21.5 s, and tiger.95 at 30, 0.93 s).
2. Parsimony: the long-horizon rows where vector counts were measured for
   pomdp-solve 5.5 (incprune) and SolvePOMDP (incremental pruning with
   accelerated vector pruning), against ours now and, with ``--baseline
   REV``, against the code of git revision ``REV`` run on the same machine
   in the same run (its tree is exported to a temporary folder).  A row is
   "ok" when our count is at most 5% above the smaller of the two peers'.

Run: ``python benchmarks/bench_pomdp.py [--baseline REV] [--max-seconds 600]``.
Figures come from one run on a shared machine: compare ratios, not absolute
seconds.  4x3.95 is read from ``benchmarks/data``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
BENCH_DATA = ROOT / "benchmarks" / "data"  # classics no test needs (4x3.95)
PUBLISHED = {("shuttle.95.POMDP", 9): (14.3, 1176), ("shuttle.95.POMDP", 10): (21.5, None),
             ("tiger.95.POMDP", 30): (0.93, None)}
EXTRA = {"shuttle.95.POMDP": [9, 10], "cheese.95.POMDP": [20], "tiger.95.POMDP": [40]}
PARSIMONY = [  # (file, horizon, pomdp-solve vectors, SolvePOMDP vectors), measured on the peers
    ("tiger.95.POMDP", 60, 25, 17),
    ("tiger.95.POMDP", 100, 9, 9),
    ("shuttle.95.POMDP", 11, 1261, 1323),
    ("shuttle.95.POMDP", 12, 900, 862),
    ("4x3.95.POMDP", 10, 3373, 3549),
    ("4x3.95.POMDP", 11, None, 7693),
]


def data_path(name: str) -> Path:
    """``tests/data/NAME``, or ``benchmarks/data/NAME`` for a file no test uses."""
    return DATA / name if (DATA / name).exists() else BENCH_DATA / name


def measure(root: Path, name: str, horizon: int) -> dict:
    """Solve ``name`` with the decmdp found in ``root``: CPU seconds, vectors, value."""
    sys.path.insert(0, str(root))
    from decmdp.pomdp import read_pomdp
    from decmdp.pomdp.solver import solve

    model = read_pomdp(data_path(name))
    # compile (or load from the numba cache) every kernel outside the timing
    solve(read_pomdp(DATA / "tiger.95.POMDP"), 8)
    solve(model, 2)
    started = time.process_time()
    solution = solve(model, horizon)
    seconds = time.process_time() - started
    return {"seconds": seconds, "vectors": int(solution.vectors.shape[0]), "value": solution.value(),
            "lps": sum(s.lps for s in solution.stats),
            "error_bound": getattr(solution, "error_bound", None)}


def measure_elsewhere(root: Path, name: str, horizon: int) -> dict:
    """:func:`measure` in a fresh process, so that two versions never share imports."""
    done = subprocess.run([sys.executable, __file__, "--measure", str(root), name, str(horizon)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def export_revision(revision: str, into: Path) -> Path:
    """The tree of ``revision`` (with this checkout's test data) in ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def classic_table(max_seconds: float) -> None:
    refs = json.loads((DATA / "refs.json").read_text())
    print("classic POMDPs: CPU seconds, stage-0 vectors, LPs, against pomdp-solve 5.5 (refs.json)")
    header = (f"{'problem':<18} {'H':>3} {'seconds':>8} {'vectors':>8} {'LPs':>9} "
              f"{'pomdp-solve s':>13} {'its vectors':>11} {'speed-up':>8}")
    print(header)
    print("-" * len(header))
    for name, ref in refs.items():
        horizons = sorted({int(h) for h in ref["horizons"]} | set(EXTRA.get(name, [])))
        for h in horizons:
            row = measure_elsewhere(ROOT, name, h)
            listed = ref["horizons"].get(str(h))
            theirs, their_vectors = ((listed["pomdp_solve_seconds"], listed["vectors"]) if listed
                                     else PUBLISHED.get((name, h), (None, None)))
            if (name, h) in PUBLISHED:
                theirs, their_vectors = PUBLISHED[(name, h)][0], their_vectors or PUBLISHED[(name, h)][1]
            speedup = f"{theirs / row['seconds']:8.1f}" if theirs else f"{'-':>8}"
            print(f"{name.removesuffix('.POMDP'):<18} {h:>3} {row['seconds']:>8.3f} {row['vectors']:>8} "
                  f"{row['lps']:>9} {theirs if theirs else '-':>13} "
                  f"{their_vectors if their_vectors else '-':>11} {speedup}", flush=True)
            if row["seconds"] > max_seconds:
                break


def parsimony_table(baseline: str | None) -> None:
    print()
    print("parsimony: stage-0 vectors and CPU seconds; peers' counts measured with pomdp-solve 5.5 and SolvePOMDP")
    header = (f"{'problem':<12} {'H':>3} {'vectors':>8} {'seconds':>8} {'error bound':>11} "
              f"{'base vec':>8} {'base s':>8} {'time ratio':>10} {'value change':>12} "
              f"{'pomdp-solve':>11} {'SolvePOMDP':>10} {'<= 1.05 min':>11}")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as folder:
        base_root = export_revision(baseline, Path(folder)) if baseline else None
        for name, h, theirs, solvepomdp in PARSIMONY:
            if not data_path(name).exists():
                print(f"{name.removesuffix('.POMDP'):<12} {h:>3}  (file not found: row skipped)")
                continue
            now = measure_elsewhere(ROOT, name, h)
            cells = f"{'-':>8} {'-':>8} {'-':>10} {'-':>12}"
            if base_root is not None:
                base = measure_elsewhere(base_root, name, h)
                change = abs(now["value"] - base["value"]) / max(abs(base["value"]), 1e-300)
                cells = (f"{base['vectors']:>8} {base['seconds']:>8.2f} "
                         f"{base['seconds'] / now['seconds']:>9.1f}x {change:>12.1e}")
            peers = [v for v in (theirs, solvepomdp) if v is not None]
            ok = "yes" if now["vectors"] <= 1.05 * min(peers) else "NO"
            print(f"{name.removesuffix('.POMDP'):<12} {h:>3} {now['vectors']:>8} {now['seconds']:>8.2f} "
                  f"{now['error_bound']:>11.1e} {cells} {theirs or '-':>11} {solvepomdp:>10} {ok:>11}",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="REV", help="Also run git revision REV, for before/after.")
    parser.add_argument("--max-seconds", type=float, default=600.0,
                        help="Skip larger horizons of a problem once one takes longer.")
    parser.add_argument("--measure", nargs=3, metavar=("ROOT", "FILE", "H"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        root, name, h = args.measure
        print(json.dumps(measure(Path(root), name, int(h))))
        return
    classic_table(args.max_seconds)
    parsimony_table(args.baseline)


if __name__ == "__main__":
    main()
