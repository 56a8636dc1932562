"""The full-softmax SGD step, fused: the update of `cbow.model.objectives.full_softmax` in GEMMs.

The reference path (forward, backward, apply) materialises the (B, V) scores, a copy for
dL/ds and the dense (V, d) gradient: at B = 1024 and V = 85k that is 350 MB per (B, V)
array, several passes over each and fresh pages every batch, so the three GEMMs that should
dominate (2 B V d flops each) took a small part of the step. Here the batch is cut into
chunks of R rows, the (R, V) scores buffer is reused, and nothing of size B x V exists.
R = 256 measured best at text8's vocabulary (docs/performance.md#the-full-softmax): small R
makes the rank-R update of the (V, d) accumulator memory-bound, large R spills the scores
out of the cache.

For a chunk with hidden rows H_c (R, d) and targets T_c, with E = exp(S - m) row-wise
(m = row max), z = row sums of E, P = E / z:

    S_c        = H_c W_out^T                                      GEMM 1
    loss      += sum_r [log z_r + m_r - S_c[r, t_r]]
    dL/dH_c    = P W_out - W_out[T_c] = (E W_out) / z - W_out[T_c]     GEMM 2
    dW_acc    += -lr (H_c / z)^T E                                 GEMM 3 (BLAS gemm, beta = 1)

so the 1/z scaling touches (R, d) rows, never the (R, V) block. After the last chunk
W_out += dW_acc + lr * onehot(T)^T H (a scatter of B rows): in all, W_out -= lr G^T H with
G = P - onehot(T), exactly the batch update of the reference, applied only after every
chunk has used the old W_out. The W_in update is the same scatter-add as the other steps.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas

from cbow.model import sparse_ops
from cbow.model.logistic_step import Workspace

CHUNK_ROWS = 256  # measured: docs/performance.md#the-full-softmax


def softmax_step(
    W_in: np.ndarray,
    W_out: np.ndarray,
    context_indptr: np.ndarray,
    context_flat: np.ndarray,
    mean_weights: np.ndarray,
    in_weights: np.ndarray,
    target_ids: np.ndarray,
    lr_out: float,
    workspace: Workspace,
    chunk_rows: int = CHUNK_ROWS,
) -> float:
    """One full-softmax SGD step in place; returns the batch's summed loss (module docstring).

    Parameters
    ----------
    W_in : (V, d) float, updated in place
    W_out : (V, d) float, same dtype, updated in place
    context_indptr : (B+1,) int32, context_flat : (M_ctx,) int32
        The contexts in CSR form.
    mean_weights : (M_ctx,) 1/C of each context slot: h = A W_in
    in_weights : (M_ctx,) the W_in update's weight of each slot (learning rate and sign
        folded in, as in `cbow.model.logistic_step.logistic_step`)
    target_ids : (B,) int
    lr_out : learning rate of W_out
    workspace : reusable buffers (d and dtype of the weights)
    chunk_rows : rows of the batch whose scores are computed at once
    """
    B, V = len(context_indptr) - 1, W_out.shape[0]
    dtype = W_out.dtype
    h = sparse_ops.gather_rows(W_in, context_indptr, context_flat, mean_weights, out=workspace.get("h", B))
    grad_h = workspace.get("grad_h", B)
    dW_acc = workspace.get("dW_out", V)  # (V, d) C order = (d, V) Fortran order: gemm's C in place
    scores_buffer = workspace.matrix("scores", min(chunk_rows, B), V)
    gemm = blas.get_blas_funcs("gemm", (W_out,))
    loss = 0.0
    for start in range(0, B, chunk_rows):
        stop = min(B, start + chunk_rows)
        n_rows = stop - start
        h_chunk, targets = h[start:stop], target_ids[start:stop]
        scores = scores_buffer[:n_rows]
        np.matmul(h_chunk, W_out.T, out=scores)
        target_scores = scores[np.arange(n_rows), targets].astype(np.float64)
        row_max = scores.max(axis=1)
        scores -= row_max[:, None]
        np.exp(scores, out=scores)  # E
        z = scores.sum(axis=1)
        loss += float(np.sum(np.log(z.astype(np.float64)) + row_max - target_scores))
        inv_z = (1.0 / z).astype(dtype, copy=False)
        chunk_grad = grad_h[start:stop]
        np.matmul(scores, W_out, out=chunk_grad)
        chunk_grad *= inv_z[:, None]
        chunk_grad -= W_out[targets]
        # dW_acc^T (d, V) = -lr (H_c / z)^T E + beta dW_acc^T, Fortran views of C arrays: no copy
        scaled_h = h_chunk * inv_z[:, None]
        result = gemm(-lr_out, scaled_h.T, scores.T, beta=0.0 if start == 0 else 1.0, c=dW_acc.T,
                      trans_a=0, trans_b=1, overwrite_c=1)
        if not np.shares_memory(result, dW_acc):  # pragma: no cover - a BLAS that copied
            dW_acc.T[...] = result
    # the onehot part of G: + lr h_b on row t_b (repeats add up)
    sparse_ops.scatter_add_rows(dW_acc, np.arange(B + 1, dtype=np.int32), target_ids.astype(np.int32, copy=False),
                                np.full(B, lr_out, dtype=dtype), h)
    W_out += dW_acc
    sparse_ops.scatter_add_rows(W_in, context_indptr, context_flat, in_weights, grad_h)
    return loss
