"""Encoded-corpus cache: a second run on the same file and settings skips tokenizing.

Reading, counting and encoding bench-text8 (24.8M tokens) takes seconds; loading its ids
back from a `.npy` takes a fraction of one, memory-mapped (pages are read as training
touches them and shared by the worker processes through the page cache).

Key: the identity of every input file (absolute path, size, modification time in ns)
plus what changes the encoding: tokenizer, min_count, max_vocab, max_sentence_length and
a format version. Anything else (window, size, objective...) does not change the ids, so
those runs share an entry. Editing, replacing or touching the file changes its size or
mtime, so a stale entry is never used. Only files and directories are cached: not stdin,
not lines in memory, not a custom tokenizer function.

Where: `<cache_dir>/<sha256 of the key>/` holding `word_ids.npy` (int32),
`sentence_offsets.npy` (int64), `vocab.tsv` and `meta.json` (the key and the raw token
count). The CLI's default cache_dir is `$CBOW_CACHE_DIR`, else `$XDG_CACHE_HOME/cbow`,
else `~/.cache/cbow`; `--cache-dir DIR` picks another, `--no-cache` turns it off; the
library caches only when `train(..., cache_dir=...)` is given. An entry is written to a
temporary directory and renamed into place, so a crash never leaves a half entry (the
temporary directory of a run killed outright is removed a day later); a corrupt or
unreadable entry is ignored (and rebuilt), never trusted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from cbow.data.corpus import Source, list_corpus_files
from cbow.data.encode import EncodedCorpus
from cbow.data.vocab import Vocab

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
IDS_FILE = "word_ids.npy"


def default_cache_dir() -> Path:
    """$CBOW_CACHE_DIR, else $XDG_CACHE_HOME/cbow, else ~/.cache/cbow."""
    if os.environ.get("CBOW_CACHE_DIR"):
        return Path(os.environ["CBOW_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cbow"


def cache_key(source: Source, tokenizer, min_count: int, max_vocab: int | None,
              max_sentence_length: int) -> dict | None:
    """The key of `source` under these settings, or None when it cannot be cached."""
    if not isinstance(source, (str, os.PathLike)) or os.fspath(source) == "-":
        return None
    if not isinstance(tokenizer, str):
        return None
    try:
        files = [
            [str(path.resolve()), stat.st_size, stat.st_mtime_ns]
            for path in list_corpus_files(source)
            for stat in [path.stat()]
        ]
    except Exception:  # unreadable: let the reader raise its own clear error
        return None
    return {
        "format": CACHE_FORMAT,
        "files": files,
        "tokenizer": tokenizer,
        "min_count": min_count,
        "max_vocab": max_vocab,
        "max_sentence_length": max_sentence_length,
    }


def _entry_dir(cache_dir: Path, key: dict) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
    return Path(cache_dir) / "corpora" / digest


def load(cache_dir: str | os.PathLike, key: dict) -> tuple[Vocab, EncodedCorpus] | None:
    """The cached vocabulary and corpus (ids memory-mapped), or None on a miss."""
    entry = _entry_dir(Path(cache_dir), key)
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        if meta.get("key") != key:
            return None
        word_ids = np.load(entry / IDS_FILE, mmap_mode="r")
        # Mapped too (8 bytes a sentence: 11 MiB for 4 x bench-text8): pages come from the
        # page cache as they are read, shared by every process that maps the file.
        offsets = np.load(entry / "sentence_offsets.npy", mmap_mode="r")
        vocab = Vocab.load(entry / "vocab.tsv")
        if (word_ids.dtype != np.int32 or offsets.dtype != np.int64 or len(offsets) < 2
                or offsets[0] != 0 or offsets[-1] != len(word_ids)):
            raise ValueError("inconsistent arrays")
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged entry is rebuilt, never trusted
        logger.warning("ignoring the damaged corpus cache %s (%s)", entry, exc)
        return None
    logger.info("corpus cache hit: %s", entry)
    return vocab, EncodedCorpus(word_ids, offsets, int(meta["n_raw_tokens"]))


STALE_STAGING_SECONDS = 24 * 3600  # a staging directory untouched this long was abandoned


def new_staging(cache_dir: str | os.PathLike) -> Path | None:
    """An empty temporary directory beside the entries (same file system), None if unwritable.

    Encode into it (`read_and_encode(..., ids_path=staging / IDS_FILE)`), then `store` it.
    Staging directories left by runs that were killed (kill -9, a power cut: no cleanup
    ran) and untouched for STALE_STAGING_SECONDS are removed first; a live run writes its
    files, or at least created them, more recently than that.
    """
    parent = Path(cache_dir) / "corpora"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(parent)
        return Path(tempfile.mkdtemp(prefix=".partial-", dir=parent))
    except OSError as exc:
        logger.warning("could not write the corpus cache in %s (%s); continuing without", cache_dir, exc)
        return None


def _remove_stale_staging(parent: Path) -> None:
    """Remove `.partial-*` directories under `parent` whose newest file is stale."""
    now = time.time()
    for staging in parent.glob(".partial-*"):
        try:
            newest = max([staging.stat().st_mtime] + [path.stat().st_mtime for path in staging.iterdir()])
        except OSError:  # removed meanwhile, or not ours to read
            continue
        if now - newest > STALE_STAGING_SECONDS:
            logger.info("removing the abandoned corpus cache staging directory %s", staging)
            shutil.rmtree(staging, ignore_errors=True)


def store(cache_dir: str | os.PathLike, key: dict, vocab: Vocab, encoded: EncodedCorpus,
          staging: Path | None = None) -> Path | None:
    """Write an entry atomically (temp dir + rename); returns its directory, None if unwritable.

    `staging` (from `new_staging`) may already hold the ids as IDS_FILE; it is renamed into
    place (or removed on failure) either way.
    """
    entry = _entry_dir(Path(cache_dir), key)
    try:
        if staging is None:
            staging = new_staging(cache_dir)
            if staging is None:
                return None
        try:
            if not (staging / IDS_FILE).exists():
                np.save(staging / IDS_FILE, np.asarray(encoded.word_ids, dtype=np.int32))
            np.save(staging / "sentence_offsets.npy", np.asarray(encoded.sentence_offsets, dtype=np.int64))
            vocab.save(staging / "vocab.tsv")
            meta = {"key": key, "n_raw_tokens": int(encoded.n_raw_tokens)}
            (staging / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
            if entry.exists():
                shutil.rmtree(entry, ignore_errors=True)  # stale or damaged: replaced
            os.rename(staging, entry)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    except Exception as exc:  # caching is an optimisation: never fail a run over it
        logger.warning("could not write the corpus cache in %s (%s); continuing without", cache_dir, exc)
        return None
    logger.info("corpus cached in %s", entry)
    return entry
