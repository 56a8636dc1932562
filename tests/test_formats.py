"""word2vec text/binary files: exact round trips, gensim interop, clear errors, atomic writes."""

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKeyedVectors

from cbow import atomic
from cbow.vectors import formats
from cbow.errors import FormatError, OutputError
from cbow.vectors.keyed import KeyedVectors

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

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
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


# -- formats beyond word2vec: detection, GloVe, our .cbow directory, convert -------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cbow.vectors import cbowformat  # noqa: E402
from cbow.cli import main  # noqa: E402


@pytest.mark.parametrize("name,fmt", [("v.bin", "word2vec"), ("v.txt", "word2vec-text"), ("v.vec", "word2vec-text"),
                                      ("v.glove", "glove"), ("v.cbow", "cbow")])
def test_every_format_round_trips_and_is_detected(tmp_path, vectors, name, fmt):
    path = tmp_path / name
    counts = np.arange(len(WORDS), 0, -1) * 10
    assert KeyedVectors(WORDS, vectors, counts=counts).save(path).name == fmt
    assert formats.detect_format(path) == fmt
    kv = KeyedVectors.load(path)
    assert kv.index_to_key == WORDS
    np.testing.assert_allclose(kv.vectors, vectors, rtol=1e-5, atol=1e-6)
    if fmt == "cbow":
        assert np.array_equal(kv.vectors, vectors) and kv.counts.tolist() == counts.tolist()


def test_cbow_directory_memory_maps_and_replaces_atomically(tmp_path, vectors):
    path = tmp_path / "v.cbow"
    KeyedVectors(WORDS, vectors, counts=[5] * len(WORDS), config={"size": 7}).save(path)
    kv = KeyedVectors.load(path, mmap="r")
    assert isinstance(kv.vectors, np.memmap) and not kv.vectors.flags.writeable
    assert kv.config == {"size": 7}
    assert kv.most_similar("paris", topn=2) == KeyedVectors(WORDS, vectors).most_similar("paris", topn=2)
    KeyedVectors(WORDS, vectors * 2).save(path)  # over an existing directory
    np.testing.assert_array_equal(KeyedVectors.load(path).vectors, vectors * 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.cbow"]
    (tmp_path / "plain").write_text("not ours")
    with pytest.raises(OutputError, match="not a cbow vectors directory"):
        cbowformat.save(tmp_path / "plain", WORDS, vectors)


def test_glove_without_header_and_fasttext_trailing_space(tmp_path):
    glove = tmp_path / "glove.6B.3d.txt"
    glove.write_text("the 0.1 0.2 0.3\n, -1 0 1e-3\nélan 1 2 3\n", encoding="utf-8")
    kv = KeyedVectors.load(glove)
    assert kv.index_to_key == ["the", ",", "élan"] and kv.vector_size == 3
    fasttext = tmp_path / "wiki.vec"
    fasttext.write_text("2 3\nthe 0.1 0.2 0.3 \nof 1 2 3 \n", encoding="utf-8")
    assert KeyedVectors.load(fasttext).index_to_key == ["the", "of"]


@pytest.mark.parametrize("content, fragment", [
    (b"2 3\na 1 2 3\nb 1 2 nan\n", "NaN or inf"),
    (b"2 3\na 1 2 3\nb 1 2 x\n", "v.txt:3: a value is not a number"),
    (b"3 3\na 1 2 3\nb 1 2 3\n", "header says 3 words"),
    (b"99999999 300\nab", "header announces 99,999,999 words"),
    (b"a 1 2\nb 1 2 3\n", "v.txt:2: expected 2 values after 'b', found 3"),
    (b"", "expected 'word x1 ... xd'"),
])
def test_corrupt_files_fail_with_place(tmp_path, content, fragment):
    path = tmp_path / "v.txt"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=None) as error:
        KeyedVectors.load(path)
    assert fragment in str(error.value) and "\n" not in str(error.value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=300),
    st.builds(lambda head, body: head + body,
              st.sampled_from([b"2 3\n", b"1 1\n", b"3 2\n", b"0 4\n", b"a 1 2\n"]), st.binary(max_size=200)),
))
def test_readers_fuzzed_give_vectors_or_one_line_format_error(tmp_path, data):
    path = tmp_path / "fuzz.bin"
    path.write_bytes(data)
    for fmt in (None, "word2vec", "word2vec-text", "glove"):
        try:
            kv = KeyedVectors.load(path, format=fmt)
        except FormatError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(str(path))
        else:
            assert kv.vectors.dtype == np.float32 and np.isfinite(kv.vectors).all()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(vocab=st.binary(max_size=200), matrix=st.binary(max_size=200))
def test_cbow_reader_fuzzed(tmp_path, vocab, matrix):
    directory = tmp_path / "fuzz.cbow"
    directory.mkdir(exist_ok=True)
    (directory / "vocab.json").write_bytes(vocab)
    (directory / "vectors.npy").write_bytes(matrix)
    with pytest.raises(FormatError):
        KeyedVectors.load(directory)


def test_convert_any_to_any_through_the_cli(tmp_path, vectors, capsys):
    source = tmp_path / "v.bin"
    formats.save_word2vec_format(source, WORDS, vectors)
    current = source
    for name in ["v.cbow", "v.txt", "v.glove", "v2.bin", "v2.vec"]:
        assert main(["convert", str(current), str(tmp_path / name)]) == 0
        current = tmp_path / name
    np.testing.assert_allclose(KeyedVectors.load(current).vectors, vectors, rtol=1e-5, atol=1e-6)
    assert main(["convert", str(source), str(tmp_path / "forced.out"), "--to", "glove"]) == 0
    assert formats.detect_format(tmp_path / "forced.out") == "glove"
    assert main(["convert", str(source), str(tmp_path / "x.out"), "--to", "nope"]) == 2
    assert "unknown vectors format 'nope'" in capsys.readouterr().err
