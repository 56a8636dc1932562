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
temporary directory (`.partial-PID.XXXXXXXX`, held while the run lives: cbow.scratch) and
renamed into place, so a crash never leaves a half entry; the temporary directory of a run
killed outright is removed by the next run that uses the cache (`sweep_staging`), one of a
live run never. A corrupt or unreadable entry is ignored (and rebuilt), never trusted.

Integrity: `meta.json` also holds the CRC-32 of each of the three data files, computed when
the entry is stored. A file whose bytes changed since (a disk error, another program, an
edit that kept the size) must not train silently: `load` verifies entries up to
VERIFY_ON_LOAD_BYTES (1 GiB: ~0.3 s from the page cache, far less than encoding again)
and discards a mismatching one with one warning, so it is encoded afresh. A bigger entry is
returned unverified and checked alongside training: `verify_in_background(entry)` starts a
thread at the beginning of the run, and its handle says at the end of the first epoch
whether the ids were intact. Entries written before checksums existed are treated as stale
and encoded again once: accepting them unchecked would leave every existing cache open to
the silent corruption this guards against, and re-encoding costs one reading pass. The
entry's directory is the same, so the new entry replaces the old one (nothing is orphaned).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import zlib
from pathlib import Path

import numpy as np

from cbow.data.array_checks import check_ids, check_offsets
from cbow.data.corpus import Source, list_corpus_files
from cbow.data.encode import EncodedCorpus
from cbow.data.vocab import Vocab
from cbow.errors import CorpusError
from cbow.scratch import RANDOM_PART, HeldDirectory, sweep

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
IDS_FILE = "word_ids.npy"
OFFSETS_FILE = "sentence_offsets.npy"
VOCAB_FILE = "vocab.tsv"
CHECKED_FILES = (IDS_FILE, OFFSETS_FILE, VOCAB_FILE)  # meta.json holds their checksums
VERIFY_ON_LOAD_BYTES = 1 << 30  # entries up to this size are verified by `load` itself
_READ_CHUNK = 1 << 20


def default_cache_dir() -> Path:
    """$CBOW_CACHE_DIR, else $XDG_CACHE_HOME/cbow, else ~/.cache/cbow."""
    if os.environ.get("CBOW_CACHE_DIR"):
        return Path(os.environ["CBOW_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cbow"


def cache_key(source: Source, tokenizer, min_count: int, max_vocab: int | None,
              max_sentence_length: int, phrases: str | None = None, keep_words: str | None = None,
              encoding_errors: str = "strict") -> dict | None:
    """The key of `source` under these settings, or None when it cannot be cached.
    `phrases`: the sha256 of the phrase table joined after tokenizing, or None;
    `keep_words`: the sha256 of the --keep-words list, or None; `encoding_errors`: a
    corpus read with 'replace' is another corpus (U+FFFD tokens) than the strict reading,
    which would refuse it. (Absent from the key when strict: older entries stay valid.)"""
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
        **({"phrases": phrases} if phrases is not None else {}),
        **({"keep_words": keep_words} if keep_words is not None else {}),
        **({"encoding_errors": encoding_errors} if encoding_errors != "strict" else {}),
    }


def _entry_dir(cache_dir: Path, key: dict) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
    return Path(cache_dir) / "corpora" / digest


def entry_path(cache_dir: str | os.PathLike, key: dict) -> Path:
    """The directory of the entry of `key` (which may not exist), for `verify_in_background`."""
    return _entry_dir(Path(cache_dir), key)


def file_checksum(path: str | os.PathLike) -> str:
    """'crc32:<8 hex digits>' of a file's bytes, read into one 1 MiB buffer (~3 GB/s)."""
    crc = 0
    buffer = bytearray(_READ_CHUNK)  # one buffer for the whole file: no 16 MiB objects for malloc to keep
    view = memoryview(buffer)
    with open(path, "rb") as handle:
        while n_read := handle.readinto(buffer):
            crc = zlib.crc32(view[:n_read], crc)
    return f"crc32:{crc:08x}"


def _changed_file(entry: Path, checksums: dict) -> str | None:
    """The first data file of `entry` whose checksum differs from the stored one, else None."""
    for name in CHECKED_FILES:
        if file_checksum(entry / name) != checksums.get(name):
            return name
    return None


def _entry_bytes(entry: Path) -> int:
    return sum((entry / name).stat().st_size for name in CHECKED_FILES)


def _discard(entry: Path, changed: str) -> None:
    """Make `entry` a miss (its meta.json goes; `store` replaces the rest) and say so once.

    The data files stay until then: a run may still map them by name (worker processes do).
    """
    try:
        (entry / "meta.json").unlink()
    except OSError:
        pass  # removed by another run meanwhile: a miss either way
    logger.warning("corpus cache %s: %s changed since it was written (checksum mismatch); the entry is "
                   "discarded and the corpus will be encoded again", entry, changed)


def load(cache_dir: str | os.PathLike, key: dict) -> tuple[Vocab, EncodedCorpus] | None:
    """The cached vocabulary and corpus (ids memory-mapped), or None on a miss.

    An entry of at most VERIFY_ON_LOAD_BYTES is checked against its stored checksums first
    (a mismatch discards it, with a warning: a miss); a bigger one is returned unverified,
    for `verify_in_background`. An entry without checksums (older cbow) is a miss.
    """
    entry = _entry_dir(Path(cache_dir), key)
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        if meta.get("key") != key:
            return None
        if not isinstance(meta.get("checksums"), dict):
            logger.info("corpus cache %s has no checksums (written by an older cbow); encoding again", entry)
            return None
        if _entry_bytes(entry) <= VERIFY_ON_LOAD_BYTES:
            changed = _changed_file(entry, meta["checksums"])
            if changed is not None:
                _discard(entry, changed)
                return None
        word_ids = np.load(entry / IDS_FILE, mmap_mode="r")
        # Mapped too (8 bytes a sentence: 11 MiB for 4 x bench-text8): pages come from the
        # page cache as they are read, shared by every process that maps the file.
        offsets = np.load(entry / OFFSETS_FILE, mmap_mode="r")
        vocab = Vocab.load(entry / VOCAB_FILE)
        # Every entry, verified or not: an id past the vocabulary would reach the compiled
        # kernels before a background checksum could stop the run (cbow.data.array_checks)
        check_ids(word_ids, len(vocab), IDS_FILE)
        check_offsets(offsets, len(word_ids), OFFSETS_FILE)
        n_raw_tokens = meta["n_raw_tokens"]
        if type(n_raw_tokens) is not int or n_raw_tokens < len(word_ids):
            raise ValueError(f"n_raw_tokens {n_raw_tokens!r} is below the {len(word_ids):,} ids")
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged entry is rebuilt, never trusted
        logger.warning("ignoring the damaged corpus cache %s (%s)", entry, exc)
        return None
    logger.info("corpus cache hit: %s", entry)
    return vocab, EncodedCorpus(word_ids, offsets, n_raw_tokens)


STAGING_PREFIX = ".partial-"
# HeldDirectory's names, and those of older cbows (no pid; removed a day after they were left)
_STAGING_NAME = re.compile(re.escape(STAGING_PREFIX) + r"([0-9]+\.)?" + RANDOM_PART)


def new_staging(cache_dir: str | os.PathLike) -> HeldDirectory | None:
    """An empty temporary directory beside the entries (same file system), held until its
    `remove()`; None if unwritable.

    Encode into it (`read_and_encode(..., ids_path=staging.path / IDS_FILE)`), then `store`
    it. The staging directories of runs that were killed (kill -9, the OOM killer: no
    cleanup ran) are removed first (`sweep_staging`).
    """
    parent = Path(cache_dir) / "corpora"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        sweep_staging(cache_dir)
        return HeldDirectory(parent, STAGING_PREFIX)
    except OSError as exc:
        logger.warning("could not write the corpus cache in %s (%s); continuing without", cache_dir, exc)
        return None


def sweep_staging(cache_dir: str | os.PathLike) -> list[Path]:
    """Remove the staging directories under `cache_dir` that no live run holds
    (cbow.scratch.sweep); returns them."""
    return sweep(Path(cache_dir) / "corpora", _STAGING_NAME)


def store(cache_dir: str | os.PathLike, key: dict, vocab: Vocab, encoded: EncodedCorpus,
          staging: HeldDirectory | None = None) -> Path | None:
    """Write an entry atomically (temp dir + rename); returns its directory, None if unwritable.

    `staging` (from `new_staging`) may already hold the ids as IDS_FILE; it is renamed into
    place (or removed on failure) either way, and released.
    """
    entry = _entry_dir(Path(cache_dir), key)
    try:
        if staging is None:
            staging = new_staging(cache_dir)
            if staging is None:
                return None
        try:
            if not (staging.path / IDS_FILE).exists():
                np.save(staging.path / IDS_FILE, np.asarray(encoded.word_ids, dtype=np.int32))
            np.save(staging.path / OFFSETS_FILE, np.asarray(encoded.sentence_offsets, dtype=np.int64))
            vocab.save(staging.path / VOCAB_FILE)
            # Read back from the page cache just after writing: one pass at ~3 GB/s.
            checksums = {name: file_checksum(staging.path / name) for name in CHECKED_FILES}
            meta = {"key": key, "n_raw_tokens": int(encoded.n_raw_tokens), "checksums": checksums}
            (staging.path / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
            if entry.exists():
                shutil.rmtree(entry, ignore_errors=True)  # stale or damaged: replaced
            staging.unmark()
            os.rename(staging.path, entry)
        finally:
            staging.remove()
    except Exception as exc:  # caching is an optimisation: never fail a run over it
        logger.warning("could not write the corpus cache in %s (%s); continuing without", cache_dir, exc)
        return None
    logger.info("corpus cached in %s", entry)
    return entry


class BackgroundCheck:
    """A cache entry being verified by a daemon thread; see `verify_in_background`."""

    def __init__(self, entry: Path, checksums: dict | None) -> None:
        self.entry = entry
        self.changed: str | None = None  # the file found changed, once done
        self._thread: threading.Thread | None = None
        if checksums is not None:
            self._thread = threading.Thread(target=self._run, args=(checksums,), name="cbow-cache-check",
                                            daemon=True)
            self._thread.start()

    def _run(self, checksums: dict) -> None:
        try:
            self.changed = _changed_file(self.entry, checksums)
        except OSError as exc:  # the entry vanished or became unreadable: no longer trusted either
            self.changed = f"a file ({exc.strerror or exc})"
        if self.changed is not None:
            _discard(self.entry, self.changed)

    def done(self) -> bool:
        """True once the check has finished (or there was nothing to check)."""
        return self._thread is None or not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool | None:
        """Wait for the check: True if the entry is intact, False if it changed (it is then
        discarded, with one warning), None if `timeout` passed first."""
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return None
        return self.changed is None

    def check(self) -> None:
        """Wait for the check and raise CorpusError if the entry had changed (the run has
        trained on damaged ids: its result must not be kept)."""
        if self.wait() is False:
            raise CorpusError(
                f"the cached corpus {self.entry} changed on disk since it was written ({self.changed} fails its "
                "checksum): this run trained on damaged ids; the entry is discarded, run again to encode the "
                "corpus afresh (or pass --no-cache)"
            )


def verify_in_background(entry: str | os.PathLike) -> BackgroundCheck:
    """Start verifying a cache entry's checksums in a daemon thread; returns its handle.

    For the entries `load` returned unverified (bigger than VERIFY_ON_LOAD_BYTES): start it
    when training starts and call `handle.check()` (or `wait()`) at the end of the first
    epoch; the thread reads the files sequentially (through the page cache training uses
    too) while the epoch runs. A smaller entry was verified by `load` itself, and an entry
    without a meta.json or checksums is not a cache hit: for those the handle is done at
    once and reports intact.
    """
    entry = Path(entry)
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        checksums = meta.get("checksums") if _entry_bytes(entry) > VERIFY_ON_LOAD_BYTES else None
    except (OSError, ValueError):
        checksums = None
    return BackgroundCheck(entry, checksums if isinstance(checksums, dict) else None)
