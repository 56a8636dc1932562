"""gensim's small settings: --ns-exponent, --min-alpha, --no-shrink-windows, --keep-words.

Each is a TrainConfig field whose default reproduces today's runs (tests/test_pinned_runs.py
pins those bits); the tests here check that each setting reaches what it changes.
"""

from __future__ import annotations

import numpy as np
import pytest

from cbow.cli import main
from cbow.corpora import planted
from cbow.data.counting import build_vocab_bounded
from cbow.data.split import heldout_examples
from cbow.data.encode import EncodedCorpus
from cbow.data.vocab import Vocab, load_word_list
from cbow.data.windows import iter_batches
from cbow.errors import ConfigError, VocabError
from cbow.model.step import build_output_layer
from cbow.training.callbacks import Callback
from cbow.training.config import TrainConfig
from cbow.training.loop import train
from cbow.training.schedule import MIN_LR_FRACTION, learning_rate

SMALL = dict(size=8, window=2, min_count=3, epochs=2, batch_size=64, seed=3, workers=1)


@pytest.fixture(scope="module")
def lines():
    return list(planted.generate_lines(n_sentences=600, seed=2))


class _Capture(Callback):
    """Keeps the run's output layer and its rates at every epoch end."""

    def __init__(self):
        self.rates = []

    def on_train_begin(self, run):
        self.output = run.output

    def on_epoch_end(self, run, report):
        self.rates.append((run.lr_in, run.lr_out, report.lr_end))


# -- --ns-exponent ---------------------------------------------------------------------------
@pytest.mark.parametrize("power", [0.0, 0.75, 1.0, -0.5])
def test_the_noise_table_follows_the_exponent(power):
    counts = np.array([50, 20, 5, 1])
    output, _ = build_output_layer(Vocab(["a", "b", "c", "d"], counts), "ns", 3, noise_power=power)
    expected = counts.astype(float) ** power
    expected /= expected.sum()
    assert output.noise_cdf is None  # the alias table is all a run keeps (8 bytes a word less)
    sampler = output.noise_sampler  # the alias table's mass per outcome is the distribution
    mass = sampler.accept.copy()
    np.add.at(mass, sampler.alias, 1.0 - sampler.accept)
    assert np.allclose(mass / len(counts), expected)


def test_a_run_draws_its_noise_with_the_configured_exponent(lines):
    capture = _Capture()
    uniform = train(lines, TrainConfig(**SMALL, ns_exponent=0.0), callbacks=[capture])
    sampler = capture.output.noise_sampler
    mass = sampler.accept.copy()
    np.add.at(mass, sampler.alias, 1.0 - sampler.accept)
    assert np.allclose(mass / len(mass), 1.0 / len(uniform.vocab))
    default = train(lines, TrainConfig(**SMALL))
    assert not np.array_equal(uniform.W_in, default.W_in)


def test_ns_exponent_with_hs_is_refused(capsys):
    assert main(["train", "x.txt", "--hs", "--ns-exponent", "0.5"]) == 2
    assert "--ns-exponent shapes negative sampling" in capsys.readouterr().err


# -- --min-alpha -----------------------------------------------------------------------------
def test_learning_rate_falls_linearly_to_min_alpha():
    assert learning_rate(0.05, 0, 100, min_alpha=0.001) == 0.05
    assert learning_rate(0.05, 50, 100, min_alpha=0.001) == pytest.approx(0.0255)
    assert learning_rate(0.05, 100, 100, min_alpha=0.001) == pytest.approx(0.001)
    assert learning_rate(0.05, 100, 100) == pytest.approx(0.05 * MIN_LR_FRACTION)  # the default floor


def test_a_run_ends_at_min_alpha_and_w_in_keeps_its_ratio(lines):
    capture = _Capture()
    config = TrainConfig(**SMALL, min_alpha=0.002)
    train(lines, config, callbacks=[capture])
    lr_in, lr_out, lr_end = capture.rates[-1]
    assert lr_out == pytest.approx(0.002) and lr_end == pytest.approx(0.002)
    assert lr_in == pytest.approx(0.002 * config.lr_in / config.alpha)
    capture = _Capture()
    train(lines, TrainConfig(**SMALL), callbacks=[capture])
    assert capture.rates[-1][1] == pytest.approx(TrainConfig().alpha * MIN_LR_FRACTION)


def test_min_alpha_above_alpha_is_refused():
    with pytest.raises(ConfigError, match=r"^min_alpha must lie in \[0, alpha 0.01\]"):
        TrainConfig(alpha=0.01, min_alpha=0.02)


# -- --no-shrink-windows ---------------------------------------------------------------------
def test_without_shrinking_every_target_takes_the_full_window():
    rng = np.random.default_rng(0)
    word_ids = rng.integers(0, 30, size=400).astype(np.int32)
    offsets = np.array([0, 7, 8, 120, 250, 400], dtype=np.int64)
    batches = list(iter_batches(word_ids, offsets, 3, 50, np.random.default_rng(1), shrink_windows=False))
    full = list(heldout_examples(EncodedCorpus(word_ids, offsets, 400), 3, 50))
    got = np.concatenate([b.context_ids * b.context_mask for b in batches])
    want = np.concatenate([ids * mask for _, ids, mask in full])
    assert np.array_equal(got, want)  # the exact windows the held-out loss scores with
    assert np.array_equal(np.concatenate([b.target_ids for b in batches]), np.concatenate([t for t, _, _ in full]))
    shrunk = list(iter_batches(word_ids, offsets, 3, 50, np.random.default_rng(1)))
    assert sum(b.n_context.sum() for b in shrunk) < sum(b.n_context.sum() for b in batches)


def test_the_engine_passes_shrink_windows_on(lines, monkeypatch):
    import cbow.training.in_process as in_process

    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs.get("shrink_windows", True))
        return iter_batches(*args, **kwargs)

    monkeypatch.setattr(in_process, "iter_batches", spy)
    train(lines, TrainConfig(**SMALL, shrink_windows=False))
    assert seen and not any(seen)


# -- --keep-words ----------------------------------------------------------------------------
def _rare_words(lines, below: int) -> list[str]:
    """Words of `lines` seen fewer than `below` times (and at least once)."""
    counts = Vocab.build(lines, "whitespace", min_count=1)
    return [w for w, c in zip(counts.words, counts.counts) if c < below]


def test_keep_words_survive_min_count_and_max_vocab(lines, tmp_path):
    rare = _rare_words(lines, 3)[:3]
    assert rare, "the planted corpus has words seen fewer than 3 times"
    keep = tmp_path / "keep.txt"
    keep.write_text("\n".join(rare) + "\n\n  \n", encoding="utf-8")
    result = train(lines, TrainConfig(**SMALL, keep_words=str(keep)))
    plain = train(lines, TrainConfig(**SMALL))
    assert all(word in result.vocab for word in rare)
    assert not any(word in plain.vocab for word in rare)
    assert len(result.vocab) == len(plain.vocab) + len(rare)
    assert np.all(np.diff(result.vocab.counts) <= 0)  # they take their place by count
    capped = train(lines, TrainConfig(**{**SMALL, "epochs": 1}, max_vocab=20, keep_words=str(keep)))
    assert len(capped.vocab) == 20 + len(rare) and all(word in capped.vocab for word in rare)


def test_keep_words_are_part_of_the_corpus_cache_key(lines, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rare = _rare_words(lines, 3)[:2]
    keep = tmp_path / "keep.txt"
    keep.write_text("\n".join(rare), encoding="utf-8")
    config = TrainConfig(**{**SMALL, "epochs": 1}, tokenizer="whitespace")
    cache = tmp_path / "cache"
    assert not any(w in train(corpus, config, cache_dir=cache).vocab for w in rare)
    kept = train(corpus, TrainConfig(**{**config.to_dict(), "keep_words": str(keep)}), cache_dir=cache)
    assert all(w in kept.vocab for w in rare)


def test_keep_words_survive_pruning_while_counting_in_bounded_memory(lines):
    rare = _rare_words(lines, 2)[:2]
    pruned = build_vocab_bounded(lines, "whitespace", min_count=1, max_types=50)
    kept = build_vocab_bounded(lines, "whitespace", min_count=1, max_types=50, keep_words=set(rare))
    assert not any(w in pruned for w in rare) and all(w in kept for w in rare)


def test_a_keep_words_file_is_checked(tmp_path, caplog):
    bad = tmp_path / "bad.txt"
    bad.write_text("paris\nnew york\n", encoding="utf-8")
    with pytest.raises(VocabError, match=r"bad.txt:2: 'new york' holds more than one word"):
        load_word_list(bad)
    with pytest.raises(VocabError, match="no such file"):
        load_word_list(tmp_path / "missing.txt")
    assert load_word_list(_write(tmp_path / "ok.txt", "\ufeffparis\r\n berlin \n")) == {"paris", "berlin"}


def test_keep_words_missing_from_the_corpus_are_named(lines, tmp_path, caplog):
    keep = _write(tmp_path / "keep.txt", "Paris\nzzzz\n")
    with caplog.at_level("WARNING"):
        train(lines, TrainConfig(**{**SMALL, "epochs": 1}, keep_words=str(keep)))
    assert "2 words of the --keep-words never occur in the corpus ('Paris', 'zzzz')" in caplog.text


def test_cbow_train_keep_words(lines, tmp_path):
    corpus = _write(tmp_path / "corpus.txt", "\n".join(lines) + "\n")
    rare = _rare_words(lines, 3)[0]
    keep = _write(tmp_path / "keep.txt", rare + "\n")
    out = tmp_path / "v.txt"
    assert main(["train", str(corpus), "-o", str(out), "--epochs", "1", "--size", "8", "--min-count", "3",
                 "--keep-words", str(keep), "-q", "--workers", "1", "--no-cache"]) == 0
    assert any(line.split(" ", 1)[0] == rare for line in out.read_text(encoding="utf-8").splitlines()[1:])


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path
