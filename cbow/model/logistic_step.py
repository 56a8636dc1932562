"""The fused SGD step of the two logistic objectives (negative sampling, hierarchical softmax).

Both losses are sums of logistic terms over "output slots": example b owns the slots
m in out_indptr[b]:out_indptr[b+1], slot m scores row r_m of W_out with sign sigma_m:

    s_m = u_{r_m} . h_b          z_m = sigma_m s_m
    L   = -sum_m log sigmoid(z_m)
    g_m = dL/ds_m = -sigma_m sigmoid(-z_m)
    dL/dh_b      = sum_{m in b} g_m u_{r_m}
    dL/du_{r_m} += g_m h_b                                   (rows add when ids repeat)

NS: slots [t, n_1..n_K] with signs [+1, -1..-1]; HS: the Huffman path of t with signs
1 - 2 b_l (see cbow/objectives/ for the derivations and their gradient checks). This is
the same loss and gradient as `negative_sampling.forward/backward` and
`hierarchical_softmax.forward/backward` followed by `model.apply_row_grads`; tests compare
the two paths update for update. What fusing buys:

- no (M, d) grad_rows: the W_out update is one sparse product, W_out += A_out^T (-lr g) H,
  with A_out the (B x n_out) CSR matrix of the slots (scipy's csc_matvecs, in place);
- dL/dh is a sparse product with the gathered rows (csr_matvecs), not a batched matmul;
- HS slots are the real path nodes only (no padding to the longest path of the batch);
- the large temporaries live in a `Workspace` reused from batch to batch: a fresh
  multi-MB array per batch costs page faults (glibc returns big blocks to the OS).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cbow.model import sparse_ops
from cbow.numerics import log_sigmoid_sum_and_grad
from cbow.data.huffman import HuffmanPaths

__all__ = ["OutputSlots", "Workspace", "ns_slots", "hs_slots", "logistic_step"]


@dataclass(frozen=True)
class OutputSlots:
    """The output slots of a batch, in CSR form over examples.

    Attributes
    ----------
    indptr : (B+1,) int32
    row_ids : (M,) int32, rows of W_out
    signs : (M,) float, +1 or -1 (dtype of the weights)
    per_example : slots of every example when they all have the same number (NS: K+1), else 0
    """

    indptr: np.ndarray
    row_ids: np.ndarray
    signs: np.ndarray
    per_example: int = 0


def ns_slots(target_ids: np.ndarray, noise_ids: np.ndarray, dtype) -> OutputSlots:
    """Slots [t, n_1..n_K] per example: target_ids (B,), noise_ids (B, K)."""
    B, negative = noise_ids.shape
    row_ids = np.empty((B, negative + 1), dtype=np.int32)
    row_ids[:, 0] = target_ids
    row_ids[:, 1:] = noise_ids
    signs = np.full((B, negative + 1), -1, dtype=dtype)
    signs[:, 0] = 1
    indptr = np.arange(0, B * (negative + 1) + 1, negative + 1, dtype=np.int32)
    return OutputSlots(indptr, row_ids.reshape(-1), signs.reshape(-1), negative + 1)


def hs_slots(target_ids: np.ndarray, paths: HuffmanPaths, dtype) -> OutputSlots:
    """The real Huffman path slots of each target (root first)."""
    lengths = paths.lengths[target_ids]
    indptr = np.zeros(len(target_ids) + 1, dtype=np.int32)
    np.cumsum(lengths, out=indptr[1:])
    M = int(indptr[-1])
    # slot m of example b reads flat entry start[t_b] + (m - indptr[b])
    flat = np.repeat(paths.start[target_ids] - indptr[:-1], lengths)
    flat += np.arange(M)
    return OutputSlots(indptr, paths.nodes[flat], paths.signs[flat].astype(dtype, copy=False))


@dataclass
class Workspace:
    """Buffers reused across batches (grown on demand, never shrunk)."""

    d: int
    dtype: np.dtype
    _buffers: dict = field(default_factory=dict)

    def get(self, name: str, n_rows: int) -> np.ndarray:
        """An (n_rows, d) view of the named buffer (contents undefined)."""
        buffer = self._buffers.get(name)
        if buffer is None or len(buffer) < n_rows:
            buffer = np.empty((max(n_rows, 2 * len(buffer) if buffer is not None else n_rows), self.d),
                              dtype=self.dtype)
            self._buffers[name] = buffer
        return buffer[:n_rows]

    def matrix(self, name: str, n_rows: int, n_cols: int) -> np.ndarray:
        """An (n_rows, n_cols) C-contiguous buffer (contents undefined), kept for the next call."""
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape[1] != n_cols or len(buffer) < n_rows:
            buffer = np.empty((n_rows, n_cols), dtype=self.dtype)
            self._buffers[name] = buffer
        return buffer[:n_rows]

    def arange(self, n: int) -> np.ndarray:
        """0..n-1 as int32 (a cached prefix)."""
        cached = self._buffers.get("arange")
        if cached is None or len(cached) < n:
            cached = np.arange(max(n, 2 * len(cached) if cached is not None else n), dtype=np.int32)
            self._buffers["arange"] = cached
        return cached[:n]


def logistic_step(
    W_in: np.ndarray,
    W_out: np.ndarray,
    context_indptr: np.ndarray,
    context_flat: np.ndarray,
    mean_weights: np.ndarray,
    in_weights: np.ndarray,
    slots: OutputSlots,
    lr_out: float,
    workspace: Workspace,
    out_scale: np.ndarray | None = None,
) -> float:
    """One fused SGD step in place; returns the batch's summed loss (module docstring).

    Parameters
    ----------
    W_in : (V, d) float, updated in place
    W_out : (n_out, d) float, updated in place
    context_indptr : (B+1,) int32, context_flat : (M_ctx,) int32
        The contexts in CSR form.
    mean_weights : (M_ctx,) dtype of W_in
        1/C of each context slot: h = A W_in.
    in_weights : (M_ctx,) dtype of W_in
        The W_in update's weight of each context slot, learning rate and sign folded in
        (-lr_in/C for the exact mean update, -lr_in for the word2vec rule; times the
        per-row repeat guard, cbow.model.step.in_update_weights).
    slots : the output slots
    lr_out : learning rate of W_out
    workspace : reusable buffers (d and dtype of the weights)
    out_scale : (M,) dtype of W_out, optional
        A per-slot factor of the W_out update (the repeat guard, cbow.model.step); None = 1.
    """
    B = len(context_indptr) - 1
    M = len(slots.row_ids)
    h = sparse_ops.gather_rows(W_in, context_indptr, context_flat, mean_weights,
                               out=workspace.get("h", B))
    rows = workspace.get("rows", M)
    np.take(W_out, slots.row_ids, axis=0, out=rows, mode="clip")  # ids checked upstream; mode="raise" would buffer `out`
    if M == B * slots.per_example:  # NS: K+1 slots each, a (B, K+1, d) x (B, d) contraction
        scores = np.einsum("bkd,bd->bk", rows.reshape(B, slots.per_example, -1), h).reshape(-1)
    else:  # HS: paths of different lengths; pair each slot with its example's h
        h_of_slot = workspace.get("h_of_slot", M)
        np.take(h, np.repeat(workspace.arange(B), np.diff(slots.indptr)), axis=0, out=h_of_slot,
                mode="clip")
        scores = np.einsum("ij,ij->i", rows, h_of_slot)
    scores *= slots.signs  # z = sigma s
    log_sig_total, grad = log_sigmoid_sum_and_grad(scores)
    loss = -log_sig_total
    grad *= -slots.signs  # g = dL/ds = -sigma sigmoid(-z)
    grad_h = sparse_ops.gather_rows(rows, slots.indptr, workspace.arange(M), grad,
                                    out=workspace.get("grad_h", B))
    grad *= W_out.dtype.type(-lr_out)
    if out_scale is not None:
        grad *= out_scale
    sparse_ops.scatter_add_rows(W_out, slots.indptr, slots.row_ids, grad, h)
    sparse_ops.scatter_add_rows(W_in, context_indptr, context_flat, in_weights, grad_h)
    return loss
