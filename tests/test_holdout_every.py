"""Held-out loss every N words: where the scores fall, that they are exact, and that they
change nothing in training (checkpoint/resume stays bit-identical)."""

from __future__ import annotations

import argparse
import math

import numpy as np
import pytest

from cbow.training import heldout as heldout_module
from cbow.training.checkpoint import Checkpointer, TrainingInterrupted, load_checkpoint
from cbow.cli import word_count
from cbow.data.encode import read_and_encode
from cbow.errors import ConfigError
from cbow.training.heldout import HeldoutMonitor
from cbow.data.split import split_holdout
from cbow.training.config import TrainConfig
from cbow.training.schedule import learning_rate
from cbow.training.loop import train
from cbow.training.training_log import TrainingLog

BATCH, EVERY = 50, 700
WORDS = [c + v + e for c in "bdfgklmnprst" for v in "aeiou" for e in "nst"][:40]


@pytest.fixture(scope="module")
def corpus():
    """600 sentences of 4-12 words: every token has a context, so with --sample 0
    every token is a training example and batch k of an epoch ends at word k * BATCH."""
    rng = np.random.default_rng(3)
    topics = np.array(WORDS).reshape(8, 5)  # a sentence draws its words from one topic: learnable
    lines = [" ".join(rng.choice(topics[rng.integers(8)], size=rng.integers(4, 13))) for _ in range(600)]
    return read_and_encode(lines, min_count=1)


def _config(**changes) -> TrainConfig:
    settings = dict(size=8, window=2, objective="softmax", negative=0, sample=0, min_count=1, epochs=2,
                    batch_size=BATCH, seed=11, holdout=0.1, holdout_every=EVERY)
    settings.update(changes)
    return TrainConfig(**settings)


def _naive_nats(W_in, W_out, heldout, window) -> float:
    """Mean -log softmax(W_out h)_t over every held-out target, one target at a time."""
    losses = []
    for sentence in heldout.sentences():
        for i, target in enumerate(sentence.tolist()):
            context = [sentence[j] for j in range(max(0, i - window), min(len(sentence), i + window + 1)) if j != i]
            h = W_in[context].astype(np.float64).mean(axis=0)
            scores = W_out.astype(np.float64) @ h
            losses.append(np.log(np.sum(np.exp(scores - scores.max()))) + scores.max() - scores[target])
    return float(np.mean(losses))


def test_scores_fall_at_the_first_batch_boundary_after_each_multiple_of_n(corpus):
    vocab, encoded = corpus
    config = _config()
    train_part, _ = split_holdout(encoded, config.holdout, config.seed)
    words_per_epoch = train_part.n_words
    total = config.epochs * words_per_epoch
    boundaries = [epoch * words_per_epoch + min(k * BATCH, words_per_epoch)
                  for epoch in range(config.epochs) for k in range(1, -(-words_per_epoch // BATCH) + 1)]
    epoch_ends = {(epoch + 1) * words_per_epoch for epoch in range(config.epochs)}
    first_after = {min(b for b in boundaries if b >= multiple) for multiple in range(EVERY, total, EVERY)}
    expected = sorted(first_after - epoch_ends)  # a multiple passed in an epoch's last batch: the epoch's score

    seen = []
    result = train(config=config, vocab=vocab, encoded=encoded, on_heldout=seen.append)
    in_epoch = [point for point in result.heldout_history if not point.epoch_end]
    assert [point.words_done for point in in_epoch] == expected and len(expected) >= 5
    assert [point.words_done for point in result.heldout_history if point.epoch_end] == sorted(epoch_ends)
    assert seen == result.heldout_history  # the callback saw every point, in order
    for point in in_epoch:
        assert point.epoch == pytest.approx(point.words_done / words_per_epoch, rel=1e-12)
        assert point.lr == pytest.approx(learning_rate(config.alpha, point.words_done, total), rel=1e-12)
        assert 0 < point.train_loss < 2 * math.log(len(vocab))
        assert point.n_predicted > 0 and point.perplexity == pytest.approx(math.exp(point.nats), rel=1e-12)
    # the epoch-end points are the numbers the epoch reports carry
    assert [report.heldout_nats for report in result.epochs] == [p.nats for p in result.heldout_history if p.epoch_end]


def test_each_score_equals_a_direct_computation_on_the_weights_of_that_moment(corpus, monkeypatch):
    vocab, encoded = corpus
    config = _config()
    snapshots = []

    class Recording(HeldoutMonitor):
        def _score(self, words_done, lr, train_loss, epoch_end):
            snapshots.append((self.W_in.copy(), self.W_out.copy()))
            return super()._score(words_done, lr, train_loss, epoch_end)

    monkeypatch.setattr("cbow.training.wiring.HeldoutMonitor", Recording)
    result = train(config=config, vocab=vocab, encoded=encoded)
    _, heldout = split_holdout(encoded, config.holdout, config.seed)
    assert len(snapshots) == len(result.heldout_history) > config.epochs
    assert heldout.n_words < heldout_module.HOLDOUT_MAX_WORDS  # every held-out target is scored
    for (W_in, W_out), point in zip(snapshots, result.heldout_history):
        assert point.n_predicted == heldout.n_words
        assert point.nats == pytest.approx(_naive_nats(W_in, W_out, heldout, config.window), rel=1e-10)
    nats = [point.nats for point in result.heldout_history]
    assert nats[-1] < nats[0]  # the model learns


def test_scoring_changes_nothing_in_training(corpus):
    vocab, encoded = corpus
    scored = train(config=_config(), vocab=vocab, encoded=encoded)
    epoch_ends_only = train(config=_config(holdout_every=0), vocab=vocab, encoded=encoded)
    assert np.array_equal(scored.W_in, epoch_ends_only.W_in)
    assert np.array_equal(scored.W_out, epoch_ends_only.W_out)
    assert [p for p in epoch_ends_only.heldout_history if not p.epoch_end] == []


class InterruptAt(Checkpointer):
    """'Presses Ctrl-C' at the batch boundary where the run has done `words` words."""

    def __init__(self, path, words):
        super().__init__(path, every_seconds=None)
        self.words = words

    def wants_pause(self, run):
        if run.words_done == self.words:
            self.interrupted = True
        return super().wants_pause(run)


def _without_timing(points):
    return [(p.epoch, p.words_done, p.lr, p.train_loss, p.nats, p.n_predicted, p.epoch_end) for p in points]


@pytest.mark.parametrize("which", [0, 3])
def test_resume_between_a_crossing_and_its_score_is_bit_identical(corpus, tmp_path, which):
    """Interrupted after the very batch that passes a multiple of N: the score is due at the
    top of the next batch, after the checkpoint; the resumed run must make it, identically."""
    vocab, encoded = corpus
    config = _config()
    reference = train(config=config, vocab=vocab, encoded=encoded)
    stop_at = [p.words_done for p in reference.heldout_history if not p.epoch_end][which]
    ckpt = tmp_path / "run.ckpt"
    with pytest.raises(TrainingInterrupted):
        train(config=config, vocab=vocab, encoded=encoded, checkpointer=InterruptAt(ckpt, stop_at))
    checkpoint = load_checkpoint(ckpt)
    assert checkpoint.state.words_done == stop_at
    assert all(point["words_done"] < stop_at for point in checkpoint.state.heldout_history)
    resumed = train(config=config, vocab=vocab, encoded=encoded, resume=checkpoint)
    assert np.array_equal(resumed.W_in, reference.W_in)
    assert np.array_equal(resumed.W_out, reference.W_out)
    assert _without_timing(resumed.heldout_history) == _without_timing(reference.heldout_history)
    assert resumed.epoch_losses == reference.epoch_losses


def test_holdout_every_needs_holdout_and_a_word_count():
    with pytest.raises(ConfigError, match="^holdout_every scores held-out text, which needs holdout too"):
        TrainConfig(holdout_every=1000)
    assert [word_count(text) for text in ("1000000", "1e6", "500k", "2M", "1.5k", "3G")] == \
        [1_000_000, 1_000_000, 500_000, 2_000_000, 1_500, 3_000_000_000]
    for bad in ("0", "-5", "abc", "k", "nan", "0.2"):
        with pytest.raises(argparse.ArgumentTypeError, match="word"):
            word_count(bad)


def test_log_of_a_resumed_run_keeps_what_will_not_be_written_again(tmp_path):
    path = tmp_path / "v.bin.log.jsonl"
    log = TrainingLog(path)
    for record in [{"kind": "heldout", "words": 700}, {"kind": "epoch", "words": 1000},
                   {"kind": "heldout", "words": 1400}, {"kind": "heldout", "words": 1750},
                   {"kind": "epoch", "words": 2000}]:
        log.append(record)
    # checkpoint mid-epoch at 1400: the score at 1400 comes after it and is made again
    assert [r["words"] for r in TrainingLog.resume(path, 1400).records] == [700, 1000]
    # checkpoint at the end of epoch 1 (1000): its epoch record came before it
    assert [r["words"] for r in TrainingLog.resume(path, 1000).records] == [700, 1000]
    assert TrainingLog.resume(tmp_path / "missing.jsonl", 5).records == []
    assert path.read_text().count("\n") == 5  # reading alone writes nothing


# -- the command line ------------------------------------------------------------------------
SMALL = ["--size", "16", "--window", "3", "--epochs", "2", "--min-count", "3", "--sample", "0", "--no-cache",
         "--workers", "1"]


def test_cli_shows_logs_and_draws_the_scores(tmp_path, planted_corpus_file):
    from cli_helpers import run_cbow

    out, picture = tmp_path / "v.bin", tmp_path / "loss.png"
    done = run_cbow("train", planted_corpus_file, "-o", out, *SMALL, "--holdout", "2%", "--holdout-every", "60k",
                    "--plot-loss", picture)
    assert done.returncode == 0, done.stderr
    records = TrainingLog.read(f"{out}.log.jsonl")
    epochs = [r for r in records if r["kind"] == "epoch"]
    scores = [r for r in records if r["kind"] == "heldout"]
    words_per_epoch = epochs[0]["words"]
    crossed = [m for m in range(60_000, 2 * words_per_epoch, 60_000) if m % words_per_epoch]
    assert len(epochs) == 2 and len(scores) == len(crossed) >= 4  # 60k words >> one batch
    for record, multiple in zip(scores, crossed):
        assert multiple <= record["words"] < multiple + 5_000
        assert record["epoch"] == pytest.approx(record["words"] / words_per_epoch, abs=1e-4)
        assert record["heldout_nats"] > 0 and record["heldout_words"] > 0 and record["lr"] > 0
        assert record["heldout_perplexity"] == pytest.approx(math.exp(record["heldout_nats"]), rel=1e-9)
    assert [r["words"] for r in records] == sorted(r["words"] for r in records)  # in training order
    lines = [line for line in done.stderr.splitlines() if "held-out" in line and "words (epoch" in line]
    assert len(lines) == len(scores) and f"{scores[0]['words']:,} words" in lines[0]
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_holdout_every_without_holdout_is_one_line(tmp_path, planted_corpus_file):
    from cli_helpers import assert_one_line_error, run_cbow

    done = run_cbow("train", planted_corpus_file, "-o", tmp_path / "v.bin", "--holdout-every", "1M")
    assert_one_line_error(done, "--holdout-every", "--holdout ")
    assert_one_line_error(run_cbow("train", planted_corpus_file, "--holdout", "1%", "--holdout-every", "lots"),
                          "--holdout-every", "500k")
    assert list(tmp_path.iterdir()) == []


def test_cli_resume_continues_the_log(tmp_path):
    """Ctrl-C mid-run, then --resume: the log ends as an uninterrupted run's (timings aside)."""
    import subprocess
    import sys

    from cbow.corpora import planted
    from cli_helpers import holding_at, interrupt_at_checkpoint

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(planted.generate_lines(n_sentences=2500, seed=1)) + "\n", encoding="utf-8")
    args = ["--size", "16", "--window", "3", "--epochs", "2", "--min-count", "3", "--batch-size", "16",
            "--seed", "7", "-q", "--holdout", "5%", "--holdout-every", "5k", "--workers", "1"]
    command = [sys.executable, "-m", "cbow", "train", str(corpus)]
    whole = subprocess.run(command + ["-o", str(tmp_path / "whole.bin"), *args], capture_output=True, text=True,
                           timeout=300)
    assert whole.returncode == 0, whole.stderr
    out, ckpt = tmp_path / "v.bin", tmp_path / "v.bin.ckpt"
    process = subprocess.Popen(command + ["-o", str(out), *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=holding_at(0.6))
    # the checkpoint where it holds: in epoch 2, past a score
    stderr = interrupt_at_checkpoint(process, ckpt, lambda state: state.epoch >= 1 and state.batches_done > 0)
    assert process.returncode == 130, stderr
    resumed = subprocess.run([sys.executable, "-m", "cbow", "train", "--resume", str(ckpt), "-q"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    timing = {"seconds", "words_per_s", "heldout_seconds"}

    def without_timing(path):
        return [{k: v for k, v in record.items() if k not in timing} for record in TrainingLog.read(path)]

    expected = without_timing(tmp_path / "whole.bin.log.jsonl")
    assert len([r for r in expected if r["kind"] == "heldout"]) >= 6
    assert without_timing(f"{out}.log.jsonl") == expected
