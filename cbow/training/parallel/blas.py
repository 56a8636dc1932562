"""One BLAS thread per worker process, for workers started by fork.

N workers on N cores must not each start a pool of N BLAS threads. A spawned worker is a
fresh interpreter: the BLAS_THREAD_VARIABLES in its environment are read when it imports
numpy. A forked worker inherits a numpy whose OpenBLAS has already read them, so
`use_one_blas_thread` asks every OpenBLAS loaded in the process to use one thread (its
`openblas_set_num_threads`, under the name its build gives it: numpy's and scipy's wheels
prefix it `scipy_` and suffix the 64-bit-integer build `64_`) and sets the variables for
a BLAS loaded later (scipy.linalg's, on first import). OpenBLAS's own fork handler has
already stopped its thread pool in the child; the call keeps it from starting another.
"""

from __future__ import annotations

import ctypes
import os

BLAS_THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
)
_SET_THREADS_NAMES = (
    "scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_", "openblas_set_num_threads",
)


def loaded_openblas_paths() -> list[str]:
    """Files of the OpenBLAS libraries mapped into this process (Linux's /proc/self/maps)."""
    paths = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and "openblas" in os.path.basename(fields[5]).lower():
                    path = fields[5].strip()
                    if path not in paths:
                        paths.append(path)
    except OSError:  # not Linux
        pass
    return paths


def _openblas_functions(verb: str):
    """(path, function) of `<verb>_num_threads` in every loaded OpenBLAS that has it, under
    the first of its build's names (`_SET_THREADS_NAMES` with `verb` for "set")."""
    for path in loaded_openblas_paths():
        try:
            library = ctypes.CDLL(path)  # already loaded: the same handle, no second copy
        except OSError:
            continue
        for name in _SET_THREADS_NAMES:
            function = getattr(library, name.replace("set_", f"{verb}_"), None)
            if function is not None:
                yield path, function
                break


def use_one_blas_thread() -> int:
    """Make every loaded OpenBLAS, and any BLAS loaded from now on, use one thread.

    Returns
    -------
    The number of loaded libraries told so.
    """
    os.environ.update({name: "1" for name in BLAS_THREAD_VARIABLES})
    told = 0
    for _, set_threads in _openblas_functions("set"):
        set_threads.argtypes = [ctypes.c_int]
        set_threads.restype = None
        set_threads(1)
        told += 1
    return told


def blas_threads() -> dict[str, int]:
    """{library file: its thread count} for every loaded OpenBLAS (for tests and reports)."""
    counts = {}
    for path, get_threads in _openblas_functions("get"):
        get_threads.restype = ctypes.c_int
        counts[path] = int(get_threads())
    return counts
