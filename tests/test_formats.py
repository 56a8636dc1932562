"""word2vec text/binary files: exact round trips, gensim interop, clear errors, atomic writes."""

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKeyedVectors

from cbow import formats
from cbow.errors import FormatError, OutputError
from cbow.vectors import KeyedVectors

WORDS = ["the", "paris", "déjà", "日本", "naïve", "x"]


@pytest.fixture
def vectors():
    return np.random.default_rng(0).standard_normal((len(WORDS), 7)).astype(np.float32)


@pytest.mark.parametrize("name,binary", [("v.bin", True), ("v.txt", False), ("v.vec", False)])
def test_round_trip(tmp_path, vectors, name, binary):
    path = tmp_path / name
    formats.save_word2vec_format(path, WORDS, vectors)
    words, loaded = formats.load_word2vec_format(path)
    assert words == WORDS
    if binary:
        assert np.array_equal(loaded, vectors)
    else:
        np.testing.assert_allclose(loaded, vectors, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("binary", [True, False])
def test_gensim_reads_ours_and_we_read_gensims(tmp_path, vectors, binary):
    ours = tmp_path / "ours.bin"
    formats.save_word2vec_format(ours, WORDS, vectors, binary=binary)
    theirs = GensimKeyedVectors.load_word2vec_format(str(ours), binary=binary)
    assert list(theirs.index_to_key) == WORDS
    np.testing.assert_allclose(theirs.vectors, vectors, rtol=1e-5, atol=1e-6)

    written = tmp_path / "gensim.out"
    theirs.save_word2vec_format(str(written), binary=binary)
    words, loaded = formats.load_word2vec_format(written)
    assert words == WORDS
    np.testing.assert_allclose(loaded, theirs.vectors, rtol=1e-5, atol=1e-6)


def test_truncated_binary_names_byte_offset(tmp_path, vectors):
    path = tmp_path / "v.bin"
    formats.save_word2vec_format(path, WORDS, vectors)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(FormatError, match=r"v\.bin: byte \d+: .*truncated"):
        formats.load_word2vec_format(path)


def test_short_text_line_names_line(tmp_path, vectors):
    path = tmp_path / "v.txt"
    formats.save_word2vec_format(path, WORDS, vectors)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = " ".join(lines[3].split()[:-1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"v\.txt:4: expected 7 values after 'déjà', found 6"):
        formats.load_word2vec_format(path)


def test_header_disagreeing_with_body(tmp_path, vectors):
    path = tmp_path / "v.txt"
    formats.save_word2vec_format(path, WORDS, vectors)
    text = path.read_text(encoding="utf-8").replace("6 7", "9 7", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError, match="header"):
        formats.load_word2vec_format(path)


def test_bad_header_and_nan_refused(tmp_path, vectors):
    path = tmp_path / "v.txt"
    path.write_text("hello world\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"v\.txt:1: expected a header"):
        formats.load_word2vec_format(path)
    bad = vectors.copy()
    bad[2, 1] = np.nan
    with pytest.raises(FormatError, match="NaN"):
        formats.save_word2vec_format(tmp_path / "n.bin", WORDS, bad)
    assert not (tmp_path / "n.bin").exists()


def test_failed_write_leaves_nothing(tmp_path, vectors, monkeypatch):
    target = tmp_path / "v.bin"
    formats.save_word2vec_format(target, WORDS, vectors)
    before = target.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(formats.os, "fsync", broken_fsync)
    with pytest.raises(OutputError, match="No space left"):
        formats.save_word2vec_format(target, WORDS, vectors * 2)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.bin"]


def test_missing_directory(tmp_path, vectors):
    with pytest.raises(OutputError, match="does not exist"):
        formats.save_word2vec_format(tmp_path / "nope" / "v.bin", WORDS, vectors)


def test_keyed_vectors_queries(tmp_path):
    words = ["a", "b", "c", "d"]
    vectors = np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0]], dtype=np.float32)
    kv = KeyedVectors(words, vectors)
    assert [w for w, _ in kv.most_similar("a", topn=3)] == ["b", "c", "d"]
    assert kv.similarity("a", "d") == pytest.approx(-1.0)
    assert "a" in kv and "z" not in kv and len(kv) == 4
    with pytest.raises(KeyError, match="'bb' is not in the vocabulary.*did you mean 'b'"):
        kv["bb"]
    row = kv.get_vector("a")
    with pytest.raises(ValueError):
        row[0] = 5
