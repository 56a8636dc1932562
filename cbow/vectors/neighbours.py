"""Nearest-neighbour search over KeyedVectors: most_similar and the queries built on it.

`NeighbourSearch` is a part of `cbow.vectors.keyed.KeyedVectors` (a mixin: the class
brings `vectors`, `index_to_key`, `get_index`, `unit_scale` and `get_mean_vector`). Every
method keeps gensim 4.4's arguments and results. The search never makes a unit-normalised
copy of the matrix: with s_i = 1 / ||W[i]|| (0 for a zero row, `unit_scale`),

    most_similar (3CosAdd):  q = unit( sum_k w_k x_k / sum_k |w_k| )
                             x_k = W[key_k] s_key_k for a key, the vector itself for a vector
                             w_k = 1 for a positive, -1 for a negative, or the weight of a
                                   (key, weight) pair as given (gensim's rule, also in negative)
                             score_i = (W[i] . q) s_i                  = cos(W[i], q)
    most_similar_cosmul:     c_i(t) = (1 + (W[i] . t) s_i) / 2          t = unit key row, or the vector
    (3CosMul, Levy & Goldberg 2014)
                             score_i = prod_pos c_i(p) / (prod_neg c_i(n) + 1e-6)

so a memory-mapped matrix stays one copy in the page cache, shared by every process that
maps it; each process keeps only the (V,) scales. Top-n uses `argpartition` (O(V), not a
full sort); many queries at once (`similar_by_vectors`) are (Q x d) @ (d x ROW_BLOCK)
products, each cut to its best while in the cache. The query keys themselves are never
returned, as in gensim and word2vec's `distance`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from numbers import Integral

import numpy as np

from cbow.numerics import COSMUL_EPSILON
from cbow.vectors.unknown_words import EmptyQueryError, VectorSizeError

QUERY_BLOCK = 256  # queries per matrix product in batched search
ROW_BLOCK = 8192  # rows per product in batched search: a (256, 8192) float32 block is 8 MiB
KEY_TYPES = (str, int, np.integer)


def as_terms(value) -> list:
    """A query argument as a list of terms (gensim's `_ensure_list`): one key or one (d,)
    vector becomes a list of one; a (n, d) matrix a list of its rows; None an empty list."""
    if value is None:
        return []
    if isinstance(value, KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return list(value)
    return list(value)


class NeighbourSearch:
    """most_similar, most_similar_cosmul, similar_by_*, closer_than, rank, batched search."""

    def _weighted_terms(self, positive: list, negative: list) -> tuple[list, np.ndarray]:
        """The keys/vectors of a query and their weights: 1 and -1, or a pair's own weight."""
        terms, weights = [], []
        for default, items in ((1.0, positive), (-1.0, negative)):
            for item in items:
                if isinstance(item, (*KEY_TYPES, np.ndarray)):
                    terms.append(item)
                    weights.append(default)
                else:  # a (key or vector, weight) pair
                    term, weight = item
                    terms.append(term)
                    weights.append(float(weight))
        return terms, np.array(weights, dtype=np.float32)

    def _clip(self, clip_start: int, clip_end: int | None, restrict_vocab: int | None) -> tuple[int, int]:
        if restrict_vocab:
            return 0, min(int(restrict_vocab), len(self))
        return max(0, int(clip_start)), min(int(clip_end or len(self)), len(self))

    def most_similar(
        self,
        positive=None,
        negative=None,
        topn: int | None = 10,
        clip_start: int = 0,
        clip_end: int | None = None,
        restrict_vocab: int | None = None,
        indexer=None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """Keys closest in cosine to the weighted mean of `positive` minus `negative` (3CosAdd).

        Mirrors gensim's `most_similar` (the module docstring has the formula): the query
        keys themselves are excluded from the result.

        Parameters
        ----------
        positive, negative : a key (str, or int for a row), a (d,) vector, or a list of
            them; any item may be a (key or vector, weight) pair, the weight used as given
            (negative items default to -1)
        topn : how many neighbours; < 1 returns []; None returns the float32 scores of
            every key in the searched range
        clip_start, clip_end : search only rows [clip_start, clip_end) (clip_end None or 0: to the end)
        restrict_vocab : search only the first N rows (the most frequent); overrides the clips
        indexer : an approximate-search object with `most_similar(query_vector, topn)`
            (gensim's AnnoyIndexer protocol), asked instead when `topn` is an int

        Returns
        -------
        list of (key, cosine similarity), best first; or the (n,) scores when topn is None

        Raises
        ------
        UnknownWordError : a key is not in the vocabulary (a KeyError)
        EmptyQueryError : no positive and no negative term (a ValueError)
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        terms, weights = self._weighted_terms(as_terms(positive), as_terms(negative))
        if not terms:
            raise EmptyQueryError("most_similar needs at least one positive or negative word")
        query = self.get_mean_vector(terms, weights, pre_normalize=True, post_normalize=True, ignore_missing=False)
        if indexer is not None and isinstance(topn, int):
            return indexer.most_similar(query, topn)
        start, stop = self._clip(clip_start, clip_end, restrict_vocab)
        scores = self._scores(query[None, :], start, stop)[0]
        if not topn:
            return scores
        exclude = [self.get_index(term) - start for term in terms if isinstance(term, KEY_TYPES)]
        return self._top(scores[None, :], topn, [exclude], offset=start)[0]

    def most_similar_cosmul(self, positive=None, negative=None, topn: int | None = 10,
                            restrict_vocab: int | None = None) -> list[tuple[str, float]] | np.ndarray:
        """3CosMul neighbours (Levy & Goldberg 2014), as gensim's `most_similar_cosmul`.

        score_i = prod_p (1 + cos(i, p))/2 / (prod_n (1 + cos(i, n))/2 + 1e-6); query keys
        excluded. A vector term enters as it is (gensim's rule), a key by its unit row.
        `restrict_vocab` searches the first N rows (gensim 4.4 accepts it and searches all).
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive, negative = as_terms(positive), as_terms(negative)
        if not positive:
            raise EmptyQueryError("most_similar_cosmul needs at least one positive word")
        stop = self._limit(restrict_vocab)
        exclude = [self.get_index(t) for t in positive + negative if isinstance(t, KEY_TYPES)]

        def shifted_cosines(terms: list) -> np.ndarray:
            queries = np.vstack([self.get_vector(t, norm=True) if isinstance(t, KEY_TYPES)
                                 else np.asarray(t, dtype=np.float32) for t in terms])
            return (1 + self._scores(queries, 0, stop)) / 2

        numerator = np.prod(shifted_cosines(positive), axis=0)
        denominator = np.prod(shifted_cosines(negative), axis=0) if negative else 1.0  # an empty product
        scores = numerator / (denominator + COSMUL_EPSILON)
        if not topn:
            return scores
        return self._top(scores[None, :], topn, [exclude])[0]

    def similar_by_key(self, key, topn: int | None = 10, restrict_vocab: int | None = None):
        """Neighbours of one key (most_similar(key))."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_word(self, word, topn: int | None = 10, restrict_vocab: int | None = None):
        """Neighbours of one word (gensim's older name of similar_by_key)."""
        return self.similar_by_key(word, topn, restrict_vocab)

    def similar_by_vector(self, vector: np.ndarray, topn: int | None = 10, restrict_vocab: int | None = None):
        """Keys closest in cosine to a (d,) vector (no key excluded)."""
        return self.most_similar(positive=[np.asarray(vector)], topn=topn, restrict_vocab=restrict_vocab)

    def closer_than(self, key1, key2) -> list:
        """Every key closer in cosine to `key1` than `key2` is, `key1` left out, in row order."""
        index1, index2 = self.get_index(key1), self.get_index(key2)
        scores = self._scores(self.get_vector(index1, norm=True)[None, :], 0, len(self))[0]
        closer = scores > scores[index2]
        closer[index1] = False
        return [self.index_to_key[i] for i in np.flatnonzero(closer).tolist()]

    def words_closer_than(self, word1, word2) -> list:
        """closer_than under gensim's older name."""
        return self.closer_than(word1, word2)

    def rank(self, key1, key2) -> int:
        """Rank of `key2` among the neighbours of `key1` (1 = the nearest), as gensim."""
        return len(self.closer_than(key1, key2)) + 1

    def similar_by_vectors(self, vectors: np.ndarray, topn: int = 10, restrict_vocab: int | None = None,
                           exclude: Sequence[Iterable[int]] | None = None) -> list[list[tuple[str, float]]]:
        """Neighbours of many (Q, d) query vectors at once. `exclude[q]` lists rows never
        returned for query q.

        Blocks of QUERY_BLOCK queries meet the rows ROW_BLOCK at a time: each (Q, ROW_BLOCK)
        product is scaled and cut to its best `topn` per query while it is in the cache, and
        the blocks' best are merged: no (Q, V) array, and no pass over one in memory."""
        queries = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if queries.shape[1] != self.vector_size:
            raise VectorSizeError(f"query vectors have {queries.shape[1]} dimensions, the vectors {self.vector_size}")
        norms = np.linalg.norm(queries, axis=1, keepdims=True)
        queries = queries / np.where(norms > 0, norms, 1.0)
        stop = self._limit(restrict_vocab)
        exclude = list(exclude) if exclude is not None else [()] * len(queries)
        found: list[list[tuple[str, float]]] = []
        for start in range(0, len(queries), QUERY_BLOCK):
            found += self._best_by_row_blocks(queries[start:start + QUERY_BLOCK], stop, topn,
                                              exclude[start:start + QUERY_BLOCK])
        return found

    def _best_by_row_blocks(self, queries: np.ndarray, stop: int, topn: int,
                            exclude: Sequence[Iterable[int]]) -> list[list[tuple[str, float]]]:
        """`_top` of the (Q, stop) cosines, computed ROW_BLOCK rows at a time (similar_by_vectors)."""
        n_queries = len(queries)
        if topn < 1 or stop == 0 or n_queries == 0:
            return [[] for _ in range(n_queries)]
        excluded = [np.array([c for c in columns if 0 <= c < stop], dtype=np.int64) for columns in exclude]
        kept_rows, kept_scores = [], []
        for block_start in range(0, stop, ROW_BLOCK):
            block_stop = min(stop, block_start + ROW_BLOCK)
            scores = self._scores(queries, block_start, block_stop)
            for query_row, columns in enumerate(excluded):
                inside = columns[(columns >= block_start) & (columns < block_stop)]
                scores[query_row, inside - block_start] = -np.inf
            n_take = min(int(topn), block_stop - block_start)
            best = np.argpartition(scores, scores.shape[1] - n_take, axis=1)[:, scores.shape[1] - n_take:]
            kept_scores.append(np.take_along_axis(scores, best, axis=1))
            kept_rows.append(best + block_start)
        rows, scores = np.concatenate(kept_rows, axis=1), np.concatenate(kept_scores, axis=1)
        n_take = min(int(topn), scores.shape[1])
        best = np.argpartition(scores, scores.shape[1] - n_take, axis=1)[:, scores.shape[1] - n_take:]
        rows, scores = np.take_along_axis(rows, best, axis=1), np.take_along_axis(scores, best, axis=1)
        order = np.lexsort((rows, -scores), axis=1)  # best first; ties by row, as the one-block search
        rows, scores = np.take_along_axis(rows, order, axis=1), np.take_along_axis(scores, order, axis=1)
        keys = self.index_to_key
        return [[(keys[i], float(score)) for i, score in zip(row_ids, row_scores) if score != -np.inf]
                for row_ids, row_scores in zip(rows.tolist(), scores.tolist())]

    def most_similar_many(self, words: Sequence[str], topn: int = 10,
                          restrict_vocab: int | None = None) -> list[list[tuple[str, float]]]:
        """`most_similar(word)` for many words, batched into one matrix product."""
        rows = [self.get_index(word) for word in words]
        queries = (np.vstack([self.get_vector(row, norm=True) for row in rows]) if rows
                   else np.zeros((0, self.vector_size), dtype=np.float32))
        return self.similar_by_vectors(queries, topn, restrict_vocab, exclude=[(row,) for row in rows])

    # -- the two steps every search takes ------------------------------------------------
    def _scores(self, queries: np.ndarray, start: int, stop: int) -> np.ndarray:
        """(Q, stop - start) cosines of rows [start, stop) with unit `queries` (Q, d): the raw
        rows times the query, scaled by the rows' inverse norms (no normalised copy)."""
        rows = self.vectors[start:stop]
        queries = np.asarray(queries, dtype=rows.dtype)
        if len(queries) == 1:  # one matrix-vector product: the common case, and the fastest
            scores = (rows @ queries[0])[None, :]
        else:
            scores = queries @ rows.T
        scores *= self.unit_scale()[start:stop]
        return scores

    def _top(self, scores: np.ndarray, topn: int, exclude: Sequence[Iterable[int]],
             offset: int = 0) -> list[list[tuple[str, float]]]:
        """Best `topn` columns of each row of (Q, n) `scores`, skipping excluded columns;
        column j is row `offset + j` of the vectors.

        `scores` must be a fresh array: excluded entries are overwritten with -inf in place.
        """
        n_queries, n_columns = scores.shape
        if topn < 1 or n_columns == 0:
            return [[] for _ in range(n_queries)]
        for query_row, columns in enumerate(exclude):
            columns = [c for c in columns if 0 <= c < n_columns]
            scores[query_row, columns] = -np.inf
        n_take = min(int(topn), n_columns)
        if n_take < n_columns:  # the n_take largest end up last: no negated copy of the scores
            top = np.argpartition(scores, n_columns - n_take, axis=1)[:, n_columns - n_take:]
        else:
            top = np.broadcast_to(np.arange(n_columns), (n_queries, n_columns))
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_scores = np.take_along_axis(top_scores, order, axis=1)
        keys = self.index_to_key
        return [
            [(keys[offset + i], float(s)) for i, s in zip(row_ids, row_scores) if s != -np.inf]
            for row_ids, row_scores in zip(top.tolist(), top_scores.tolist())
        ]
