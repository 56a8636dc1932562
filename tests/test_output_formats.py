"""The format an output's name asks for, applied by save, convert and train -o (issue 17, item 3)."""

import gzip

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKeyedVectors

from cbow.cli import main
from cbow.errors import FormatError
from cbow.vectors import formats
from cbow.vectors.keyed import KeyedVectors

WORDS = ["the", "paris", "déjà", "日本", "naïve", "x"]
COUNTS = np.array([60, 50, 40, 30, 20, 10])

# name -> (format detected when reading back, exact float32 round trip)
FILE_SUFFIXES = {".bin": ("word2vec", True), ".txt": ("word2vec-text", False), ".vec": ("word2vec-text", False),
                 ".glove": ("glove", False)}


@pytest.fixture
def kv():
    vectors = np.random.default_rng(0).standard_normal((len(WORDS), 7)).astype(np.float32)
    return KeyedVectors(WORDS, vectors, counts=COUNTS)


def _same_vectors(loaded, kv, exact):
    assert loaded.index_to_key == WORDS
    if exact:
        np.testing.assert_array_equal(loaded.vectors, kv.vectors)
    else:
        np.testing.assert_allclose(loaded.vectors, kv.vectors, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("gz", ["", ".gz"])
@pytest.mark.parametrize("suffix", sorted(FILE_SUFFIXES))
def test_every_file_suffix_round_trips_in_its_format(tmp_path, kv, suffix, gz):
    path = tmp_path / f"v{suffix}{gz}"
    written = kv.save(path)
    fmt, exact = FILE_SUFFIXES[suffix]
    assert (written.name, written.compressed) == (fmt, bool(gz))
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == bool(gz)  # gzip's magic exactly when the name says .gz
    assert formats.detect_format(path) == fmt
    _same_vectors(KeyedVectors.load(path), kv, exact)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_cbow_suffix_writes_a_memory_mappable_directory(tmp_path, kv):
    path = tmp_path / "v.cbow"
    assert kv.save(path).name == "cbow"
    assert path.is_dir()
    loaded = KeyedVectors.load(path, mmap="r")
    assert isinstance(loaded.vectors, np.memmap) and loaded.counts.tolist() == COUNTS.tolist()
    _same_vectors(loaded, kv, exact=True)


@pytest.mark.parametrize("name", ["x.out", "x.png", "vectors", "x.gz"])
def test_unknown_suffix_is_refused_with_the_list(tmp_path, kv, name):
    with pytest.raises(FormatError) as error:
        kv.save(tmp_path / name)
    message = str(error.value)
    assert "\n" not in message and name in message
    assert all(suffix in message for suffix in (".bin", ".txt", ".vec", ".glove", ".cbow", ".tsv", ".gz"))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name, to, fmt, compressed", [
    ("x.out", "bin", "word2vec", False), ("x.out", "glove", "glove", False), ("x.gz", "txt", "word2vec-text", True),
    ("x.bin", "txt", "word2vec-text", False),  # word2vec's `-binary 0 -output vectors.bin` habit
])
def test_a_named_format_overrides_the_suffix(tmp_path, kv, name, to, fmt, compressed):
    path = tmp_path / name
    written = kv.save(path, format=to)
    assert (written.name, written.compressed) == (fmt, compressed)
    assert formats.detect_format(path) == fmt


@pytest.mark.parametrize("name, kwargs, fragment", [
    ("v.cbow.gz", {}, "not gzipped"),
    ("v.cbow", {"format": "txt"}, "a .cbow name means our directory format"),
])
def test_contradictions_are_refused(tmp_path, kv, name, kwargs, fragment):
    with pytest.raises(FormatError, match=fragment):
        kv.save(tmp_path / name, **kwargs)
    assert not list(tmp_path.iterdir())


def test_save_word2vec_format_follows_the_name(tmp_path, kv):
    kv.save_word2vec_format(tmp_path / "v.txt.gz")
    assert gzip.decompress((tmp_path / "v.txt.gz").read_bytes()).startswith(b"6 7\nthe ")
    kv.save_word2vec_format(tmp_path / "v.dat", binary=True)  # binary= names the format
    assert formats.detect_format(tmp_path / "v.dat") == "word2vec"
    with pytest.raises(FormatError, match="glove"):
        kv.save_word2vec_format(tmp_path / "v.glove")
    kv.save_word2vec_format(tmp_path / "v.dat2")  # a name that says nothing: text, gensim's binary=False
    assert formats.detect_format(tmp_path / "v.dat2") == "word2vec-text"


@pytest.mark.parametrize("name, binary", [("v.bin", True), ("v.txt", False), ("v.txt.gz", False),
                                          ("v.bin.gz", True)])
def test_gensim_loads_what_we_write(tmp_path, kv, name, binary):
    path = tmp_path / name
    kv.save(path)
    theirs = GensimKeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert list(theirs.index_to_key) == WORDS
    np.testing.assert_allclose(theirs.vectors, kv.vectors, rtol=1e-5, atol=1e-6)


def test_a_cbow_named_file_is_not_memory_mapped_silently(tmp_path, kv):
    old = tmp_path / "old.cbow"  # what earlier versions wrote for -o old.cbow: word2vec binary
    kv.save(tmp_path / "v.bin")
    (tmp_path / "v.bin").rename(old)
    with pytest.raises(FormatError) as error:
        KeyedVectors.load(old, mmap="r")
    assert "not a .cbow directory" in str(error.value) and "old.bin" in str(error.value)
    _same_vectors(KeyedVectors.load(old), kv, exact=True)  # without mmap it loads, with a warning


# -- cbow convert --------------------------------------------------------------------------------
def test_convert_compresses_by_name(tmp_path, kv, capsys):
    source = tmp_path / "a.vec"
    kv.save(source)
    assert main(["convert", str(source), str(tmp_path / "b.txt.gz")]) == 0
    assert "word2vec-text, gzipped" in capsys.readouterr().err
    assert gzip.decompress((tmp_path / "b.txt.gz").read_bytes()).startswith(b"6 7\n")
    _same_vectors(KeyedVectors.load(tmp_path / "b.txt.gz"), kv, exact=False)


def test_convert_checks_the_output_name_before_reading(tmp_path, capsys):
    # the input does not exist: the name is refused first, as it would be before a long read
    assert main(["convert", str(tmp_path / "missing.bin"), str(tmp_path / "x.out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cbow convert: error: ") and "x.out" in err and "--to" in err and "missing" not in err
    assert main(["convert", str(tmp_path / "missing.bin"), str(tmp_path / "x.out"), "--to", "nope"]) == 2
    assert "unknown vectors format 'nope'" in capsys.readouterr().err


def test_convert_limit_keeps_the_first_vectors(tmp_path, kv):
    source = tmp_path / "a.cbow"
    kv.save(source)
    assert main(["convert", str(source), str(tmp_path / "top.cbow"), "--limit", "4"]) == 0
    top = KeyedVectors.load(tmp_path / "top.cbow")
    assert top.index_to_key == WORDS[:4] and top.counts.tolist() == COUNTS[:4].tolist()
    np.testing.assert_array_equal(top.vectors, kv.vectors[:4])


# -- cbow train -o ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    from cbow.corpora import planted

    path = tmp_path_factory.mktemp("corpus") / "c.txt"
    path.write_text("\n".join(planted.generate_lines(n_sentences=300, seed=1)) + "\n", encoding="utf-8")
    return path


FAST = ["--epochs", "1", "--size", "8", "--min-count", "1", "--workers", "1", "-q"]


@pytest.mark.parametrize("name, fmt, compressed", [
    ("v.cbow", "cbow", False), ("v.glove", "glove", False), ("v.txt.gz", "word2vec-text", True),
    ("v.bin", "word2vec", False), ("v.vec", "word2vec-text", False), ("v.tsv", "tsv", False),
])
def test_train_writes_the_format_its_output_names(tmp_path, small_corpus, name, fmt, compressed):
    out = tmp_path / name
    assert main(["train", str(small_corpus), "-o", str(out), *FAST]) == 0
    if fmt == "cbow":
        assert out.is_dir() and KeyedVectors.load(out, mmap="r").counts is not None
    elif fmt == "tsv":
        assert (tmp_path / "v.metadata.tsv").is_file()
    else:
        assert (out.read_bytes()[:2] == b"\x1f\x8b") == compressed
        assert formats.detect_format(out) == fmt


def test_train_binary_flag_contradicting_the_name_is_refused(tmp_path, small_corpus, capsys):
    assert main(["train", str(small_corpus), "-o", str(tmp_path / "v.cbow"), "--binary", "1", *FAST]) == 2
    assert "--binary" in capsys.readouterr().err
    assert not (tmp_path / "v.cbow").exists()
    assert main(["train", str(small_corpus), "-o", str(tmp_path / "v.out"), "--binary", "0", *FAST]) == 0
    assert formats.detect_format(tmp_path / "v.out") == "word2vec-text"


def test_train_refuses_an_unknown_suffix_before_training(tmp_path, small_corpus, capsys):
    out = tmp_path / "v.out"
    assert main(["train", str(small_corpus), "-o", str(out), *FAST[:-1]]) == 2
    err = capsys.readouterr().err
    assert "v.out" in err and "--binary" in err and "epoch" not in err
    assert not list(tmp_path.iterdir())  # no vectors, log nor checkpoint: training never started
