"""`cbow gradcheck`: passes on the real objectives, fails on a planted sign error."""

from __future__ import annotations

import types

import numpy as np
import pytest

from cbow import cli
from cbow.errors import ConfigError
from cbow.check.finite_diff import numerical_gradient, relative_error
from cbow.check.gradcheck import GradcheckSettings, format_report, run_gradcheck
from cbow.model.objectives import OBJECTIVES, negative_sampling


@pytest.mark.parametrize("objective", ["ns", "hs", "softmax"])
@pytest.mark.parametrize("window", [1, 3])
def test_real_objectives_pass_with_the_mean_update(objective, window):
    report = run_gradcheck(GradcheckSettings(objective=objective, window=window, negative=3))
    assert report.passed, format_report(report)
    names = [check.name for check in report.checks]
    assert names == ["h", "W_out", "W_in", "applied W_out", "applied W_in"]
    assert max(check.max_relative_error for check in report.checks) < 1e-6


@pytest.mark.parametrize("objective", ["ns", "hs", "softmax"])
def test_word2vec_update_is_c_times_the_gradient(objective):
    report = run_gradcheck(GradcheckSettings(objective=objective, cbow_update="word2vec"))
    by_name = {check.name: check for check in report.checks}
    assert not by_name["applied W_in"].passed and by_name["applied W_in"].expected_to_fail
    assert by_name["applied W_out"].passed and by_name["W_in"].passed
    np.testing.assert_allclose(report.update_ratios, report.n_context, rtol=1e-9)
    assert report.n_context.min() == 1 and report.n_context.max() > 1  # the ratio is not always 1
    assert report.passed
    assert "C times the true gradient" in "\n".join(format_report(report))


def _sign_flipped_ns() -> types.ModuleType:
    """NS whose noise-word gradient has the wrong sign: -sigmoid(s_k) instead of sigmoid(s_k)."""

    def backward(cache):
        flipped = negative_sampling.NSCache(cache.h, cache.out_rows, cache.row_ids,
                                            cache.grad_scores * np.r_[1.0, -np.ones(cache.grad_scores.shape[1] - 1)])
        return negative_sampling.backward(flipped)

    return types.SimpleNamespace(forward=negative_sampling.forward, backward=backward)


def _sign_flipped_softmax() -> types.ModuleType:
    """Softmax whose loss has a sign error (logsumexp + s_t); backward stays the true one."""
    softmax = OBJECTIVES["softmax"]

    def forward(h, W_out, target_ids):
        loss, cache = softmax.forward(h, W_out, target_ids)
        scores_t = np.einsum("bd,bd->b", h, W_out[target_ids])
        return loss + 2 * float(scores_t.sum()), cache

    return types.SimpleNamespace(forward=forward, backward=softmax.backward)


@pytest.mark.parametrize("objective, broken", [("ns", _sign_flipped_ns), ("softmax", _sign_flipped_softmax)])
def test_planted_sign_error_fails(objective, broken):
    report = run_gradcheck(GradcheckSettings(objective=objective), objective=broken())
    assert not report.passed
    errors = {check.name: check.max_relative_error for check in report.checks}
    assert errors["h"] > 0.1 and errors["W_in"] > 0.1, errors
    assert format_report(report)[-1] == "FAIL"


def test_cli_exit_status_and_output(capsys, monkeypatch):
    assert cli.main(["gradcheck", "--objective", "hs", "--window", "2"]) == 0
    out = capsys.readouterr().out
    assert "W_in" in out and out.strip().endswith("PASS")

    import cbow.check.gradcheck as gradcheck_module

    real = gradcheck_module.run_gradcheck
    monkeypatch.setattr(gradcheck_module, "run_gradcheck",
                        lambda settings: real(settings, objective=_sign_flipped_ns()))
    assert cli.main(["gradcheck", "--objective", "ns"]) == 1
    assert capsys.readouterr().out.strip().endswith("FAIL")


def test_cli_bad_settings_are_one_line_errors(capsys):
    assert cli.main(["gradcheck", "--vocab-size", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--vocab-size" in err


def test_sampled_entries_for_big_matrices():
    report = run_gradcheck(GradcheckSettings(objective="hs", vocab_size=40, size=8, max_entries=50))
    assert all(check.n_entries <= 50 for check in report.checks)
    assert report.passed, format_report(report)


def test_numerical_gradient_of_a_quadratic():
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    grad = numerical_gradient(lambda: float(np.sum(x ** 2)), x)
    assert relative_error(2 * x, grad) < 1e-8
    with pytest.raises(TypeError):
        numerical_gradient(lambda: 0.0, x.astype(np.float32))


def test_settings_validation():
    with pytest.raises(ConfigError, match="--negative"):
        GradcheckSettings(objective="ns", negative=0)
