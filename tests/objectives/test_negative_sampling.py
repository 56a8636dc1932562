"""Negative sampling: gradient check through the mean, known values, dtypes, stability."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from cbow.model.objectives import negative_sampling
from gradcheck import cbow_gradient_errors, tiny_contexts

V, D, B, K = 12, 5, 4, 4

TARGET_IDS = np.array([6, 3, 2, 6], dtype=np.int32)
NEGATIVE_IDS = np.array(
    [
        [1, 9, 9, 9],  # repeated noise id
        [3, 4, 0, 11],  # noise id equal to the target (3), and to a context word (4)
        [5, 6, 10, 1],  # 6 is the target of examples 0 and 3: rows shared across examples
        [2, 2, 6, 7],  # repeat and a noise id equal to the target
    ],
    dtype=np.int32,
)


def _tiny(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(V, D)), rng.normal(size=(V, D))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_gradcheck_through_the_mean():
    W_in, W_out = _tiny()
    context_ids, context_mask = tiny_contexts()
    errors = cbow_gradient_errors(negative_sampling.forward, negative_sampling.backward,
                                  W_in, W_out, context_ids, context_mask,
                                  (TARGET_IDS, NEGATIVE_IDS))
    assert max(errors.values()) < 1e-6, errors


def test_gradcheck_catches_wrong_gradient():
    W_in, W_out = _tiny()
    context_ids, context_mask = tiny_contexts()

    def backward_sign_flipped_target(cache):  # 1 - sigmoid(s_t) instead of sigmoid(s_t) - 1
        grad_h, (row_ids, grad_rows) = negative_sampling.backward(cache)
        grad_rows = grad_rows.copy()
        grad_rows[:: K + 1] *= -1
        return grad_h, (row_ids, grad_rows)

    errors = cbow_gradient_errors(negative_sampling.forward, backward_sign_flipped_target,
                                  W_in, W_out, context_ids, context_mask,
                                  (TARGET_IDS, NEGATIVE_IDS))
    assert errors["W_out"] > 0.1, errors


def test_gradcheck_catches_skipped_noise_equal_to_target():
    """word2vec.c's skip of a noise id equal to t is NOT the gradient of our stated loss."""
    W_in, W_out = _tiny()
    context_ids, context_mask = tiny_contexts()

    def backward_skipping_target_noise(cache):
        grad_h, (row_ids, grad_rows) = negative_sampling.backward(cache)
        is_noise = np.ones(cache.row_ids.shape, dtype=bool)
        is_noise[:, 0] = False
        skip = (is_noise & (cache.row_ids == cache.row_ids[:, :1])).reshape(-1)
        grad_rows = np.where(skip[:, None], 0.0, grad_rows)
        return grad_h, (row_ids, grad_rows)

    errors = cbow_gradient_errors(negative_sampling.forward, backward_skipping_target_noise,
                                  W_in, W_out, context_ids, context_mask,
                                  (TARGET_IDS, NEGATIVE_IDS))
    assert errors["W_out"] > 0.01, errors


def test_loss_matches_formula():
    rng = np.random.default_rng(1)
    h, W_out = rng.normal(size=(B, D)), rng.normal(size=(V, D))
    loss, _ = negative_sampling.forward(h, W_out, TARGET_IDS, NEGATIVE_IDS)
    expected = 0.0
    for b in range(B):
        expected -= np.log(_sigmoid(W_out[TARGET_IDS[b]] @ h[b]))
        for n in NEGATIVE_IDS[b]:
            expected -= np.log(_sigmoid(-W_out[n] @ h[b]))
    assert loss == pytest.approx(expected, rel=1e-12)


def test_backward_rows_and_order():
    rng = np.random.default_rng(2)
    h, W_out = rng.normal(size=(B, D)), rng.normal(size=(V, D))
    _, cache = negative_sampling.forward(h, W_out, TARGET_IDS, NEGATIVE_IDS)
    grad_h, (row_ids, grad_rows) = negative_sampling.backward(cache)
    assert row_ids.shape == (B * (K + 1),) and grad_rows.shape == (B * (K + 1), D)
    assert row_ids.tolist() == np.hstack([TARGET_IDS[:, None], NEGATIVE_IDS]).ravel().tolist()
    # row b*(K+1): (sigmoid(s_t) - 1) h_b; row b*(K+1)+k: sigmoid(s_k) h_b
    s_t = np.einsum("bd,bd->b", W_out[TARGET_IDS], h)
    np.testing.assert_allclose(grad_rows[:: K + 1], (_sigmoid(s_t) - 1)[:, None] * h,
                               rtol=1e-12)
    s_1 = np.einsum("bd,bd->b", W_out[NEGATIVE_IDS[:, 0]], h)
    np.testing.assert_allclose(grad_rows[1 :: K + 1], _sigmoid(s_1)[:, None] * h, rtol=1e-12)
    # pure: a second backward on the same cache gives the same answer
    again = negative_sampling.backward(cache)
    assert np.array_equal(again[0], grad_h) and np.array_equal(again[1][1], grad_rows)


def test_loss_at_zero_output_weights_is_k_plus_1_log_2():
    rng = np.random.default_rng(3)
    h = rng.normal(size=(B, D)).astype(np.float32)
    W_out = np.zeros((V, D), dtype=np.float32)
    loss, cache = negative_sampling.forward(h, W_out, TARGET_IDS, NEGATIVE_IDS)
    assert loss == pytest.approx(B * (K + 1) * np.log(2), rel=1e-6)
    # sigma(0) = 1/2: dL/ds = -1/2 for the target, +1/2 for each noise word
    grad_h, (_, grad_rows) = negative_sampling.backward(cache)
    assert np.all(grad_h == 0)
    np.testing.assert_allclose(grad_rows[:: K + 1], -0.5 * h)
    np.testing.assert_allclose(grad_rows[1 :: K + 1], 0.5 * h)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved(dtype):
    rng = np.random.default_rng(4)
    h, W_out = rng.normal(size=(B, D)).astype(dtype), rng.normal(size=(V, D)).astype(dtype)
    loss, cache = negative_sampling.forward(h, W_out, TARGET_IDS, NEGATIVE_IDS)
    grad_h, (row_ids, grad_rows) = negative_sampling.backward(cache)
    assert isinstance(loss, float)
    assert grad_h.dtype == dtype and grad_rows.dtype == dtype
    assert cache.grad_scores.dtype == dtype and cache.out_rows.dtype == dtype
    assert np.issubdtype(row_ids.dtype, np.integer)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_huge_scores(dtype):
    # |s| = 1000 in both directions: exact loss (no clamping), finite gradients, no warnings
    h = np.array([[1000.0], [-1000.0]], dtype=dtype)
    W_out = np.array([[1.0], [-1.0]], dtype=dtype)
    target_ids = np.array([0, 0])
    negative_ids = np.array([[1], [1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            loss, cache = negative_sampling.forward(h, W_out, target_ids, negative_ids)
            grad_h, (_, grad_rows) = negative_sampling.backward(cache)
    # example 0: s_t = 1000, s_n = -1000 -> loss ~ 0; example 1: s_t = -1000, s_n = 1000 -> 2000
    assert loss == pytest.approx(2000.0, rel=1e-6)
    np.testing.assert_allclose(grad_h, [[0.0], [-2.0]], atol=1e-6)
    assert np.all(np.isfinite(grad_rows))
