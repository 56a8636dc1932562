"""--out-vector-weight beta: the saved word vectors are W_in + beta * W_out (cbow.model.word_vectors)."""

import numpy as np
import pytest

from cbow.errors import ConfigError
from cbow.model.hidden import word_vectors
from cbow.training.config import TrainConfig
from cbow.training.loop import train
from cbow.vectors.keyed import KeyedVectors
from cli_helpers import assert_one_line_error, run_cbow

SMALL = dict(size=16, epochs=1, min_count=1, batch_size=256, workers=1)


@pytest.fixture(scope="module")
def lines(planted_lines):
    return planted_lines[:3000]


def test_word_vectors_adds_the_word_rows_of_w_out():
    W_in = np.arange(12, dtype=np.float32).reshape(3, 4)
    W_out = np.ones((3, 4), dtype=np.float32)
    assert word_vectors(W_in, W_out, 0.0) is W_in  # word2vec's and gensim's vectors, no copy
    mixed = word_vectors(W_in, W_out, 0.5)
    np.testing.assert_array_equal(mixed, W_in + 0.5)
    assert mixed.dtype == np.float32
    np.testing.assert_array_equal(W_in, np.arange(12, dtype=np.float32).reshape(3, 4))  # untouched


def test_trained_wv_and_epoch_reports_use_the_mix(lines):
    at_epoch_end = []

    def keep(report):  # the --eval path: the vectors the run would save at this epoch
        at_epoch_end.append((report.keyed_vectors().vectors, report.W_in.copy(), report.W_out.copy()))

    result = train(lines, TrainConfig(out_vector_weight=0.5, **SMALL), on_epoch_end=keep)
    V = len(result.vocab)
    np.testing.assert_array_equal(result.wv.vectors, result.W_in + np.float32(0.5) * result.W_out[:V])
    vectors, W_in, W_out = at_epoch_end[-1]
    np.testing.assert_array_equal(vectors, W_in + np.float32(0.5) * W_out[:V])
    # the weight changes what is saved, not how it trains
    plain = train(lines, TrainConfig(**SMALL))
    np.testing.assert_array_equal(plain.W_in, result.W_in)
    np.testing.assert_array_equal(plain.W_out, result.W_out)
    assert plain.wv.vectors is plain.W_in


def test_softmax_has_word_rows_too(lines):
    result = train(lines[:500], TrainConfig(objective="softmax", negative=0, out_vector_weight=1.0, **SMALL))
    np.testing.assert_array_equal(result.wv.vectors, result.W_in + result.W_out)


@pytest.mark.parametrize("settings, fragment", [
    (dict(out_vector_weight=-0.5), "^out_vector_weight must be >= 0"),
    (dict(out_vector_weight=float("nan")), "^out_vector_weight must be >= 0"),
    (dict(out_vector_weight=0.5, objective="hs", negative=0), "Huffman tree nodes"),
])
def test_bad_weights_are_refused(settings, fragment):
    with pytest.raises(ConfigError, match=fragment):
        TrainConfig(**settings)


def test_cli_saves_the_mix(tmp_path, lines):
    corpus = tmp_path / "small.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "mixed.bin"
    result = run_cbow("train", corpus, "-o", out, "--size", 16, "--epochs", 1, "--min-count", 1,
                      "--batch-size", 256, "--workers", 1, "--out-vector-weight", 0.5, "-q")
    assert result.returncode == 0, result.stderr
    library = train(corpus, TrainConfig(out_vector_weight=0.5, **SMALL))
    saved = KeyedVectors.load(out)
    assert saved.index_to_key == library.wv.index_to_key
    np.testing.assert_array_equal(saved.vectors, library.wv.vectors)
    assert not np.array_equal(saved.vectors, library.W_in)

    refused = run_cbow("train", corpus, "-o", tmp_path / "hs.bin", "--hs", "--out-vector-weight", 0.5)
    assert_one_line_error(refused, "--out-vector-weight", "--hs")
    assert not (tmp_path / "hs.bin").exists()
