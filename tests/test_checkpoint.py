"""Checkpoints: exact resume after kill -9 and Ctrl-C, validation on load, no NaN checkpoints."""

import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

from cbow.training.checkpoint import (
    CheckpointError,
    Checkpointer,
    TrainingInterrupted,
    load_checkpoint,
)
from cbow.cli.args import parse_duration
from cbow.corpora import planted
from cbow.data.encode import read_and_encode
from cbow.errors import Diverged
from cbow.vectors.formats import load_word2vec_format
from cbow.training.config import TrainConfig
from cbow.training.loop import train
from cbow.training.training_log import TrainingLog
from cli_helpers import holding_at, interrupt_at_checkpoint, wait_for_checkpoint

ARGS = ["--size", "16", "--window", "3", "--epochs", "3", "--min-count", "3", "--batch-size", "16",
        "--seed", "7", "-q", "--workers", "1"]  # one process: resumes are bit-identical


def cbow_command(*args):
    return [sys.executable, "-m", "cbow", *map(str, args)]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "corpus.txt"
    path.write_text("\n".join(planted.generate_lines(n_sentences=4000, seed=1)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def uninterrupted_vectors(tmp_path_factory, small_corpus):
    out = tmp_path_factory.mktemp("full") / "vectors.bin"
    done = subprocess.run(cbow_command("train", small_corpus, "-o", out, *ARGS), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return load_word2vec_format(out)


def mid_epoch(state) -> bool:
    return state.batches_done > 0


def test_kill_9_mid_epoch_then_resume_is_bit_identical(tmp_path, small_corpus, uninterrupted_vectors):
    out = tmp_path / "vectors.bin"
    ckpt = tmp_path / "vectors.bin.ckpt"
    process = subprocess.Popen(cbow_command("train", small_corpus, "-o", out, *ARGS),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=holding_at(0.5))
    try:
        state = wait_for_checkpoint(process, ckpt, mid_epoch)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not out.exists()
    assert 0 < state.words_done
    resumed = subprocess.run(cbow_command("train", "--resume", ckpt, "-q"), capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    words, vectors = load_word2vec_format(out)
    assert words == uninterrupted_vectors[0]
    assert np.array_equal(vectors, uninterrupted_vectors[1])
    assert not ckpt.exists()  # a finished run removes its checkpoint
    # no temp files left; the training log was continued by the resumed run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.bin", "vectors.bin.log.jsonl"]
    assert [record["epoch"] for record in TrainingLog.read(tmp_path / "vectors.bin.log.jsonl")] == [1, 2, 3]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_saves_a_checkpoint_exits_130_and_resumes_exactly(tmp_path, small_corpus,
                                                                    uninterrupted_vectors, signum):
    """SIGTERM (kill, timeout, a scheduler's preemption) saves as Ctrl-C does."""
    out = tmp_path / "vectors.bin"
    ckpt = tmp_path / "vectors.bin.ckpt"
    process = subprocess.Popen(cbow_command("train", small_corpus, "-o", out, *ARGS),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=holding_at(0.5))
    stderr = interrupt_at_checkpoint(process, ckpt, mid_epoch, signum=signum)
    assert process.returncode == 130, stderr
    assert f"cbow train --resume {ckpt}" in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    resumed = subprocess.run(cbow_command("train", "--resume", ckpt, "-q"), capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert np.array_equal(load_word2vec_format(out)[1], uninterrupted_vectors[1])


class InterruptAfter(Checkpointer):
    """'Presses Ctrl-C' once `n_batches` batches of the first epoch are done."""

    def __init__(self, path, n_batches):
        super().__init__(path, every_seconds=None)
        self.n_batches = n_batches

    def wants_pause(self, run):
        if run.epoch == 0 and run.batches_done == self.n_batches:
            self.interrupted = True
        return super().wants_pause(run)


@pytest.mark.parametrize("objective, stop_after", [("ns", 37), ("hs", 90), ("ns", 1)])
def test_interrupt_and_resume_in_process(tmp_path, objective, stop_after):
    lines = list(planted.generate_lines(n_sentences=1500, seed=2))
    vocab, encoded = read_and_encode(lines, min_count=3)
    config = TrainConfig(size=12, window=2, epochs=2, min_count=3, batch_size=32, seed=5,
                         objective=objective, negative=5 if objective == "ns" else 0)
    reference = train(config=config, vocab=vocab, encoded=encoded)
    ckpt = tmp_path / "run.ckpt"
    with pytest.raises(TrainingInterrupted):
        train(config=config, vocab=vocab, encoded=encoded, checkpointer=InterruptAfter(ckpt, stop_after))
    checkpoint = load_checkpoint(ckpt)
    assert checkpoint.state.batches_done == stop_after
    resumed = train(config=config, vocab=vocab, encoded=encoded, resume=checkpoint)
    assert np.array_equal(resumed.W_in, reference.W_in)
    assert np.array_equal(resumed.W_out, reference.W_out)
    assert resumed.epoch_losses == pytest.approx(reference.epoch_losses, rel=1e-12)
    assert [p.words_done for p in resumed.loss_history] == [p.words_done for p in reference.loss_history]
    # the resumed epoch's words/s counts the words trained after the checkpoint, not the whole epoch
    first = resumed.epochs[0]
    assert first.words_per_second * first.seconds == pytest.approx(len(encoded.word_ids) - checkpoint.state.words_done)
    assert reference.epochs[0].words_per_second * reference.epochs[0].seconds == pytest.approx(len(encoded.word_ids))


def test_resume_refuses_another_corpus_or_config(tmp_path):
    lines = list(planted.generate_lines(n_sentences=800, seed=3))
    vocab, encoded = read_and_encode(lines, min_count=3)
    config = TrainConfig(size=8, window=2, epochs=1, min_count=3, batch_size=64)
    ckpt = tmp_path / "run.ckpt"
    train(config=config, vocab=vocab, encoded=encoded, checkpointer=Checkpointer(ckpt))
    checkpoint = load_checkpoint(ckpt)
    other_vocab, other_encoded = read_and_encode(lines[:-50], min_count=3)
    with pytest.raises(CheckpointError, match="different corpus"):
        train(config=config, vocab=other_vocab, encoded=other_encoded, resume=checkpoint)
    with pytest.raises(CheckpointError, match="--window"):
        train(config=TrainConfig(size=8, window=3, epochs=1, min_count=3, batch_size=64),
              vocab=vocab, encoded=encoded, resume=checkpoint)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_checkpoint_is_one_clear_error(tmp_path, damage):
    lines = list(planted.generate_lines(n_sentences=300, seed=4))
    vocab, encoded = read_and_encode(lines, min_count=2)
    ckpt = tmp_path / "run.ckpt"
    train(config=TrainConfig(size=8, epochs=1, min_count=2), vocab=vocab, encoded=encoded,
          checkpointer=Checkpointer(ckpt))
    raw = ckpt.read_bytes()
    ckpt.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": os.urandom(500), "empty": b""}[damage])
    with pytest.raises(CheckpointError, match="run.ckpt"):
        load_checkpoint(ckpt)


def test_divergence_keeps_the_last_good_checkpoint(tmp_path):
    lines = list(planted.generate_lines(n_sentences=2000, seed=5))
    vocab, encoded = read_and_encode(lines, min_count=3)
    config = TrainConfig(size=16, epochs=3, min_count=3, alpha=1e6, alpha_in=1e6, batch_size=64)
    ckpt = tmp_path / "run.ckpt"
    checkpointer = Checkpointer(ckpt, every_seconds=1e-9)  # save after every good batch
    with pytest.raises(Diverged, match="epoch 1"):
        train(config=config, vocab=vocab, encoded=encoded, checkpointer=checkpointer)
    state = load_checkpoint(ckpt).state
    assert np.isfinite(state.W_in).all() and np.isfinite(state.W_out).all()
    assert [p.name for p in tmp_path.iterdir()] == ["run.ckpt"]


@pytest.mark.parametrize("text, seconds", [("30s", 30), ("10m", 600), ("1h", 3600), ("90", 90),
                                           ("0.5s", 0.5), ("2 min", 120)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "10x", "-5s", "1h30"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match="30s, 10m or 1h"):
        parse_duration(text)


def without_settings(path, *keys):
    """Rewrite checkpoint `path` as a cbow from before settings `keys` existed wrote it."""
    import json

    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    for key in keys:
        del meta["config"][key]
    del meta["progress"]["worker_positions"]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def test_a_checkpoint_older_than_a_setting_resumes_with_its_default(tmp_path, small_corpus):
    """A setting the checkpoint lacks is compared as its default, not as a difference."""
    lines = small_corpus.read_text(encoding="utf-8").splitlines()[:1500]
    vocab, encoded = read_and_encode(lines, min_count=3)
    config = TrainConfig(size=8, window=2, epochs=2, min_count=3, batch_size=64)
    ckpt = tmp_path / "v.bin.ckpt"
    reference = train(config=config, vocab=vocab, encoded=encoded)
    with pytest.raises(TrainingInterrupted):
        train(config=config, vocab=vocab, encoded=encoded, checkpointer=InterruptAfter(ckpt, 20))
    without_settings(ckpt, "holdout_every", "repeat_guard", "workers")
    checkpoint = load_checkpoint(ckpt)
    assert "holdout_every" not in checkpoint.config and checkpoint.state.worker_positions == []
    resumed = train(config=config, vocab=vocab, encoded=encoded, resume=checkpoint)
    assert np.array_equal(resumed.W_in, reference.W_in)  # one process: still exact
    with pytest.raises(CheckpointError, match="--repeat-guard 0.0, this run has 0.5"):  # still a difference
        train(config=TrainConfig(**{**config.to_dict(), "repeat_guard": 0.5}), vocab=vocab, encoded=encoded,
              resume=checkpoint)


def interrupted_cli_run(tmp_path, small_corpus, **settings):
    """A run of 1,500 lines of `small_corpus` (written to c.txt) stopped after 20 batches, its
    checkpoint naming c.txt and v.bin as the CLI's would: (out, ckpt, corpus, vocab)."""
    out, ckpt, corpus = tmp_path / "v.bin", tmp_path / "v.bin.ckpt", tmp_path / "c.txt"
    lines = small_corpus.read_text(encoding="utf-8").splitlines()[:1500]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    vocab, encoded = read_and_encode(lines, min_count=3)
    config = TrainConfig(size=8, window=2, epochs=2, min_count=3, batch_size=64, **settings)
    checkpointer = InterruptAfter(ckpt, 20)
    checkpointer.corpus_path, checkpointer.output = str(corpus), str(out)
    with pytest.raises(TrainingInterrupted):
        train(config=config, vocab=vocab, encoded=encoded, checkpointer=checkpointer)
    return out, ckpt, corpus, vocab


def test_cli_resumes_a_checkpoint_older_than_a_setting(tmp_path, small_corpus):
    out, ckpt, _, vocab = interrupted_cli_run(tmp_path, small_corpus)
    without_settings(ckpt, "holdout_every", "workers")
    resumed = subprocess.run(cbow_command("train", "--resume", ckpt, "-q", "--no-cache"), capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert load_word2vec_format(out)[1].shape == (len(vocab), 8)


def test_cli_resume_with_the_corpus_named_keeps_a_non_default_sample(tmp_path, small_corpus):
    """`cbow train CORPUS --resume` gives no --sample: the checkpoint's 1e-3 is not a difference
    (the flag's default depends on whether a CORPUS is given: the demo's is 1e-3, a corpus's 1e-4)."""
    out, ckpt, corpus, vocab = interrupted_cli_run(tmp_path, small_corpus, sample=1e-3)
    for command in (["train", corpus, "--resume", ckpt], ["train", "--resume", ckpt]):
        shutil.copy(ckpt, tmp_path / "saved.ckpt")
        resumed = subprocess.run(cbow_command(*command, "-q", "--no-cache"), capture_output=True, text=True,
                                 timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        assert load_word2vec_format(out)[1].shape == (len(vocab), 8)
        shutil.move(tmp_path / "saved.ckpt", ckpt)
