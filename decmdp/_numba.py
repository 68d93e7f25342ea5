"""The one place that sets the numba policy for every kernel.

Every compiled kernel in decmdp is declared with :func:`kernel`, so caching,
the error model and the no-object-mode rule are decided here and nowhere else.
"""

import numba

kernel = numba.njit(cache=True, error_model="numpy", nogil=True)
"""Decorator for a numba kernel: nopython, cached on disk, numpy error model."""
