"""Full softmax: gradient check through the mean, shift invariance, dtypes, stability."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbow.model.objectives import full_softmax
from gradcheck import cbow_gradient_errors, relative_error, tiny_contexts

V, D, B = 12, 5, 4


def _tiny(seed=0):
    rng = np.random.default_rng(seed)
    W_in = rng.normal(size=(V, D))
    W_out = rng.normal(size=(V, D))
    target_ids = np.array([6, 3, 0, 6], dtype=np.int32)  # 3 is also in its own context
    return W_in, W_out, target_ids


def test_gradcheck_through_the_mean():
    W_in, W_out, target_ids = _tiny()
    context_ids, context_mask = tiny_contexts()
    errors = cbow_gradient_errors(full_softmax.forward, full_softmax.backward, W_in, W_out,
                                  context_ids, context_mask, (target_ids,))
    assert max(errors.values()) < 1e-6, errors


def test_gradcheck_catches_wrong_gradient():
    W_in, W_out, target_ids = _tiny()
    context_ids, context_mask = tiny_contexts()

    def backward_without_onehot(cache):  # p instead of p - onehot(t)
        grad_h, (_, grad_W_out) = full_softmax.backward(cache)
        onehot_rows = cache.W_out[cache.target_ids]
        return grad_h + onehot_rows, (None, grad_W_out)

    errors = cbow_gradient_errors(full_softmax.forward, backward_without_onehot, W_in, W_out,
                                  context_ids, context_mask, (target_ids,))
    assert errors["h"] > 0.01 and errors["W_in"] > 0.01, errors


def test_loss_is_batch_sum_of_cross_entropy():
    rng = np.random.default_rng(1)
    h, W_out = rng.normal(size=(B, D)), rng.normal(size=(V, D))
    target_ids = np.array([1, 5, 5, 11])
    loss, _ = full_softmax.forward(h, W_out, target_ids)
    scores = h @ W_out.T
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.log(probs[np.arange(B), target_ids]).sum(), rel=1e-12)


def test_backward_leaves_cache_untouched():
    rng = np.random.default_rng(2)
    h, W_out = rng.normal(size=(B, D)), rng.normal(size=(V, D))
    _, cache = full_softmax.forward(h, W_out, np.array([0, 1, 2, 3]))
    first = full_softmax.backward(cache)
    second = full_softmax.backward(cache)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1][1], second[1][1])
    assert first[1][0] is None and first[1][1].shape == (V, D)


@settings(max_examples=40, deadline=None)
@given(shift=st.floats(-1000, 1000), seed=st.integers(0, 2**32 - 1))
def test_loss_unchanged_by_constant_added_to_all_scores(shift, seed):
    """An extra dimension with h = shift and W_out = 1 adds `shift` to every score."""
    rng = np.random.default_rng(seed)
    h, W_out = rng.normal(size=(B, D)), rng.normal(size=(V, D))
    target_ids = rng.integers(0, V, size=B)
    h_shifted = np.hstack([h, np.full((B, 1), shift)])
    W_out_shifted = np.hstack([W_out, np.ones((V, 1))])
    loss, cache = full_softmax.forward(h, W_out, target_ids)
    loss_shifted, cache_shifted = full_softmax.forward(h_shifted, W_out_shifted, target_ids)
    assert loss_shifted == pytest.approx(loss, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(cache_shifted.probs, cache.probs, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved(dtype):
    rng = np.random.default_rng(3)
    h, W_out = rng.normal(size=(B, D)).astype(dtype), rng.normal(size=(V, D)).astype(dtype)
    loss, cache = full_softmax.forward(h, W_out, np.array([0, 1, 2, 3], dtype=np.int32))
    grad_h, (_, grad_W_out) = full_softmax.backward(cache)
    assert isinstance(loss, float)
    assert grad_h.dtype == dtype and grad_W_out.dtype == dtype and cache.probs.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_huge_scores(dtype):
    # scores of +-1000: nothing overflows, loss ~ 2000 for the worst-ranked target
    h = np.array([[1000.0], [-1000.0]], dtype=dtype)
    W_out = np.array([[1.0], [-1.0], [0.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            loss, cache = full_softmax.forward(h, W_out, np.array([1, 1]))
            grad_h, (_, grad_W_out) = full_softmax.backward(cache)
    assert loss == pytest.approx(2000.0, rel=1e-6)
    assert np.all(np.isfinite(grad_h)) and np.all(np.isfinite(grad_W_out))


def test_relative_error_helper_is_strict():
    # sanity for the metric itself: a 1% error anywhere is seen
    a = np.linspace(1, 2, 10)
    b = a.copy()
    b[7] *= 1.01
    assert relative_error(a, a) == 0
    assert relative_error(a, b) > 4e-3
