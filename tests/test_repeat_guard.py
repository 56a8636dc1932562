"""The repeat guards (cbow.model.step): per-row step sizes of the W_in and W_out updates,
hand-checked on a batch with repeated rows; each leaves the other matrix's update alone."""

from dataclasses import replace

import numpy as np
import pytest

from test_fused_step import small_case
from test_train import planted_scores

from cbow.model import step
from cbow.errors import ConfigError, Diverged
from cbow.model.logistic_step import Workspace
from cbow.training.config import TrainConfig
from cbow.training.loop import train
from cbow.data.windows import Batch
from cbow.corpora import planted


def hand_batch() -> Batch:
    """Two examples, both predicting word 0: contexts [1, 2] (C = 2) and [1] (C = 1).

    Row 1 occurs in both: n_1 = 1/2 + 1 = 1.5; row 2 once with weight 1/2: n_2 = 0.5.
    """
    context_ids = np.array([[1, 2], [1, 0]], dtype=np.int32)
    context_mask = np.array([[True, True], [True, False]])
    return Batch(target_ids=np.array([0, 0], dtype=np.int32), context_ids=context_ids,
                 context_mask=context_mask, n_context=np.array([2, 1], dtype=np.int32),
                 context_indptr=np.array([0, 2, 3], dtype=np.int32),
                 context_flat=np.array([1, 2, 1], dtype=np.int32), words_done=2)


def hand_problem():
    """W_in = 0, so h = 0 and every score is 0: sigmoid 1/2, g_target = -1/2, g_noise = +1/2.

    The one noise word is always 3 (its CDF jumps there). With u_0 = (1, 0) and
    u_3 = (0, 1), every example has dL/dh = -1/2 u_0 + 1/2 u_3 = (-1/2, 1/2).
    """
    W_in = np.zeros((4, 2))
    W_out = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    output = step.OutputLayer("ns", negative=1, noise_cdf=np.array([0.0, 0.0, 0.0, 1.0]))
    return W_in, W_out, output


def test_repeat_scale_by_hand():
    batch = hand_batch()
    mean_weights = np.array([0.5, 0.5, 1.0])
    np.testing.assert_allclose(step.repeat_scale(batch.context_flat, mean_weights, 1.0), [1 / 1.5, 1.0, 1 / 1.5])
    np.testing.assert_allclose(step.repeat_scale(batch.context_flat, None, 1.0), [0.5, 1.0, 0.5])  # slot counts
    np.testing.assert_allclose(step.repeat_scale(batch.context_flat, mean_weights, 0.5),
                               [1.5 ** -0.5, 1.0, 1.5 ** -0.5])
    np.testing.assert_array_equal(step.repeat_scale(batch.context_flat, mean_weights, 0.0), np.ones(3))


# W_in rows 1 and 2 after one step with lr_in = 1, worked out by hand from dL/dh = (-1/2, 1/2):
#   mean:     row 1: -(1/2 + 1) dL/dh * s_1 = (0.75, -0.75) s_1,  row 2: -(1/2) dL/dh = (0.25, -0.25)
#   word2vec: row 1: -(1 + 1) dL/dh * s_1   = (1, -1) s_1,        row 2: -dL/dh = (0.5, -0.5)
# with s_1 = 1.5^(-p); row 2 has n_2 = 0.5 <= 1, so the guard never touches it.
@pytest.mark.parametrize("cbow_update, row1, row2", [("mean", 0.75, 0.25), ("word2vec", 1.0, 0.5)])
@pytest.mark.parametrize("power", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("path", ["reference", "fused"])
def test_guarded_step_by_hand(cbow_update, row1, row2, power, path):
    W_in, W_out, output = hand_problem()
    rng = np.random.default_rng(0)
    if path == "reference":
        step.sgd_step(W_in, W_out, hand_batch(), output, 1.0, 0.1, rng, cbow_update, repeat_guard=power)
    else:
        step.fused_step(W_in, W_out, hand_batch(), output, 1.0, 0.1, rng, cbow_update,
                        Workspace(2, W_in.dtype), power)
    s_1 = 1.5 ** -power
    expected = np.array([[0.0, 0.0], [row1 * s_1, -row1 * s_1], [row2, -row2], [0.0, 0.0]])
    np.testing.assert_allclose(W_in, expected, rtol=1e-12, atol=1e-15)


# W_out = 0: every score is 0, g_target = -1/2, g_noise = +1/2, and dL/dh = 0 (W_in stays).
# With W_in[1] = (1, 0), W_in[2] = (0, 1): h_0 = (1/2, 1/2), h_1 = (1, 0). Target row 0 and
# noise row 3 each fill one slot of both examples (m = 2), so with lr_out = 1:
#   W_out[0] += (1/2) (h_0 + h_1) s = (0.75, 0.25) s,   W_out[3] -= (0.75, 0.25) s,   s = 2^(-q)
@pytest.mark.parametrize("power", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("path", ["reference", "fused"])
def test_guarded_W_out_step_by_hand(power, path):
    _, _, output = hand_problem()
    W_in = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    W_out = np.zeros((4, 2))
    rng = np.random.default_rng(0)
    if path == "reference":
        step.sgd_step(W_in, W_out, hand_batch(), output, 1.0, 1.0, rng, "mean", repeat_guard_out=power)
    else:
        step.fused_step(W_in, W_out, hand_batch(), output, 1.0, 1.0, rng, "mean",
                        Workspace(2, W_in.dtype), 0.0, power)
    s = 2.0 ** -power
    expected = np.array([[0.75 * s, 0.25 * s], [0.0, 0.0], [0.0, 0.0], [-0.75 * s, -0.25 * s]])
    np.testing.assert_allclose(W_out, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(W_in[1:3], np.eye(2))  # dL/dh = 0


@pytest.mark.parametrize("path", ["reference", "fused"])
def test_guard_leaves_the_W_out_update_alone(path):
    """Only W_in's step size changes: W_out moves the same with the guard on or off."""
    batch, W_in, W_out, output = small_case("ns")
    moved = []
    for power in (0.0, 1.0):
        W_in_new, W_out_new = W_in.copy(), W_out.copy()
        rng = np.random.default_rng(4)
        if path == "reference":
            step.sgd_step(W_in_new, W_out_new, batch, output, 0.3, 0.2, rng, "mean", repeat_guard=power)
        else:
            step.fused_step(W_in_new, W_out_new, batch, output, 0.3, 0.2, rng, "mean",
                            Workspace(W_in.shape[1], W_in.dtype), power)
        moved.append((W_in_new - W_in, W_out_new - W_out))
    np.testing.assert_array_equal(moved[0][1], moved[1][1])
    assert not np.allclose(moved[0][0], moved[1][0])  # but W_in's step did change


def test_bad_repeat_guard_is_a_config_error():
    with pytest.raises(ConfigError, match="^repeat_guard must be >= 0"):
        TrainConfig(repeat_guard=-1)
    with pytest.raises(ConfigError, match="^repeat_guard_out must be >= 0"):
        TrainConfig(repeat_guard_out=float("nan"))


def test_guard_lets_a_small_unsubsampled_corpus_train_at_a_high_W_in_rate(planted_lines):
    """The trap of README ("How good are the vectors?"): 1,024-example batches, no
    subsampling, 852 words; frequent rows occur hundreds of times per batch. Unguarded,
    W_in at 0.6 diverges in the first epoch; averaged over occurrences it trains. (W_out's
    guard, which the load of these batches would turn on by itself, stays off here.)"""
    settings = dict(size=24, window=3, min_count=3, sample=0, alpha=0.05, alpha_in=0.6,
                    batch_size=1024, seed=1, repeat_guard_out=0.0)
    with pytest.raises(Diverged, match="in epoch 1"):
        train(planted_lines, TrainConfig(repeat_guard=0.0, epochs=1, **settings))
    result = train(planted_lines, TrainConfig(repeat_guard=1.0, epochs=3, **settings))
    assert np.isfinite(result.W_in).all()
    _, analogy_share = planted_scores(result.wv)
    assert analogy_share >= 0.7, analogy_share


def test_hs_guards_W_out_by_default_and_ns_does_not():
    """The root of the Huffman tree is in every example's path (README, "How good are the vectors?")."""
    assert TrainConfig(objective="hs", negative=0).out_guard_power == 1.0
    assert TrainConfig().out_guard_power == 0.0
    assert TrainConfig(objective="hs", negative=0, repeat_guard_out=0.0).out_guard_power == 0.0
    assert TrainConfig(repeat_guard_out=0.5).out_guard_power == 0.5


def _dominated_lines(n_sentences=3000):
    """Planted sentences with 'the' between every two words: half of all tokens."""
    return [" the ".join(line.split()) for line in planted.generate_lines(n_sentences=n_sentences, seed=4)]


def test_repeats_per_batch_counts_the_most_frequent_kept_word():
    from cbow.training.schedule import repeats_per_batch

    counts = np.array([500, 300, 200])
    config = TrainConfig(batch_size=100, window=4)
    assert repeats_per_batch(config, counts, None) == pytest.approx(100 * 5 * 0.5)
    keep = np.array([0.2, 1.0, 1.0])  # subsampling: the top word keeps 100 of 500
    assert repeats_per_batch(config, counts, keep) == pytest.approx(100 * 5 * 300 / 600)


def test_without_subsampling_a_dominant_word_is_guarded_and_trains(caplog):
    """--sample 0 on text where one word is half the tokens: unguarded, its rows take ~2,000
    summed steps per batch and the run diverges, naming --sample 0; by default the guard
    turns on (with a warning) and the run trains."""
    settings = dict(size=16, window=3, min_count=3, sample=0, epochs=1, batch_size=1024, seed=1)
    lines = _dominated_lines()
    with pytest.raises(Diverged, match=r"sample=0 keeps every occurrence.*repeat_guard_out=1"):
        train(lines, TrainConfig(**settings, repeat_guard_out=0.0))
    with caplog.at_level("WARNING", logger="cbow.training.schedule"):
        result = train(lines, TrainConfig(**settings))
    assert result.config.repeat_guard_out == 1.0
    assert "(sample=0: nothing is subsampled)" in caplog.text
    assert np.isfinite(result.W_in).all() and result.epoch_losses[0] < 10


def test_the_guard_stays_off_where_repeats_are_few():
    result = train(_dominated_lines(300), TrainConfig(size=8, window=2, min_count=3, sample=0, epochs=1,
                                                     batch_size=16))
    assert result.config.repeat_guard_out is None  # 16 x 3 x 0.5 = 24 expected repeats


# --- small vocabularies: every row repeats in every batch (cbow.training.schedule, load) ---

def _random_text_file(path, n_words: int, seed: int, n_lines: int = 20_000):
    """Random text: n_words made-up words drawn uniformly, 5 to 15 to a line."""
    rng = np.random.default_rng(seed)
    words = planted.pseudo_words(n_words, rng)
    with open(path, "w", encoding="utf-8") as handle:
        for length in rng.integers(5, 16, size=n_lines):
            handle.write(" ".join(words[index] for index in rng.integers(0, n_words, size=length)) + "\n")
    return path


@pytest.mark.parametrize("n_words, seed", [(15, 1), (22, 2), (30, 3)])
def test_a_small_vocabulary_trains_with_default_flags(tmp_path, capsys, caplog, n_words, seed):
    """Random text of 15-30 words, 20k lines, `cbow train` as it comes: negative sampling
    diverged in epoch 2 ("lower --alpha"); the guard now turns on by itself and it trains.
    Hierarchical softmax (W_out guarded by default) and the full softmax train too."""
    from cbow.cli import main

    corpus = _random_text_file(tmp_path / "random.txt", n_words, seed)
    common = ["train", str(corpus), "-q", "--no-cache", "--seed", str(seed), "-o", str(tmp_path / "v.bin")]
    assert main([*common, "--repeat-guard-out", "0"]) == 2  # the run before the rule
    assert "training diverged" in capsys.readouterr().err
    with caplog.at_level("WARNING", logger="cbow.training.schedule"):
        assert main(common) == 0
    assert (f"with {n_words} words, a word of the text would repeat about {512 / n_words:.0f} times on average in "
            "each batch of 512: W_out's rows are guarded (--repeat-guard-out 1) so the run does not diverge; "
            "--batch-size ") in caplog.text
    for objective in ("--hs", "--softmax"):
        caplog.clear()
        with caplog.at_level("WARNING", logger="cbow.training.schedule"):
            assert main([*common, objective]) == 0, capsys.readouterr().err
        assert "guarded" not in caplog.text


def test_the_typical_row_counts_the_kept_tokens_of_a_batch():
    from cbow.training import schedule

    config = TrainConfig(batch_size=100)
    uniform = np.full(20, 1000)
    assert schedule.typical_repeats(config, uniform, None) == pytest.approx(100 / 20)  # B / V
    assert schedule.typical_repeats(config, uniform, np.full(20, 0.001)) == pytest.approx(20 / 20)  # 20 kept: B_e
    counts = np.array([600, 300, 100])
    assert schedule.typical_repeats(config, counts, None) == pytest.approx(100 * (0.36 + 0.09 + 0.01))
    load = schedule.typical_load(config, counts, None)
    assert load == pytest.approx(100 * 0.46 * config.lr_in * config.alpha * (config.negative + 1))
    assert schedule.typical_load(TrainConfig(objective="hs", negative=0), counts, None) == 0.0
    assert schedule.repeats_per_batch(TrainConfig(batch_size=1000, window=4), counts, None) \
        == pytest.approx(1000 * 5 * 0.6)  # a batch holds one epoch's 1,000 tokens at most


@pytest.mark.parametrize("counts, sample", [(np.full(20, 10_000), 0.0), (np.full(300, 500), 0.0),
                                            (np.array([50_000] + [100] * 500), 0.0),
                                            (np.array([50_000] + [100] * 500), 1e-3)])
def test_the_batch_the_warning_names_is_the_largest_without_the_guard(counts, sample, caplog):
    from cbow.training import schedule

    from cbow.wording import flag_names

    config = TrainConfig(batch_size=8192, sample=sample)
    with flag_names(), caplog.at_level("WARNING", logger="cbow.training.schedule"):  # as `cbow train` words it
        assert schedule.guard_repeated_rows(config, counts, None).repeat_guard_out == 1.0
    largest = schedule.unguarded_batch_size(config, counts, None)
    assert f"--batch-size {largest:,} or less avoids the guard" in caplog.text
    assert caplog.text.count("--sample") <= 2 and "0.0001" not in caplog.text  # one spelling of each value
    assert schedule.guard_repeated_rows(replace(config, batch_size=largest), counts, None).repeat_guard_out is None
    assert schedule.guard_repeated_rows(replace(config, batch_size=largest + 1), counts, None).repeat_guard_out == 1.0


def test_the_rule_leaves_the_full_softmax_alone():
    """Its dense update has no guard to turn on (cbow.model.step)."""
    from cbow.training import schedule

    config = TrainConfig(objective="softmax", negative=0, batch_size=8192, sample=0.0)
    assert schedule.guard_repeated_rows(config, np.array([9000, 10, 10]), None) is config
