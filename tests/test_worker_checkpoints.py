"""Several workers keep every feature: epoch-end and mid-epoch checkpoints, Ctrl-C, --eval, --holdout.

Runs with N > 1 workers are not bit-reproducible, so these tests check that resumed runs
are sane (epochs counted once, the loss curve and the log continue without repeats, the
planted structure is learnt), not that they equal an uninterrupted run. Each worker costs
about a second to start: the tests are few and small.
"""

import math
import subprocess
import sys

import pytest

from cbow.training.checkpoint import Checkpointer, TrainingInterrupted, load_checkpoint
from cbow.corpora import planted
from cbow.data.encode import read_and_encode
from cbow.vectors.formats import load_word2vec_format
from cbow.training.config import TrainConfig
from cbow.training.loop import train
from cbow.training.training_log import TrainingLog, log_path_for
from cli_helpers import assert_one_line_error, holding_at, interrupt_at_checkpoint, run_cbow
from test_train import planted_scores
from test_train_eval import write_planted_pairs


class StopAtEpochEnd(Checkpointer):
    """Saves at every epoch end and 'presses Ctrl-C' at the end of epoch `epoch`."""

    def __init__(self, path, epoch):
        super().__init__(path, every_seconds=None)
        self.stop_epoch, self.seen = epoch, 0

    def on_epoch_end(self, run, report):
        self.seen += 1
        self.interrupted = self.seen == self.stop_epoch
        super().on_epoch_end(run, report)


def test_epoch_end_checkpoint_of_two_workers_resumes_with_any_worker_count(planted_lines, tmp_path):
    vocab, encoded = read_and_encode(planted_lines, min_count=3)
    config = TrainConfig(size=32, window=3, min_count=3, sample=1e-3, epochs=4, batch_size=256, seed=3, workers=2)
    ckpt = tmp_path / "run.ckpt"
    with pytest.raises(TrainingInterrupted):
        train(config=config, vocab=vocab, encoded=encoded, checkpointer=StopAtEpochEnd(ckpt, 2))
    checkpoint = load_checkpoint(ckpt)
    state = checkpoint.state
    assert (state.epoch, state.batches_done, state.words_done) == (2, 0, 2 * len(encoded.word_ids))
    assert [report["epoch"] for report in state.epochs] == [1, 2]

    for workers in (2, 1):  # the saved count, and another: an epoch end fits any
        reports = []
        resumed = train(config=TrainConfig(**{**config.to_dict(), "workers": workers}), vocab=vocab,
                        encoded=encoded, resume=checkpoint, on_epoch_end=reports.append)
        assert [report.epoch for report in reports] == [3, 4]  # only the epochs still to train
        assert [report.epoch for report in resumed.epochs] == [1, 2, 3, 4]
        words = [point.words_done for point in resumed.loss_history]
        assert words == sorted(set(words)) and words[-1] == 4 * len(encoded.word_ids)  # no repeats
        assert words[:len(state.loss_history)] == [point["words_done"] for point in state.loss_history]
        assert resumed.epoch_losses[-1] < resumed.epoch_losses[0] * 0.9
    pair_share, analogy_share = planted_scores(resumed.wv)
    assert pair_share >= 0.8 and analogy_share >= 0.7, (pair_share, analogy_share)


CLI_ARGS = ["--size", "16", "--window", "3", "--epochs", "2", "--min-count", "3", "--batch-size", "16",
            "--seed", "7", "-q", "--no-cache"]


def early_in_the_last_epoch(state) -> bool:
    """A checkpoint in the first half of epoch 2 (of 2), where the run holds for Ctrl-C."""
    if state.epoch < 1 or state.batches_done == 0:
        return False
    words_per_epoch = state.epochs[0]["words_done"]
    return state.words_done - state.epoch * words_per_epoch < words_per_epoch / 2


def test_ctrl_c_mid_epoch_with_two_workers_saves_and_resumes_to_the_end(tmp_path):
    corpus = tmp_path / "corpus.txt"  # 420k words, each worker's slice many batches long
    corpus.write_text("\n".join(planted.generate_lines(n_sentences=40000, seed=1)) + "\n", encoding="utf-8")
    out, ckpt = tmp_path / "v.bin", tmp_path / "v.bin.ckpt"
    # the workers hold at 60% of the run (20% into epoch 2): a pause that lands there on any machine
    process = subprocess.Popen([sys.executable, "-m", "cbow", "train", str(corpus), "-o", str(out), *CLI_ARGS,
                                "--workers", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=holding_at(0.6))
    stderr = interrupt_at_checkpoint(process, ckpt, early_in_the_last_epoch)
    assert process.returncode == 130, stderr
    assert f"cbow train --resume {ckpt}" in stderr and len(stderr.strip().splitlines()) == 1, stderr
    state = load_checkpoint(ckpt).state
    assert state.batches_done > 0 and len(state.worker_positions) == 2
    assert state.batches_done == sum(position["batches"] for position in state.worker_positions)
    words_per_epoch = state.epochs[0]["words_done"]
    assert state.words_done == state.epoch * words_per_epoch + sum(p["words"] for p in state.worker_positions)
    logged = TrainingLog.read(log_path_for(out))
    assert [record["epoch"] for record in logged] == list(range(1, state.epoch + 1))

    # mid-epoch, the slices must match: another count is refused, naming the one that fits
    refused = run_cbow("train", "--resume", ckpt, "--workers", "1", "-q")
    assert_one_line_error(refused, "v.bin.ckpt", "mid-epoch", "2 worker processes", "--workers 2")
    resumed = run_cbow("train", "--resume", ckpt, "-q")
    assert resumed.returncode == 0, resumed.stderr
    records = TrainingLog.read(log_path_for(out))
    assert [record["epoch"] for record in records] == [1, 2]  # each epoch once
    assert records[:len(logged)] == logged  # the records before the checkpoint are kept
    assert [record["words"] for record in records] == [words_per_epoch, 2 * words_per_epoch]
    assert all(math.isfinite(record["train_loss"]) for record in records)
    assert records[-1]["train_loss"] < records[0]["train_loss"]
    vocabulary, vectors = load_word2vec_format(out)
    assert len(vocabulary) == len(vectors) > 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corpus.txt", "v.bin", "v.bin.log.jsonl"]


def test_eval_holdout_and_holdout_every_with_two_workers(tmp_path, planted_corpus_file, planted_analogy_file):
    pairs = write_planted_pairs(tmp_path / "pairs.tsv")
    out = tmp_path / "v.bin"
    done = run_cbow("train", planted_corpus_file, "-o", out, "--size", "24", "--window", "3", "--epochs", "2",
                    "--min-count", "3", "--sample", "0", "--no-cache", "--workers", "2",
                    "--eval", planted_analogy_file, "--eval-pairs", pairs, "--holdout", "2%", "--holdout-every", "60k")
    assert done.returncode == 0, done.stderr
    records = TrainingLog.read(log_path_for(out))
    epochs = [record for record in records if record["kind"] == "epoch"]
    scores = [record for record in records if record["kind"] == "heldout"]
    assert [record["epoch"] for record in epochs] == [1, 2]
    for record in epochs:  # scored at the barrier, on the weights every worker left
        assert record["heldout_nats"] > 0 and record["eval"]["pairs.tsv"]["pairs"] > 0
        assert record["eval"][planted_analogy_file.name]["total"] == len(list(planted.analogy_questions()))
    assert epochs[-1]["eval"][planted_analogy_file.name]["accuracy"] > 0.25  # chance is ~0; 1-process runs ~0.5
    assert epochs[-1]["heldout_nats"] < epochs[0]["heldout_nats"]
    words_per_epoch = epochs[0]["words"]
    multiples = [record["words"] // 60_000 for record in scores]
    assert len(scores) >= 3 and multiples == sorted(set(multiples)) and min(multiples) >= 1
    for record in scores:  # at the first pause after a multiple of 60k, within the epoch
        assert record["words"] % words_per_epoch and record["heldout_nats"] > 0
    assert [r["words"] for r in records] == sorted(r["words"] for r in records)
