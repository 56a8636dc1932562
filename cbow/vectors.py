"""KeyedVectors: words and their vectors, and the nearest-neighbour queries over them.

Names follow gensim's `KeyedVectors` so users' habits carry over (`most_similar`,
`similarity`, `index_to_key`, `key_to_index`, `vectors`). The unit-normalised matrix
is made once, lazily, and never mutated by a query.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from cbow import formats
from cbow.errors import CbowError


class UnknownWordError(KeyError, CbowError):
    """A queried word is not in the vocabulary (a KeyError, as in gensim)."""

    def __str__(self) -> str:  # KeyError would show the repr of the message
        return str(self.args[0]) if self.args else ""


class KeyedVectors:
    """Words with one vector each, and similarity queries over them.

    Parameters
    ----------
    index_to_key : list of V words (index order; most frequent first for trained vectors)
    vectors : (V, d) float array
    counts : (V,) int, optional word counts (kept when known)
    """

    def __init__(self, index_to_key: Sequence[str], vectors: np.ndarray,
                 counts: np.ndarray | None = None) -> None:
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or len(index_to_key) != vectors.shape[0]:
            raise ValueError(f"{len(index_to_key)} words but vectors of shape {vectors.shape}")
        self.index_to_key: list[str] = list(index_to_key)
        self.key_to_index: dict[str, int] = {word: i for i, word in enumerate(self.index_to_key)}
        self.vectors = vectors
        self.counts = None if counts is None else np.asarray(counts)
        self._normed: np.ndarray | None = None

    # -- construction and files -------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, binary: bool | None = None) -> "KeyedVectors":
        """Load word2vec text or binary vectors (format detected from the content)."""
        words, vectors = formats.load_word2vec_format(path, binary=binary)
        return cls(words, vectors)

    load_word2vec_format = load

    def save_word2vec_format(self, path: str | Path, binary: bool | None = None) -> None:
        """Write word2vec binary, or text when `binary=False` or the suffix is .txt/.vec."""
        formats.save_word2vec_format(path, self.index_to_key, self.vectors, binary=binary)

    save = save_word2vec_format

    # -- lookups ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: str) -> bool:
        return word in self.key_to_index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.get_vector(word)

    @property
    def vector_size(self) -> int:
        return self.vectors.shape[1]

    def get_index(self, word: str) -> int:
        """Row of `word`; raises UnknownWordError suggesting close spellings."""
        try:
            return self.key_to_index[word]
        except KeyError:
            raise UnknownWordError(self._unknown_message(word)) from None

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        """The (d,) vector of `word` (unit length when `norm`), read-only."""
        matrix = self.get_normed_vectors() if norm else self.vectors
        row = matrix[self.get_index(word)].view()
        row.flags.writeable = False
        return row

    def get_normed_vectors(self) -> np.ndarray:
        """(V, d) float32 rows scaled to unit L2 norm (zero rows stay zero); made once."""
        if self._normed is None:
            vectors = np.asarray(self.vectors, dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            self._normed = vectors / np.where(norms > 0, norms, 1.0)
            self._normed.flags.writeable = False
        return self._normed

    def _unknown_message(self, word: str) -> str:
        candidates = [w for w in self.index_to_key[:200_000] if w[:1] == word[:1]] or self.index_to_key[:50_000]
        close = difflib.get_close_matches(word, candidates, n=3)
        hint = f"; did you mean {', '.join(repr(w) for w in close)}?" if close else "; check the spelling"
        return f"word {word!r} is not in the vocabulary ({len(self):,} words){hint}"

    # -- similarity queries ------------------------------------------------------------
    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words."""
        return float(self.get_vector(word1, norm=True) @ self.get_vector(word2, norm=True))

    def most_similar(
        self,
        positive: str | Iterable[str] | None = None,
        negative: str | Iterable[str] | None = None,
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """Words closest in cosine to the mean of `positive` minus `negative` unit vectors.

        Mirrors gensim's `most_similar` (3CosAdd for analogies): the query words
        themselves are excluded from the result.

        Parameters
        ----------
        positive, negative : a word or words
        topn : how many neighbours to return
        restrict_vocab : search only the first N words (the most frequent)

        Returns
        -------
        list of (word, cosine similarity), best first
        """
        positive = [positive] if isinstance(positive, str) else list(positive or [])
        negative = [negative] if isinstance(negative, str) else list(negative or [])
        if not positive and not negative:
            raise ValueError("most_similar needs at least one positive or negative word")
        normed = self.get_normed_vectors()
        query = np.zeros(self.vector_size, dtype=np.float32)
        for word in positive:
            query += normed[self.get_index(word)]
        for word in negative:
            query -= normed[self.get_index(word)]
        exclude = {self.key_to_index[w] for w in positive + negative}
        return self._top_by_vector(query, topn, restrict_vocab, exclude)

    def similar_by_vector(self, vector: np.ndarray, topn: int = 10,
                          restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Words closest in cosine to an arbitrary (d,) vector."""
        return self._top_by_vector(np.asarray(vector, dtype=np.float32), topn, restrict_vocab, set())

    def _top_by_vector(self, query: np.ndarray, topn: int, restrict_vocab: int | None,
                       exclude: set[int]) -> list[tuple[str, float]]:
        norm = float(np.linalg.norm(query))
        if norm > 0:
            query = query / norm
        normed = self.get_normed_vectors()
        limit = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
        scores = normed[:limit] @ query
        for index in exclude:
            if index < limit:
                scores[index] = -np.inf
        n_take = max(0, min(topn, limit - len([i for i in exclude if i < limit])))
        if n_take == 0:
            return []
        top = np.argpartition(-scores, n_take - 1)[:n_take]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.index_to_key[i], float(scores[i])) for i in top]
