"""KeyedVectors: words and their vectors, and the nearest-neighbour queries over them.

Names follow gensim's `KeyedVectors` so users' habits carry over (`most_similar`,
`most_similar_cosmul`, `similarity`, `n_similarity`, `doesnt_match`, `rank`,
`index_to_key`, `key_to_index`, `vectors`). The unit-normalised matrix is made once,
lazily, and never mutated by a query. Top-n uses `argpartition` (O(V), not a full
sort); many queries at once are one (Q x d) @ (d x V) matrix product.

The math, with unit rows v_i = W[i] / ||W[i]||:

    most_similar (3CosAdd):  q = sum_{p in pos} v_p - sum_{n in neg} v_n
                             score_i = v_i . q / ||q||
    most_similar_cosmul:     cos'_i(w) = (1 + v_i . v_w) / 2           (shifted to [0, 1])
    (3CosMul, Levy & Goldberg 2014)
                             score_i = prod_{p in pos} cos'_i(p) / (prod_{n in neg} cos'_i(n) + 1e-6)

The query words themselves are never returned, as in gensim and word2vec's `distance`.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from cbow.errors import CbowError, FormatError
from cbow.numerics import COSMUL_EPSILON
from cbow.vectors import formats
from cbow.vectors.not_vectors import describe_text
from cbow.vectors.spelling import resolve_word

logger = logging.getLogger(__name__)

QUERY_BLOCK = 256  # queries per matrix product in batched search


class UnknownWordError(KeyError, CbowError):
    """A queried word is not in the vocabulary (a KeyError, as in gensim)."""

    def __str__(self) -> str:  # KeyError would show the repr of the message
        return str(self.args[0]) if self.args else ""


@contextlib.contextmanager
def _corpus_explained(path: str | Path) -> Iterator[None]:
    """Turn a load's FormatError into "looks like a text corpus" when the file is one (not_vectors)."""
    try:
        yield
    except FormatError as error:
        evidence = None if Path(path).is_dir() else describe_text(path)
        if evidence is None:
            raise
        raise FormatError(f"{path}: looks like a text corpus, not a vectors file ({evidence}); train on it with "
                          f"'cbow train {path}' and query the vectors that writes") from error


def _as_list(words: str | np.ndarray | Iterable | None) -> list:
    if words is None:
        return []
    if isinstance(words, (str, np.ndarray)):
        return [words]
    return list(words)


class KeyedVectors:
    """Words with one vector each, and similarity queries over them.

    Parameters
    ----------
    index_to_key : list of V words (index order; most frequent first for trained vectors)
    vectors : (V, d) float array (float32 for trained or loaded vectors; may be a memory map)
    counts : (V,) int, optional word counts (kept when known)
    config : dict, optional training settings stored with the vectors by the cbow format
    """

    def __init__(self, index_to_key: Sequence[str], vectors: np.ndarray,
                 counts: np.ndarray | None = None, config: dict | None = None) -> None:
        if not isinstance(vectors, np.ndarray):  # an np.memmap is kept as it is
            vectors = np.asarray(vectors)
        if vectors.ndim != 2 or len(index_to_key) != vectors.shape[0]:
            raise ValueError(f"{len(index_to_key)} words but vectors of shape {vectors.shape}")
        self.index_to_key: list[str] = list(index_to_key)
        self.key_to_index: dict[str, int] = {word: i for i, word in enumerate(self.index_to_key)}
        self.vectors = vectors
        self.counts = None if counts is None else np.asarray(counts)
        self.config = dict(config or {})
        self._normed: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self):,} words, dim {self.vector_size})"

    # -- construction and files -------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, mmap: str | None = None, binary: bool | None = None,
             format: str | None = None) -> "KeyedVectors":
        """Load vectors of any supported format, detected from the content.

        Parameters
        ----------
        path : word2vec binary/text, fastText .vec, GloVe text (no header), or a .cbow directory
        mmap : 'r' memory-maps the matrix of a .cbow directory read-only (other formats
            are parsed into memory)
        binary : force word2vec binary (True) or text (False)
        format : force a format: 'word2vec', 'word2vec-text', 'glove', 'cbow'

        Raises
        ------
        FormatError : missing, truncated, malformed or non-finite file (names file and line/byte);
            a text corpus given by mistake is named as such
        """
        if binary is not None and format is None:
            format = "word2vec" if binary else "word2vec-text"
        with _corpus_explained(path):
            words, vectors, counts, config = formats.load_vectors(path, fmt=format, mmap=mmap)
        return cls(words, vectors, counts=counts, config=config)

    @classmethod
    def load_word2vec_format(cls, path: str | Path, binary: bool | None = None) -> "KeyedVectors":
        """Load word2vec text or binary (gensim's spelling; `load` detects every format)."""
        with _corpus_explained(path):
            words, vectors = formats.load_word2vec_format(path, binary=binary)
        return cls(words, vectors)

    def save_word2vec_format(self, path: str | Path, binary: bool | None = None) -> formats.OutputFormat:
        """Write word2vec binary (`binary=True`) or text (`False`); None decides by the name
        (.bin binary, .txt/.vec text, + .gz gzipped; "-" standard output). Returns the format."""
        return formats.save_word2vec_format(path, self.index_to_key, self.vectors, binary=binary)

    def save(self, path: str | Path, format: str | formats.OutputFormat | None = None) -> formats.OutputFormat:
        """Write in `format`, by default the one the name asks for (cbow.vectors.format_names:
        .bin, .txt/.vec, .glove, .cbow, .tsv, each + .gz but .cbow; "-" = standard output);
        a name that says no format is refused unless `format` names one.

        Returns the OutputFormat written. Only the cbow format keeps counts and config.
        """
        return formats.save_vectors(path, self.index_to_key, self.vectors, counts=self.counts,
                                    fmt=format, config=self.config)

    # -- lookups ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: str) -> bool:
        return word in self.key_to_index

    def has_index_for(self, word: str) -> bool:
        return word in self.key_to_index

    def __getitem__(self, word: str | Sequence[str]) -> np.ndarray:
        """The vector of a word, or a (n, d) matrix for a list of words (as gensim)."""
        if isinstance(word, str):
            return self.get_vector(word)
        return np.vstack([self.get_vector(w) for w in word])

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
        """(V, d) float32 rows scaled to unit L2 norm (zero rows stay zero); made once, read-only."""
        if self._normed is None:
            normed = np.array(self.vectors, dtype=np.float32)  # a copy, also of a memory map
            norms = np.linalg.norm(normed, axis=1, keepdims=True)
            normed /= np.where(norms > 0, norms, 1.0)
            normed.flags.writeable = False
            self._normed = normed
        return self._normed

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

    def _unknown_message(self, word: str) -> str:
        form = resolve_word(self, word)  # 'King' -> 'king' is the likeliest meaning, not a close spelling
        if form is not None:
            return f"word {word!r} is not in the vocabulary ({len(self):,} words); did you mean {form!r}?"
        initial = word[:1].lower()
        candidates = ([w for w in self.index_to_key[:200_000] if w[:1].lower() == initial]
                      or self.index_to_key[:50_000])
        close = difflib.get_close_matches(word, candidates, n=3)
        hint = f"; did you mean {', '.join(repr(w) for w in close)}?" if close else "; check the spelling"
        return f"word {word!r} is not in the vocabulary ({len(self):,} words){hint}"

    def _limit(self, restrict_vocab: int | None) -> int:
        return len(self) if restrict_vocab is None else max(0, min(int(restrict_vocab), len(self)))

    # -- pairwise --------------------------------------------------------------------------
    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words."""
        return float(self.get_vector(word1, norm=True) @ self.get_vector(word2, norm=True))

    def n_similarity(self, words1: Sequence[str], words2: Sequence[str]) -> float:
        """Cosine similarity of the means of two word sets (raw vectors, as gensim)."""
        if not len(words1) or not len(words2):
            raise ValueError("n_similarity needs at least one word on each side")
        mean1 = self[list(words1)].astype(np.float64).mean(axis=0)
        mean2 = self[list(words2)].astype(np.float64).mean(axis=0)
        denominator = np.linalg.norm(mean1) * np.linalg.norm(mean2)
        return float(mean1 @ mean2 / denominator) if denominator > 0 else 0.0

    def distances(self, word: str, others: Sequence[str] = ()) -> np.ndarray:
        """1 - cosine between `word` and `others` (all words when empty): (n,) float32."""
        normed = self.get_normed_vectors()
        query = normed[self.get_index(word)]
        rows = normed if not others else normed[[self.get_index(w) for w in others]]
        return 1 - rows @ query

    def rank(self, word1: str, word2: str) -> int:
        """Rank of `word2` among the neighbours of `word1` (1 = the nearest), as gensim."""
        normed = self.get_normed_vectors()
        index1, index2 = self.get_index(word1), self.get_index(word2)
        scores = normed @ normed[index1]
        closer = scores > scores[index2]
        closer[index1] = False
        return int(closer.sum()) + 1

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word furthest from the mean of the (unit) vectors of `words`.

        Unknown words are ignored with a warning, as gensim does.
        """
        known = [w for w in words if w in self.key_to_index]
        if len(known) != len(words):
            logger.warning("doesnt_match: ignoring unknown words %s", sorted(set(words) - set(known)))
        if not known:
            raise UnknownWordError(f"none of {list(words)!r} is in the vocabulary; check the spelling")
        rows = self.get_normed_vectors()[[self.key_to_index[w] for w in known]]
        mean = rows.mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        return known[int(np.argmin(rows @ mean))]

    # -- neighbour queries -------------------------------------------------------------------
    def _query_vector(self, positive: list, negative: list) -> tuple[np.ndarray, set[int]]:
        """Unit query sum(pos) - sum(neg) over unit vectors; the word rows to exclude."""
        if not positive and not negative:
            raise ValueError("most_similar needs at least one positive or negative word")
        normed = self.get_normed_vectors()
        query = np.zeros(self.vector_size, dtype=np.float32)
        exclude: set[int] = set()
        for sign, terms in ((1.0, positive), (-1.0, negative)):
            for term in terms:
                if isinstance(term, str):
                    index = self.get_index(term)
                    exclude.add(index)
                    query += sign * normed[index]
                else:
                    vector = np.asarray(term, dtype=np.float32)
                    query += sign * vector / max(float(np.linalg.norm(vector)), 1e-12)
        norm = float(np.linalg.norm(query))
        return (query / norm if norm > 0 else query), exclude

    def most_similar(
        self,
        positive: str | Iterable[str] | None = None,
        negative: str | Iterable[str] | None = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """Words closest in cosine to the sum of `positive` minus `negative` unit vectors.

        Mirrors gensim's `most_similar` (3CosAdd for analogies): the query words
        themselves are excluded from the result.

        Parameters
        ----------
        positive, negative : a word or words (or (d,) vectors)
        topn : how many neighbours to return; None returns the (limit,) float32 scores of all words
        restrict_vocab : search only the first N words (the most frequent); None = all

        Returns
        -------
        list of (word, cosine similarity), best first
        """
        query, exclude = self._query_vector(_as_list(positive), _as_list(negative))
        scores = self.get_normed_vectors()[: self._limit(restrict_vocab)] @ query
        if topn is None:
            return scores
        return self._top(scores[None, :], topn, [exclude])[0]

    def most_similar_cosmul(
        self,
        positive: str | Iterable[str] | None = None,
        negative: str | Iterable[str] | None = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """3CosMul neighbours (Levy & Goldberg 2014), as gensim's `most_similar_cosmul`.

        score_i = prod_p (1 + cos(i, p))/2 / (prod_n (1 + cos(i, n))/2 + 1e-6); query words excluded.
        """
        positive, negative = _as_list(positive), _as_list(negative)
        if not positive:
            raise ValueError("most_similar_cosmul needs at least one positive word")
        normed = self.get_normed_vectors()[: self._limit(restrict_vocab)]
        exclude = {self.get_index(t) for t in positive + negative if isinstance(t, str)}

        def shifted_cosines(term) -> np.ndarray:
            if isinstance(term, str):
                vector = self.get_normed_vectors()[self.get_index(term)]
            else:
                vector = np.asarray(term, dtype=np.float32)
                vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
            return (1 + normed @ vector) / 2

        numerator = np.prod([shifted_cosines(t) for t in positive], axis=0)
        denominator = np.prod([shifted_cosines(t) for t in negative], axis=0) if negative else 0.0
        scores = numerator / (denominator + COSMUL_EPSILON)
        if topn is None:
            return scores
        return self._top(scores[None, :], topn, [exclude])[0]

    def similar_by_vector(self, vector: np.ndarray, topn: int = 10,
                          restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Words closest in cosine to an arbitrary (d,) vector (no word excluded)."""
        return self.similar_by_vectors(np.asarray(vector)[None, :], topn, restrict_vocab)[0]

    def similar_by_word(self, word: str, topn: int = 10, restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Neighbours of one word (gensim's name; same as most_similar(word))."""
        return self.most_similar(word, topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_vectors(self, vectors: np.ndarray, topn: int = 10, restrict_vocab: int | None = None,
                           exclude: Sequence[Iterable[int]] | None = None) -> list[list[tuple[str, float]]]:
        """Neighbours of many (Q, d) query vectors at once: one matrix product, one argpartition.

        `exclude[q]` lists word rows never returned for query q.
        """
        queries = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if queries.shape[1] != self.vector_size:
            raise ValueError(f"query vectors have {queries.shape[1]} dimensions, the vectors {self.vector_size}")
        norms = np.linalg.norm(queries, axis=1, keepdims=True)
        queries = queries / np.where(norms > 0, norms, 1.0)
        normed = self.get_normed_vectors()[: self._limit(restrict_vocab)]
        exclude = list(exclude) if exclude is not None else [()] * len(queries)
        found: list[list[tuple[str, float]]] = []
        for start in range(0, len(queries), QUERY_BLOCK):  # bounds memory to QUERY_BLOCK x V scores
            scores = queries[start:start + QUERY_BLOCK] @ normed.T
            found += self._top(scores, topn, exclude[start:start + QUERY_BLOCK])
        return found

    def most_similar_many(self, words: Sequence[str], topn: int = 10,
                          restrict_vocab: int | None = None) -> list[list[tuple[str, float]]]:
        """`most_similar(word)` for many words, batched into one matrix product."""
        rows = [self.get_index(word) for word in words]
        queries = self.get_normed_vectors()[rows]
        return self.similar_by_vectors(queries, topn, restrict_vocab, exclude=[(row,) for row in rows])

    def evaluate_word_analogies(self, path: str | Path, restrict_vocab: int | None = 30000,
                                case_insensitive: bool = True, method: str = "3CosAdd"):
        """`cbow.vectors.evaluate.evaluate_word_analogies` on these vectors, as a method like gensim's
        (note the default `restrict_vocab` of 30,000 words, the usual reporting setting,
        where gensim's is 300,000). Returns its AnalogyResult (`.accuracy`, `.sections`)."""
        from cbow.vectors.evaluate import evaluate_word_analogies  # evaluate imports this module

        return evaluate_word_analogies(self, path, restrict_vocab=restrict_vocab,
                                       case_insensitive=case_insensitive, method=method)

    def evaluate_word_pairs(self, path: str | Path, restrict_vocab: int | None = 300000,
                            case_insensitive: bool = True):
        """`cbow.vectors.evaluate.evaluate_word_pairs` on these vectors, as a method like gensim's.
        Returns its PairsResult (`.spearman`, `.pearson`, `.oov_ratio`)."""
        from cbow.vectors.evaluate import evaluate_word_pairs

        return evaluate_word_pairs(self, path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)

    def _top(self, scores: np.ndarray, topn: int, exclude: Sequence[Iterable[int]]) -> list[list[tuple[str, float]]]:
        """Best `topn` columns of each row of (Q, n) `scores`, skipping excluded columns.

        `scores` must be a fresh array: excluded entries are overwritten with -inf in place.
        """
        n_queries, n_columns = scores.shape
        if topn < 1 or n_columns == 0:
            return [[] for _ in range(n_queries)]
        for query_row, columns in enumerate(exclude):
            columns = [c for c in columns if c < n_columns]
            scores[query_row, columns] = -np.inf
        n_take = min(topn, n_columns)
        if n_take < n_columns:  # the n_take largest end up last: no negated copy of the scores
            top = np.argpartition(scores, n_columns - n_take, axis=1)[:, n_columns - n_take:]
        else:
            top = np.broadcast_to(np.arange(n_columns), (n_queries, n_columns))
        top_scores = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_scores = np.take_along_axis(top_scores, order, axis=1)
        return [
            [(self.index_to_key[i], float(s)) for i, s in zip(row_ids, row_scores) if s != -np.inf]
            for row_ids, row_scores in zip(top.tolist(), top_scores.tolist())
        ]
