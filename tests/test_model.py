"""cbow.model.hidden: init, the hidden mean and its exact gradient, the scatter-add update."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from cbow.model import sparse_ops
from cbow.model.hidden import (
    HiddenCache,
    apply_row_grads,
    hidden_backward,
    hidden_forward,
    init_weights,
)
from gradcheck import dense_grad, numerical_gradient, relative_error, tiny_contexts

V, D = 12, 5


# --- init_weights ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_weights_as_word2vec(dtype):
    W_in, W_out = init_weights(1000, 50, 999, np.random.default_rng(0), dtype=dtype)
    assert W_in.shape == (1000, 50) and W_out.shape == (999, 50)
    assert W_in.dtype == dtype and W_out.dtype == dtype
    assert W_in.flags.c_contiguous and W_out.flags.c_contiguous
    assert np.all(W_out == 0)
    bound = 0.5 / 50
    assert np.all(np.abs(W_in) <= bound)
    # U(-b, b): mean 0, std b / sqrt(3), and it reaches close to both ends
    assert abs(W_in.mean()) < 0.01 * bound
    assert abs(W_in.std() - bound / np.sqrt(3)) < 0.01 * bound
    assert W_in.min() < -0.99 * bound and W_in.max() > 0.99 * bound


def test_init_weights_reproducible_from_seed():
    a, _ = init_weights(50, 8, 50, np.random.default_rng(7))
    b, _ = init_weights(50, 8, 50, np.random.default_rng(7))
    c, _ = init_weights(50, 8, 50, np.random.default_rng(8))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


# --- hidden_forward / hidden_backward --------------------------------------------------------

def test_hidden_forward_is_mean_of_real_context_rows():
    rng = np.random.default_rng(0)
    W_in = rng.normal(size=(V, D))
    context_ids, context_mask = tiny_contexts()
    h, cache = hidden_forward(W_in, context_ids, context_mask)
    expected = np.stack([W_in[ids[mask]].mean(axis=0)
                         for ids, mask in zip(context_ids, context_mask)])
    np.testing.assert_allclose(h, expected, rtol=1e-14)
    assert isinstance(cache, HiddenCache)
    assert cache.n_context.tolist() == [6, 1, 3, 4]


def test_hidden_backward_rows():
    context_ids, context_mask = tiny_contexts()
    _, cache = hidden_forward(np.zeros((V, D)), context_ids, context_mask)
    grad_h = np.arange(4 * D, dtype=np.float64).reshape(4, D) + 1
    row_ids, grad_rows = hidden_backward(grad_h, cache)
    # one row per real context slot, (example, slot) order, each (1/C) grad_h
    assert row_ids.tolist() == [3, 7, 3, 9, 3, 1, 4, 5, 8, 11, 2, 3, 5, 10]
    n_context = np.array([6, 1, 3, 4])
    expected = np.repeat(grad_h / n_context[:, None], n_context, axis=0)
    np.testing.assert_allclose(grad_rows, expected, rtol=1e-15)


def test_hidden_gradcheck():
    """dL/dW_in through the mean, for L = sum(h * R): repeats, C = 1, padding id 0."""
    rng = np.random.default_rng(1)
    W_in = rng.normal(size=(V, D))
    R = rng.normal(size=(4, D))
    context_ids, context_mask = tiny_contexts()

    def loss() -> float:
        return float(np.sum(hidden_forward(W_in, context_ids, context_mask)[0] * R))

    _, cache = hidden_forward(W_in, context_ids, context_mask)
    analytic = dense_grad(V, hidden_backward(R, cache))
    numeric = numerical_gradient(loss, W_in)
    assert relative_error(analytic, numeric) < 1e-6
    assert np.all(analytic[0] == 0)  # id 0 appears only as padding
    assert np.all(analytic[6] == 0)  # id 6 appears nowhere
    # id 3: three times in example 0 (C = 6), once in example 3 (C = 4)
    np.testing.assert_allclose(analytic[3], 3 * R[0] / 6 + R[3] / 4, rtol=1e-14)


def test_hidden_gradcheck_catches_missing_mean_factor():
    """The check must fail for the classic word2vec rule (full grad_h to every row)."""
    rng = np.random.default_rng(1)
    W_in = rng.normal(size=(V, D))
    R = rng.normal(size=(4, D))
    context_ids, context_mask = tiny_contexts()

    def loss() -> float:
        return float(np.sum(hidden_forward(W_in, context_ids, context_mask)[0] * R))

    _, cache = hidden_forward(W_in, context_ids, context_mask)
    row_ids, grad_rows = hidden_backward(R, cache)
    n_per_row = np.repeat(cache.n_context, cache.n_context)[:, None]
    wrong = dense_grad(V, (row_ids, grad_rows * n_per_row))  # drops the 1/C
    assert relative_error(wrong, numerical_gradient(loss, W_in)) > 0.1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hidden_dtype_preserved(dtype):
    W_in, _ = init_weights(V, D, V, np.random.default_rng(0), dtype=dtype)
    context_ids, context_mask = tiny_contexts()
    h, cache = hidden_forward(W_in, context_ids, context_mask)
    assert h.dtype == dtype
    row_ids, grad_rows = hidden_backward(np.ones_like(h), cache)
    assert grad_rows.dtype == dtype


def test_hidden_empty_context_is_zero_not_nan():
    W_in = np.ones((V, D))
    context_ids = np.array([[1, 2], [0, 0]])
    context_mask = np.array([[True, True], [False, False]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            h, cache = hidden_forward(W_in, context_ids, context_mask)
            row_ids, grad_rows = hidden_backward(np.ones_like(h), cache)
    assert np.array_equal(h, [[1.0] * D, [0.0] * D])
    assert row_ids.tolist() == [1, 2]


# --- apply_row_grads ------------------------------------------------------------------------

def _row_case(dtype=np.float32, n_rows=20, M=50, d=7, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n_rows, d)).astype(dtype)
    row_ids = rng.integers(0, n_rows, size=M).astype(np.int32)
    row_ids[:5] = 3  # certainly repeated
    grad_rows = rng.normal(size=(M, d)).astype(dtype)
    return W, row_ids, grad_rows


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_apply_row_grads_adds_repeats(dtype):
    W, row_ids, grad_rows = _row_case(dtype)
    expected = W.copy()
    np.add.at(expected, row_ids, -0.1 * grad_rows)
    naive = W.copy()
    naive[row_ids] += -0.1 * grad_rows  # drops repeats: must differ, or the test is moot
    apply_row_grads(W, (row_ids, grad_rows), -0.1)
    np.testing.assert_allclose(W, expected, rtol=1e-5 if dtype == np.float32 else 1e-13)
    assert not np.allclose(W, naive)


def test_apply_row_grads_fast_path_matches_fallback(monkeypatch):
    W, row_ids, grad_rows = _row_case(np.float32)
    W_fast, W_slow = W.copy(), W.copy()

    calls = []
    real_kernel = sparse_ops._sparsetools.csc_matvecs

    class SpyKernels:
        @staticmethod
        def csc_matvecs(*args):
            calls.append(1)
            return real_kernel(*args)

    monkeypatch.setattr(sparse_ops, "_sparsetools", SpyKernels)
    apply_row_grads(W_fast, (row_ids, grad_rows), 0.25)
    assert calls, "the compiled scatter-add was not used for a C-contiguous float32 W"

    monkeypatch.setattr(sparse_ops, "_private_enabled", False)
    apply_row_grads(W_slow, (row_ids, grad_rows), 0.25)
    assert len(calls) == 1
    np.testing.assert_allclose(W_fast, W_slow, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "make_W",
    [
        lambda W: np.asfortranarray(W),  # not C-contiguous: the kernel would write to a copy
        lambda W: W.astype(np.float64),  # dtype differs from grad_rows
    ],
    ids=["fortran-order", "dtype-mismatch"],
)
def test_apply_row_grads_updates_in_place_when_kernel_cannot(make_W):
    W, row_ids, grad_rows = _row_case(np.float32)
    W = make_W(W)
    expected = W.copy()
    np.add.at(expected, row_ids, 0.5 * grad_rows)
    apply_row_grads(W, (row_ids, grad_rows), 0.5)
    np.testing.assert_allclose(W, expected, rtol=1e-6, atol=1e-6)


def test_apply_row_grads_into_row_slice_view():
    # rows of a bigger C-contiguous array are still C-contiguous: the view must change
    W, row_ids, grad_rows = _row_case(np.float32)
    big = np.zeros((30, W.shape[1]), dtype=np.float32)
    view = big[5:25]
    apply_row_grads(view, (row_ids, grad_rows), 1.0)
    expected = np.zeros_like(view)
    np.add.at(expected, row_ids, grad_rows)
    np.testing.assert_allclose(big[5:25], expected, rtol=1e-6)
    assert np.all(big[:5] == 0) and np.all(big[25:] == 0)


def test_apply_row_grads_none_means_dense():
    W, _, _ = _row_case(np.float32)
    dense = np.random.default_rng(3).normal(size=W.shape).astype(np.float32)
    expected = W + 0.5 * dense
    apply_row_grads(W, (None, dense), 0.5)
    np.testing.assert_allclose(W, expected, rtol=1e-6)
    assert W.dtype == np.float32


def test_apply_row_grads_empty_and_out_of_range():
    W, _, _ = _row_case(np.float32)
    before = W.copy()
    apply_row_grads(W, (np.zeros(0, dtype=np.int32), np.zeros((0, W.shape[1]), np.float32)), 1.0)
    assert np.array_equal(W, before)
    for bad in ([0, 20], [-1, 2]):
        with pytest.raises(IndexError):
            apply_row_grads(W, (np.array(bad), np.ones((2, W.shape[1]), np.float32)), 1.0)
    assert np.array_equal(W, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hidden_forward_fast_path_matches_fallback(monkeypatch, dtype):
    rng = np.random.default_rng(5)
    W_in = rng.normal(size=(V, D)).astype(dtype)
    context_ids, context_mask = tiny_contexts()
    h_fast, cache_fast = hidden_forward(W_in, context_ids, context_mask)
    monkeypatch.setattr(sparse_ops, "_private_enabled", False)
    h_slow, cache_slow = hidden_forward(W_in, context_ids, context_mask)
    h_strided, _ = hidden_forward(np.asfortranarray(W_in), context_ids, context_mask)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(h_fast, h_slow, rtol=tol)
    np.testing.assert_allclose(h_strided, h_slow, rtol=tol)
    assert h_fast.dtype == h_slow.dtype == dtype
    assert np.array_equal(cache_fast.n_context, cache_slow.n_context)


def test_hidden_forward_rejects_out_of_range_ids():
    context_ids, context_mask = tiny_contexts()
    context_ids = context_ids.copy()
    context_ids[0, 0] = V  # a real slot
    with pytest.raises(IndexError):
        hidden_forward(np.zeros((V, D)), context_ids, context_mask)
