"""Central-difference gradient checking, shared by the model and objective tests.

Shape of CS231n's `eval_numerical_gradient` (`X-I-N/cs231n.assignment2:
cs231n/gradient_check.py`), but silent: callers assert on `relative_error`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from cbow.model.hidden import apply_row_grads, hidden_forward
from cbow.model.hidden import hidden_backward as true_hidden_backward


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for every entry of x.

    Parameters
    ----------
    f : callable with no arguments returning a float
        Reads `x` (and whatever else it closes over); evaluated 2 * x.size times.
    x : ndarray, float64
        Perturbed in place, one entry at a time, and restored exactly afterwards.
    eps : float, default 1e-6
        Step; 1e-6 balances truncation (O(eps^2)) and rounding (O(1e-16 / eps)) in float64.

    Returns
    -------
    ndarray, shape and dtype of x
    """
    if x.dtype != np.float64:
        raise TypeError(f"gradient checks run in float64, got {x.dtype}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        idx = it.multi_index
        old = x[idx]
        x[idx] = old + eps
        f_plus = f()
        x[idx] = old - eps
        f_minus = f()
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max over entries of |a - n| / max(1e-8, |a| + |n|) (STYLE.md §8)."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"shapes differ: {analytic.shape} vs {numeric.shape}")
    return float(
        np.max(np.abs(analytic - numeric) / np.maximum(1e-8, np.abs(analytic) + np.abs(numeric)))
    )


# --- CBOW end to end: W_in -> mean -> objective --------------------------------------------

def tiny_contexts() -> tuple[np.ndarray, np.ndarray]:
    """Contexts of a tiny batch (B = 4, w = 3, V >= 12) that exercise every gradient path.

    Example 0: 6 real words, id 3 three times (repeats within an example).
    Example 1: 1 real word (C = 1); its padding slots hold id 0, which no example uses, so
               row 0 of dL/dW_in must stay exactly 0 (padding must not leak).
    Example 2: 3 real words, mask not left-aligned (real words on both sides of the target).
    Example 3: 4 real words sharing ids 3 and 5 with examples 0 and 2 (repeats across).

    Returns
    -------
    context_ids : (4, 6) int32
    context_mask : (4, 6) bool
    """
    context_ids = np.array(
        [
            [3, 7, 3, 9, 3, 1],
            [0, 0, 4, 0, 0, 0],
            [0, 5, 8, 11, 0, 0],
            [2, 3, 5, 10, 0, 0],
        ],
        dtype=np.int32,
    )
    context_mask = np.array(
        [
            [1, 1, 1, 1, 1, 1],
            [0, 0, 1, 0, 0, 0],
            [0, 1, 1, 1, 0, 0],
            [1, 1, 1, 1, 0, 0],
        ],
        dtype=bool,
    )
    return context_ids, context_mask


def dense_grad(n_rows: int, row_grads, dtype=np.float64) -> np.ndarray:
    """Scatter RowGrads into a dense zero matrix with cbow.model.apply_row_grads."""
    d = row_grads[1].shape[1]
    out = np.zeros((n_rows, d), dtype=dtype)
    apply_row_grads(out, row_grads, 1.0)
    return out


def cbow_gradient_errors(
    objective_forward: Callable,
    objective_backward: Callable,
    W_in: np.ndarray,
    W_out: np.ndarray,
    context_ids: np.ndarray,
    context_mask: np.ndarray,
    objective_args: tuple,
    hidden_backward: Callable | None = None,
) -> dict[str, float]:
    """Relative errors of the analytic dL/dh, dL/dW_out and dL/dW_in of the SUM loss.

    Analytic: hidden_forward -> objective forward/backward -> hidden_backward, RowGrads
    scattered into dense matrices. Numeric: central differences of the whole composition
    (for W_in, W_out) and of the objective alone (for h). `hidden_backward` may be replaced
    by a deliberately wrong one to show the check catches it.
    """
    hidden_backward = hidden_backward or true_hidden_backward

    h, hidden_cache = hidden_forward(W_in, context_ids, context_mask)
    _, cache = objective_forward(h, W_out, *objective_args)
    grad_h, out_row_grads = objective_backward(cache)
    grad_W_out = dense_grad(W_out.shape[0], out_row_grads)
    grad_W_in = dense_grad(W_in.shape[0], hidden_backward(grad_h, hidden_cache))

    def loss_of_weights() -> float:
        h_now, _ = hidden_forward(W_in, context_ids, context_mask)
        return objective_forward(h_now, W_out, *objective_args)[0]

    h = h.copy()  # perturbed in place below

    def loss_of_h() -> float:
        return objective_forward(h, W_out, *objective_args)[0]

    return {
        "h": relative_error(grad_h, numerical_gradient(loss_of_h, h)),
        "W_out": relative_error(grad_W_out, numerical_gradient(loss_of_weights, W_out)),
        "W_in": relative_error(grad_W_in, numerical_gradient(loss_of_weights, W_in)),
    }
