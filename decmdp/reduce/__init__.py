"""The reduce layer: each problem kind as the core's backup data.

A reducer turns one validated problem into a
:class:`~decmdp.core.types.BackupData` in minimization form (the core only
ever minimizes cost): it is the one place where a problem kind meets the
core.  One module per problem kind:

* :mod:`decmdp.reduce.two_player` -- the two-player problem as the
  coordinator's POMDP (:func:`reduce_two_player`), and the same with player 2
  blind to ``x2`` (:func:`reduce_blind`, for the bound);
* :mod:`decmdp.reduce.pomdp` -- a ``.POMDP`` model (:func:`reduce_pomdp`).
"""

from decmdp.reduce.pomdp import reduce_pomdp
from decmdp.reduce.two_player import reduce_blind, reduce_two_player

__all__ = ["reduce_blind", "reduce_pomdp", "reduce_two_player"]
