"""Vectors that answer for any word: KeyedVectors of a model with character n-grams (subwords).

A word's vector is the mean of its rows, as fastText's getWordVector computes it
(cbow.data.subwords has the n-grams and the hash):

    in the vocabulary:  v(w) = (vectors_vocab[w] + sum_{g in ngrams(w)} vectors_ngrams[b(g)]) / (1 + |ngrams(w)|)
    unseen:             v(w) = (sum_{g in ngrams(w)} vectors_ngrams[b(g)]) / |ngrams(w)|
                        (zero, with a warning, when w has no n-gram: fastText's and gensim's choice)

`vectors` holds v(w) of the vocabulary (what fastText's .vec holds), so every query of
KeyedVectors searches the vocabulary as before; an unseen query word gets v(w) from its
n-grams. Membership follows gensim's FastTextKeyedVectors: `"w" in wv` is True for every
word when the vectors have n-grams (a vector can be made for it), vocabulary membership
otherwise; `key_to_index`, `index_to_key`, `has_index_for` and `get_index` are the
vocabulary only. `get_subwords(word)` gives a word's n-grams and rows, as fastText's
Python API does.

Files: a .bin is fastText's model file (cbow.vectors.fasttext_bin), which fastText and
gensim load with the same vectors, unseen words included; a .cbow directory adds
vectors_vocab.npy and vectors_ngrams.npy (memory-mappable) beside vectors.npy (v(w) of
the vocabulary, so any reader of vectors reads them as before) and a "subwords" entry in
vocab.json; text formats (.txt, .vec, .glove, .tsv) hold the vocabulary's v(w) only, as
fastText's .vec.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cbow.data.subwords import SubwordSpec, char_ngrams, ngram_rows, word_rows
from cbow.errors import ConfigError, FormatError
from cbow.vectors import cbowformat, formats
from cbow.vectors.fasttext_args import args_for, config_of
from cbow.vectors.fasttext_bin import FastTextModel, is_fasttext_bin, read_fasttext_bin, write_fasttext_bin
from cbow.vectors.keyed import KeyedVectors
from cbow.vectors.neighbours import as_terms
from cbow.vectors.unknown_words import NoWordsError

logger = logging.getLogger(__name__)

VOCAB_ROWS_FILE = "vectors_vocab.npy"
NGRAM_ROWS_FILE = "vectors_ngrams.npy"
HASH_NAME = "fasttext-fnv1a-32"  # vocab.json's name for cbow.data.subwords' n-grams and hash


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


class SubwordKeyedVectors(KeyedVectors):
    """Words with one vector each, n-gram vectors that make one for any other word, and the queries.

    Parameters
    ----------
    index_to_key : the V vocabulary words (most frequent first for trained vectors)
    vectors_vocab : (V, d) float32 the words' own input rows (gensim's vectors_vocab)
    vectors_ngrams : (spec.buckets, d) float32 the bucket rows (gensim's vectors_ngrams)
    spec : n-gram lengths and buckets (min_n, max_n, bucket are gensim's names for them)
    counts : (V,) word counts, optional
    config : training settings, optional
    vectors : (V, d) v(w) of the vocabulary when already known (a file keeps them); None
        computes them
    W_out : (V, d) the output layer of the model, kept so a fastText .bin written again
        keeps it; None writes zeros there
    ntokens : tokens of the training text, as a fastText .bin records it (None: sum of counts)
    """

    def __init__(self, index_to_key: Sequence[str], vectors_vocab: np.ndarray, vectors_ngrams: np.ndarray,
                 spec: SubwordSpec, counts: np.ndarray | None = None, config: dict | None = None,
                 vectors: np.ndarray | None = None, W_out: np.ndarray | None = None,
                 ntokens: int | None = None) -> None:
        n_words = len(index_to_key)
        if (vectors_vocab.ndim != 2 or vectors_vocab.shape[0] != n_words or vectors_ngrams.ndim != 2
                or vectors_ngrams.shape != (spec.buckets, vectors_vocab.shape[1])):
            raise ValueError(f"{n_words} words and {spec.buckets} buckets, but word rows {vectors_vocab.shape} "
                             f"and n-gram rows {vectors_ngrams.shape}")
        self.spec = spec
        self.vectors_vocab = vectors_vocab
        self.vectors_ngrams = vectors_ngrams
        self.W_out = W_out
        self.ntokens = ntokens
        if vectors is None:
            vectors = word_rows(index_to_key, spec).mean_vectors(vectors_vocab, vectors_ngrams)
        super().__init__(index_to_key, vectors, counts=counts, config=config)

    def __repr__(self) -> str:
        return (f"SubwordKeyedVectors({len(self):,} words, dim {self.vector_size}, n-grams {self.min_n}..{self.max_n} "
                f"in {self.bucket:,} buckets)")

    # gensim's names for the n-gram settings
    @property
    def min_n(self) -> int:
        return self.spec.min_n

    @property
    def max_n(self) -> int:
        return self.spec.max_n

    @property
    def bucket(self) -> int:
        return self.spec.buckets

    # -- words -----------------------------------------------------------------------------
    def __contains__(self, word: str) -> bool:
        """True for any word when there are n-grams (gensim's FastTextKeyedVectors), else
        when `word` is in the vocabulary. `has_index_for` asks for the vocabulary only."""
        return self.spec.enabled or word in self.key_to_index

    def ngram_count(self, word: str) -> int | None:
        """None for a vocabulary word; else how many n-grams make its vector (0: it is zero)."""
        if word in self.key_to_index:
            return None
        return len(char_ngrams(word, self.min_n, self.max_n)) if self.spec.enabled else 0

    def get_subwords(self, word: str) -> tuple[list[str], np.ndarray]:
        """(subwords, rows) as fastText's get_subwords: a vocabulary word first, then its n-grams
        ("<" and ">" mark the word's ends); rows index [vectors_vocab; vectors_ngrams]."""
        grams = char_ngrams(word, self.min_n, self.max_n) if self.spec.enabled else []
        names = [gram.decode("utf-8", "surrogateescape") for gram in grams]
        rows = ngram_rows(word, len(self), self.spec)
        if word in self.key_to_index:
            return [word] + names, np.concatenate([[self.key_to_index[word]], rows]).astype(np.int64)
        return names, rows

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        """v(word), read-only (unit length when `norm`): its row of `vectors` for a vocabulary
        word, else the mean of its n-gram rows (zero, with a warning, when it has none).

        Raises
        ------
        UnknownWordError : an unseen word and no n-grams in these vectors (max_n = 0)
        """
        if not isinstance(word, str) or word in self.key_to_index or not self.spec.enabled:
            return super().get_vector(word, norm=norm)  # a row, a vocabulary word, or no n-grams
        rows = ngram_rows(word, len(self), self.spec) - len(self)
        if len(rows) == 0:
            logger.warning("%r has no n-gram of %d..%d characters: its vector is zero", word, self.min_n, self.max_n)
            vector = np.zeros(self.vector_size, dtype=np.float32)
        else:
            vector = np.asarray(self.vectors_ngrams[rows], dtype=np.float32).mean(axis=0)
        vector = _unit(vector) if norm else vector
        vector.flags.writeable = False
        return vector

    def _term(self, term):
        """A query term as KeyedVectors takes it: a vocabulary word stays a word (excluded from
        the answers), an unseen word becomes its vector; a (term, weight) pair keeps its weight."""
        if isinstance(term, tuple):
            return (self._term(term[0]), term[1])
        return term if not isinstance(term, str) or term in self.key_to_index else self.get_vector(term)

    # -- queries: unseen words become their vectors, the vocabulary is searched ----------------
    def most_similar(self, positive=None, negative=None, topn: int | None = 10, clip_start: int = 0,
                     clip_end: int | None = None, restrict_vocab: int | None = None, indexer=None):
        return super().most_similar([self._term(t) for t in as_terms(positive)],
                                    [self._term(t) for t in as_terms(negative)], topn=topn, clip_start=clip_start,
                                    clip_end=clip_end, restrict_vocab=restrict_vocab, indexer=indexer)

    most_similar.__doc__ = KeyedVectors.most_similar.__doc__

    def most_similar_cosmul(self, positive=None, negative=None, topn: int | None = 10,
                            restrict_vocab: int | None = None):
        return super().most_similar_cosmul([self._term(t) for t in as_terms(positive)],
                                           [self._term(t) for t in as_terms(negative)], topn=topn,
                                           restrict_vocab=restrict_vocab)

    most_similar_cosmul.__doc__ = KeyedVectors.most_similar_cosmul.__doc__

    def most_similar_many(self, words: Sequence[str], topn: int = 10,
                          restrict_vocab: int | None = None) -> list[list[tuple[str, float]]]:
        """`most_similar(word)` for many words (unseen ones too), batched into one matrix product."""
        queries = np.vstack([self.get_vector(word, norm=True) for word in words]) if len(words) else \
            np.empty((0, self.vector_size), dtype=np.float32)
        exclude = [(self.key_to_index[word],) if word in self.key_to_index else () for word in words]
        return self.similar_by_vectors(queries, topn, restrict_vocab, exclude=exclude)

    def distances(self, word, others: Sequence[str] = ()) -> np.ndarray:
        """1 - cosine between `word` (or a vector) and `others` (all vocabulary words when
        empty), unseen words by their n-grams: (n,) float32."""
        query = _unit(np.asarray(word, dtype=np.float32)) if isinstance(word, np.ndarray) else \
            self.get_vector(word, norm=True)
        if others is None or not len(others):
            return 1 - self._scores(query[None, :], 0, len(self))[0]
        return 1 - np.vstack([self.get_vector(w, norm=True) for w in others]) @ query

    def closer_than(self, word1, word2) -> list:
        """Every vocabulary word closer to `word1` than `word2` is; either may be unseen."""
        query = self.get_vector(word1, norm=True)
        scores = self._scores(query[None, :], 0, len(self))[0]
        if isinstance(word2, str) and word2 in self.key_to_index:
            threshold = scores[self.key_to_index[word2]]  # the same rounding as the other rows
        else:
            threshold = float(self.get_vector(word2, norm=True) @ query)
        closer = scores > threshold
        if isinstance(word1, str) and word1 in self.key_to_index:
            closer[self.key_to_index[word1]] = False
        return [self.index_to_key[i] for i in np.flatnonzero(closer).tolist()]

    def rank(self, word1: str, word2: str) -> int:
        """Rank of `word2` among the vocabulary neighbours of `word1` (1 = the nearest); either may be unseen."""
        return len(self.closer_than(word1, word2)) + 1

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word furthest from the mean of the (unit) vectors of `words`; unseen words have
        theirs from n-grams (gensim's FastTextKeyedVectors uses them too)."""
        words = list(words)
        if not self.spec.enabled:
            return super().doesnt_match(words)
        if not words:
            raise NoWordsError("doesnt_match needs at least one word")
        rows = np.vstack([self.get_vector(word, norm=True) for word in words])
        return words[int(np.argmin(rows @ _unit(rows.mean(axis=0))))]

    def head(self, n_words: int) -> "SubwordKeyedVectors":
        """The first `n_words` words (the most frequent of trained vectors) with all the n-gram rows."""
        n_words = max(0, min(int(n_words), len(self)))
        return SubwordKeyedVectors(
            self.index_to_key[:n_words], self.vectors_vocab[:n_words], self.vectors_ngrams, self.spec,
            counts=None if self.counts is None else self.counts[:n_words], config=self.config,
            vectors=self.vectors[:n_words], W_out=None if self.W_out is None else self.W_out[:n_words],
            ntokens=self.ntokens)

    # -- files -------------------------------------------------------------------------------
    @classmethod
    def from_fasttext(cls, model: FastTextModel) -> "SubwordKeyedVectors":
        """The vectors of a fastText model read by cbow.vectors.fasttext_bin."""
        args, n_words = model.args, len(model.words)
        spec = SubwordSpec(args.minn, args.maxn, args.bucket)
        return cls(model.words, model.input_matrix[:n_words], model.input_matrix[n_words:], spec,
                   counts=model.counts, config=config_of(args, model.version), W_out=model.output_matrix,
                   ntokens=model.ntokens)

    def to_fasttext(self) -> FastTextModel:
        """These vectors as a fastText model (cbow.vectors.fasttext_bin): the input matrix is
        [vectors_vocab; vectors_ngrams], the output layer W_out (zeros when unknown)."""
        n_words, dim = len(self), self.vector_size
        args = args_for(self.config, dim, self.min_n, self.max_n, self.bucket)
        counts = self.counts if self.counts is not None else np.arange(n_words, 0, -1)  # most frequent first
        input_matrix = np.vstack([self.vectors_vocab, self.vectors_ngrams]) if args.bucket else self.vectors_vocab
        W_out = self.W_out if self.W_out is not None else np.zeros((n_words, dim), dtype=np.float32)
        ntokens = self.ntokens if self.ntokens is not None else int(np.sum(counts))
        return FastTextModel(args, list(self.index_to_key), np.asarray(counts, dtype=np.int64), ntokens,
                             input_matrix, W_out)

    @classmethod
    def load(cls, path: str | Path, mmap: str | None = None, binary: bool | None = None,
             format: str | None = None) -> "SubwordKeyedVectors":
        """Load vectors with n-grams: a fastText .bin (or .bin.gz), or a .cbow directory that has them.

        Parameters
        ----------
        mmap : 'r' memory-maps the matrices (a .cbow directory's, an uncompressed .bin's)
        binary, format : as KeyedVectors.load; only 'fasttext-bin' and 'cbow' hold n-grams (a
            word2vec file, which `binary` asks for, holds none)

        Raises
        ------
        FormatError : the file is damaged, or holds no n-gram vectors (then cbow.load reads it)
        """
        if binary is not None and format is None:
            format = "word2vec" if binary else "word2vec-text"
        fmt = formats.detect_format(path) if format is None else formats.canonical_format(format)
        if fmt == "fasttext-bin":
            return cls.from_fasttext(read_fasttext_bin(path, mmap=mmap))
        if fmt == "cbow" and cbowformat.is_cbow_dir(path) and "subwords" in cbowformat.load_meta(path):
            return cls._load_cbow(Path(path), mmap)
        raise FormatError(f"{path}: holds no n-gram vectors (a {fmt} file): load it with cbow.load or "
                          "KeyedVectors.load")

    @classmethod
    def _load_cbow(cls, path: Path, mmap: str | None) -> "SubwordKeyedVectors":
        meta = cbowformat.load_meta(path)
        words, counts, config = cbowformat.check_meta(path, meta)
        entry = meta["subwords"]
        if not isinstance(entry, dict) or entry.get("hash") != HASH_NAME:
            raise FormatError(f"{path / cbowformat.VOCAB_FILE}: \"subwords\" names no n-gram hash this cbow knows "
                              f"({HASH_NAME}); upgrade cbow")
        try:
            spec = SubwordSpec(entry.get("min_n"), entry.get("max_n"), entry.get("buckets"))
        except ConfigError as exc:
            raise FormatError(f"{path / cbowformat.VOCAB_FILE}: \"subwords\" is malformed ({exc}); "
                              "the file is corrupt") from None
        dim = meta["dim"]
        vectors = cbowformat.load_matrix(path, cbowformat.MATRIX_FILE, len(words), dim, mmap, row_names=words)
        vocab_rows = cbowformat.load_matrix(path, VOCAB_ROWS_FILE, len(words), dim, mmap, row_names=words)
        bucket_rows = cbowformat.load_matrix(path, NGRAM_ROWS_FILE, spec.buckets, dim, mmap)
        ntokens = entry.get("ntokens")
        return cls(words, vocab_rows, bucket_rows, spec, counts=counts, config=config, vectors=vectors,
                   ntokens=ntokens if isinstance(ntokens, int) else None)

    def save(self, path: str | Path, format: str | formats.OutputFormat | None = None) -> formats.OutputFormat:
        """Write in `format`, by default the one the name asks for: .bin is fastText's model
        file (the n-grams kept), .cbow our directory with them; .txt/.vec/.glove/.tsv hold
        the vocabulary's vectors only, as fastText's .vec; --to word2vec too, asked for outright.

        Returns the OutputFormat written.
        """
        output_format = formats.format_for_path(path, to=format, naming="format=", subwords=True)
        if output_format.name == "fasttext-bin":
            write_fasttext_bin(path, self.to_fasttext(), compressed=output_format.compressed)
        elif output_format.name == "cbow":
            subwords = {"hash": HASH_NAME, "min_n": self.min_n, "max_n": self.max_n, "buckets": self.bucket,
                        "vectors_vocab": VOCAB_ROWS_FILE, "vectors_ngrams": NGRAM_ROWS_FILE,
                        **({"ntokens": int(self.ntokens)} if self.ntokens is not None else {})}
            cbowformat.save(path, self.index_to_key, self.vectors, counts=self.counts, config=self.config,
                            matrices={VOCAB_ROWS_FILE: self.vectors_vocab, NGRAM_ROWS_FILE: self.vectors_ngrams},
                            subwords=subwords)
        else:
            logger.info("%s: %s holds the vocabulary's vectors only; the n-gram vectors are not written "
                        "(a .bin or .cbow output keeps them)", path, output_format)
            formats.save_vectors(path, self.index_to_key, self.vectors, counts=self.counts, fmt=output_format,
                                 config=self.config)
        return output_format


def load(path: str | Path, mmap: str | bool | None = None, binary: bool | None = None,
         format: str | None = None) -> KeyedVectors:
    """Load vectors of any supported format (`cbow.load`): SubwordKeyedVectors when the file
    has n-gram vectors (a fastText .bin, a .cbow directory with them), else KeyedVectors.

    Parameters and errors as KeyedVectors.load (mmap=True is 'r').
    """
    mmap = "r" if mmap is True else mmap
    named = None if format is None else formats.canonical_format(format)
    if binary is None and named in (None, "fasttext-bin", "cbow"):
        holds = _subword_format(path)
        if holds is not None and named in (None, holds) or named == "fasttext-bin":
            return SubwordKeyedVectors.load(path, mmap=mmap, format=named or holds)
    return KeyedVectors.load(path, mmap=mmap, binary=binary, format=format)


def _subword_format(path: str | Path) -> str | None:
    """'fasttext-bin' or 'cbow' when the file holds n-gram vectors, else None; cheap (the
    magic number, or vocab.json)."""
    if cbowformat.is_cbow_dir(path):
        try:
            return "cbow" if "subwords" in cbowformat.load_meta(path) else None
        except FormatError:
            return None  # KeyedVectors.load names the problem
    return "fasttext-bin" if Path(path).is_file() and is_fasttext_bin(path) else None


def has_subwords(path: str | Path) -> bool:
    """True when the file holds n-gram vectors (so a .bin output of it is fastText's)."""
    return _subword_format(path) is not None
