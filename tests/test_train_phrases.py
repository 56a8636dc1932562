"""`cbow train --phrases TABLE`: the table's phrases are joined before counting and encoding."""

import numpy as np

from cbow.vectors.formats import load_word2vec_format
from cli_helpers import assert_one_line_error, run_cbow
from test_phrases import PLANTED, planted_bigram_lines


def test_train_with_a_phrase_table_learns_vectors_for_the_phrases(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(planted_bigram_lines(n_sentences=3000, seed=3)) + "\n", encoding="utf-8")
    table = tmp_path / "phrases.tsv"
    made = run_cbow("phrases", corpus, "--save-table", table, "-q")
    assert made.returncode == 0, made.stderr
    common = ["--size", "12", "--epochs", "1", "--min-count", "3", "-q", "--workers", "1",
              "--cache-dir", tmp_path / "cache"]
    plain = run_cbow("train", corpus, "-o", tmp_path / "plain.txt", *common)
    joined = run_cbow("train", corpus, "-o", tmp_path / "joined.txt", "--phrases", table, *common)
    assert plain.returncode == 0 and joined.returncode == 0, (plain.stderr, joined.stderr)
    plain_words = set(load_word2vec_format(tmp_path / "plain.txt")[0])
    joined_words, vectors = load_word2vec_format(tmp_path / "joined.txt")
    for first, second in PLANTED:
        assert f"{first}_{second}" in joined_words and f"{first}_{second}" not in plain_words
    assert np.isfinite(vectors).all()
    # the cache keeps the two encodings apart: a run without the table is not given the joined ids
    again = run_cbow("train", corpus, "-o", tmp_path / "again.txt", *common)
    assert again.returncode == 0 and set(load_word2vec_format(tmp_path / "again.txt")[0]) == plain_words


def test_a_missing_phrase_table_is_one_line(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(planted_bigram_lines(n_sentences=200, seed=3)) + "\n", encoding="utf-8")
    done = run_cbow("train", corpus, "-o", tmp_path / "v.bin", "--phrases", tmp_path / "nope.tsv", "-q")
    assert_one_line_error(done, "nope.tsv")
    assert not (tmp_path / "v.bin").exists()
