"""Row gathers and scatter-adds expressed as sparse matrix products, done in scipy's compiled code.

A batch's contexts form a sparse (B x V) matrix A in CSR form: row i holds weight a_ij at
column context_j of example i (1/C for the mean). Then

    h      = A @ W_in                 (gather_rows: weighted sum of context rows)
    W_in  += A^T @ G                  (scatter_add_rows: each context row gets a_ij * G[i])

`scipy.sparse._sparsetools.csr_matvecs(n_row, n_col, n_vecs, Ap, Aj, Ax, X, Y)` computes
Y += A @ X and `csc_matvecs` computes Y += A @ X for A in CSC form; the CSR arrays of A are
exactly the CSC arrays of A^T, so passing `W.ravel()` as Y scatter-adds into W in place,
with repeated ids accumulated, no temporary and no sort. np.add.at does the same, much
slower (measured: docs/performance.md#kernel-choices-and-batch-sizes).

`_sparsetools` is private scipy API. It is checked once against the public `csr_matrix`
path on a small case the first time it is used; if it is missing or disagrees, the public
path is used instead (same results, slower). `use_private_kernels(False)` forces the
public path (tests compare the two).
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse

logger = logging.getLogger(__name__)

try:  # private scipy module: guarded, verified before first use
    from scipy.sparse import _sparsetools
except ImportError:  # pragma: no cover - depends on the scipy build
    _sparsetools = None

_private_ok: bool | None = None  # None: not verified yet
_private_enabled = True


def use_private_kernels(enabled: bool) -> None:
    """Allow (True, default) or forbid (False) the private scipy kernels."""
    global _private_enabled
    _private_enabled = enabled


def private_kernels_active() -> bool:
    """True when gathers/scatters run through scipy's private in-place kernels."""
    global _private_ok
    if not _private_enabled or _sparsetools is None:
        return False
    if _private_ok is None:
        _private_ok = _verify_private_kernels()
        if not _private_ok:
            logger.warning("scipy's sparse kernels disagree with csr_matrix; using the slower public path")
    return _private_ok


def gather_rows(
    W: np.ndarray,
    indptr: np.ndarray,
    row_ids: np.ndarray,
    weights: np.ndarray,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """out[i] = sum_k weights[k] * W[row_ids[k]] over k in indptr[i]:indptr[i+1].

    Parameters
    ----------
    W : (V, d) float array, C-contiguous
    indptr : (B+1,) int32
    row_ids : (M,) int32
    weights : (M,) same dtype as W
    out : (B, d) C-contiguous array of W's dtype, optional
        Overwritten with the result (a buffer reused across calls).

    Returns
    -------
    (B, d) array of W's dtype (`out` when given).
    """
    n_rows = len(indptr) - 1
    V, d = W.shape
    if private_kernels_active() and _kernel_ready(W, indptr, row_ids, weights):
        if out is None:
            out = np.zeros((n_rows, d), dtype=W.dtype)
        else:
            out[...] = 0  # the kernel accumulates into its output
        _sparsetools.csr_matvecs(n_rows, V, d, indptr, row_ids, weights, W.ravel(), out.ravel())
        return out
    A = scipy.sparse.csr_matrix((weights, row_ids, indptr), shape=(n_rows, V))
    if out is None:
        return np.asarray(A @ W, dtype=W.dtype)
    out[...] = A @ W
    return out


def scatter_add_rows(
    W: np.ndarray,
    indptr: np.ndarray,
    row_ids: np.ndarray,
    weights: np.ndarray,
    grad: np.ndarray,
) -> None:
    """W[row_ids[k]] += weights[k] * grad[i] for k in indptr[i]:indptr[i+1], repeats added.

    The transpose of `gather_rows`: W += A^T @ grad, in place.

    Parameters
    ----------
    W : (V, d) float array, C-contiguous, modified in place
    indptr : (B+1,) int32
    row_ids : (M,) int32
    weights : (M,) same dtype as W (fold the learning rate and sign in here)
    grad : (B, d) same dtype as W
    """
    n_rows = len(indptr) - 1
    V, d = W.shape
    grad = np.ascontiguousarray(grad, dtype=W.dtype)
    if private_kernels_active() and _kernel_ready(W, indptr, row_ids, weights):
        # CSR arrays of A (B x V) are the CSC arrays of A^T (V x B).
        _sparsetools.csc_matvecs(V, n_rows, d, indptr, row_ids, weights, grad.ravel(), W.ravel())
        return
    A_T = scipy.sparse.csr_matrix((weights, row_ids, indptr), shape=(n_rows, V)).T.tocsr()
    touched = np.unique(row_ids)
    W[touched] += np.asarray(A_T[touched] @ grad, dtype=W.dtype)


def scatter_add_each(W: np.ndarray, row_ids: np.ndarray, grad_rows: np.ndarray, scale: float) -> None:
    """W[row_ids[k]] += scale * grad_rows[k] for every k, repeated ids added.

    Parameters
    ----------
    W : (V, d), modified in place
    row_ids : (M,) int
    grad_rows : (M, d)
    scale : float (e.g. -lr)
    """
    n_rows = len(row_ids)
    indptr = np.arange(n_rows + 1, dtype=np.int32)
    weights = np.full(n_rows, scale, dtype=W.dtype)
    scatter_add_rows(W, indptr, np.asarray(row_ids, dtype=np.int32), weights, grad_rows)


def _kernel_ready(W: np.ndarray, indptr: np.ndarray, row_ids: np.ndarray, weights: np.ndarray) -> bool:
    """The private kernels need C-contiguous W and matching index/value dtypes."""
    return (
        W.flags.c_contiguous
        and W.flags.writeable
        and W.dtype in (np.float32, np.float64)
        and weights.dtype == W.dtype
        and indptr.dtype == row_ids.dtype == np.int32
    )


def _verify_private_kernels() -> bool:
    """Compare the private kernels with csr_matrix on a small case with repeated ids."""
    try:
        rng = np.random.default_rng(0)
        W = rng.standard_normal((7, 3)).astype(np.float32)
        indptr = np.array([0, 2, 2, 5], dtype=np.int32)
        row_ids = np.array([1, 1, 0, 6, 1], dtype=np.int32)
        weights = np.array([0.5, 0.25, 1.0, -2.0, 3.0], dtype=np.float32)
        grad = rng.standard_normal((3, 3)).astype(np.float32)
        A = scipy.sparse.csr_matrix((weights, row_ids, indptr), shape=(3, 7))
        out = np.zeros((3, 3), dtype=np.float32)
        _sparsetools.csr_matvecs(3, 7, 3, indptr, row_ids, weights, W.ravel(), out.ravel())
        W_new = W.copy()
        _sparsetools.csc_matvecs(7, 3, 3, indptr, row_ids, weights, grad.ravel(), W_new.ravel())
        return bool(
            np.allclose(out, A @ W, atol=1e-5) and np.allclose(W_new, W + A.T @ grad, atol=1e-5)
        )
    except Exception as exc:  # any failure means: do not trust the private path
        logger.debug("private scipy kernels unusable: %s", exc)
        return False
