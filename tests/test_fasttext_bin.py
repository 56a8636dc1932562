"""fastText's .bin (cbow.vectors.fasttext_bin): gensim reads ours, we read gensim's, damaged files fail in one line."""

import gzip
import struct
import tracemalloc

import numpy as np
import pytest
from gensim.models import FastText
from gensim.models.fasttext import load_facebook_model, load_facebook_vectors, save_facebook_model

import cbow
from cbow.corpora import planted
from cbow.data.subwords import SubwordSpec
from cbow.errors import FormatError
from cbow.vectors.fasttext_args import FastTextArgs
from cbow.vectors.fasttext_bin import FastTextModel, is_fasttext_bin, read_fasttext_bin, write_fasttext_bin
from cbow.vectors.keyed import KeyedVectors
from cbow.vectors.subword_keyed import SubwordKeyedVectors

UNSEEN = ["zzyzx", "walkingly", "q", "ab", "cafés", "東京都庁", "😀😀", "x😀y"]
VOCAB = ["the", "walk", "walked", "walking", "café", "naïve", "東京", "日本", "😀", "a", "zu"]


def random_vectors(words=VOCAB, spec=SubwordSpec(3, 6, 1013), dim=8, seed=0) -> SubwordKeyedVectors:
    rng = np.random.default_rng(seed)
    return SubwordKeyedVectors(words, rng.normal(size=(len(words), dim)).astype(np.float32),
                               rng.normal(size=(spec.buckets, dim)).astype(np.float32), spec,
                               counts=np.arange(len(words), 0, -1) * 10,
                               W_out=rng.normal(size=(len(words), dim)).astype(np.float32))


@pytest.fixture(scope="module")
def gensim_model(tmp_path_factory):
    """A gensim FastText (CBOW, n-grams 3..5) trained briefly on a planted corpus, saved as fastText's .bin."""
    lines = [line.split() for line in planted.generate_lines(n_sentences=3000, seed=2)]
    model = FastText(lines, vector_size=12, window=3, min_count=3, epochs=1, bucket=3001, min_n=3, max_n=5,
                     seed=1, workers=1)
    path = tmp_path_factory.mktemp("gensim") / "gensim.bin"
    save_facebook_model(model, str(path))
    return model, path


def test_gensim_loads_ours_with_the_same_vectors(tmp_path):
    kv = random_vectors()
    path = tmp_path / "ours.bin"
    kv.save(path)
    assert is_fasttext_bin(path)
    model, vectors = load_facebook_model(str(path)), load_facebook_vectors(str(path))
    for theirs in (model.wv, vectors):
        assert theirs.index_to_key == VOCAB and (theirs.min_n, theirs.max_n, theirs.bucket) == (3, 6, 1013)
        np.testing.assert_allclose(theirs.vectors, kv.vectors, atol=1e-6)
        for word in UNSEEN:
            np.testing.assert_allclose(theirs[word], kv[word], atol=1e-6, err_msg=word)
    np.testing.assert_array_equal(model.syn1neg, kv.W_out)  # the output layer, for continued training


def test_we_load_gensims_with_the_same_vectors(gensim_model, tmp_path):
    model, path = gensim_model
    for mmap in (None, "r"):
        kv = cbow.load(path, mmap=mmap)
        assert isinstance(kv, SubwordKeyedVectors) and kv.index_to_key == model.wv.index_to_key
        np.testing.assert_allclose(kv.vectors, model.wv.vectors, atol=1e-6)
        for word in UNSEEN + model.wv.index_to_key[:50]:
            np.testing.assert_allclose(kv[word], model.wv[word], atol=1e-6, err_msg=word)
    assert isinstance(cbow.load(path, mmap="r").vectors_ngrams, np.memmap)
    assert kv.config["window"] == 3 and kv.config["tokenizer"] == "whitespace"
    ours, theirs = kv.most_similar("walkedly", topn=5), model.wv.most_similar("walkedly", topn=5)
    assert [w for w, _ in ours] == [w for w, _ in theirs]


def test_reading_and_writing_again_gives_gensims_bytes(gensim_model, tmp_path):
    _, path = gensim_model
    copy = tmp_path / "copy.bin"
    cbow.load(path).save(copy)
    assert copy.read_bytes() == path.read_bytes()
    gzipped = tmp_path / "copy.bin.gz"
    cbow.load(path).save(gzipped)
    assert gzip.decompress(gzipped.read_bytes()) == path.read_bytes()
    np.testing.assert_array_equal(cbow.load(gzipped).vectors, cbow.load(path).vectors)


def test_round_trip_keeps_everything(tmp_path):
    kv = random_vectors()
    path = tmp_path / "model.bin"
    kv.save(path)
    model = read_fasttext_bin(path)
    assert model.words == VOCAB and model.counts.tolist() == kv.counts.tolist() and model.ntokens == kv.counts.sum()
    assert model.args == FastTextArgs(dim=8, bucket=1013, minn=3, maxn=6)
    np.testing.assert_array_equal(model.input_matrix, np.vstack([kv.vectors_vocab, kv.vectors_ngrams]))
    np.testing.assert_array_equal(model.output_matrix, kv.W_out)


def test_words_only_vectors_as_fasttext_bin(tmp_path):
    """A KeyedVectors written with format='fasttext-bin' is a fastText model of words only."""
    kv = KeyedVectors(VOCAB, np.random.default_rng(1).normal(size=(len(VOCAB), 4)).astype(np.float32))
    path = tmp_path / "words.bin"
    kv.save(path, format="fasttext-bin")
    theirs = load_facebook_vectors(str(path))
    assert theirs.bucket == 0
    np.testing.assert_allclose(theirs.vectors, kv.vectors, atol=1e-6)
    loaded = cbow.load(path)
    assert not loaded.spec.enabled and "zzz" not in loaded
    kv.save(tmp_path / "plain.bin")
    assert not is_fasttext_bin(tmp_path / "plain.bin")  # a words-only .bin stays word2vec's


def _header(dim=4, bucket=7, minn=3, maxn=6, model=1, loss=2, size=2, nwords=2, nlabels=0, ntokens=10,
            prune=-1, magic=793712314, version=12) -> bytes:
    return (struct.pack("<2i", magic, version) + struct.pack("<12id", dim, 5, 5, 1, 5, 1, loss, model, bucket, minn,
                                                             maxn, 100, 1e-4)
            + struct.pack("<3i2q", size, nwords, nlabels, ntokens, prune))


def _valid_file(dim=4, bucket=7) -> bytes:
    words = b"".join(word + b"\x00" + struct.pack("<qb", 5, 0) for word in (b"ab", b"cd"))
    matrix_in = struct.pack("<?2q", False, 2 + bucket, dim) + np.ones((2 + bucket) * dim, "<f4").tobytes()
    matrix_out = struct.pack("<?2q", False, 2, dim) + np.zeros(2 * dim, "<f4").tobytes()
    return _header(dim=dim, bucket=bucket) + words + matrix_in + matrix_out


def test_a_valid_handmade_file_reads():
    """The crafted files below differ from this one in one place each."""
    model = read_fasttext_bin_bytes(_valid_file())
    assert model.words == ["ab", "cd"] and model.input_matrix.shape == (9, 4)


def read_fasttext_bin_bytes(data: bytes, tmp_dir=None):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "crafted.bin"
        path.write_bytes(data)
        return read_fasttext_bin(path)


VALID = _valid_file()
ENTRIES_END = len(_header()) + 2 * 12


@pytest.mark.parametrize("data,fragment", [
    (VALID[:3], "ends inside the header"),
    (b"\x00" * 8 + VALID[8:], "no fastText magic number"),
    (_header(version=13) + VALID[len(_header()):], "version 13; cbow reads versions 11 and 12; it was written by"),
    (_header(dim=0) + VALID[len(_header()):], "dim = 0"),
    (_header(bucket=-5) + VALID[len(_header()):], "bucket = -5"),
    (_header(loss=9) + VALID[len(_header()):], "loss = 9"),
    (_header(model=3) + VALID[len(_header()):], "supervised fastText model"),
    (_header(nlabels=1, size=3) + VALID[len(_header()):], "supervised fastText model"),
    (_header(size=-1, nwords=-1) + VALID[len(_header()):], "dictionary header is inconsistent"),
    (_header(size=2_000_000_000, nwords=2_000_000_000) + VALID[len(_header()):], "announces 2,000,000,000 words"),
    (_header(prune=10**15) + VALID[len(_header()):], "pruneidx_size"),
    (_header(prune=0) + VALID[len(_header()):], "pruned dictionary"),
    (VALID[:ENTRIES_END] + b"\x01" + VALID[ENTRIES_END + 1:], "quantized fastText model (.ftz)"),
    (VALID[:ENTRIES_END + 1] + struct.pack("<2q", 2**40, 4) + VALID[ENTRIES_END + 17:], "is 1099511627776"),
    (_header(bucket=2**30) + VALID[len(_header()):], "the header and dictionary make it 1073741826 x 4"),
    (VALID[:-5], "the output matrix needs 32 bytes, the file has 27 left; it is truncated"),
    (VALID + b"junk", "bytes after the output matrix"),
    (VALID[:len(_header())] + b"ab\x00" + struct.pack("<qb", 5, 0) * 2, "dictionary entry 2"),
    (VALID[:len(_header())] + (b"ab\x00" + struct.pack("<qb", 5, 0)) * 2 + VALID[ENTRIES_END:], "dictionary twice"),
    (VALID[:len(_header())] + b"ab\x00" + struct.pack("<qb", -5, 0) + VALID[len(_header()) + 12:], "count -5"),
    (VALID[:len(_header())] + b"x" * 70_000, "does not end within"),
    (VALID[:ENTRIES_END + 17] + np.full(36, np.nan, "<f4").tobytes() + VALID[ENTRIES_END + 17 + 144:], "NaN"),
])
def test_damaged_files_fail_in_one_line_without_a_big_allocation(data, fragment, tmp_path):
    """The same bytes gzipped too: a gzipped file's size is unknown ahead, so there the reader
    meets the end of the data instead of refusing the header's counts up front."""
    plain, gzipped = tmp_path / "crafted.bin", tmp_path / "crafted.bin.gz"
    plain.write_bytes(data)
    gzipped.write_bytes(gzip.compress(data))
    for path in (plain, gzipped):
        tracemalloc.start()
        try:
            with pytest.raises(FormatError) as error:
                read_fasttext_bin(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        message = str(error.value)
        assert "\n" not in message and message.startswith(f"{path}: "), message
        assert fragment in message or path == gzipped, message
        assert peak < 8 << 20, f"{path.name}: {peak:,} bytes allocated reading {len(data)} bytes"


def test_writing_is_atomic_and_refuses_what_fasttext_cannot_read(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"old")
    kv = random_vectors()
    bad = FastTextModel(FastTextArgs(dim=8, bucket=1013), ["a b", "a\x00"], np.array([1, 1]), 2,
                        np.zeros((1015, 8), np.float32), np.zeros((2, 8), np.float32))
    with pytest.raises(FormatError, match="no 0 byte"):
        write_fasttext_bin(path, bad)
    nan = random_vectors()
    nan.vectors_ngrams[3, 1] = np.nan
    with pytest.raises(FormatError, match="NaN"):
        nan.save(path)
    assert path.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]
    kv.save(path)
    assert is_fasttext_bin(path)


def test_words_that_are_not_utf8_keep_their_bytes(tmp_path, caplog):
    data = VALID.replace(b"ab\x00", b"\xe9b\x00", 1)
    path = tmp_path / "latin1.bin"
    path.write_bytes(data)
    model = read_fasttext_bin(path)
    assert "not valid UTF-8" in caplog.text and model.words[0] == "\udce9b"
    copy = tmp_path / "again.bin"
    write_fasttext_bin(copy, model)
    assert copy.read_bytes() == data
