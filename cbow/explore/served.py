"""The vectors files a `cbow explore` session serves: loaded once, named, and asked for words.

Only the files named on the command line are ever opened (and, beside each, its training
log OUTPUT.log.jsonl when there is one). The page names a file by its id, "0", "1", ... in
command-line order; any other name is an unknown file, never a path.

A typed word is looked up as `cbow similar` looks it up:

    in the vocabulary          'paris'  -> row of 'paris'               source "vocabulary"
    a spelling of a word in it 'Paris'  -> row of 'paris'               source "spelling"
    a subword model's word     'parisx' -> the vector its n-grams make  source "ngrams"
    none of these              a 404 with did-you-mean suggestions

The files are opened by `cbow.load` (cbow.vectors.subword_keyed.load): SubwordKeyedVectors
for a file with n-gram vectors, else KeyedVectors. The n-gram case follows gensim's
FastTextKeyedVectors, which SubwordKeyedVectors mirrors: `word in kv` is true for any word
the model can build a vector for, while `kv.key_to_index` holds the vocabulary only. For
words-only vectors the two agree and the case never arises.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cbow.explore.completion import PrefixIndex
from cbow.explore.errors import RequestError
from cbow.training.training_log import log_path_for
from cbow.vectors.keyed import KeyedVectors
from cbow.vectors.spelling import resolve_word
from cbow.vectors.subword_keyed import load


@dataclass(frozen=True)
class Word:
    """A typed word as found in one file.

    typed : what the page sent
    key : the vocabulary's word standing for it (the typed word itself for an n-gram word)
    row : its row in the vectors, None for an n-gram word (not in the vocabulary)
    source : "vocabulary", "spelling" ('King' found as 'king') or "ngrams"
    """

    typed: str
    key: str
    row: int | None
    source: str


@dataclass
class ServedFile:
    """One vectors file of the session.

    id : "0", "1", ... in command-line order (what the API's `file` parameter takes)
    name : a short display name, unique in the session
    path : as given on the command line
    kv : the vectors (memory-mapped for .cbow)
    log_path : the training log beside the file, None when there is none
    """

    id: str
    name: str
    path: Path
    kv: KeyedVectors
    log_path: Path | None = None
    _order: np.ndarray | None = field(default=None, repr=False)
    _completion: PrefixIndex | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def n_words(self) -> int:
        return len(self.kv)

    def frequency_order(self) -> np.ndarray:
        """(V,) int64 rows, most frequent word first.

        Trained vectors are stored most frequent first; when counts are known and say
        otherwise, they decide (stable, so ties keep file order).
        """
        with self._lock:
            if self._order is None:
                counts = self.kv.counts
                if counts is None or len(counts) < 2 or bool(np.all(counts[:-1] >= counts[1:])):
                    self._order = np.arange(self.n_words, dtype=np.int64)
                else:
                    self._order = np.argsort(-np.asarray(counts, dtype=np.int64), kind="stable")
            return self._order

    @property
    def completion(self) -> PrefixIndex:
        """The vocabulary's prefix index, built on first use (about a second per million words)."""
        with self._lock:
            if self._completion is None:
                self._completion = PrefixIndex(self.kv.index_to_key)
            return self._completion

    def look_up(self, typed: str) -> Word:
        """Find a typed word (see the module docstring).

        Raises
        ------
        RequestError : 404 unknown_word, with up to 5 did-you-mean suggestions
        """
        index = self.kv.key_to_index.get(typed)
        if index is not None:
            return Word(typed, typed, index, "vocabulary")
        key = resolve_word(self.kv, typed)
        if key is not None:
            return Word(typed, key, self.kv.key_to_index[key], "spelling")
        if typed in self.kv:  # a subword model builds any word from its n-grams
            return Word(typed, typed, None, "ngrams")
        suggestions = self.completion.did_you_mean(typed, limit=5)
        hint = f"did you mean {', '.join(repr(w) for w in suggestions[:3])}?" if suggestions else "check the spelling"
        raise RequestError(404, "unknown_word", f"word {typed!r} is not in {self.name} ({self.n_words:,} words); "
                                                f"{hint}", word=typed, suggestions=suggestions)

    def fingerprint(self) -> str:
        """A key that changes when the file changes (path, sizes, modification times): for caches."""
        path = self.path.resolve()
        parts = [str(path)]
        members = sorted(path.iterdir()) if path.is_dir() else [path]
        for member in members:
            info = member.stat()
            parts.append(f"{member.name}:{info.st_size}:{info.st_mtime_ns}")
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]

    def describe(self) -> dict:
        """What the page shows about the file."""
        config = self.kv.config or {}
        settings = {key: config[key] for key in ("size", "window", "negative", "hs", "softmax", "epochs",
                                                  "min_count", "sample", "tokenizer") if key in config}
        return {
            "id": self.id, "name": self.name, "path": str(self.path), "words": self.n_words,
            "dim": self.kv.vector_size, "mapped": isinstance(self.kv.vectors, np.memmap),
            "counts": self.kv.counts is not None, "log": self.log_path is not None,
            "settings": json.loads(json.dumps(settings, default=str)),
        }


def display_names(paths: list[Path]) -> list[str]:
    """Short names for the files: the file name, with parent folders added until all differ."""
    parts = [Path(os.path.abspath(path)).parts for path in paths]
    distinct = set(parts)
    depth = 1
    while len({p[-depth:] for p in distinct}) < len(distinct) and depth < max(len(p) for p in parts):
        depth += 1
    names = [os.path.join(*p[-depth:]) for p in parts]
    seen: dict[str, int] = {}
    unique = []
    for name in names:  # the same path given twice
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def load_files(paths: list[str | os.PathLike]) -> list[ServedFile]:
    """Open every file named on the command line (memory-mapped where the format allows).

    Raises
    ------
    FormatError : a file is missing or not vectors (its message names the file)
    """
    paths = [Path(path) for path in paths]
    files = []
    for index, (path, name) in enumerate(zip(paths, display_names(paths))):
        kv = load(path, mmap="r")
        log = log_path_for(path)
        files.append(ServedFile(str(index), name, path, kv, log if log.is_file() else None))
    return files
