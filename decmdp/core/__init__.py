"""The numba core: exact finite-horizon alpha-vector value iteration.

Plain arrays in, plain arrays out; no model objects, dicts or networkx here.
Inputs are trusted: the reducers (:mod:`decmdp.reducer`, :mod:`decmdp.pomdp`)
validate and normalize once, before anything reaches this package.
"""
