"""decmdp: exact solver for two-player decentralized MDPs with nested information.

Player 1 sees its own state ``x1``; player 2 sees ``x1`` and its own ``x2`` and
cannot influence ``x1``.  A coordinator who knows the ``x1`` history picks
player 1's action and a prescription ``x2 -> u2``; its problem is a POMDP over
``x2`` that :func:`solve` answers exactly by alpha-vector value iteration.

Quick start::

    import decmdp
    model = decmdp.load("problems/tiny-by-hand.json")
    solution = decmdp.solve(model)
    print(solution.value)
"""

from decmdp.bounds import Bounds
from decmdp.common import Sense
from decmdp.core.types import StageStats
from decmdp.core.value_iteration import Method
from decmdp.errors import MemoryLimitError, PolicyError, ProblemError, TimeLimitError, VectorLimitError
from decmdp.evaluation import evaluate
from decmdp.fileio import DENSE, SPARSE, dumps, load, loads, save
from decmdp.model import TwoPlayerMDP
from decmdp.policy import PolicyGraph, Player1Controller, Player2Controller, load_policy
from decmdp.simulation import SimulationResult, simulate
from decmdp.solver import Solution, solve
from decmdp.tolerances import DEFAULT_TOLERANCES, Tolerances

from decmdp import pomdp  # noqa: E402  (decmdp.pomdp.solve works after a bare ``import decmdp``)

__version__ = "0.1.0"

__all__ = [
    "Bounds",
    "Method",
    "PolicyGraph",
    "Player1Controller",
    "Player2Controller",
    "SimulationResult",
    "Solution",
    "StageStats",
    "evaluate",
    "load_policy",
    "simulate",
    "solve",
    "DENSE",
    "DEFAULT_TOLERANCES",
    "PolicyError",
    "ProblemError",
    "SPARSE",
    "Sense",
    "Tolerances",
    "TwoPlayerMDP",
    "VectorLimitError",
    "MemoryLimitError",
    "TimeLimitError",
    "dumps",
    "load",
    "loads",
    "pomdp",
    "save",
]
