"""Cassandra's ``.POMDP`` file format (pomdp-solve's input): model, reader, writer."""

from decmdp.pomdp.model import PROBABILITY_SUM_TOLERANCE, Pomdp
from decmdp.pomdp.parser import PomdpFormatError, parse_pomdp, read_pomdp
from decmdp.pomdp.solver import PomdpSolution, solve
from decmdp.pomdp.writer import format_pomdp, write_pomdp

__all__ = [
    "PROBABILITY_SUM_TOLERANCE",
    "Pomdp",
    "PomdpSolution",
    "PomdpFormatError",
    "format_pomdp",
    "parse_pomdp",
    "read_pomdp",
    "solve",
    "write_pomdp",
]
