"""Hierarchical softmax over a Huffman tree (Morin & Bengio 2005; Mikolov et al. 2013,
"Distributed Representations of Words and Phrases and their Compositionality").

The V words are the leaves of a binary tree with V-1 inner nodes, whose vectors are the
rows of W_out (V-1, d). A word's path from the root visits inner nodes n_1..n_L (n_1 the
root, id V-2) and takes the branch coded by bit b_l at n_l. One example, hidden h (d,),
target t with path (n_l, b_l), l = 1..L_t:

    x_l = v_{n_l} . h
    L   = -sum_l [ (1 - b_l) log sigmoid(x_l) + b_l log sigmoid(-x_l) ]

    dL/dx_l     = sigmoid(x_l) - (1 - b_l)
    dL/dh       = sum_l dL/dx_l v_{n_l}
    dL/dv_{n_l} = dL/dx_l h                      (rows add when a node repeats in a batch)

so bit 0 is the sigmoid(x) branch, bit 1 the sigmoid(-x) branch, as in word2vec.c
(g = (1 - code - f) * alpha there, i.e. -lr * dL/dx). p(w | h) = prod_l sigmoid(+-x_l)
sums to 1 over the leaves because the two branches of every node sum to 1.

Implementation: with sign_l = 1 - 2 b_l and z_l = sign_l x_l, L = -sum_l log sigmoid(z_l)
and dL/dx_l = -sign_l sigmoid(-z_l); both from one exp(-|z|)
(cbow.numerics.log_sigmoid_with_grad), exact at any |x|.

Shapes: h (B, d); W_out (V-1, d); per batch, from `paths_for`, path_nodes (B, L) int,
path_codes (B, L) int8, path_mask (B, L) bool with L the longest path in the batch (padded
slots are masked out of the loss and the gradient). backward returns row_ids (M,) and
grad_rows (M, d) for the M = sum of path lengths real slots, in (example, depth) order.
The loss is the SUM over the B examples.

Huffman arrays (the convention of cbow.data.vocab and word2vec.c `CreateBinaryTree`): codes
(V, L_max) bits, points (V, L_max) inner-node ids, lengths (V,); for word w and
l < lengths[w], points[w, l] is the l-th node from the root (points[w, 0] = V-2) and
codes[w, l] the branch taken there. Entries at l >= lengths[w] are ignored.

Versus word2vec.c: it reads sigmoid from a table and skips nodes with |x| >= 6 (no update
there); we use the exact log_sigmoid and update every node on the path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cbow.model.hidden import RowGrads
from cbow.numerics import log_sigmoid_with_grad

__all__ = ["HSCache", "forward", "backward", "paths_for", "log_prob_all"]


@dataclass(frozen=True)
class HSCache:
    """What `backward` needs from `forward`.

    Attributes
    ----------
    h : ndarray, shape (B, d)
    node_rows : ndarray, shape (B, L, d)
        W_out[path_nodes] (padded slots hold some valid row; their gradient is 0).
    path_nodes : ndarray, shape (B, L), int
    path_mask : ndarray, shape (B, L), bool
    grad_scores : ndarray, shape (B, L), dtype of h
        dL/dx_l, 0 at padded slots.
    """

    h: np.ndarray
    node_rows: np.ndarray
    path_nodes: np.ndarray
    path_mask: np.ndarray
    grad_scores: np.ndarray


def paths_for(
    targets: np.ndarray, codes: np.ndarray, points: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gather the Huffman paths of a batch of targets, trimmed to the batch's longest path.

    Parameters
    ----------
    targets : ndarray, shape (B,), int
    codes : ndarray, shape (V, L_max), int (bits 0/1)
    points : ndarray, shape (V, L_max), int (inner-node ids in [0, V-1))
    lengths : ndarray, shape (V,), int (path lengths, >= 1 when V >= 2)

    Returns
    -------
    path_nodes : ndarray, shape (B, L), dtype of points
        Inner-node ids; padded slots hold 0 (a valid row whatever `points` pads with).
    path_codes : ndarray, shape (B, L), int8
        Bits; 0 at padded slots.
    path_mask : ndarray, shape (B, L), bool
        True for the real slots l < lengths[target].
    """
    targets = np.asarray(targets)
    path_lengths = np.asarray(lengths)[targets]
    L = int(path_lengths.max()) if path_lengths.size else 0
    path_mask = np.arange(L) < path_lengths[:, None]
    path_nodes = np.where(path_mask, points[targets, :L], 0).astype(points.dtype, copy=False)
    path_codes = np.where(path_mask, codes[targets, :L], 0).astype(np.int8, copy=False)
    return path_nodes, path_codes, path_mask


def forward(
    h: np.ndarray,
    W_out: np.ndarray,
    path_nodes: np.ndarray,
    path_codes: np.ndarray,
    path_mask: np.ndarray,
) -> tuple[float, HSCache]:
    """Summed hierarchical-softmax loss of the batch (math in the module docstring).

    Parameters
    ----------
    h : ndarray, shape (B, d), float
    W_out : ndarray, shape (V-1, d), float, same dtype as h
        Inner-node vectors.
    path_nodes : ndarray, shape (B, L), int
        Inner-node ids along each target's path; padded slots must be valid row ids
        (`paths_for` pads with 0).
    path_codes : ndarray, shape (B, L), int8
        Branch bits (0: sigmoid(x) branch, 1: sigmoid(-x) branch).
    path_mask : ndarray, shape (B, L), bool
        True for real slots.

    Returns
    -------
    loss : float
        sum_b -log p(t_b | h_b).
    cache : HSCache
    """
    path_mask = np.asarray(path_mask, dtype=bool)
    node_rows = np.take(W_out, path_nodes, axis=0)  # (B, L, d), the only gather
    scores = np.matmul(node_rows, h[:, :, None])[..., 0]  # (B, L) = x
    one = scores.dtype.type(1)
    sign = np.where(np.asarray(path_codes) != 0, -one, one)  # 1 - 2b, in the scores' dtype
    scores *= sign  # z = (1 - 2b) x
    log_sig, grad_log_sig = log_sigmoid_with_grad(scores)
    loss = -float(np.sum(log_sig, where=path_mask))
    # dL/dx = -(1 - 2b) sigmoid(-z) = sigmoid(x) - (1 - b); 0 at padded slots
    grad_scores = grad_log_sig
    grad_scores *= np.where(path_mask, -sign, 0)
    return loss, HSCache(h, node_rows, path_nodes, path_mask, grad_scores)


def backward(cache: HSCache) -> tuple[np.ndarray, RowGrads]:
    """Return (grad_h, (row_ids, grad_rows)): dL/dh and the touched inner-node rows.

    Returns
    -------
    grad_h : ndarray, shape (B, d)
        sum_l dL/dx_l v_{n_l}.
    row_grads : (row_ids (M,) int, grad_rows (M, d))
        One row per real path slot, in (example, depth) order: dL/dx_l h_b.
    """
    grad_h = np.matmul(cache.grad_scores[:, None, :], cache.node_rows)[:, 0, :]  # (B, d)
    row_ids = cache.path_nodes[cache.path_mask]  # row-major: grouped by example
    # example b owns the next (path length of b) rows: repeat h_b, then scale by dL/dx
    grad_rows = np.repeat(cache.h, cache.path_mask.sum(axis=1), axis=0)
    grad_rows *= cache.grad_scores[cache.path_mask][:, None]
    return grad_h, (row_ids, grad_rows)


def log_prob_all(
    h: np.ndarray,
    W_out: np.ndarray,
    codes: np.ndarray,
    points: np.ndarray,
    lengths: np.ndarray,
) -> np.ndarray:
    """log p(w | h) for every word w of the vocabulary: exact held-out loss and tests.

    Parameters
    ----------
    h : ndarray, shape (B, d), float
    W_out : ndarray, shape (V-1, d), float
    codes, points : ndarray, shape (V, L_max), int
    lengths : ndarray, shape (V,), int

    Returns
    -------
    log_probs : ndarray, shape (B, V), dtype of h
        exp(log_probs) sums to 1 over each row (up to rounding).

    Notes
    -----
    One (B, V-1) score matrix, then one pass per depth; memory O(B V), time O(B V d).
    """
    codes = np.asarray(codes)
    points = np.asarray(points)
    lengths = np.asarray(lengths)
    node_scores = h @ W_out.T  # (B, V-1): x for every inner node
    log_probs = np.zeros((h.shape[0], points.shape[0]), dtype=node_scores.dtype)
    for depth in range(int(lengths.max()) if lengths.size else 0):
        on_path = depth < lengths  # (V,) words whose path reaches this depth
        words = np.flatnonzero(on_path)
        x = node_scores[:, points[words, depth]]  # (B, n_words)
        x[:, codes[words, depth] != 0] *= -1  # z = (1 - 2b) x
        log_sig, _ = log_sigmoid_with_grad(x)
        log_probs[:, words] += log_sig
    return log_probs
