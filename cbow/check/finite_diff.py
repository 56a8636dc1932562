"""Finite differences for gradient checks: the numerical derivative and the error measure.

Used by `cbow.check.gradcheck` (the `cbow gradcheck` command); pure functions over float64 arrays.

    numeric_i = (-L(x + 2 eps e_i) + 8 L(x + eps e_i) - 8 L(x - eps e_i) + L(x - 2 eps e_i))
                / (12 eps)                                         (fourth-order central)
    error     = max_i |a_i - n_i| / max(floor, |a_i| + |n_i|)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["EPS", "numerical_gradient", "relative_error"]

EPS = 1e-3  # step of the fourth-order central difference (see numerical_gradient)


def numerical_gradient(
    loss: Callable[[], float], x: np.ndarray, eps: float | None = None, entries: np.ndarray | None = None
) -> np.ndarray:
    """Fourth-order central differences of `loss` w.r.t. entries of x (perturbed in place, restored).

        dL/dx_i ~ (-L(x + 2 eps e_i) + 8 L(x + eps e_i) - 8 L(x - eps e_i) + L(x - 2 eps e_i)) / (12 eps)

    Parameters
    ----------
    loss : callable () -> float
        Reads `x` through a closure.
    x : ndarray, float64, C-contiguous, any shape
    eps : float, default 1e-3 (EPS)
        Truncation error is O(eps^4 |L^(5)|) (~1e-12 here) and rounding O(1e-16 |L| / eps)
        (~1e-13 |L|): 1000 times less rounding than the two-point rule at eps = 1e-6, which
        matters for entries whose gradient is small by cancellation.
    entries : ndarray of int, shape (n,), optional
        Flat indices to check; the others are left 0 (default: all entries).

    Returns
    -------
    ndarray, shape and dtype of x
    """
    if x.dtype != np.float64:
        raise TypeError(f"gradient checks run in float64, got {x.dtype}")
    eps = EPS if eps is None else eps
    if not x.flags.c_contiguous:
        raise ValueError("x must be C-contiguous so it can be perturbed in place")
    flat = x.reshape(-1)  # a view
    grad = np.zeros(x.size)
    for index in range(x.size) if entries is None else entries.tolist():
        old = flat[index]
        values = []
        for step in (2 * eps, eps, -eps, -2 * eps):
            flat[index] = old + step
            values.append(loss())
        flat[index] = old
        # differences first: an entry the loss does not read gets exactly 0
        grad[index] = (8 * (values[1] - values[2]) - (values[0] - values[3])) / (12 * eps)
    return grad.reshape(x.shape)


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-8) -> float:
    """max over entries of |a - n| / max(floor, |a| + |n|); 0 for empty arrays.

    With the default floor this is STYLE.md §8's measure; `run_gradcheck` raises the floor
    to 1e-6 times the matrix's largest gradient entry (see `_compare`).
    """
    analytic = np.asarray(analytic, dtype=np.float64).reshape(-1)
    numeric = np.asarray(numeric, dtype=np.float64).reshape(-1)
    if analytic.size == 0:
        return 0.0
    return float(np.max(np.abs(analytic - numeric) / np.maximum(floor, np.abs(analytic) + np.abs(numeric))))
