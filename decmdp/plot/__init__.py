"""Pictures of a solution: value functions over the belief and policy graphs.

Needs the optional extra ``decmdp[plot]`` (matplotlib); without it each
function raises :class:`MissingPlotExtra` naming the install command.
Graphviz's ``dot`` draws policy graphs when it is on PATH.

The usual entry points are methods: ``solution.plot_value(...)``,
``solution.policy.plot(...)``, ``pomdp_solution.plot_value(...)``,
``pomdp_solution.plot_policy(...)``.
"""

from decmdp.plot._backend import (INSTALL_HINT, MissingPlotExtra, check_format, figure_bytes,
                                  require_matplotlib, save_figure, save_picture)
from decmdp.plot.graph import graphviz, policy_picture, pomdp_policy_picture
from decmdp.plot.value import pomdp_value_figure, solution_value_figure, value_figure

__all__ = [
    "INSTALL_HINT",
    "MissingPlotExtra",
    "check_format",
    "figure_bytes",
    "graphviz",
    "policy_picture",
    "pomdp_policy_picture",
    "pomdp_value_figure",
    "require_matplotlib",
    "save_figure",
    "save_picture",
    "solution_value_figure",
    "value_figure",
]
