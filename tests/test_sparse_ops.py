"""The private scipy kernels and the public csr_matrix path compute the same gathers/scatters."""

import numpy as np
import pytest

from cbow.model import sparse_ops


@pytest.fixture(params=[True, False], ids=["private", "public"])
def kernels(request):
    sparse_ops.use_private_kernels(request.param)
    if request.param:
        assert sparse_ops.private_kernels_active(), "the private kernels failed their self-check"
    yield request.param
    sparse_ops.use_private_kernels(True)


def random_csr(rng, n_rows, V, max_per_row=6, dtype=np.float32):
    lengths = rng.integers(1, max_per_row + 1, size=n_rows)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    row_ids = rng.integers(0, V, size=indptr[-1]).astype(np.int32)
    row_ids[: min(4, len(row_ids))] = 3  # repeated ids, within and across rows
    weights = rng.standard_normal(indptr[-1]).astype(dtype)
    return indptr, row_ids, weights


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gather_rows_matches_loop(kernels, dtype):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((30, 7)).astype(dtype)
    indptr, row_ids, weights = random_csr(rng, 11, 30, dtype=dtype)
    out = sparse_ops.gather_rows(W, indptr, row_ids, weights)
    expected = np.stack([
        (weights[indptr[i]:indptr[i + 1], None] * W[row_ids[indptr[i]:indptr[i + 1]]]).sum(axis=0)
        for i in range(11)
    ])
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scatter_add_rows_adds_repeats(kernels, dtype):
    rng = np.random.default_rng(1)
    W = rng.standard_normal((30, 7)).astype(dtype)
    indptr, row_ids, weights = random_csr(rng, 11, 30, dtype=dtype)
    grad = rng.standard_normal((11, 7)).astype(dtype)
    expected = W.copy()
    example_of = np.repeat(np.arange(11), np.diff(indptr))
    np.add.at(expected, row_ids, weights[:, None] * grad[example_of])
    sparse_ops.scatter_add_rows(W, indptr, row_ids, weights, grad)
    np.testing.assert_allclose(W, expected, rtol=1e-5, atol=1e-5)


def test_scatter_add_each_matches_add_at(kernels):
    rng = np.random.default_rng(2)
    W = rng.standard_normal((20, 4)).astype(np.float32)
    row_ids = np.array([5, 5, 0, 19, 5, 0], dtype=np.int32)
    grad_rows = rng.standard_normal((6, 4)).astype(np.float32)
    expected = W.copy()
    np.add.at(expected, row_ids, -0.1 * grad_rows)
    sparse_ops.scatter_add_each(W, row_ids, grad_rows, -0.1)
    np.testing.assert_allclose(W, expected, rtol=1e-6, atol=1e-6)
