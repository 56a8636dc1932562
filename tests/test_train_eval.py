"""Scores while training: `cbow train --eval/--eval-pairs`, the per-epoch training log."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from cbow.corpora import planted
from cbow.training.config import TrainConfig
from cbow.training.loop import train
from cbow.training.training_log import TrainingLog, add_scores, log_path_for

SMALL = ["--size", "24", "--window", "3", "--epochs", "3", "--min-count", "3", "--sample", "0", "--workers", "1"]


def run_cbow(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "cbow", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def write_planted_pairs(path):
    """Two capitals (same contexts in the planted corpus) score high, a capital and its country low."""
    lines = ["# word1\tword2\tscore"]
    for capital, country in planted.CAPITALS:
        lines.append(f"{capital}\t{country}\t1.0")
    for (first, _), (second, _) in zip(planted.CAPITALS, planted.CAPITALS[1:]):
        lines.append(f"{first}\t{second}\t9.0")
    lines.append("nosuchword\tparis\t5.0")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_eval_every_epoch_shown_and_logged(tmp_path, planted_corpus_file, planted_analogy_file):
    pairs = write_planted_pairs(tmp_path / "pairs.tsv")
    out = tmp_path / "vectors.bin"
    result = run_cbow("train", planted_corpus_file, "-o", out, *SMALL,
                      "--eval", planted_analogy_file, "--eval-pairs", pairs)
    assert result.returncode == 0, result.stderr
    epoch_lines = [line for line in result.stderr.splitlines() if line.startswith("epoch ")]
    assert len(epoch_lines) == 3
    assert all(planted_analogy_file.name in line and "pairs.tsv spearman" in line for line in epoch_lines)

    records = TrainingLog.read(log_path_for(out))
    assert [record["epoch"] for record in records] == [1, 2, 3]
    words = [record["words"] for record in records]
    assert words[1] == 2 * words[0] and words[2] == 3 * words[0] > 0
    assert all(record["lr"] > 0 and record["words_per_s"] > 0 for record in records)
    assert all(math.isfinite(record["train_loss"]) for record in records)
    assert records[-1]["train_loss"] < records[0]["train_loss"]
    analogy = records[-1]["eval"][planted_analogy_file.name]
    assert analogy["total"] == len(list(planted.analogy_questions()))
    assert analogy["accuracy"] > 0.5, records[-1]
    pair_scores = records[-1]["eval"]["pairs.tsv"]
    assert pair_scores["spearman"] > 0.5 and pair_scores["pairs"] == 2 * len(planted.CAPITALS) - 1
    assert pair_scores["oov_ratio"] > 0


def test_log_written_without_eval_and_no_log_without_output(tmp_path, planted_corpus_file):
    out = tmp_path / "v.txt"
    assert run_cbow("train", planted_corpus_file, "-o", out, *SMALL, "-q").returncode == 0
    records = TrainingLog.read(tmp_path / "v.txt.log.jsonl")
    assert len(records) == 3 and "eval" not in records[0]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["v.txt", "v.txt.log.jsonl"]


def test_bad_eval_file_fails_before_training(tmp_path, planted_corpus_file):
    bad = tmp_path / "bad-questions.txt"
    bad.write_text(": capitals\nparis france berlin\n", encoding="utf-8")
    before = set(tmp_path.iterdir())
    for flag, path, fragment in [("--eval", bad, "bad-questions.txt:2"),
                                 ("--eval-pairs", tmp_path / "missing.tsv", "missing.tsv")]:
        result = run_cbow("train", planted_corpus_file, "-o", tmp_path / "v.bin", *SMALL, flag, path)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0], result.stderr
        assert set(tmp_path.iterdir()) == before


def test_keyed_vectors_in_callback_are_a_snapshot(planted_lines):
    snapshots = []

    def on_epoch_end(report):
        snapshots.append((report.epoch, report.keyed_vectors()))

    config = TrainConfig(size=16, window=3, epochs=2, min_count=3, sample=0)
    result = train(planted_lines[:3000], config, on_epoch_end=on_epoch_end)
    assert [epoch for epoch, _ in snapshots] == [1, 2]
    first, last = snapshots[0][1], snapshots[1][1]
    assert first.index_to_key == list(result.vocab.words)
    assert not np.array_equal(first.vectors, last.vectors)  # epoch 1's copy kept its values
    np.testing.assert_array_equal(last.vectors, result.W_in)
    assert result.epochs[1].words_done == 2 * result.epochs[0].words_done == 2 * result.n_corpus_words


def test_training_log_rewrites_whole_lines_and_nan_is_null(tmp_path):
    log = TrainingLog(tmp_path / "run.log.jsonl")
    log.append(add_scores({"epoch": 1, "train_loss": 2.0}, "ws.tsv", {"spearman": float("nan")}))
    log.append({"epoch": 2, "train_loss": 1.5, "heldout_loss": 1.7})
    lines = (tmp_path / "run.log.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]
    assert json.loads(lines[0])["eval"]["ws.tsv"]["spearman"] is None
    assert list(tmp_path.iterdir()) == [tmp_path / "run.log.jsonl"]  # no temp file left
    assert log_path_for("out/vectors.bin").as_posix() == "out/vectors.bin.log.jsonl"


def test_a_damaged_log_line_is_named(tmp_path):
    from cbow.errors import FormatError

    path = tmp_path / "v.bin.log.jsonl"
    path.write_text('{"epoch": 1}\nnot json\n', encoding="utf-8")
    with pytest.raises(FormatError, match=r"v\.bin\.log\.jsonl:2: not a JSON object"):
        TrainingLog.read(path)


def test_holdout_loss_is_reported_every_epoch_and_falls(planted_lines):
    from cbow.data.encode import read_and_encode
    from cbow.training.heldout import heldout_loss
    from cbow.data.split import split_holdout

    # full softmax: the model the held-out loss measures (for NS it is the softmax its scores
    # define, which NS does not calibrate: it can sit above uniform)
    config = TrainConfig(size=16, window=3, min_count=3, epochs=3, holdout=0.1, seed=4,
                         objective="softmax", negative=0)
    result = train(planted_lines[:6000], config)
    nats = [report.heldout_nats for report in result.epochs]
    assert all(value is not None and np.isfinite(value) for value in nats)
    assert nats[-1] < nats[0] < np.log(len(result.vocab))  # better than uniform, and improving
    # the last epoch's number is the exact loss of the final weights on the same split
    vocab, encoded = read_and_encode(planted_lines[:6000], min_count=3)
    _, heldout = split_holdout(encoded, 0.1, 4)
    direct = heldout_loss(result.W_in, result.W_out, "softmax", heldout, 3, max_words=20_000)
    assert direct.nats == pytest.approx(nats[-1], rel=1e-9)
    assert result.n_corpus_words < len(encoded.word_ids)  # the held-out sentences were not trained on


def test_cli_holdout_in_epoch_lines_and_log(tmp_path, planted_corpus_file):
    out = tmp_path / "v.bin"
    done = subprocess.run([sys.executable, "-m", "cbow", "train", str(planted_corpus_file), "-o", str(out),
                           *SMALL, "--holdout", "2%", "--no-cache"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "held-out" in done.stderr and "perplexity" in done.stderr
    records = TrainingLog.read(log_path_for(out))
    assert len(records) == 3 and all(record["heldout_nats"] > 0 for record in records)
    bad = subprocess.run([sys.executable, "-m", "cbow", "train", str(planted_corpus_file), "-o", str(out),
                          "--holdout", "80%"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--holdout" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
