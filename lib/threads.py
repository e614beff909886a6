"""Numerical libraries' thread pools in the app server: one thread each.

The app server runs many readers' searches at once (and `python -m lib serve` one process per core), so a search gains
nothing from spreading one matrix product over several cores. OpenBLAS (numpy's and scipy's) and OpenMP keep a pool of
threads per core and, after each call, leave them spinning for a while waiting for more work: in the app server that
spinning burned about as much CPU as the searches themselves, CPU that other readers' runs were waiting for.

Measured with `python -m bench.interaction_cost --runs 40` (2 cores, quiet machine, 2026-12-02): at 20,000 papers a
search cost 0.125 s of server CPU and 0.052 s with one thread per library, a map run 0.166 and 0.079 s, wall times
unchanged (0.064 and 0.056 s a search); at 1,000,000 papers a search 0.118 and 0.091 s of CPU, 0.196 and 0.086 s wall
(median). Building a model set keeps every core: only the app calls this.
"""

from __future__ import annotations

import os
from functools import cache

from threadpoolctl import threadpool_limits

# Read by OpenBLAS, OpenMP and MKL when they are loaded: a library first loaded after the call below obeys them too.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@cache
def one_thread_per_library() -> None:
    """Limit BLAS and OpenMP to one thread in this process, for the libraries loaded now and those loaded later. Once
    per process (later calls do nothing); a variable the user set (say OMP_NUM_THREADS=2) is left as it is for
    libraries loaded later."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    threadpool_limits(limits=1)
