"""Benchmark: reading a large dense ``.POMDP`` file (rows and matrices of numbers).

Writes a random dense POMDP of about ``--megabytes`` MB to a temporary file,
reads it with :func:`decmdp.pomdp.read_pomdp` and prints the file size, the
numbers in it, the seconds and the peak memory of the process.

Run: ``python benchmarks/bench_parse.py [--states 250] [--actions 4] [--observations 30]``.
One run on a shared machine: compare ratios, not absolute seconds.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from decmdp.pomdp import read_pomdp  # noqa: E402


def dense_pomdp_text(states: int, actions: int, observations: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    lines = ["discount: 0.95", "values: reward", f"states: {states}", f"actions: {actions}",
             f"observations: {observations}", "start: uniform"]
    for a in range(actions):
        lines.append(f"T: {a}")
        lines += [" ".join(f"{x:g}" for x in row)
                  for row in rng.multinomial(10_000, np.ones(states) / states, size=states) / 10_000]
        lines.append(f"O: {a}")
        lines += [" ".join(f"{x:g}" for x in row)
                  for row in rng.multinomial(1_000, np.ones(observations) / observations, size=states) / 1_000]
    for a in range(actions):
        for s in range(states):
            lines.append(f"R: {a} : {s}")
            lines += [" ".join(map(str, row)) for row in rng.integers(0, 100, size=(states, observations))]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=250)
    parser.add_argument("--actions", type=int, default=4)
    parser.add_argument("--observations", type=int, default=30)
    args = parser.parse_args()
    text = dense_pomdp_text(args.states, args.actions, args.observations)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dense.POMDP"
        path.write_text(text)
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        read_pomdp(path)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(f"{'MB':>6} {'numbers':>10} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12}")
    print(f"{len(text) / 1e6:6.1f} {len(text.split()):10d} {seconds:8.2f} {cpu:8.2f} "
          f"{after.ru_maxrss / 1024:12.0f}")


if __name__ == "__main__":
    main()
