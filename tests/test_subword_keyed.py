"""SubwordKeyedVectors: a vector for any word, gensim's membership rules, files that keep the n-grams."""

import logging

import numpy as np
import pytest

import cbow
from cbow.cli import main
from cbow.data.subwords import SubwordSpec, char_ngrams, fasttext_hash
from cbow.errors import FormatError
from cbow.vectors.fasttext_bin import is_fasttext_bin
from cbow.vectors.keyed import KeyedVectors, UnknownWordError
from cbow.vectors.subword_keyed import SubwordKeyedVectors, has_subwords

VOCAB = ["walk", "walked", "walking", "talk", "talked", "café", "東京", "a"]
SPEC = SubwordSpec(3, 5, 997)


@pytest.fixture
def kv():
    rng = np.random.default_rng(3)
    return SubwordKeyedVectors(VOCAB, rng.normal(size=(len(VOCAB), 6)).astype(np.float32),
                               rng.normal(size=(SPEC.buckets, 6)).astype(np.float32), SPEC,
                               counts=np.arange(len(VOCAB), 0, -1), config={"window": 4})


def ngram_mean(kv, word, own=None):
    rows = [kv.vectors_ngrams[fasttext_hash(g) % SPEC.buckets] for g in char_ngrams(word, SPEC.min_n, SPEC.max_n)]
    if own is not None:
        rows.append(kv.vectors_vocab[own])
    return np.mean(np.array(rows, dtype=np.float64), axis=0)


def test_vectors_are_fasttexts_means(kv):
    for index, word in enumerate(VOCAB):
        np.testing.assert_allclose(kv[word], ngram_mean(kv, word, own=index), atol=1e-6)
    for word in ["walks", "talkings", "cafés", "東京都"]:
        np.testing.assert_allclose(kv[word], ngram_mean(kv, word), atol=1e-6)
        assert kv.ngram_count(word) == len(char_ngrams(word, 3, 5))
    assert kv.ngram_count("walk") is None
    subwords, rows = kv.get_subwords("walk")
    assert subwords[:3] == ["walk", "<wa", "<wal"] and rows[0] == 0 and (rows[1:] >= len(VOCAB)).all()


def test_a_word_without_ngrams_is_zero_with_a_warning(caplog):
    rng = np.random.default_rng(0)
    spec = SubwordSpec(5, 6, 10)
    kv = SubwordKeyedVectors(["hello"], rng.normal(size=(1, 3)).astype(np.float32),
                             rng.normal(size=(10, 3)).astype(np.float32), spec)
    with caplog.at_level(logging.WARNING):
        vector = kv["ab"]  # "<ab>" has 4 characters, fewer than 5
    assert not vector.any() and "'ab' has no n-gram of 5..6 characters" in caplog.text
    assert not kv.get_vector("ab", norm=True).any()


def test_membership_is_gensims(kv):
    """gensim's FastTextKeyedVectors: `in` is True for any word with n-grams; key_to_index is the vocabulary."""
    assert "walk" in kv and "neverseen" in kv
    assert "neverseen" not in kv.key_to_index and not kv.has_index_for("neverseen")
    with pytest.raises(UnknownWordError):
        kv.get_index("neverseen")
    words_only = SubwordKeyedVectors(VOCAB, kv.vectors_vocab, kv.vectors_ngrams, SubwordSpec(3, 0, SPEC.buckets))
    assert "neverseen" not in words_only and "walk" in words_only
    with pytest.raises(UnknownWordError, match="not in the vocabulary"):
        words_only["neverseen"]


def test_queries_take_unseen_words_and_search_the_vocabulary(kv):
    unseen = "walkings"
    unit = kv[unseen] / np.linalg.norm(kv[unseen])
    expected = sorted(VOCAB, key=lambda w: -float(kv.get_vector(w, norm=True) @ unit))
    assert [w for w, _ in kv.most_similar(unseen, topn=len(VOCAB))] == expected
    assert [w for w, _ in kv.most_similar_many([unseen, "walk"], topn=3)[0]] == expected[:3]
    assert "walk" not in [w for w, _ in kv.most_similar_many(["walk"], topn=8)[0]]
    assert kv.similarity(unseen, "walk") == pytest.approx(float(kv.get_vector("walk", norm=True) @ unit), abs=1e-6)
    assert kv.rank(unseen, expected[0]) == 1 and kv.rank(unseen, expected[2]) == 3
    assert kv.distances(unseen, ["walk"])[0] == pytest.approx(1 - kv.similarity(unseen, "walk"), abs=1e-6)
    assert kv.doesnt_match(["walk", "walked", unseen]) in ["walk", "walked", unseen]
    assert kv.most_similar(positive=["talked", unseen], negative=["talk"], topn=2)
    assert kv.most_similar_cosmul(positive=[unseen], topn=1)


def test_files_keep_the_ngrams_and_text_keeps_the_vocabulary(kv, tmp_path, caplog):
    kv.save(tmp_path / "v.bin")
    assert is_fasttext_bin(tmp_path / "v.bin") and has_subwords(tmp_path / "v.bin")
    kv.save(tmp_path / "v.cbow")
    loaded = cbow.load(tmp_path / "v.cbow", mmap="r")
    assert isinstance(loaded, SubwordKeyedVectors) and isinstance(loaded.vectors_ngrams, np.memmap)
    assert loaded.config == {"window": 4} and loaded.counts.tolist() == kv.counts.tolist()
    np.testing.assert_array_equal(loaded["walkings"], kv["walkings"])
    np.testing.assert_array_equal(cbow.load(tmp_path / "v.bin")["walkings"], kv["walkings"])
    kv.save(tmp_path / "v.vec")
    text = KeyedVectors.load(tmp_path / "v.vec")
    assert text.index_to_key == VOCAB and not has_subwords(tmp_path / "v.vec")
    np.testing.assert_allclose(text.vectors, kv.vectors, atol=1e-5)
    kv.save(tmp_path / "w.bin", format="word2vec")  # named outright: the vocabulary only
    assert not is_fasttext_bin(tmp_path / "w.bin") and type(cbow.load(tmp_path / "w.bin")) is KeyedVectors
    with caplog.at_level(logging.WARNING):
        vocabulary = KeyedVectors.load(tmp_path / "v.cbow")  # a vectors-only reader: says what it leaves out
    assert "n-gram vectors, which are left out" in caplog.text and type(vocabulary) is KeyedVectors
    np.testing.assert_array_equal(vocabulary.vectors, kv.vectors)
    with pytest.raises(FormatError, match="holds no n-gram vectors"):
        SubwordKeyedVectors.load(tmp_path / "v.vec")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        from_bin = KeyedVectors.load(tmp_path / "v.bin")  # detected by content, read as its vocabulary
    assert type(from_bin) is KeyedVectors and "a fastText model with n-gram vectors" in caplog.text
    np.testing.assert_allclose(from_bin.vectors, kv.vectors, atol=1e-6)


def test_a_damaged_subwords_entry_is_named(kv, tmp_path):
    import json

    kv.save(tmp_path / "v.cbow")
    meta_path = tmp_path / "v.cbow" / "vocab.json"
    meta = json.loads(meta_path.read_text())
    meta["subwords"]["buckets"] = -3
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(FormatError, match="\"subwords\" is malformed"):
        cbow.load(tmp_path / "v.cbow")
    meta["subwords"]["buckets"] = 5
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(FormatError, match="vectors_ngrams.npy: holds float32 \\(997, 6\\)"):
        cbow.load(tmp_path / "v.cbow")


def test_cli_answers_for_unseen_words_and_says_so(kv, tmp_path, capsys):
    path = tmp_path / "model.bin"
    kv.save(path)
    assert main(["similar", str(path), "walkings", "walk", "--topn", "2"]) == 0
    out, err = capsys.readouterr()
    assert [line.split("\t")[0] for line in out.splitlines()] == ["walkings", "walkings", "walk", "walk"]
    assert "'walkings' is not in the vocabulary: its vector is the mean of its 21 n-gram vectors" in err
    assert "'walk' is not" not in err
    assert main(["analogy", str(path), "talk", "talked", "walkz"]) == 0
    words, err = capsys.readouterr()
    assert "'walkz' is not in the vocabulary" in err
    assert main(["analogy", str(path), "talked-talk+walkz"]) == 0  # an expression, not one unseen word
    assert capsys.readouterr().out == words


def test_cli_query_and_convert(kv, tmp_path, capsys, monkeypatch):
    import io

    path = tmp_path / "model.bin"
    kv.save(path)
    lines = "walkings\n:sim walkings walk\n:odd walk talk zzzq\n:rank zzzq walk\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main(["query", str(path), "--topn", "2"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 4 and out.splitlines()[1] == f"{kv.similarity('walkings', 'walk'):.4f}"
    assert err.count("'walkings' is not in the vocabulary") == 2 and "'zzzq' is not in the vocabulary" in err
    assert main(["convert", str(path), str(tmp_path / "copy.bin")]) == 0
    assert "fasttext-bin, with 997 n-gram buckets" in capsys.readouterr().err
    assert (tmp_path / "copy.bin").read_bytes() == path.read_bytes()
    assert main(["convert", str(path), str(tmp_path / "v.txt")]) == 0
    assert "the vocabulary's vectors, without the n-grams" in capsys.readouterr().err
    assert main(["convert", str(path), str(tmp_path / "head.bin"), "--limit", "3"]) == 0
    head = cbow.load(tmp_path / "head.bin")
    assert head.index_to_key == VOCAB[:3]
    np.testing.assert_array_equal(head["walkings"], kv["walkings"])  # the n-gram rows stay whole
