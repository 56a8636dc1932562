"""Text -> ids, once per corpus: count, encode, and keep the result in the corpus cache.

`prepare` is the stage before any epoch: it reads the corpus (a file, .gz/.bz2, a
directory, stdin or lines), builds the vocabulary and encodes the sentences as word ids,
going through the encoded-corpus cache (cbow.data.cache) when one is given, so a second
run on the same file and settings skips the tokenizer. Without the cache (--no-cache), a
file's ids still go through a temporary file, deleted as soon as it is mapped: the
reading pass holds one block of ids in RAM instead of all of them, and training reads them
from the page cache as from a cache entry (and shares them with forked workers). Where
the ids go to a file, the reading pass runs in a forked child
(cbow.data.reading_process), whose scattered heap ends with it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import numpy as np

from cbow.data import cache as corpus_cache
from cbow.data.corpus import describe_source, names_files
from cbow.data.encode import EncodedCorpus, read_and_encode
from cbow.data.reading_process import read_to_file
from cbow.data.tokenize import Tokenizer
from cbow.data.vocab import Vocab
from cbow.errors import OutputError
from cbow.scratch import HeldDirectory, held_name_pattern, sweep

logger = logging.getLogger(__name__)


class CorpusSettings(Protocol):
    """The settings that decide the vocabulary and the ids (a TrainConfig has them all)."""

    tokenizer: str
    phrases: str | None  # a phrase table's path (cbow.data.phrase_table), or None
    min_count: int
    max_vocab: int | None
    max_sentence_length: int
    encoding_errors: str
    keep_words: str | None  # a word list kept past min_count (cbow.data.vocab.load_word_list), or None


def corpus_tokenizer(settings: CorpusSettings) -> str | Tokenizer:
    """The tokenizer of these settings: its name, or with a phrase table a function that
    tokenizes and then joins the table's phrases."""
    if getattr(settings, "phrases", None) is None:
        return settings.tokenizer
    from cbow.data.phrase_table import load_phrase_table
    from cbow.data.phrases import phrase_tokenizer

    return phrase_tokenizer(settings.tokenizer, load_phrase_table(settings.phrases))


def corpus_keep_words(settings: CorpusSettings) -> frozenset[str] | None:
    """The --keep-words list of these settings, read (None without one).

    Raises
    ------
    VocabError : the list cannot be read
    """
    path = getattr(settings, "keep_words", None)
    if path is None:
        return None
    from cbow.data.vocab import load_word_list

    return load_word_list(path)


def _file_digest(path: str | None) -> str | None:
    """sha256 of a file's bytes, None without a path.

    Raises
    ------
    OSError : the file cannot be read (read just before by its own reader, so it changed
        since: the caller does not cache)
    """
    if path is None:
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _cache_key(source, settings: CorpusSettings) -> dict | None:
    """The cache key of `source` under these settings (cbow.data.cache.cache_key), with the
    sha256 of the phrase table and of the --keep-words list; None when it cannot be cached.

    The two files were read (and checked) before: a missing table must fail, not fall back
    to the key of a run without phrases and its cached ids.
    """
    try:
        phrases = _file_digest(getattr(settings, "phrases", None))
        keep_words = _file_digest(getattr(settings, "keep_words", None))
    except OSError:
        return None
    return corpus_cache.cache_key(source, settings.tokenizer, settings.min_count, settings.max_vocab,
                                  settings.max_sentence_length, phrases=phrases, keep_words=keep_words,
                                  encoding_errors=settings.encoding_errors)


def prepare(
    source, settings: CorpusSettings, progress: bool = False, cache_dir: str | Path | None = None
) -> tuple[Vocab, EncodedCorpus]:
    """Read, count and encode the corpus once (the stage before any epoch).

    With `cache_dir`, a file or directory source is looked up in the encoded-corpus cache
    first and stored there after encoding (cbow.data.cache); the ids then come back
    memory-mapped. The phrase table and the --keep-words list are read first, cached or
    not: a bad one fails before any reading.
    """
    keep_words = corpus_keep_words(settings)
    tokenizer = corpus_tokenizer(settings)
    key = None
    if cache_dir is not None:
        corpus_cache.sweep_staging(cache_dir)  # what killed runs left, hit or miss
        key = _cache_key(source, settings)
        cached = corpus_cache.load(cache_dir, key) if key is not None else None
        if cached is not None:
            return cached
    settings = dict(tokenizer=tokenizer, min_count=settings.min_count, max_vocab=settings.max_vocab,
                    max_sentence_length=settings.max_sentence_length, progress=progress,
                    encoding_errors=settings.encoding_errors, keep_words=keep_words)
    staging = corpus_cache.new_staging(cache_dir) if key is not None else None
    if staging is not None:
        # Encode straight into a cache entry: the ids go through files, never all in RAM.
        try:
            vocab, encoded = read_to_file(source, settings, staging.path / corpus_cache.IDS_FILE)
        except OutputError as exc:  # e.g. the cache's disk is full: read again, in memory
            logger.warning("%s; encoding in memory instead", exc)
            staging.remove()
        except BaseException:  # a bad corpus, Ctrl-C, SIGTERM: no half entry left behind
            staging.remove()
            raise
        else:
            if corpus_cache.store(cache_dir, key, vocab, encoded, staging) is not None:
                # Reopen from the entry: the memmap in hand still names the renamed staging
                # path, and worker processes map the corpus by its file name.
                cached = corpus_cache.load(cache_dir, key)
                if cached is not None:
                    return cached
            # not stored: the mapped file is (or is about to be) unlinked; keep a copy in memory
            staging.remove()
            return vocab, replace(encoded, word_ids=np.array(encoded.word_ids))
    if key is None and _rereadable(source):
        return _encode_through_unlinked_file(source, settings)
    vocab, encoded = read_and_encode(source, **settings)
    if key is not None and corpus_cache.store(cache_dir, key, vocab, encoded) is not None:
        # Continue from the memory-mapped copy: the in-memory ids are freed, and worker
        # processes map the file instead of receiving a copy.
        cached = corpus_cache.load(cache_dir, key)
        if cached is not None:
            return cached
    return vocab, encoded


def _rereadable(source) -> bool:
    """A file or directory by name (read again if writing a temporary file fails), on a
    system where a mapped file may be deleted (POSIX), not stdin or text in memory."""
    return os.name == "posix" and names_files(source)


IDS_DIRECTORY_PREFIX = "cbow-ids-"


def _encode_through_unlinked_file(source, settings: dict) -> tuple[Vocab, EncodedCorpus]:
    """`read_and_encode` into temporary `.npy` files (ids and offsets), mapped and then
    deleted at once: their pages stay in the page cache until the mappings go, and nothing
    is left on disk whatever happens next (a kill -9 included: the directory is held while
    it exists, and the next run removes one left by a killed run, cbow.scratch). In memory
    instead where the directory is full."""
    temporary = Path(tempfile.gettempdir())
    sweep(temporary, held_name_pattern(IDS_DIRECTORY_PREFIX))
    try:
        directory = HeldDirectory(temporary, IDS_DIRECTORY_PREFIX)
    except OSError as exc:
        logger.warning("cannot write in %s (%s); encoding in memory instead", temporary, exc.strerror or exc)
        return read_and_encode(source, **settings)
    try:
        return read_to_file(source, settings, directory.path / corpus_cache.IDS_FILE,
                            directory.path / corpus_cache.OFFSETS_FILE)
    except OutputError as exc:
        logger.warning("%s; encoding in memory instead", exc)
    finally:
        directory.remove()
    return read_and_encode(source, **settings)


def prepare_grown(
    source, settings: CorpusSettings, base: Vocab, progress: bool = False, cache_dir: str | Path | None = None
) -> tuple[Vocab, EncodedCorpus]:
    """`prepare` for continued training: the vocabulary of a model (`base`) grown by the
    words of `source` (cbow.data.vocab.grow_vocab: counts add up, new words of at least
    `min_count` occurrences enter), and `source` encoded with it.

    The text is read once, counting every word (min_count 1, so the corpus cache serves
    it too), then the ids are mapped to the grown vocabulary.
    """
    from dataclasses import replace

    from cbow.data.encode import remap_corpus
    from cbow.data.vocab import grow_vocab

    keep_words = corpus_keep_words(settings)
    every_word = replace(settings, min_count=1, max_vocab=None, keep_words=None)
    counted, encoded = prepare(source, every_word, progress, cache_dir)
    vocab, new_id = grow_vocab(base, counted.words, counted.counts, settings.min_count, settings.max_vocab,
                               keep_words)
    if not np.any(new_id >= 0):
        from cbow.errors import CorpusError

        raise CorpusError(f"{describe_source(source)}: no word of it is in the model's vocabulary ({len(base):,} words) "
                          f"or occurs --min-count {settings.min_count} times; check --tokenizer, or lower --min-count")
    n_new = len(vocab) - len(base)
    logger.info("vocabulary grown from %d to %d words (%d new at --min-count %d)", len(base), len(vocab), n_new,
                settings.min_count)
    return vocab, remap_corpus(encoded, new_id)
