"""Numerically stable elementwise pieces shared by every objective: the single, tested copy.

All functions are dtype-agnostic (float32 in training, float64 in gradient checks).
"""

from __future__ import annotations

import numpy as np

# 3CosMul's denominator guard (analogies): gensim's value; Levy & Goldberg used 1e-3
COSMUL_EPSILON = 1e-6


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-x)), without overflow for large |x|.

    Uses exp(-|x|) <= 1 on both branches, so nothing overflows.
    """
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log sigmoid(x) = -log(1 + exp(-x)), exact for large |x| (no clamping table)."""
    return -np.logaddexp(0, -np.asarray(x))


def logsumexp(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """log sum exp along `axis`, shifted by the max so that nothing overflows.

    Returns an array with `axis` removed.
    """
    scores = np.asarray(scores)
    shift = np.max(scores, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)
    out = np.log(np.sum(np.exp(scores - shift), axis=axis, keepdims=True)) + shift
    return np.squeeze(out, axis=axis)


def softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(s - logsumexp(s)) along `axis`: rows sum to 1, no overflow."""
    scores = np.asarray(scores)
    shifted = scores - np.max(scores, axis=axis, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= np.sum(shifted, axis=axis, keepdims=True)
    return shifted


def log_sigmoid_with_grad(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log sigmoid(x) and its derivative sigmoid(-x), both from one exp (the NS/HS hot path).

    Parameters
    ----------
    x : ndarray of float, any shape

    Returns
    -------
    log_sig : ndarray, shape and dtype of `x`
        log sigmoid(x) = min(x, 0) - log1p(exp(-|x|)), exact in both tails.
    grad : ndarray, shape and dtype of `x`
        d/dx log sigmoid(x) = sigmoid(-x) = 1 - sigmoid(x), computed without the
        cancellation of `1 - sigmoid(x)` when x is large.

    Notes
    -----
    exp(-|x|) lies in (0, 1], so nothing overflows at any |x|; word2vec.c instead reads
    sigmoid from a table and clamps x to [-6, 6].
    """
    x = np.asarray(x)
    e = np.exp(-np.abs(x))  # (0, 1]
    one_plus_e = 1 + e
    log_sig = np.minimum(x, 0)
    log_sig -= np.log1p(e)
    # sigmoid(-x) = e / (1 + e) for x >= 0 (e = exp(-x)), 1 / (1 + e) for x < 0 (e = exp(x))
    grad = np.where(x >= 0, e, 1)
    grad /= one_plus_e
    return log_sig, grad


def log_sigmoid_sum_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
    """sum log sigmoid(x) (a float64 scalar) and the elementwise derivative sigmoid(-x).

    The fused NS/HS step needs only the batch's summed loss, so this is
    `log_sigmoid_with_grad` with fewer passes over the slots (it is their hot path):

        log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|))      summed in float64
        sigmoid(-x)    = 1 / (1 + exp(x))

    Parameters
    ----------
    x : (M,) float32 or float64

    Returns
    -------
    total : float
        sum_m log sigmoid(x_m). Each term's absolute error is at most ~2 ulp of 1
        (log instead of log1p: when exp(-|x|) is below half an ulp of 1 the term's
        log(1 + e) ~ e is dropped), so the sum's relative error stays near the dtype's
        epsilon; the loss is reported and watched for divergence, never differentiated.
    grad : (M,) dtype of x
        sigmoid(-x). exp(x) overflows to inf for large x (float32: x > 88), and
        1 / (1 + inf) = 0 is then the right limit; the overflow is expected, not an error.
    """
    x = np.asarray(x)
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)  # (0, 1]
    e += 1
    np.log(e, out=e)
    total = float(np.minimum(x, 0).sum(dtype=np.float64) - e.sum(dtype=np.float64))
    with np.errstate(over="ignore"):
        grad = np.exp(x)
    grad += 1
    np.reciprocal(grad, out=grad)
    return total, grad
