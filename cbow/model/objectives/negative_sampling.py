"""Negative sampling (Mikolov et al. 2013, "Distributed Representations of Words and Phrases
and their Compositionality"): the target against K noise words, as K+1 logistic regressions.

One example: hidden h (d,), target t, noise words n_1..n_K (drawn by the caller from the
unigram^0.75 table), u = W_out rows.

    s_t = u_t . h                  s_k = u_{n_k} . h
    L   = -log sigmoid(s_t) - sum_k log sigmoid(-s_k)

    dL/ds_t = sigmoid(s_t) - 1     dL/ds_k = sigmoid(s_k)
    dL/dh   = dL/ds_t u_t + sum_k dL/ds_k u_{n_k}
    dL/du_t = dL/ds_t h            dL/du_{n_k} = dL/ds_k h      (rows add when ids repeat)

Implementation: with sign = +1 for the target and -1 for the noise words and z = sign * s,
L = -sum log sigmoid(z) and dL/ds = -sign * sigmoid(-z); log sigmoid(z) and sigmoid(-z)
come from one exp(-|z|) (cbow.numerics.log_sigmoid_with_grad), exact at any |s|.

Shapes: h (B, d), W_out (V, d), target_ids (B,), negative_ids (B, K). One gather
U = W_out[[t, n_1..n_K]] (B, K+1, d) serves the scores, dL/dh and nothing else is copied.
backward returns row_ids (B*(K+1),) in (example, [t, n_1..n_K]) order and grad_rows
(B*(K+1), d). Batch: the loss is the SUM over the B examples.

Versus word2vec.c: it reads sigmoid from a table, clamps s to [-6, 6] (zero gradient
beyond), redraws noise id 0 and skips a noise id equal to t. We use the exact log_sigmoid,
no clamping, and keep every noise id as drawn: a noise id equal to t simply adds a term
-log sigmoid(-u_t . h) to the loss above, and the gradient we return is still the exact
gradient of that loss (u_t then receives both the target's and the noise word's term).
The caller decides which ids to draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cbow.model.hidden import RowGrads
from cbow.numerics import log_sigmoid_with_grad

__all__ = ["NSCache", "forward", "backward"]


@dataclass(frozen=True)
class NSCache:
    """What `backward` needs from `forward`.

    Attributes
    ----------
    h : ndarray, shape (B, d)
    out_rows : ndarray, shape (B, K+1, d)
        W_out[row_ids]: the target's row then the K noise rows of each example.
    row_ids : ndarray, shape (B, K+1), int
        [t, n_1..n_K] per example.
    grad_scores : ndarray, shape (B, K+1), dtype of h
        dL/ds: sigmoid(s_t) - 1 in column 0, sigmoid(s_k) in the others.
    """

    h: np.ndarray
    out_rows: np.ndarray
    row_ids: np.ndarray
    grad_scores: np.ndarray


def forward(
    h: np.ndarray, W_out: np.ndarray, target_ids: np.ndarray, negative_ids: np.ndarray
) -> tuple[float, NSCache]:
    """Summed negative-sampling loss of the batch (math in the module docstring).

    Parameters
    ----------
    h : ndarray, shape (B, d), float
    W_out : ndarray, shape (V, d), float, same dtype as h
    target_ids : ndarray, shape (B,), int in [0, V)
    negative_ids : ndarray, shape (B, K), int in [0, V)
        Noise words; may repeat and may equal the target (kept, see module docstring).

    Returns
    -------
    loss : float
        sum_b [-log sigmoid(s_t) - sum_k log sigmoid(-s_k)].
    cache : NSCache
    """
    negative_ids = np.asarray(negative_ids)
    row_ids = np.concatenate([np.asarray(target_ids)[:, None], negative_ids], axis=1)
    out_rows = np.take(W_out, row_ids, axis=0)  # (B, K+1, d), the only gather
    scores = np.matmul(out_rows, h[:, :, None])[..., 0]  # (B, K+1)
    scores[:, 1:] *= -1  # z = sign * s
    log_sig, grad_log_sig = log_sigmoid_with_grad(scores)
    loss = -float(np.sum(log_sig))
    # dL/ds = -sign * sigmoid(-z): sigmoid(s_t) - 1 for the target, sigmoid(s_k) for noise
    grad_scores = grad_log_sig
    grad_scores[:, 0] *= -1
    return loss, NSCache(h, out_rows, row_ids, grad_scores)


def backward(cache: NSCache) -> tuple[np.ndarray, RowGrads]:
    """Return (grad_h, (row_ids, grad_rows)): dL/dh and the touched rows of dL/dW_out.

    Returns
    -------
    grad_h : ndarray, shape (B, d)
        sum_k dL/ds_k u_k over the K+1 rows of each example.
    row_grads : (row_ids (B*(K+1),) int, grad_rows (B*(K+1), d))
        grad_rows[b*(K+1) + k] = dL/ds_{b,k} h_b; ids repeat (scatter-add them).
    """
    grad_scores = cache.grad_scores
    B, n_rows = grad_scores.shape
    grad_h = np.matmul(grad_scores[:, None, :], cache.out_rows)[:, 0, :]  # (B, d)
    grad_rows = grad_scores[:, :, None] * cache.h[:, None, :]  # (B, K+1, d)
    return grad_h, (cache.row_ids.reshape(-1), grad_rows.reshape(B * n_rows, -1))
