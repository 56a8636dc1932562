"""The CBOW model proper: weight initialisation, the hidden mean and its exact gradient.

One example with real context words c_1..c_C (C = n_context >= 1):

    h = (1/C) * sum_j W_in[c_j]
    dL/dW_in[c_j] = (1/C) dL/dh        for each context slot j (rows add when ids repeat)

Shapes (DESIGN.md §2): W_in (V, d); context_ids, context_mask (B, 2w) int / bool;
n_context (B,); h and grad_h (B, d). The objectives (cbow/objectives/) map h to a loss and
never see context ids; this module is the only place the average is taken or differentiated.

Versus word2vec.c: its CBOW branch ("hidden -> in") adds the full dL/dh (neu1e) to every
context row, C times the true gradient. `hidden_backward` is always the exact derivative;
the classic rule, if wanted, is applied by the training loop.

Gradients travel as `RowGrads = (row_ids, grad_rows)`: only the rows a batch touched, with
repeats kept, to be scatter-added by `apply_row_grads` (never `W[ids] += g`, which drops
repeats).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cbow.model import sparse_ops

__all__ = [
    "RowGrads",
    "HiddenCache",
    "init_weights",
    "hidden_forward",
    "hidden_backward",
    "apply_row_grads",
    "word_vectors",
]

RowGrads = tuple[np.ndarray | None, np.ndarray]
"""(row_ids (M,) int, grad_rows (M, d)): dL/dW for the listed rows; ids may repeat.

row_ids None means "all rows, in order": grad_rows is then the dense (n_rows, d) gradient
(full softmax).
"""


def init_weights(
    V: int, d: int, n_out_rows: int, rng: np.random.Generator, dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Initial weights as word2vec.c makes them: W_in ~ U(-0.5/d, 0.5/d), W_out = 0.

    Parameters
    ----------
    V : int
        Vocabulary size (rows of W_in).
    d : int
        Vector size.
    n_out_rows : int
        Rows of W_out: V for full softmax and negative sampling, V - 1 (inner nodes of the
        Huffman tree) for hierarchical softmax.
    rng : numpy.random.Generator
        The run's generator; the only source of randomness.
    dtype : numpy dtype, default float32
        float32 for training; float64 for gradient checks.

    Returns
    -------
    W_in : ndarray, shape (V, d), `dtype`, C-contiguous
    W_out : ndarray, shape (n_out_rows, d), `dtype`, C-contiguous, all zeros
    """
    dtype = np.dtype(dtype)
    if dtype in (np.float32, np.float64):
        W_in = rng.random((V, d), dtype=dtype)  # no float64 temporary for a big float32 V x d
    else:
        W_in = rng.random((V, d)).astype(dtype)
    W_in -= 0.5
    W_in /= d
    W_out = np.zeros((n_out_rows, d), dtype=dtype)
    return W_in, W_out


@dataclass(frozen=True)
class HiddenCache:
    """What `hidden_backward` needs from `hidden_forward`.

    Attributes
    ----------
    context_ids : ndarray, shape (B, 2w), int
        Padded context word ids (padding entries are ignored; any valid row id).
    context_mask : ndarray, shape (B, 2w), bool
        True for real context words.
    n_context : ndarray, shape (B,), int
        C, the number of real context words per example (mask row sums).
    """

    context_ids: np.ndarray
    context_mask: np.ndarray
    n_context: np.ndarray


def _checked_ids(row_ids: np.ndarray, n_rows: int) -> np.ndarray:
    """row_ids, after checking they lie in [0, n_rows): the compiled kernels do not check."""
    if row_ids.size and (row_ids.min() < 0 or row_ids.max() >= n_rows):
        raise IndexError(
            f"row ids must lie in [0, {n_rows}); got {row_ids.min()}..{row_ids.max()}"
        )
    return row_ids


def _inverse_counts(n_context: np.ndarray, dtype) -> np.ndarray:
    """1 / max(C, 1) per example, in the weights' dtype.

    C >= 1 always (the window generator skips examples with no context); the guard only
    keeps an all-padding row from dividing by zero: its h is 0 and its gradient is 0.
    """
    return (1 / np.maximum(n_context, 1)).astype(dtype, copy=False)


def hidden_forward(
    W_in: np.ndarray, context_ids: np.ndarray, context_mask: np.ndarray
) -> tuple[np.ndarray, HiddenCache]:
    """Hidden layer h: the mean of the W_in rows of each example's real context words.

    Parameters
    ----------
    W_in : ndarray, shape (V, d), float
    context_ids : ndarray, shape (B, 2w), int
        Padded context ids; padding should be a valid row id (0): the fallback path reads
        that row and multiplies it by 0.
    context_mask : ndarray, shape (B, 2w), bool
        True for real context words; each row should have at least one True (see Notes).

    Returns
    -------
    h : ndarray, shape (B, d), dtype of W_in
    cache : HiddenCache

    Raises
    ------
    IndexError
        If a real context id lies outside [0, V).

    Notes
    -----
    A row with no real context word gets h = 0 (the divisor is guarded with max(C, 1))
    instead of nan; the window generator never emits one.

    h = A W_in with A the (B, V) sparse matrix of the mean weights, computed by
    `cbow.model.sparse_ops.gather_rows` (scipy's compiled `csr_matvecs`; faster than a gather of
    the (B, 2w, d) context rows and a batched matmul; measured: docs/performance.md#kernel-choices-and-batch-sizes).
    """
    context_ids = np.asarray(context_ids)
    context_mask = np.asarray(context_mask, dtype=bool)
    n_context = context_mask.sum(axis=1)
    inverse_counts = _inverse_counts(n_context, W_in.dtype)
    # h = A W_in, A the (B, V) CSR matrix holding 1/C_b at each real context id of row b:
    # scipy's compiled kernels (cbow.model.sparse_ops), no (B, 2w, d) temporary, padding never read
    real_ids = _checked_ids(context_ids[context_mask], W_in.shape[0])  # row-major, by example
    indptr = np.zeros(len(n_context) + 1, dtype=np.int32)
    np.cumsum(n_context, out=indptr[1:])
    weights = np.repeat(inverse_counts, n_context)
    h = sparse_ops.gather_rows(W_in, indptr, real_ids.astype(np.int32, copy=False), weights)
    return h, HiddenCache(context_ids, context_mask, n_context)


def hidden_backward(grad_h: np.ndarray, cache: HiddenCache) -> RowGrads:
    """Exact gradient of the loss w.r.t. the W_in rows used by `hidden_forward`.

    Parameters
    ----------
    grad_h : ndarray, shape (B, d), float
        dL/dh.
    cache : HiddenCache
        From `hidden_forward`.

    Returns
    -------
    row_ids : ndarray, shape (M,), int
        The real context ids in row-major (example, slot) order, M = sum of n_context.
        An id appears once per occurrence (repeats within and across examples kept).
    grad_rows : ndarray, shape (M, d), dtype of grad_h
        (1/C_b) grad_h[b] for each real context slot of example b.
    """
    row_ids = cache.context_ids[cache.context_mask]  # row-major: grouped by example
    scaled = grad_h * _inverse_counts(cache.n_context, grad_h.dtype)[:, None]  # (B, d)
    # example b owns the next n_context[b] rows, so repeat instead of a fancy-index gather
    return row_ids, np.repeat(scaled, cache.n_context, axis=0)


def apply_row_grads(W: np.ndarray, row_grads: RowGrads, scale: float) -> None:
    """In place: W[row_ids] += scale * grad_rows, adding every repeated row (a scatter-add).

    Parameters
    ----------
    W : ndarray, shape (n_rows, d), float
        Updated in place (an SGD step passes scale = -lr).
    row_grads : RowGrads
        (row_ids (M,) int, grad_rows (M, d)); row_ids None means grad_rows is dense
        (n_rows, d) and the update is W += scale * grad_rows.
    scale : float

    Raises
    ------
    IndexError
        If a row id lies outside [0, n_rows) (negative ids are not wrapped).

    Notes
    -----
    Done by `cbow.model.sparse_ops.scatter_add_each`: scipy's compiled `csc_matvecs` with A the
    (n_rows, M) matrix whose column m holds `scale` at row row_ids[m] (far faster than
    np.add.at; measured: docs/performance.md#kernel-choices-and-batch-sizes), or the public csr_matrix path when W is not a
    C-contiguous, writable float32/float64 array.
    """
    row_ids, grad_rows = row_grads
    if row_ids is None:
        W += scale * grad_rows
        return
    row_ids = _checked_ids(np.asarray(row_ids), W.shape[0])
    sparse_ops.scatter_add_each(W, row_ids, grad_rows, scale)


def word_vectors(W_in: np.ndarray, W_out: np.ndarray, out_weight: float = 0.0) -> np.ndarray:
    """The vectors a run saves: W_in, or W_in + out_weight * W_out (a new array).

    With negative sampling and the full softmax, row w of W_out is word w too: its vector
    as a target, trained against the mean of its contexts. Adding it to the input vector
    (Levy, Goldberg and Dagan 2015, "w + c"; GloVe saves W + W~) mixes two views of the word.
    It raises analogy scores a little and costs a little similarity, and gensim's vectors
    gain as much from the same sum, so it is an option, not the default (measured:
    docs/quality.md#adding-the-output-vectors). Hierarchical softmax has no word rows in W_out (its
    rows are tree nodes), so callers refuse it there.

    Parameters
    ----------
    W_in : (V, d) input vectors
    W_out : (n_out, d) output rows; rows 0..V-1 are words (NS, full softmax)
    out_weight : 0 returns W_in itself (no copy), as word2vec and gensim save it
    """
    if out_weight == 0:
        return W_in
    V = len(W_in)
    return W_in + W_in.dtype.type(out_weight) * W_out[:V]
