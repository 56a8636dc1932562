"""KeyedVectors: keys (words) and their vectors, as gensim 4.4's KeyedVectors, with the norms beside them.

The class is put together from one module per idea:

    keyed.py        storage, lookups (by key or row), the norms, evaluation (here)
    keyed_files.py  load (any format), load_word2vec_format, save_word2vec_format, save
    neighbours.py   most_similar, most_similar_cosmul, similar_by_*, closer_than, rank, batched search
    similarity.py   similarity, distance(s), get_mean_vector, n_similarity, doesnt_match,
                    rank_by_centrality, relative_cosine_similarity, wmdistance
    editing.py      add_vector(s), kv[k] = v, get/set_vecattr, sort, resize, unit_normalize_all,
                    intersect_word2vec_format
    unknown_words.py  the errors, typed as gensim's (KeyError for an unknown word)

Names, arguments, results and errors follow gensim's, so its programs run unchanged
(tests/test_gensim_parity.py calls both on the same vectors); where cbow adds to them it
says so (a load detects the format, errors say what to do).

The norms. A query needs unit rows, and cbow keeps only the (V,) norms of the rows
(`fill_norms`, `norms`, as gensim 4), never a unit-normalised copy of the matrix: scores
are the raw rows times the query, scaled by 1/norm (`unit_scale`). A matrix memory-mapped
from a .cbow directory (`load(..., mmap='r')`) therefore stays one copy in the page cache
for every process that queries it; each keeps only its 4 V bytes of norms.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from cbow.vectors.editing import VectorEditing
from cbow.vectors.keyed_files import VectorFiles
from cbow.vectors.neighbours import KEY_TYPES, NeighbourSearch
from cbow.vectors.similarity import PairwiseSimilarity
from cbow.vectors.spelling import resolve_word
from cbow.vectors.unknown_words import UnknownWordError, unknown_message  # noqa: F401 (UnknownWordError: its home)

logger = logging.getLogger(__name__)

NORM_BLOCK = 8192  # rows whose norms are computed at a time: a (8192, d) temporary, never (V, d)


class KeyedVectors(VectorFiles, NeighbourSearch, PairwiseSimilarity, VectorEditing):
    """Keys with one vector each, and similarity queries over them.

    Parameters
    ----------
    index_to_key : the V keys in row order (most frequent first for trained vectors); or,
        gensim's way, the vector size d of an empty table (`KeyedVectors(100)`, then
        `add_vectors`), `vectors` then being gensim's `count` (room reserved for that many rows)
    vectors : (V, d) float array (float32 for trained or loaded vectors; may be a memory map)
    counts : (V,) int, optional word counts (kept when known; the "count" attribute)
    config : dict, optional training settings stored with the vectors by the cbow format
    dtype : the empty table's dtype (gensim's form only)

    Attributes
    ----------
    index_to_key, key_to_index, vectors, counts, config : as above
    vectors_lockf : (V,) float32 lock factors set by `intersect_word2vec_format` (0: the row
        stays fixed when cbow.Word2Vec trains on), or None (every row trains)
    """

    def __init__(self, index_to_key: Sequence | int, vectors: np.ndarray | int | None = None,
                 counts: np.ndarray | None = None, config: dict | None = None, dtype=np.float32) -> None:
        if isinstance(index_to_key, (int, np.integer)):  # gensim's KeyedVectors(vector_size, count=0, dtype)
            capacity = int(vectors or 0)
            self._init_storage([], np.zeros((0, int(index_to_key)), dtype=dtype), None, config)
            if capacity:
                self._spare = np.empty((capacity, int(index_to_key)), dtype=dtype)
                self.vectors = self._spare[:0]
            return
        if not isinstance(vectors, np.ndarray):  # an np.memmap is kept as it is
            vectors = np.asarray(vectors)
        if vectors.ndim != 2 or len(index_to_key) != vectors.shape[0]:
            raise ValueError(f"{len(index_to_key)} words but vectors of shape {vectors.shape}")
        self._init_storage(list(index_to_key), vectors, counts, config)

    def _init_storage(self, index_to_key: list, vectors: np.ndarray, counts, config) -> None:
        self.index_to_key: list = index_to_key
        self.key_to_index: dict = {word: i for i, word in enumerate(index_to_key)}
        self.vectors = vectors
        self.counts = None if counts is None else np.asarray(counts)
        self.config = dict(config or {})
        self.vectors_lockf: np.ndarray | None = None
        self._attributes: dict[str, np.ndarray] = {}  # per-key attributes other than "count" (set_vecattr)
        self._spare: np.ndarray | None = None  # room to grow into (editing.VectorEditing._grow)
        self._norms: np.ndarray | None = None
        self._scale: np.ndarray | None = None

    def replace_vectors(self, index_to_key: Sequence, vectors: np.ndarray, counts: np.ndarray | None = None) -> None:
        """Take new keys and vectors in place (what a model does to its `wv` after training
        or a vocabulary update), so references to this object see them."""
        config = self.config
        KeyedVectors.__init__(self, index_to_key, vectors, counts, config)

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self):,} words, dim {self.vector_size})"

    def __str__(self) -> str:
        return f"KeyedVectors<vector_size={self.vector_size}, {len(self)} keys>"

    # -- lookups --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __iter__(self) -> Iterator:
        """The keys in row order (as a dict iterates its keys; `kv[key]` is the vector)."""
        return iter(self.index_to_key)

    def __contains__(self, key) -> bool:
        return self.has_index_for(key)

    def has_index_for(self, key) -> bool:
        """True for a key of the vocabulary, or an int row in range (as gensim)."""
        return self.get_index(key, -1) >= 0

    def __getitem__(self, key_or_keys) -> np.ndarray:
        """The vector of a key (str, or int row), or a (n, d) matrix for a list of them."""
        if isinstance(key_or_keys, KEY_TYPES):
            return self.get_vector(key_or_keys)
        return np.vstack([self.get_vector(key) for key in key_or_keys])

    @property
    def vector_size(self) -> int:
        return self.vectors.shape[1]

    def get_index(self, key, default: int | None = None) -> int:
        """Row of `key` (a key, else an int row in range); `default` when given, else
        UnknownWordError (a KeyError) suggesting close spellings."""
        try:
            row = self.key_to_index.get(key, -1)
        except TypeError:  # an unhashable key
            row = -1
        if row >= 0:
            return row
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise UnknownWordError(self._unknown_message(key))

    def get_vector(self, key, norm: bool = False) -> np.ndarray:
        """The (d,) vector of `key` (unit length when `norm`; a zero row stays zero), read-only."""
        row = self.get_index(key)
        if norm:  # divided by the norm, as gensim's: the same bits for the same row
            norm_of_row = self.norms[row]
            vector = self.vectors[row] / norm_of_row if norm_of_row > 0 else np.zeros_like(self.vectors[row])
        else:
            vector = self.vectors[row].view()
        vector.flags.writeable = False
        return vector

    def resolve_key(self, word: str) -> str:
        """The key that stands for `word`: itself, else its lowercase or tokenizer form.

        Lookups such as `most_similar` and `kv[word]` are exact (as gensim's); this is the
        fallback, asked for explicitly: ``kv.most_similar(kv.resolve_key("King"))`` finds
        'king' in vectors trained with the (lowercasing) default tokenizer. The forms tried
        are those of `cbow.vectors.spelling.fallback_forms`.

        Raises
        ------
        UnknownWordError : neither the word nor any of its forms is in the vocabulary
        """
        key = resolve_word(self, word)
        if key is None:
            raise UnknownWordError(self._unknown_message(word))
        return key

    def _unknown_message(self, word) -> str:
        return unknown_message(word, self.index_to_key, lambda typed: resolve_word(self, typed))

    def _limit(self, restrict_vocab: int | None) -> int:
        return len(self) if restrict_vocab is None else max(0, min(int(restrict_vocab), len(self)))

    # -- the norms ------------------------------------------------------------------------
    def fill_norms(self, force: bool = False) -> None:
        """Compute the rows' L2 norms if not known yet (or again with `force`): (V,) float32,
        block by block (no (V, d) temporary, nothing of a memory map kept in this process)."""
        if self._norms is not None and not force:
            return
        norms = np.empty(len(self.vectors), dtype=np.float32)
        for start in range(0, len(self.vectors), NORM_BLOCK):
            block = self.vectors[start:start + NORM_BLOCK]
            norms[start:start + NORM_BLOCK] = np.linalg.norm(block, axis=1)  # per row: gensim's bits
        self._norms = norms
        self._scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)

    @property
    def norms(self) -> np.ndarray:
        """(V,) float32 L2 norms of the rows (computed on first use, as gensim's fill_norms)."""
        self.fill_norms()
        return self._norms

    @norms.setter
    def norms(self, value: np.ndarray | None) -> None:
        """`kv.norms = None` forgets them (gensim's idiom after changing `vectors` by hand)."""
        if value is None:
            self.forget_norms()
            return
        self._norms = np.asarray(value, dtype=np.float32)
        self._scale = np.divide(1.0, self._norms, out=np.zeros_like(self._norms), where=self._norms > 0)

    def forget_norms(self) -> None:
        """The vectors changed: make the norms again on the next query."""
        self._norms = self._scale = None

    def unit_scale(self) -> np.ndarray:
        """(V,) float32 1 / norm of each row, 0 for a zero row: v_i = W[i] * unit_scale()[i]."""
        self.fill_norms()
        return self._scale

    def get_normed_vectors(self) -> np.ndarray:
        """A new (V, d) array of the rows at unit length (zero rows stay zero), as gensim's.
        Queries never make it; it costs a copy of the matrix."""
        return self.vectors * self.unit_scale()[:, None]

    # -- evaluation -----------------------------------------------------------------------
    def evaluate_word_analogies(self, analogies: str | Path, restrict_vocab: int | None = 300000,
                                case_insensitive: bool = True, dummy4unknown: bool = False,
                                similarity_function: str = "most_similar", *, method: str | None = None):
        """Analogy accuracy (cbow.vectors.evaluate.evaluate_word_analogies), with gensim's
        arguments and defaults (restrict_vocab 300,000; `cbow evaluate` reports at 30,000).

        `similarity_function` 'most_similar' answers by 3CosAdd, 'most_similar_cosmul' by
        3CosMul (gensim 4.4 takes the argument and uses 3CosAdd whatever it says); `method`
        is cbow's name for the same choice.

        Returns an AnalogyResult: `score, sections = result` as gensim's tuple (sections:
        gensim's dicts, 'Total accuracy' last), and `.accuracy`, `.sections`, per-question outcomes.
        """
        from cbow.vectors import evaluate  # scipy.stats: imported when an evaluation is asked for

        if method is None:
            methods = {"most_similar": "3CosAdd", "most_similar_cosmul": "3CosMul"}
            if similarity_function not in methods:
                raise evaluate.EvaluationError(f"similarity_function={similarity_function!r}: choose 'most_similar' "
                                               "(3CosAdd) or 'most_similar_cosmul' (3CosMul)")
            method = methods[similarity_function]
        return evaluate.evaluate_word_analogies(self, analogies, restrict_vocab=restrict_vocab,
                                                case_insensitive=case_insensitive, method=method,
                                                dummy4unknown=dummy4unknown)

    def evaluate_word_pairs(self, pairs: str | Path, delimiter: str = "\t", encoding: str = "utf8",
                            restrict_vocab: int | None = 300000, case_insensitive: bool = True,
                            dummy4unknown: bool = False):
        """Correlations with human similarity scores (cbow.vectors.evaluate.evaluate_word_pairs),
        with gensim's arguments. Returns a PairsResult: `pearson, spearman, oov_ratio = result`
        as gensim's tuple ((r, p), (rho, p), percent), and `.spearman`, `.pearson`, ...

        Raises
        ------
        EvaluationError : no pair could be scored (a ValueError, as gensim), or a delimiter
            or encoding cbow's reader does not take (it reads UTF-8, tab- or space-separated)
        """
        from cbow.vectors import evaluate

        if delimiter not in ("\t", " ", None) or codecs.lookup(encoding).name != "utf-8":
            raise evaluate.EvaluationError(
                f"{pairs}: cbow reads word-pair files as UTF-8 with tab- or space-separated fields "
                f"(delimiter={delimiter!r}, encoding={encoding!r} asked); convert the file")
        result = evaluate.evaluate_word_pairs(self, pairs, restrict_vocab=restrict_vocab,
                                              case_insensitive=case_insensitive, dummy4unknown=dummy4unknown)
        if result.n_pairs == 0:
            raise evaluate.EvaluationError(f"{pairs}: no pair could be scored: every pair has a word outside the "
                                           f"first {restrict_vocab} of {self}")
        return result
