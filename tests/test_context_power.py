"""--context-power q: the mean update's W_in step alpha_in * C^-q dL/dh (cbow.model.step), a step
size per example on the exact gradient, with the word2vec rule's size at q = 0."""

import numpy as np
import pytest

from cbow.model import step
from cbow.errors import ConfigError
from cbow.model.logistic_step import Workspace
from cbow.training.config import TrainConfig
from test_fused_step import small_case


def test_weights_are_rate_times_c_to_the_minus_q():
    n_context = np.array([2, 4, 10])
    mean_weights = np.repeat(1.0 / n_context, n_context)
    context_flat = np.arange(len(mean_weights), dtype=np.int32)
    for q in (0.0, 0.5, 1.0):
        got = step.in_update_weights(mean_weights, context_flat, 0.2, "mean", context_power=q)
        np.testing.assert_allclose(got, -0.2 * np.repeat(n_context ** -q, n_context), rtol=1e-15)
        # the steps pass the per-example counts so the power is taken once per example: same bits
        per_example = step.in_update_weights(mean_weights, context_flat, 0.2, "mean", context_power=q,
                                             n_context=n_context)
        np.testing.assert_array_equal(per_example, got)


@pytest.mark.parametrize("objective", ["ns", "hs", "softmax"])
@pytest.mark.parametrize("fused", [False, True], ids=["reference", "fused"])
def test_power_zero_is_the_word2vec_rule_and_one_half_lies_between(objective, fused):
    batch, W_in, W_out, output = small_case(objective)

    def moved(cbow_update, q):
        W_in_new, W_out_new = W_in.copy(), W_out.copy()
        rng = np.random.default_rng(5)
        if fused:
            step.fused_step(W_in_new, W_out_new, batch, output, 0.3, 0.2, rng, cbow_update,
                            Workspace(W_in.shape[1], W_in.dtype), context_power=q)
        else:
            step.sgd_step(W_in_new, W_out_new, batch, output, 0.3, 0.2, rng, cbow_update, context_power=q)
        return W_in_new - W_in, W_out_new - W_out

    word2vec_in, word2vec_out = moved("word2vec", 1.0)
    power0_in, power0_out = moved("mean", 0.0)
    np.testing.assert_allclose(power0_in, word2vec_in, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(power0_out, word2vec_out)  # W_out's step does not depend on q
    half_in, _ = moved("mean", 0.5)
    exact_in, _ = moved("mean", 1.0)
    # each row's step is a sum of per-example terms scaled by C^-q: between the two rules in size
    rows = np.abs(word2vec_in).sum(axis=1) > 0
    size = {name: np.linalg.norm(delta[rows]) for name, delta in
            (("word2vec", word2vec_in), ("half", half_in), ("exact", exact_in))}
    assert size["exact"] < size["half"] < size["word2vec"]


def test_default_w_in_rate_follows_the_power():
    assert TrainConfig().lr_in == pytest.approx(0.05 * 5 ** TrainConfig().context_power)
    assert TrainConfig(context_power=1.0).lr_in == pytest.approx(0.25)
    assert TrainConfig(context_power=0.5).lr_in == pytest.approx(0.05 * 5 ** 0.5)
    assert TrainConfig(context_power=0.0).lr_in == pytest.approx(0.05)
    assert TrainConfig(cbow_update="word2vec", context_power=0.5).lr_in == 0.05
    with pytest.raises(ConfigError, match="^context_power must lie in"):
        TrainConfig(context_power=1.5)


def test_cli_refuses_the_power_with_the_word2vec_rule(tmp_path):
    from cli_helpers import assert_one_line_error, run_cbow

    result = run_cbow("train", "--context-power", "0.5", "--cbow-update", "word2vec", "-o", str(tmp_path / "v.bin"))
    assert_one_line_error(result, "--context-power", "--cbow-update mean")
    assert not (tmp_path / "v.bin").exists()


def test_cli_default_power_depends_on_the_objective():
    from cbow.cli import build_parser
    from cbow.cli.train_flags import HS_CONTEXT_POWER, _train_config

    def config(*flags):
        return _train_config(build_parser().parse_args(["train", "corpus.txt", *flags]))

    assert config().context_power == TrainConfig().context_power == 0.75
    assert config("--hs").context_power == HS_CONTEXT_POWER == 0.25
    assert config("--hs").lr_in == pytest.approx(0.05 * 5 ** 0.25)
    assert config("--hs", "--context-power", "1").context_power == 1.0
    assert config("--softmax").context_power == 0.75
