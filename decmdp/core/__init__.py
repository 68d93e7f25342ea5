"""The numba core: exact finite-horizon alpha-vector value iteration.

Plain arrays in, plain arrays out; no model objects, dicts or networkx here.
Inputs are trusted: the models validate once and the reducers
(:mod:`decmdp.reduce`) normalize, before anything reaches this package.
"""
