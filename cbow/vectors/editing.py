"""Changing KeyedVectors: adding and replacing vectors, per-key attributes, sorting, resizing, merging a file.

`VectorEditing` is a part of `cbow.vectors.keyed.KeyedVectors` (a mixin: the class brings
the storage, `get_index` and `forget_norms`). The methods keep gensim 4.4's names and
semantics:

    add_vector(key, vector) -> index        add_vectors(keys, vectors, extras, replace)
    kv[key] = vector, kv[[k1, k2]] = rows   (add_vectors with replace=True)
    get_vecattr / set_vecattr(key, attr)    per-key attributes; "count" is the word counts
    sort_by_descending_frequency()          rows reordered by count (ties: the later row first, as gensim)
    resize_vectors(seed)                    rows for keys appended to index_to_key, drawn U(-1/d, 1/d)
    unit_normalize_all()                    every row scaled to unit length, in place
    intersect_word2vec_format(path, lockf)  rows of the words a file shares with these vectors
                                            replaced by the file's; `vectors_lockf` marks them

Every change forgets the norms (they are made again on the next query). `add_vector`
grows the matrix geometrically, so adding V vectors one at a time costs O(V d), not O(V^2 d).
A read-only memory map (mmap='r') is never written: a change that would write into it is
refused in one line; adding rows makes a new in-memory matrix, as gensim does.
"""

from __future__ import annotations

import logging
import numpy as np

from cbow.errors import CbowError
from cbow.vectors.unknown_words import VectorSizeError

logger = logging.getLogger(__name__)

COUNT = "count"  # the attribute that is the word counts (`KeyedVectors.counts`)


class ReadOnlyVectorsError(CbowError, ValueError):
    """A change would write into vectors memory-mapped read-only."""


def _attribute_dtype(value) -> np.dtype:
    """gensim's rule: an attribute's array takes the type of its first value (int as int64, str as object)."""
    kind = type(value)
    if kind is int or kind is bool:
        return np.dtype(np.int64) if kind is int else np.dtype(bool)
    if kind is float:
        return np.dtype(np.float64)
    if kind is str:
        return np.dtype(object)
    return np.asarray(value).dtype


class VectorEditing:
    """add_vector(s), __setitem__, get/set_vecattr, sort, resize, unit_normalize_all, intersect."""

    def _writable(self, what: str) -> np.ndarray:
        if not self.vectors.flags.writeable:
            raise ReadOnlyVectorsError(
                f"{what} would write into vectors memory-mapped read-only (mmap='r'); load them without mmap, "
                "or with mmap='c' (changes stay in this process)")
        return self.vectors

    def _grow(self, n_new: int) -> np.ndarray:
        """Room for `n_new` more rows after the current ones: the matrix grows by half
        again when full (amortised O(1) per row); returns the grown matrix (a view)."""
        n_rows = len(self.vectors)
        spare = self._spare
        if spare is None or self.vectors.base is not spare or len(spare) < n_rows + n_new:
            capacity = max(n_rows + n_new, int(1.5 * n_rows), 16)
            spare = np.empty((capacity, self.vector_size), dtype=self.vectors.dtype)
            spare[:n_rows] = self.vectors
            self._spare = spare
        self.vectors = spare[: n_rows + n_new]
        return self.vectors

    def _append_keys(self, keys: list) -> None:
        for key in keys:
            self.key_to_index[key] = len(self.index_to_key)
            self.index_to_key.append(key)
        n_new = len(keys)
        if self.counts is not None:
            self.counts = np.concatenate([self.counts, np.zeros(n_new, dtype=self.counts.dtype)])
        for attr, values in self._attributes.items():
            self._attributes[attr] = np.concatenate([values, np.zeros(n_new, dtype=values.dtype)])
        if self.vectors_lockf is not None:
            self.vectors_lockf = np.concatenate([self.vectors_lockf, np.ones(n_new, dtype=self.vectors_lockf.dtype)])

    def add_vector(self, key, vector: np.ndarray) -> int:
        """Add one key and its (d,) vector; returns its row. A key already present keeps its
        vector (use `kv[key] = vector` to replace it) and its row is returned."""
        if key in self.key_to_index:
            return self.key_to_index[key]
        vector = np.asarray(vector, dtype=self.vectors.dtype).reshape(-1)
        if vector.shape != (self.vector_size,):
            raise VectorSizeError(f"vector for {key!r} has {vector.size} values, the vectors {self.vector_size}")
        self._grow(1)[-1] = vector
        self._append_keys([key])
        self.forget_norms()
        return len(self.index_to_key) - 1

    def add_vectors(self, keys, weights, extras: dict | None = None, replace: bool = False) -> None:
        """Add keys with their vectors (a list of (d,) vectors or a (n, d) matrix); a key
        already present keeps its vector unless `replace`. `extras` maps an attribute name
        to its (n,) values (e.g. {"count": counts})."""
        if isinstance(keys, (str, int, np.integer)):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        keys = list(keys)
        weights = np.asarray(weights, dtype=self.vectors.dtype)
        if weights.ndim != 2 or weights.shape != (len(keys), self.vector_size):
            raise VectorSizeError(f"{len(keys)} keys of {self.vector_size} dimensions, but vectors of shape "
                                  f"{weights.shape}; give one (d,) vector per key")
        extras = {attr: np.asarray(values) for attr, values in (extras or {}).items()}
        first_row: dict = {}  # a key given twice: its first vector, as a key already present
        new_keys, new_rows, old_rows, old_positions = [], [], [], []
        for position, key in enumerate(keys):
            if key in self.key_to_index:
                old_rows.append(self.key_to_index[key])
                old_positions.append(position)
            elif key not in first_row:
                first_row[key] = position
                new_keys.append(key)
                new_rows.append(position)
        if replace and old_rows:
            self._writable("replacing vectors")[old_rows] = weights[old_positions]
        if new_keys:
            start = len(self.vectors)
            self._grow(len(new_keys))[start:] = weights[new_rows]
            self._append_keys(new_keys)
        for attr, values in extras.items():
            for row, position in zip(range(len(self) - len(new_keys), len(self)), new_rows):
                self.set_vecattr(row, attr, values[position].item())
            if replace:
                for row, position in zip(old_rows, old_positions):
                    self.set_vecattr(row, attr, values[position].item())
        self.forget_norms()

    def __setitem__(self, keys, weights) -> None:
        """`kv[key] = vector` or `kv[[k1, k2]] = rows`: add the keys, replacing the vectors of known ones."""
        if not isinstance(keys, list):
            keys, weights = [keys], np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def get_vecattr(self, key, attr: str):
        """The value of attribute `attr` (e.g. "count") for `key`.

        Vectors without counts (word2vec, GloVe files) give made-up descending counts
        V - row, as gensim does for such files, so "most frequent first" keeps the file's order.
        """
        row = self.get_index(key)
        if attr == COUNT:
            return int(self.counts[row]) if self.counts is not None else len(self) - row
        if attr not in self._attributes:
            raise KeyError(f"no attribute {attr!r} on these vectors (they have: "
                           f"{', '.join([COUNT, *self._attributes]) or 'none'}); set it with set_vecattr")
        return self._attributes[attr][row]

    def set_vecattr(self, key, attr: str, val) -> None:
        """Set attribute `attr` of `key` to `val` (the first value of an attribute fixes its type)."""
        row = self.get_index(key)
        if attr == COUNT:
            if self.counts is None:
                self.counts = np.zeros(len(self), dtype=np.int64)
            elif not self.counts.flags.writeable:
                self.counts = np.array(self.counts)
            self.counts[row] = val
            return
        if attr not in self._attributes:
            self._attributes[attr] = np.zeros(len(self), dtype=_attribute_dtype(val))
        self._attributes[attr][row] = val

    def sort_by_descending_frequency(self) -> None:
        """Reorder the rows by count, most frequent first (ties: the later row first, as gensim).
        Vectors without counts keep their order."""
        if not len(self) or self.counts is None:
            return
        order = np.lexsort((-np.arange(len(self)), -np.asarray(self.counts, dtype=np.int64)))
        self.index_to_key = [self.index_to_key[i] for i in order.tolist()]
        self.key_to_index = {key: i for i, key in enumerate(self.index_to_key)}
        self.vectors = self.vectors[order]
        self.counts = self.counts[order]
        self._attributes = {attr: values[order] for attr, values in self._attributes.items()}
        if self.vectors_lockf is not None:
            self.vectors_lockf = self.vectors_lockf[order]
        self._spare = None
        self.forget_norms()

    def resize_vectors(self, seed: int = 0) -> None:
        """Make the matrix match `index_to_key` after keys were appended to it by hand: new
        rows drawn uniformly from [-1/d, 1/d) (a generator seeded by `seed`, as gensim's
        prep_vectors), rows past the keys dropped; attributes follow."""
        n_keys, n_rows = len(self.index_to_key), len(self.vectors)
        self.key_to_index = {key: i for i, key in enumerate(self.index_to_key)}
        if n_keys != n_rows:
            fresh = np.random.default_rng(seed=seed).random((n_keys, self.vector_size), dtype=np.float32)
            fresh = ((fresh * 2.0 - 1.0) / self.vector_size).astype(self.vectors.dtype)
            keep = min(n_keys, n_rows)
            fresh[:keep] = self.vectors[:keep]
            self.vectors, self._spare = fresh, None

        def fitted(values: np.ndarray, fill) -> np.ndarray:
            if len(values) >= n_keys:
                return values[:n_keys]
            return np.concatenate([values, np.full(n_keys - len(values), fill, dtype=values.dtype)])

        if self.counts is not None:
            self.counts = fitted(self.counts, 0)
        self._attributes = {attr: fitted(values, 0) for attr, values in self._attributes.items()}
        if self.vectors_lockf is not None:
            self.vectors_lockf = fitted(self.vectors_lockf, 1.0)
        self.forget_norms()

    def unit_normalize_all(self) -> None:
        """Scale every row to unit length, destructively (zero rows stay zero); training can
        no longer go on sensibly from these vectors. A read-only map is replaced by a
        normalised copy in memory."""
        scale = self.unit_scale()[:, None]
        if self.vectors.flags.writeable:
            self.vectors *= scale
        else:
            logger.info("unit_normalize_all: the vectors are mapped read-only; normalising a copy in memory")
            self.vectors = self.vectors * scale
            self._spare = None
        self.forget_norms()

    def intersect_word2vec_format(self, fname, lockf: float = 0.0, binary: bool | None = None,
                                  encoding: str = "utf8", unicode_errors: str = "strict") -> int:
        """Take the vectors of the words a word2vec file shares with these vectors (no word
        is added), and mark their rows in `vectors_lockf` with `lockf`: 0.0 (the default)
        keeps them fixed in further training (cbow.Word2Vec.train), 1.0 lets them train.

        Returns the number of rows replaced.

        Raises
        ------
        FormatError : the file cannot be read
        VectorSizeError : its vectors have another size (a ValueError, as gensim)
        """
        other = type(self).load_word2vec_format(fname, binary=binary, encoding=encoding,
                                                unicode_errors=unicode_errors)
        if other.vector_size != self.vector_size:
            raise VectorSizeError(f"{fname}: vectors of size {other.vector_size}, these have {self.vector_size}; "
                                  "merge vectors of the same size")
        ours, theirs = [], []
        for row, word in enumerate(other.index_to_key):
            if word in self.key_to_index:
                ours.append(self.key_to_index[word])
                theirs.append(row)
        if ours:
            self._writable("intersect_word2vec_format")[ours] = other.vectors[theirs]
            if self.vectors_lockf is None:
                self.vectors_lockf = np.ones(len(self), dtype=np.float32)
            self.vectors_lockf[ours] = lockf
        logger.info("merged %d vectors of %s into %d x %d vectors", len(ours), fname, len(self), self.vector_size)
        self.forget_norms()
        return len(ours)
