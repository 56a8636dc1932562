"""Issue 17, item 4: a vectors file given as a corpus, a corpus given as vectors, a vocabulary too small to train."""

import bz2
import gzip

import numpy as np
import pytest

from cbow.cli import main
from cbow.corpora import planted
from cbow.data.counting import build_vocab_bounded
from cbow.data.encode import encode_with_vocab, read_and_encode
from cbow.data.not_text import MIN_VOCAB_SIZE, describe_vectors
from cbow.data.vocab import Vocab
from cbow.errors import CorpusError, FormatError, VocabError
from cbow.training.loop import TrainConfig, train
from cbow.vectors import formats
from cbow.vectors.keyed import KeyedVectors
from cbow.vectors.not_vectors import describe_text

WORDS = [f"w{i}" for i in range(12)]


@pytest.fixture(scope="module")
def corpus_lines():
    return list(planted.generate_lines(n_sentences=300, seed=3))


@pytest.fixture(scope="module")
def vectors_files(tmp_path_factory):
    """The same 12 vectors as word2vec text, .vec (trailing spaces), binary, gzipped binary and GloVe."""
    directory = tmp_path_factory.mktemp("vectors")
    vectors = np.random.default_rng(0).standard_normal((len(WORDS), 6)).astype(np.float32)
    formats.save_word2vec_format(directory / "v.txt", WORDS, vectors, binary=False)
    formats.save_word2vec_format(directory / "v.bin", WORDS, vectors, binary=True)
    (directory / "v.bin.gz").write_bytes(gzip.compress((directory / "v.bin").read_bytes()))
    formats.save_glove(directory / "v.glove", WORDS, vectors)
    lines = (directory / "v.txt").read_text(encoding="utf-8").splitlines()
    (directory / "v.vec").write_text("\n".join(line + " " for line in lines) + "\n", encoding="utf-8")
    return directory


KINDS = {"v.txt": "word2vec text vectors file (header '12 6'", "v.vec": "word2vec text vectors file",
         "v.bin": "word2vec binary vectors file (header '12 6'", "v.bin.gz": "word2vec binary vectors file",
         "v.glove": "without header (GloVe text: a word and 6 values a line)"}


@pytest.mark.parametrize("name", list(KINDS))
def test_every_vectors_format_is_refused_as_a_corpus(vectors_files, name):
    path = vectors_files / name
    for read in (lambda: read_and_encode(path, min_count=1), lambda: build_vocab_bounded(path, min_count=1),
                 lambda: encode_with_vocab(path, Vocab(WORDS, np.ones(len(WORDS))))):
        with pytest.raises(CorpusError) as info:
            read()
        message = str(info.value)
        assert message.startswith(f"{path}:1: looks like a ") and KINDS[name] in message
        assert "not a text corpus; train on running text" in message and "\n" not in message


def test_cbow_train_on_vectors_says_so_in_one_line(vectors_files, tmp_path, capsys):
    # The case: this printed "mean loss 0.0000 ... saved 1 vectors".
    assert main(["train", str(vectors_files / "v.txt"), "-o", str(tmp_path / "out.bin"), "-q", "--no-cache"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "looks like a word2vec text vectors file" in error[0]
    assert not (tmp_path / "out.bin").exists()


@pytest.mark.parametrize("text", [
    "3 2\n17 4 9\n2 8 1\n",  # integer ids under --tokenizer whitespace (item2vec-style), header-like first line
    "session 12 7 5\nsession 3 4 1\n",  # integer ids after a word
    "1999 2000\nthe year 2000 problem\n",
    "0.5 1.5 2.5\n",  # one line: nothing to compare
    "",
])
def test_text_and_id_corpora_are_not_taken_for_vectors(text):
    assert describe_vectors(text.encode()) is None


def test_a_real_corpus_trains(corpus_lines, tmp_path):
    assert describe_vectors("\n".join(corpus_lines).encode()) is None
    path = tmp_path / "c.txt"
    path.write_text("\n".join(corpus_lines) + "\n", encoding="utf-8")
    vocab, _ = read_and_encode(path, min_count=2)
    assert len(vocab) > 100


# --- the vocabulary must have a few words ---------------------------------------------------


def test_a_corpus_of_too_few_words_is_refused():
    lines = ["alpha beta gamma alpha beta gamma"] * 20
    with pytest.raises(VocabError) as info:
        read_and_encode(lines, min_count=1)
    assert str(info.value) == (
        f"<lines>: only 3 distinct words ('alpha', 'beta', 'gamma'); word vectors need at least {MIN_VOCAB_SIZE}: "
        "train on running text, not a word list, a table or a vectors file")
    with pytest.raises(VocabError, match="only 3 distinct words"):
        train(lines, TrainConfig(size=4, min_count=1, epochs=1))
    # the user's own --max-vocab below the bar is respected
    vocab, _ = read_and_encode(lines, min_count=1, max_vocab=3)
    assert len(vocab) == 3


def test_a_min_count_that_leaves_too_few_words_says_to_lower_it(tmp_path):
    text = "the cat sat on the mat and a dog ran by the log\n" + "the cat the mat\n" * 10
    path = tmp_path / "c.txt"
    path.write_text(text, encoding="utf-8")
    expected = ("only 3 words of 11 occur at least 5 times ('the', 'cat', 'mat'); word vectors need at least "
                f"{MIN_VOCAB_SIZE}: lower --min-count or train on more text")
    for read in (lambda: read_and_encode(path, min_count=5), lambda: read_and_encode(path, min_count=5, ids_path=tmp_path / "ids.npy"),
                 lambda: build_vocab_bounded(path, min_count=5)):
        with pytest.raises(VocabError) as info:
            read()
        assert str(info.value) == f"{path}: {expected}"
    assert not (tmp_path / "ids.npy").exists() and not (tmp_path / "ids.npy.spool").exists()
    assert len(read_and_encode(path, min_count=1)[0]) == 11


# --- a corpus given where vectors are expected ------------------------------------------------


@pytest.mark.parametrize("suffix", [".txt", ".txt.gz", ".txt.bz2"])
def test_a_corpus_given_as_vectors_says_it_is_a_corpus(corpus_lines, tmp_path, capsys, suffix):
    data = ("\n".join(corpus_lines) + "\n").encode()
    path = tmp_path / f"corpus{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else bz2.compress(data) if suffix.endswith(".bz2")
                     else data)
    with pytest.raises(FormatError) as info:
        KeyedVectors.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: looks like a text corpus, not a vectors file (100% of the ")
    assert message.endswith(f"train on it with 'cbow train {path}' and query the vectors that writes")
    assert main(["similar", str(path), "king"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "looks like a text corpus" in error[0]


def test_damaged_vectors_keep_their_own_error(vectors_files, tmp_path):
    lines = (vectors_files / "v.glove").read_text(encoding="utf-8").splitlines()
    truncated = tmp_path / "v.glove"
    truncated.write_text("\n".join(lines[:5] + [lines[5].rsplit(" ", 2)[0]]) + "\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"v.glove:6: expected 6 values after 'w5', found 4; the file is truncated"):
        KeyedVectors.load(truncated)
    assert describe_text(truncated) is None and describe_text(vectors_files / "v.bin") is None
    assert len(KeyedVectors.load(vectors_files / "v.vec")) == len(WORDS)
