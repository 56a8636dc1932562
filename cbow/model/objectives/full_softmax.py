"""Full softmax over the vocabulary: the exact objective every fast one approximates.

One example: hidden h (d,), target t, u_w = W_out[w] for every word w (V rows).

    s   = W_out h                  (V scores, s_w = u_w . h)
    p   = softmax(s)               p_w = exp(s_w - logsumexp(s))
    L   = logsumexp(s) - s_t       = -log p_t

    dL/ds   = p - onehot(t)
    dL/dh   = W_out^T dL/ds        = sum_w (p_w - [w = t]) u_w
    dL/du_w = (p_w - [w = t]) h    for every w (a dense V x d gradient)

Batch of B examples, stacked as rows: S = H W_out^T (B, V), G = P - onehot(T) (B, V);
the loss is the SUM over the B examples, so

    dL/dH     = G W_out   (B, d)    one GEMM
    dL/dW_out = G^T H     (V, d)    one GEMM, dense: RowGrads row_ids is None

Cost O(B V d) per batch: a reference for tests and small vocabularies, not for text8-sized
training. word2vec.c has no full softmax (Mikolov et al. 2013, "Efficient Estimation of Word
Representations in Vector Space", use it only as the baseline hierarchical softmax replaces).
We compute logsumexp with a max shift (cbow.numerics), exact for any score magnitude.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cbow.model.hidden import RowGrads
from cbow.numerics import logsumexp

__all__ = ["SoftmaxCache", "forward", "backward"]


@dataclass(frozen=True)
class SoftmaxCache:
    """What `backward` needs from `forward`.

    Attributes
    ----------
    h : ndarray, shape (B, d)
    W_out : ndarray, shape (V, d)
    target_ids : ndarray, shape (B,), int
    probs : ndarray, shape (B, V)
        softmax of the scores, dtype of h.
    """

    h: np.ndarray
    W_out: np.ndarray
    target_ids: np.ndarray
    probs: np.ndarray


def forward(
    h: np.ndarray, W_out: np.ndarray, target_ids: np.ndarray
) -> tuple[float, SoftmaxCache]:
    """Summed full-softmax cross-entropy of the batch (math in the module docstring).

    Parameters
    ----------
    h : ndarray, shape (B, d), float
    W_out : ndarray, shape (V, d), float, same dtype as h
    target_ids : ndarray, shape (B,), int in [0, V)

    Returns
    -------
    loss : float
        sum_b [logsumexp(s_b) - s_b,t_b].
    cache : SoftmaxCache
    """
    target_ids = np.asarray(target_ids)
    scores = h @ W_out.T  # (B, V)
    lse = logsumexp(scores, axis=1)  # (B,)
    example_idx = np.arange(scores.shape[0])
    loss = float(np.sum(lse - scores[example_idx, target_ids]))
    scores -= lse[:, None]
    probs = np.exp(scores, out=scores)  # reuse the (B, V) buffer
    return loss, SoftmaxCache(h, W_out, target_ids, probs)


def backward(cache: SoftmaxCache) -> tuple[np.ndarray, RowGrads]:
    """Return (grad_h, (None, grad_W_out)): dL/dh (B, d) and the dense dL/dW_out (V, d)."""
    grad_scores = cache.probs.copy()  # G = P - onehot(T); the cache stays untouched
    grad_scores[np.arange(grad_scores.shape[0]), cache.target_ids] -= 1
    grad_h = grad_scores @ cache.W_out
    grad_W_out = grad_scores.T @ cache.h
    return grad_h, (None, grad_W_out)
