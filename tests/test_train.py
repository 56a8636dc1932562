"""End-to-end training on the planted corpus: loss falls, planted structure is learned."""

import importlib

import numpy as np
import pytest

from cbow.model import logistic_step, step
from cbow.corpora import planted
from cbow.errors import ConfigError, Diverged
from cbow.model.objectives import negative_sampling
from cbow.training.config import TrainConfig
from cbow.training.loop import train
from cbow.data.windows import iter_batches

schedule = importlib.import_module("cbow.training.schedule")  # the step and the divergence test
FAST = dict(size=32, window=3, min_count=3, sample=1e-3, epochs=4, batch_size=256, seed=3)


def planted_scores(wv):
    """(share of planted pairs ranked in each other's top 5, share of planted analogies solved)."""
    pairs = [pair for pairs, _, _ in planted.RELATIONS.values() for pair in pairs]
    close = sum(b in [w for w, _ in wv.most_similar(a, topn=5)] for a, b in pairs)
    questions = list(planted.analogy_questions())
    solved = sum(wv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] == d
                 for _, (a, b, c, d) in questions)
    return close / len(pairs), solved / len(questions)


@pytest.mark.parametrize("objective", ["ns", "hs", "softmax"])
def test_each_objective_learns_planted_structure(planted_lines, objective):
    config = TrainConfig(objective=objective, negative=5 if objective == "ns" else 0, **FAST)
    result = train(planted_lines, config)
    losses = result.epoch_losses
    assert losses[-1] < losses[0] * 0.9, losses
    pair_share, analogy_share = planted_scores(result.wv)
    assert pair_share >= 0.8, pair_share
    assert analogy_share >= 0.7, analogy_share


def test_a_broken_gradient_cannot_pass(planted_lines, monkeypatch):
    """The thresholds above catch a sign error in dL/dh (reference step)."""
    monkeypatch.setattr(schedule, "USE_FUSED_STEP", False)
    real_backward = negative_sampling.backward

    def wrong_sign_backward(cache):
        grad_h, row_grads = real_backward(cache)
        return -grad_h, row_grads

    monkeypatch.setattr(negative_sampling, "backward", wrong_sign_backward)
    try:
        result = train(planted_lines, TrainConfig(objective="ns", **FAST))
    except Diverged:
        return  # caught by the divergence stop: cannot pass either
    pair_share, analogy_share = planted_scores(result.wv)
    assert pair_share < 0.8 or analogy_share < 0.7


def test_a_broken_fused_step_cannot_pass(planted_lines, monkeypatch):
    """The same thresholds catch a sign error in dL/dh of the fused step."""
    real_step = logistic_step.logistic_step

    def wrong_sign_step(W_in, W_out, context_indptr, context_flat, mean_weights, in_weights, *rest):
        return real_step(W_in, W_out, context_indptr, context_flat, mean_weights, -in_weights, *rest)

    monkeypatch.setattr(step, "logistic_step", wrong_sign_step)
    try:
        result = train(planted_lines, TrainConfig(objective="ns", **FAST))
    except Diverged:
        return
    pair_share, analogy_share = planted_scores(result.wv)
    assert pair_share < 0.8 or analogy_share < 0.7


def test_same_seed_is_bit_identical(planted_lines):
    config = TrainConfig(size=16, window=2, min_count=3, epochs=1, sample=1e-3, seed=7)
    first = train(planted_lines[:3000], config)
    second = train(planted_lines[:3000], config)
    assert np.array_equal(first.W_in, second.W_in)
    assert np.array_equal(first.W_out, second.W_out)
    other = train(planted_lines[:3000], TrainConfig(size=16, window=2, min_count=3, epochs=1, sample=1e-3, seed=8))
    assert not np.array_equal(first.W_in, other.W_in)


def test_word2vec_update_is_C_times_the_mean_update():
    """The classic rule moves each context row by C times the exact gradient's step."""
    rng = np.random.default_rng(0)
    V, d = 40, 6
    word_ids = np.arange(V, dtype=np.int32)  # distinct ids: no row is touched twice
    offsets = np.array([0, V], dtype=np.int64)
    batch = next(iter_batches(word_ids, offsets, window=3, batch_size=1, rng=rng))
    W_in = rng.standard_normal((V, d))
    W_out = rng.standard_normal((V, d))
    noise_cdf = np.cumsum(np.full(V, 1 / V))
    output = step.OutputLayer("ns", negative=3, noise_cdf=noise_cdf)
    deltas = {}
    for update in ("mean", "word2vec"):
        W_in_new, W_out_new = W_in.copy(), W_out.copy()
        step.sgd_step(W_in_new, W_out_new, batch, output, 0.1, 0.1, np.random.default_rng(5), update)
        deltas[update] = W_in_new - W_in
    n_context = int(batch.n_context[0])
    assert n_context >= 2
    touched = batch.context_flat
    np.testing.assert_allclose(deltas["word2vec"][touched], n_context * deltas["mean"][touched], rtol=1e-10)
    assert np.abs(deltas["mean"][touched]).max() > 0


def test_divergence_stops_with_a_message(planted_lines):
    config = TrainConfig(size=16, window=2, min_count=3, epochs=1, alpha=1e30, alpha_in=1e30)
    with pytest.raises(Diverged, match=r"diverged in epoch 1 .*lower alpha \(now 1e\+30\), alpha_in \(now 1e\+30\)"):
        train(planted_lines[:2000], config)


def test_a_finite_blow_up_is_a_divergence_too(planted_lines, monkeypatch):
    """A loss of 1e16 nats is finite but trains nothing: the run stops as for inf."""
    real_make_step = schedule.make_step

    def blowing_up_make_step(W_in, output, config, frozen_rows=None):
        real_step, batches = real_make_step(W_in, output, config, frozen_rows), []

        def step_fn(W_in, W_out, batch, lr_in, lr_out, rng):
            batches.append(len(batch))
            loss = real_step(W_in, W_out, batch, lr_in, lr_out, rng)
            return loss if len(batches) < 3 else 4.6e16
        return step_fn

    monkeypatch.setattr("cbow.training.in_process.make_step", blowing_up_make_step)
    with pytest.raises(Diverged, match=r"diverged in epoch 1 at \d+% \(loss 1\.[0-9]e\+14 nats per example\)"):
        train(planted_lines[:3000], TrainConfig(size=16, window=2, min_count=3, epochs=1, batch_size=256))
    assert schedule.loss_diverged(float("nan"), 10) and schedule.loss_diverged(1e4 + 1, 10)
    assert not schedule.loss_diverged(9.0e3, 10)


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="^window must be >= 1"):
        TrainConfig(window=0)
    with pytest.raises(ConfigError, match="unknown cbow_update"):
        TrainConfig(cbow_update="sum")


def test_loss_history_covers_the_run_and_falls(planted_lines):
    config = TrainConfig(size=16, window=2, min_count=3, epochs=2, sample=1e-3)
    result = train(planted_lines[:5000], config)
    history = result.loss_history
    assert len(history) >= 50
    words = [point.words_done for point in history]
    assert words == sorted(words) and words[-1] == 2 * result.n_corpus_words
    assert [point.epoch for point in history][-1] == 2
    assert np.mean([p.mean_loss for p in history[-10:]]) < np.mean([p.mean_loss for p in history[:10]])


def test_a_run_that_cannot_fit_is_refused_before_allocating():
    lines = ["alpha beta gamma delta epsilon"] * 10  # the fewest words a corpus may have (not_text.MIN_VOCAB_SIZE)
    config = TrainConfig(size=320_000_000, min_count=1, epochs=1)  # 5 words x 320M dims x 2 matrices
    with pytest.raises(ConfigError, match=r"training needs about .*W_in 6.0 GiB.*available; lower --size"):
        train(lines, config)
