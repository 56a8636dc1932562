"""Similarities between given words: pairs, sets, centroids, and the Word Mover's Distance.

`PairwiseSimilarity` is a part of `cbow.vectors.keyed.KeyedVectors` (a mixin: the class
brings `vectors`, `index_to_key`, `get_index`, `get_vector`, `unit_scale` and the
neighbour search). Each method keeps gensim 4.4's arguments, results and errors; with
unit rows v_i = W[i] / ||W[i]||:

    similarity(a, b)            = v_a . v_b                 distance(a, b) = 1 - similarity(a, b)
    distances(a, others)        = 1 - cos(W[a], W[o])  for each o (every row when `others` is empty)
    get_mean_vector(keys, w)    = sum_k w_k x_k / sum_k |w_k|     x_k = v_k (pre_normalize) or W[k];
                                  a vector key enters as it is; unit length with post_normalize
    n_similarity(A, B)          = cos(mean_{a in A} W[a], mean_{b in B} W[b])   (raw rows, as gensim)
    rank_by_centrality(words)   = [(v_w . unit(mean_w v_w), w)], highest first
    doesnt_match(words)         = the last of rank_by_centrality: the word furthest from the centroid
    relative_cosine_similarity(a, b, n) = similarity(a, b) / sum of a's n best neighbours' similarities
                                  (Leeuwenberg et al. 2016)
    wmdistance(doc1, doc2)      = Word Mover's Distance over unit (norm=True) or raw rows (cbow.vectors.wmd)

Unknown words: `similarity`, `distance(s)` and `get_mean_vector(ignore_missing=False)` raise
UnknownWordError (a KeyError); `n_similarity`, `rank_by_centrality`, `doesnt_match`,
`wmdistance` leave them out with a logged warning, as gensim does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from cbow.vectors.unknown_words import EmptyQueryError, EmptySetError, NoWordsError

logger = logging.getLogger(__name__)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


class PairwiseSimilarity:
    """similarity, distance(s), cosine_similarities, get_mean_vector, n_similarity,
    rank_by_centrality, doesnt_match, most_similar_to_given, relative_cosine_similarity, wmdistance."""

    def similarity(self, w1, w2) -> float:
        """Cosine similarity of two keys."""
        return float(self.get_vector(w1, norm=True) @ self.get_vector(w2, norm=True))

    def distance(self, w1, w2) -> float:
        """Cosine distance of two keys: 1 - similarity."""
        return 1.0 - self.similarity(w1, w2)

    @staticmethod
    def cosine_similarities(vector_1: np.ndarray, vectors_all: np.ndarray) -> np.ndarray:
        """(n,) cosines between a (d,) vector and each row of (n, d) `vectors_all` (nan for a
        zero vector, as gensim)."""
        vector_1, vectors_all = np.asarray(vector_1), np.asarray(vectors_all)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (vectors_all @ vector_1) / (np.linalg.norm(vector_1) * np.linalg.norm(vectors_all, axis=1))

    def distances(self, word_or_vector, other_words: Sequence = ()) -> np.ndarray:
        """(n,) cosine distances from a key or (d,) vector to `other_words` (every key, itself
        included, when empty)."""
        if isinstance(word_or_vector, np.ndarray):
            query = _unit(np.asarray(word_or_vector, dtype=np.float64)).astype(np.float32)
        else:
            query = self.get_vector(word_or_vector, norm=True)
        if other_words is None or not len(other_words):
            return 1 - self._scores(query[None, :], 0, len(self))[0]
        rows = np.array([self.get_index(word) for word in other_words], dtype=np.int64)
        return 1 - (self.vectors[rows] @ query.astype(self.vectors.dtype)) * self.unit_scale()[rows]

    def get_mean_vector(self, keys, weights=None, pre_normalize: bool = True, post_normalize: bool = False,
                        ignore_missing: bool = True) -> np.ndarray:
        """The weighted mean of keys' rows (or of vectors given as keys), as gensim's.

        Parameters
        ----------
        keys : keys (str or int) or (d,) vectors, or a (n, d) matrix of vectors
        weights : (n,) weights, default all 1; the mean divides by the sum of their absolute values
        pre_normalize : take each key's unit row (vectors given are used as they are)
        post_normalize : return the mean at unit length
        ignore_missing : leave unknown keys out (False: raise UnknownWordError, a KeyError)

        Returns
        -------
        (d,) float32

        Raises
        ------
        EmptyQueryError : no keys (a ValueError), or weights of another length
        """
        if len(keys) == 0:
            raise EmptyQueryError("cannot compute a mean of no keys; give at least one key or vector")
        weights = np.ones(len(keys)) if weights is None else np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(keys),):
            raise EmptyQueryError(f"{len(keys)} keys but {weights.size} weights; give one weight per key")
        total = np.zeros(self.vector_size, dtype=np.float64)
        total_weight = 0.0
        for key, weight in zip(keys, weights.tolist()):
            if isinstance(key, np.ndarray):
                total += weight * key
            elif key in self:
                total += weight * self.get_vector(key, norm=pre_normalize)
            elif ignore_missing:
                continue
            else:
                self.get_index(key)  # raises UnknownWordError, with a suggestion
            total_weight += abs(weight)
        mean = total / total_weight if total_weight > 0 else total
        return (_unit(mean) if post_normalize else mean).astype(np.float32)

    def _known(self, words: Sequence, what: str) -> list:
        known = [word for word in words if word in self]
        if len(known) != len(words):
            logger.warning("%s: leaving out words not in the vocabulary: %s", what,
                           sorted({repr(word) for word in words if word not in self})[:10])
        return known

    def n_similarity(self, ws1: Sequence, ws2: Sequence) -> float:
        """Cosine similarity of the means of two key sets (raw rows, as gensim; unknown keys left out)."""
        if not (len(ws1) and len(ws2)):
            raise EmptySetError("n_similarity needs at least one word on each side")
        mean1 = self.get_mean_vector(self._known(ws1, "n_similarity") or [np.zeros(self.vector_size)],
                                     pre_normalize=False)
        mean2 = self.get_mean_vector(self._known(ws2, "n_similarity") or [np.zeros(self.vector_size)],
                                     pre_normalize=False)
        return float(_unit(mean1.astype(np.float64)) @ _unit(mean2.astype(np.float64)))

    def rank_by_centrality(self, words: Sequence, use_norm: bool = True) -> list[tuple[float, str]]:
        """The words ranked by cosine to their centroid: [(similarity, word)], most central first.

        Raises
        ------
        NoWordsError : none of the words is known (a KeyError and a ValueError)
        """
        used = self._known(words, "rank_by_centrality")
        if not used:
            raise NoWordsError(f"none of {list(words)!r} is in the vocabulary; check the spelling")
        rows = np.vstack([self.get_vector(word, norm=use_norm) for word in used]).astype(np.float32)
        centroid = _unit(rows.astype(np.float64).mean(axis=0)).astype(np.float32)
        return sorted(zip((rows @ centroid).tolist(), used), reverse=True)

    def doesnt_match(self, words: Sequence) -> str:
        """The word furthest from the centroid of the (unit) vectors of `words`; unknown
        words are left out with a warning, as gensim does."""
        return self.rank_by_centrality(words)[-1][1]

    def most_similar_to_given(self, key1, keys_list: Sequence):
        """The key of `keys_list` most similar to `key1`."""
        return keys_list[int(np.argmax([self.similarity(key1, key) for key in keys_list]))]

    def relative_cosine_similarity(self, wa, wb, topn: int = 10) -> float:
        """similarity(wa, wb) over the summed similarities of wa's `topn` neighbours
        (Leeuwenberg et al. 2016: above ~0.1 for topn=10, wb is likelier a synonym than chance)."""
        neighbours = self.similar_by_word(wa, topn)
        if not neighbours:
            raise EmptyQueryError("relative_cosine_similarity needs at least one neighbour; give topn >= 1")
        return self.similarity(wa, wb) / sum(score for _, score in neighbours)

    def wmdistance(self, document1: Sequence, document2: Sequence, norm: bool = True) -> float:
        """Word Mover's Distance between two token lists (cbow.vectors.wmd), over unit rows
        (`norm`) or raw ones. Unknown words are left out; a document left empty gives inf,
        as gensim; two documents of one same word give 0."""
        from cbow.vectors.wmd import bag_of_words, transport_cost  # scipy.optimize: only when asked for

        document1 = self._known(list(document1), "wmdistance")
        document2 = self._known(list(document2), "wmdistance")
        if not document1 or not document2:
            logger.warning("wmdistance: a document has no word in the vocabulary; the distance is inf")
            return float("inf")
        words1, weights1 = bag_of_words(document1)
        words2, weights2 = bag_of_words(document2)
        vectors1 = np.vstack([self.get_vector(word, norm=norm) for word in words1])
        vectors2 = np.vstack([self.get_vector(word, norm=norm) for word in words2])
        return transport_cost(vectors1, weights1, vectors2, weights2)
