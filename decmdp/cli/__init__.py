"""The ``decmdp`` command line.

Exit status: 0 success, 2 bad input (problem or policy file, options, an
output file that exists without ``--force``), 3 a solver limit was hit,
130 interrupted.  Errors are ``error: ...`` lines on stderr, never a traceback.

Each module registers its commands on :data:`main`:

============ ===============================================
``files``    validate, info, convert
``solving``  solve, evaluate, simulate
``pomdp``    pomdp solve, export-pomdp
``plotting`` plot, plot-policy, report, pomdp plot, pomdp plot-policy
``interop``  export-dpomdp
============ ===============================================
"""

from decmdp.cli import files, pomdp, solving  # noqa: F401  (register the commands)
from decmdp.cli import interop, plotting  # noqa: F401  (register the commands)
from decmdp.cli._common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_LIMIT, Progress
from decmdp.cli._group import main

__all__ = ["main", "Progress", "EXIT_BAD_INPUT", "EXIT_LIMIT", "EXIT_INTERRUPTED"]
