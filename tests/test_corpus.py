"""Tests of cbow.data.corpus: every kind of source, sentence splitting, decoding, errors."""

from __future__ import annotations

import bz2
import gzip
import io
import logging
import lzma
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from cbow.data import corpus
from cbow.data.corpus import (
    CorpusStats,
    iter_sentences,
    iter_text_blocks,
    list_corpus_files,
    split_sentences,
    total_size,
)
from cbow.errors import ConfigError, CorpusError
from cbow.data.tokenize import tokenize_default, tokenize_whitespace

TEXT = "The cat sat.\n\nOn the MAT, the cat slept!\n  \nend"
SENTENCES = [["the", "cat", "sat"], ["on", "the", "mat", "the", "cat", "slept"], ["end"]]


def reference_sentences(text: str, tokenize, max_sentence_length: int) -> list[list[str]]:
    """The definition, written naively: one line per sentence, cut every max tokens."""
    sentences = []
    for line in text.replace("\r\n", "\n").split("\n"):
        tokens = tokenize(line)
        for start in range(0, len(tokens), max_sentence_length):
            sentences.append(tokens[start:start + max_sentence_length])
    return sentences


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read in 16-byte blocks so every test crosses many block boundaries."""
    monkeypatch.setattr(corpus, "BLOCK_SIZE", 16)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    if path.suffix == ".gz":
        data = gzip.compress(data)
    elif path.suffix == ".bz2":
        data = bz2.compress(data)
    elif path.suffix == ".xz":
        data = lzma.compress(data)
    path.write_bytes(data)
    return path


# --- sources ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["corpus.txt", "corpus", "corpus.txt.gz", "corpus.bz2", "c.xz"])
def test_files_plain_and_compressed(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, TEXT)
    assert list(iter_sentences(path)) == SENTENCES
    assert list(iter_sentences(str(path))) == SENTENCES


def test_file_read_in_small_blocks(tmp_path: Path, small_blocks: None) -> None:
    path = write(tmp_path / "corpus.txt.gz", TEXT * 5)
    assert list(iter_sentences(path)) == reference_sentences(TEXT * 5, tokenize_default, 10000)


def test_crlf_and_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "dos.txt", b"\xef\xbb\xbfHello world\r\nsecond line\r\n")
    assert list(iter_sentences(path, tokenizer="whitespace")) == [
        ["Hello", "world"],
        ["second", "line"],
    ]


def test_directory_recursive_sorted_hidden_skipped(tmp_path: Path) -> None:
    root = tmp_path / "texts"
    write(root / "b.txt", "bravo")
    write(root / "a" / "z.txt.gz", "alpha zulu")
    write(root / "a" / "b" / "c.txt", "alpha bravo charlie")
    write(root / "c.bz2", "charlie")
    write(root / ".hidden.txt", "hidden file")
    write(root / ".git" / "x.txt", "hidden directory")
    write(root / "a" / ".cache" / "y.txt", "nested hidden directory")
    expected = [["alpha", "bravo", "charlie"], ["alpha", "zulu"], ["bravo"], ["charlie"]]
    assert list(iter_sentences(root)) == expected
    assert list_corpus_files(root) == [
        root / "a" / "b" / "c.txt",
        root / "a" / "z.txt.gz",
        root / "b.txt",
        root / "c.bz2",
    ]
    stats = CorpusStats()
    list(iter_sentences(str(root), stats=stats))
    assert stats.n_files == 4 and stats.n_lines == 4


def test_line_does_not_continue_into_the_next_file(tmp_path: Path) -> None:
    write(tmp_path / "d" / "1.txt", "no newline at the end")
    write(tmp_path / "d" / "2.txt", "next file")
    assert list(iter_sentences(tmp_path / "d", max_sentence_length=4)) == [
        ["no", "newline", "at", "the"],
        ["end"],
        ["next", "file"],
    ]


def test_stdin_is_read_as_bytes(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    raw = "Déjà vu\n\ncaf\xe9 ok\n".encode("utf-8").replace(b"\xc3\xa9 ok", b"\xe9 ok")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="ascii"))
    with caplog.at_level(logging.WARNING, logger="cbow.data.corpus"):
        sentences = list(iter_sentences("-", tokenizer="whitespace"))
    assert sentences == [["Déjà", "vu"], ["caf\ufffd", "ok"]]
    assert len(caplog.records) == 1 and "<stdin>:3:" in caplog.records[0].getMessage()


def test_stdin_text_stream_without_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(TEXT))
    assert list(iter_sentences("-")) == SENTENCES


def test_in_memory_lines() -> None:
    assert list(iter_sentences(TEXT.split("\n"))) == SENTENCES
    assert list(iter_sentences(line + "\n" for line in TEXT.split("\n"))) == SENTENCES
    assert list(iter_sentences([TEXT])) == SENTENCES  # an item may hold several lines
    assert list(iter_sentences([])) == []
    with pytest.raises(TypeError):
        list(iter_sentences([b"bytes are not lines"]))


# --- sentences --------------------------------------------------------------------------


def test_long_line_split_at_10000_tokens(tmp_path: Path) -> None:
    words = [f"w{'abcdefghij'[i % 10]}" for i in range(25_001)]
    path = write(tmp_path / "long.txt", " ".join(words) + "\nshort line\n")
    lengths = [len(s) for s in iter_sentences(path, tokenizer="whitespace")]
    assert lengths == [10_000, 10_000, 5_001, 2]
    assert [w for s in iter_sentences(path, tokenizer="whitespace") for w in s][:25_001] == words


def test_smaller_max_sentence_length() -> None:
    lines = ["a b c d e f g", "h i j", "k"]
    assert list(iter_sentences(lines, max_sentence_length=3)) == [
        ["a", "b", "c"], ["d", "e", "f"], ["g"], ["h", "i", "j"], ["k"],
    ]
    assert list(iter_sentences(lines, max_sentence_length=1)) == [[c] for c in "abcdefghijk"]


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_bad_max_sentence_length(bad) -> None:
    with pytest.raises(ConfigError, match="max_sentence_length"):
        list(iter_sentences(["a b"], max_sentence_length=bad))


def test_line_longer_than_a_block_is_cut_at_whitespace(tmp_path: Path, small_blocks: None) -> None:
    # A text8-style single line far longer than a block: same sentences as reading it whole.
    rng = random.Random(0)
    words = ["".join(rng.choice("abcdé") for _ in range(rng.randint(1, 7))) for _ in range(500)]
    text = " ".join(words)
    path = write(tmp_path / "text8.txt", text)
    for max_length in (1, 7, 100, 10000):
        assert list(iter_sentences(path, max_sentence_length=max_length)) == reference_sentences(
            text, tokenize_default, max_length
        )
    stats = CorpusStats()
    list(iter_sentences(path, stats=stats))
    assert stats.n_lines == 1


def test_file_ending_right_after_a_cut_closes_its_line(tmp_path: Path, small_blocks: None) -> None:
    # 16 bytes, no newline: the block is cut at its last space and nothing is left over.
    write(tmp_path / "d" / "1.txt", "aaa bbb ccc ddd ")
    write(tmp_path / "d" / "2.txt", "eee")
    stats = CorpusStats()
    assert list(iter_sentences(tmp_path / "d", max_sentence_length=3, stats=stats)) == [
        ["aaa", "bbb", "ccc"],
        ["ddd"],
        ["eee"],
    ]
    assert stats.n_lines == 2


@pytest.mark.parametrize("seed", range(30))
def test_random_text_in_small_blocks_matches_the_definition(
    tmp_path: Path, small_blocks: None, seed: int
) -> None:
    rng = random.Random(seed)
    pieces = ["word", "Ünï", "a", "  ", "\t", "\n", "\n\n", "\r\n", "42", "don't", "\u00a0",
              "東京", "x" * 40, "é" * 20, " " * 30]
    text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 200)))
    path = write(tmp_path / "random.txt.bz2", text)
    max_length = rng.choice([1, 2, 3, 5, 10000])
    for tokenizer in (tokenize_default, tokenize_whitespace):
        assert list(iter_sentences(path, tokenizer, max_length)) == reference_sentences(
            text, tokenizer, max_length
        )


def test_split_sentences_carry() -> None:
    lengths, carry = split_sentences(np.array([2, 0, 7]), False, 0, 3)
    assert lengths.tolist() == [2, 3, 3, 1] and carry == 0
    # An open line: its whole sentences now, the rest carried to the next block.
    lengths, carry = split_sentences(np.array([1, 7]), True, 0, 3)
    assert lengths.tolist() == [1, 3, 3] and carry == 1
    lengths, carry = split_sentences(np.array([4]), True, carry, 3)
    assert lengths.tolist() == [3] and carry == 2
    lengths, carry = split_sentences(np.array([0, 5]), False, carry, 3)
    assert lengths.tolist() == [2, 3, 2] and carry == 0


# --- decoding ---------------------------------------------------------------------------


def test_invalid_utf8_warned_once_per_file_with_line_number(
    tmp_path: Path, caplog, small_blocks: None
) -> None:
    root = tmp_path / "d"
    write(root / "a.txt", b"good line\nfine\ncaf\xe9 one\nna\xefve two\n")
    write(root / "b.txt.gz", b"ok\n" * 20 + b"\xff\xfe bad\n")
    with caplog.at_level(logging.WARNING, logger="cbow.data.corpus"):
        sentences = list(iter_sentences(root, tokenizer="whitespace"))
    assert sentences[2] == ["caf\ufffd", "one"]
    assert sentences[3] == ["na\ufffdve", "two"]
    assert sentences[-1] == ["\ufffd\ufffd", "bad"]
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith(f"{root / 'a.txt'}:3: undecodable bytes replaced with U+FFFD")
    assert messages[1].startswith(f"{root / 'b.txt.gz'}:21: undecodable bytes")


def test_truncated_multibyte_character_at_end_of_file(tmp_path: Path, caplog) -> None:
    path = write(tmp_path / "cut.txt", "fine\ncaf\u00e9".encode("utf-8")[:-1])
    with caplog.at_level(logging.WARNING, logger="cbow.data.corpus"):
        assert list(iter_sentences(path, tokenizer="whitespace")) == [["fine"], ["caf\ufffd"]]
    assert ":2: undecodable" in caplog.records[0].getMessage()


# --- errors -----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CorpusError) as info:
        list(iter_sentences("corpus.txt"))
    assert str(info.value) == "corpus.txt: no such file or directory; check the path"


def test_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    write(tmp_path / "only_hidden" / ".x.txt", "hidden")
    for name in ("empty", "only_hidden"):
        with pytest.raises(CorpusError, match="holds no files"):
            list(iter_sentences(tmp_path / name))


NUMBERS = " ".join(str(i) for i in range(5000)).encode()  # compresses poorly
GZ = gzip.compress(NUMBERS)
FLIPPED_GZ = GZ[:100] + bytes(b ^ 0xFF for b in GZ[100:300]) + GZ[300:]  # zlib.error inside


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("junk.txt.gz", b"this is plain text, not gzip\n"),
        ("cut.txt.gz", GZ[: len(GZ) // 2]),
        ("flipped.gz", FLIPPED_GZ),
        ("bad_crc.gz", GZ[:-8] + b"\x00" * 8),
        ("bitrot.gz", gzip.compress(b"some words here\n" * 100)[:20] + b"\x00" * 50),
        ("junk.bz2", b"BZh9 not really bzip2 data"),
        ("cut.bz2", bz2.compress(NUMBERS)[: len(bz2.compress(NUMBERS)) // 2]),
        ("junk.xz", b"not xz"),
    ],
)
def test_corrupt_compressed_file(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CorpusError) as info:
        list(iter_sentences(path))
    message = str(info.value)
    assert message.startswith(f"{path}: corrupt or truncated ")
    assert "; " in message and "\n" not in message


def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.txt", "words")
    path.chmod(0)
    try:
        readable = path.open("rb")
    except PermissionError:
        with pytest.raises(CorpusError, match="secret.txt: cannot open"):
            list(iter_sentences(path))
    else:  # running as root: permissions do not apply
        readable.close()
    finally:
        path.chmod(0o644)


# --- progress ---------------------------------------------------------------------------


def test_stats_and_byte_callback(tmp_path: Path, small_blocks: None) -> None:
    root = tmp_path / "d"
    write(root / "a.txt", TEXT)
    write(root / "b.txt.gz", TEXT * 30)
    seen: list[int] = []
    stats = CorpusStats()
    n_blocks = sum(1 for _ in iter_text_blocks(root, stats, on_bytes=seen.append))
    assert n_blocks > 2
    assert sum(seen) == stats.n_bytes == total_size(root)
    assert stats.n_files == 2
    assert stats.n_lines == TEXT.count("\n") + 1 + (TEXT * 30).count("\n") + 1
    assert total_size(["in", "memory"]) is None and total_size("-") is None
