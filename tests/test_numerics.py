"""cbow.numerics: values against the naive formulas, stability at |x| = 1000, dtypes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cbow.numerics import log_sigmoid, log_sigmoid_sum_and_grad, log_sigmoid_with_grad, logsumexp, sigmoid, softmax

MODERATE = np.linspace(-30, 30, 121)
EXTREME = np.array([-1000.0, -710.0, -100.0, -1e-300, 0.0, 1e-300, 100.0, 710.0, 1000.0])


def _strict(fn, *args, **kwargs):
    """Call fn with overflow, invalid (nan) and divide-by-zero as errors, and any warning.

    Underflow stays ignored (numpy's default): exp(-1000) = 0 is the right answer.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            return fn(*args, **kwargs)


def test_sigmoid_matches_naive_formula():
    np.testing.assert_allclose(sigmoid(MODERATE), 1 / (1 + np.exp(-MODERATE)), rtol=1e-14)


def test_log_sigmoid_matches_reference_formula():
    # -log1p(exp(-x)) is accurate for moderate x (log(1 / (1 + exp(-x))) is not for x > 0)
    np.testing.assert_allclose(log_sigmoid(MODERATE), -np.log1p(np.exp(-MODERATE)), rtol=1e-13)


def test_log_sigmoid_with_grad_matches_separate_functions():
    x = np.concatenate([MODERATE, EXTREME])
    log_sig, grad = log_sigmoid_with_grad(x)
    np.testing.assert_allclose(log_sig, log_sigmoid(x), rtol=1e-14)
    np.testing.assert_allclose(grad, sigmoid(-x), rtol=1e-14)


def test_log_sigmoid_with_grad_is_the_derivative():
    x = np.linspace(-8, 8, 33)
    eps = 1e-6
    numeric = (log_sigmoid(x + eps) - log_sigmoid(x - eps)) / (2 * eps)
    _, grad = log_sigmoid_with_grad(x)
    np.testing.assert_allclose(grad, numeric, rtol=1e-8)


def test_tails_are_exact_not_clamped():
    # far tails: log sigmoid(x) ~ x for x << 0, ~ -exp(-x) for x >> 0; sigmoid(-x) ~ exp(-x)
    log_sig, grad = log_sigmoid_with_grad(np.array([-1000.0, 40.0]))
    assert log_sig[0] == -1000.0
    np.testing.assert_allclose(log_sig[1], -np.exp(-40.0), rtol=1e-12)
    np.testing.assert_allclose(grad[1], np.exp(-40.0), rtol=1e-12)  # not 1 - sigmoid = 0
    assert grad[0] == 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_extremes_no_warnings(dtype):
    x = EXTREME.astype(dtype)
    outputs = [
        _strict(sigmoid, x),
        _strict(log_sigmoid, x),
        *_strict(log_sigmoid_with_grad, x),
        _strict(logsumexp, np.stack([x, -x])),
        _strict(softmax, np.stack([x, -x])),
    ]
    for out in outputs:
        assert np.all(np.isfinite(out))
    assert _strict(sigmoid, x)[0] == 0 and _strict(sigmoid, x)[-1] == 1
    np.testing.assert_allclose(_strict(logsumexp, np.array([1000.0, 1000.0])), 1000 + np.log(2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved(dtype):
    x = MODERATE.astype(dtype)
    assert sigmoid(x).dtype == dtype
    assert log_sigmoid(x).dtype == dtype
    assert all(out.dtype == dtype for out in log_sigmoid_with_grad(x))
    assert logsumexp(x.reshape(11, 11)).dtype == dtype
    assert softmax(x.reshape(11, 11)).dtype == dtype


def test_softmax_rows_sum_to_one_and_match_logsumexp():
    rng = np.random.default_rng(0)
    scores = rng.normal(scale=50, size=(7, 13))
    probs = softmax(scores, axis=1)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_allclose(np.log(probs), scores - logsumexp(scores, axis=1)[:, None],
                               atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 20), elements=st.floats(-500, 500)),
    st.floats(-1000, 1000),
)
def test_logsumexp_shift_invariance(scores, shift):
    np.testing.assert_allclose(logsumexp(scores + shift), logsumexp(scores) + shift,
                               rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-13), (np.float32, 1e-6)])
def test_log_sigmoid_sum_and_grad_matches_the_exact_pair(dtype, rtol):
    """The fused step's cheaper pair: the same summed loss and derivative over every
    regime (saturated both ways, overflow of exp(x) included), with no warning."""
    x = np.concatenate([np.linspace(-120, 120, 4001), [-1e4, -89.0, -30.0, 0.0, 30.0, 88.5, 89.0, 1e4]]).astype(dtype)
    log_sig, grad_expected = log_sigmoid_with_grad(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total, grad = log_sigmoid_sum_and_grad(x)
    assert grad.dtype == dtype and grad.shape == x.shape
    assert total == pytest.approx(float(np.sum(log_sig, dtype=np.float64)), rel=rtol)
    np.testing.assert_allclose(grad, grad_expected, rtol=rtol, atol=np.finfo(dtype).tiny)
    assert grad[-1] == 0 and grad[x.argmin()] == 1  # the limits
