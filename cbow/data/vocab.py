"""The vocabulary: words with their counts, and what training derives from the counts.

A `Vocab` holds the kept words sorted by count, most frequent first (ties: the word seen
first in the corpus comes first), so a word's id is its rank. From the counts it derives
word2vec's subsampling keep-probabilities, the negative-sampling noise distribution
(count^0.75) and the Huffman tree of hierarchical softmax.

The Huffman tree of hierarchical softmax lives in `cbow.data.huffman`.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Collection, Iterator, Sequence

import numpy as np

from cbow.atomic import atomic_write
from cbow.data.corpus import CorpusStats, Source, describe_source, iter_text_blocks, iter_token_chunks, peek_sentences
from cbow.errors import ConfigError, CorpusError, VocabError
from cbow.data.huffman import HuffmanPaths, HuffmanTree, huffman_paths
from cbow.data.tokenize import Tokenizer, get_tokenizer
from cbow.data.word_list import WordList
from cbow.wording import counted

logger = logging.getLogger(__name__)

_COUNT_RE = re.compile(r"[0-9]+")
_FIX_FILE = "fix or regenerate the file with `cbow vocab`"


def check_vocab_settings(min_count: int, max_vocab: int | None) -> None:
    """Raise ConfigError unless min_count >= 0 and max_vocab is None or >= 1."""
    if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or (
        min_count < 0
    ):
        raise ConfigError(f"--min-count {min_count!r}: must be a whole number >= 0; try 5")
    if max_vocab is not None and (
        isinstance(max_vocab, bool)
        or not isinstance(max_vocab, (int, np.integer))
        or max_vocab < 1
    ):
        raise ConfigError(
            f"--max-vocab {max_vocab!r}: must be a positive whole number; leave it out "
            "to keep every word that reaches --min-count"
        )


def select_words(
    counts: np.ndarray, min_count: int = 5, max_vocab: int | None = None,
    always_keep: np.ndarray | None = None,
) -> np.ndarray:
    """Choose and order the vocabulary from counts listed in first-seen order.

    Parameters
    ----------
    counts : ndarray of int, shape (n_types,)
        Count of every distinct token, in order of first appearance.
    min_count : int, default 5
        Drop words occurring fewer times (0 and 1 keep every word that occurs).
    max_vocab : int, optional
        Keep only this many of the most frequent words (ties: the first seen).
    always_keep : ndarray of bool, shape (n_types,), optional
        Words kept whenever they occur, past `min_count` and `max_vocab` (--keep-words:
        gensim's trim_rule returning RULE_KEEP); they take their place by count.

    Returns
    -------
    ndarray of int64, shape (V,)
        Indices into `counts` of the kept words, by count descending, ties by first seen.
    """
    check_vocab_settings(min_count, max_vocab)
    counts = np.asarray(counts, dtype=np.int64)
    order = np.argsort(-counts, kind="stable")
    n_kept = int(np.count_nonzero(counts >= max(min_count, 1)))
    if max_vocab is not None:
        n_kept = min(n_kept, int(max_vocab))
    if always_keep is None or not np.any(always_keep):
        return order[:n_kept]
    chosen = np.zeros(len(counts), dtype=bool)
    chosen[order[:n_kept]] = True
    chosen |= np.asarray(always_keep, dtype=bool) & (counts >= 1)
    return order[chosen[order]]


def keep_mask(words: Sequence[str], keep_words: Collection[str] | None) -> np.ndarray | None:
    """(n_types,) bool: which of `words` are in `keep_words` (None when there is no list)."""
    if not keep_words:
        return None
    return np.fromiter((word in keep_words for word in words), dtype=bool, count=len(words))


def grow_vocab(
    base: "Vocab",
    words: Sequence[str],
    counts: np.ndarray,
    min_count: int = 5,
    max_vocab: int | None = None,
    keep_words: Collection[str] | None = None,
) -> tuple["Vocab", np.ndarray]:
    """The vocabulary of a model grown by the words of new text (continued training).

    Parameters
    ----------
    base : the model's vocabulary (its words and counts)
    words : the new text's distinct tokens, every one (counted with min_count 1), in the
        order new words should take among equal counts (a `Vocab`'s: count descending,
        then first seen)
    counts : (len(words),) int, their counts in the new text
    min_count : a word new to `base` enters when it occurs this often in the new text
    max_vocab : the vocabulary's size limit for new words: they enter, most frequent first,
        while it holds fewer words (the base words always stay); None: no limit
    keep_words : words that enter whenever they occur (--keep-words), past both limits

    Returns
    -------
    vocab : every base word, its count plus its count in the new text, and the new words
        that entered; count descending, ties: base words first (in base order), then new
        words in the order given
    new_id : (len(words),) int32, the id in `vocab` of each of `words`, -1 for a new word
        left out (too rare)
    """
    check_vocab_settings(min_count, max_vocab)
    counts = np.asarray(counts, dtype=np.int64)
    base_index = base.key_to_index
    in_base = np.fromiter((word in base_index for word in words), dtype=bool, count=len(words))
    merged = np.array(base.counts, dtype=np.int64)
    base_ids = np.fromiter((base_index[word] for word, known in zip(words, in_base) if known), dtype=np.int64)
    merged[base_ids] += counts[in_base]
    new_positions = np.flatnonzero(~in_base)
    entering = counts[new_positions] >= max(min_count, 1)
    if max_vocab is not None:  # the most frequent new words, stable: ties keep the given order
        room = max(0, int(max_vocab) - len(base))
        by_count = np.argsort(-counts[new_positions], kind="stable")
        allowed = np.zeros(len(new_positions), dtype=bool)
        allowed[by_count[entering[by_count]][:room]] = True
        entering &= allowed
    kept = keep_mask([words[i] for i in new_positions.tolist()], keep_words)
    if kept is not None:
        entering |= kept & (counts[new_positions] >= 1)
    entered = new_positions[entering]
    all_words = list(base.words) + [words[i] for i in entered.tolist()]
    all_counts = np.concatenate([merged, counts[entered]])
    order = np.argsort(-all_counts, kind="stable")  # base words come first among equal counts
    vocab = Vocab([all_words[i] for i in order.tolist()], all_counts[order])
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    new_id = np.full(len(words), -1, dtype=np.int32)
    new_id[np.flatnonzero(in_base)] = rank[base_ids]
    new_id[entered] = rank[len(base) + np.arange(len(entered))]
    return vocab, new_id


def load_word_list(path: str | os.PathLike) -> frozenset[str]:
    """Read a --keep-words file: UTF-8, one word per line, surrounding whitespace ignored,
    empty lines skipped. The words are compared with the corpus' tokens as the tokenizer
    makes them (lowercase with the default one).

    Raises
    ------
    VocabError
        The file is missing, unreadable, not UTF-8, holds no word, or a line holds two
        words (naming the line).
    """
    name = os.fspath(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise VocabError(f"{name}: no such file; check the --keep-words path") from None
    except OSError as error:
        raise VocabError(f"{name}: cannot read ({error.strerror or error}); check the --keep-words path") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line_no = data.count(b"\n", 0, error.start) + 1
        raise VocabError(f"{name}:{line_no}: not UTF-8 text; save the word list as UTF-8") from None
    words = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        word = line.strip()
        if not word:
            continue
        if len(word.split()) > 1:
            shown = word if len(word) <= 60 else word[:57] + "..."
            raise VocabError(f"{name}:{line_no}: {shown!r} holds more than one word; put one word per line")
        words.append(word)
    if not words:
        raise VocabError(f"{name}: holds no words; put one word per line")
    return frozenset(words)


@dataclass(frozen=True, eq=False)
class Vocab:
    """Words sorted by count, most frequent first; a word's id is its position.

    Attributes
    ----------
    words : WordList (a read-only sequence of str; any sequence of str is taken)
        ``index_to_key``: id -> word. Sorted by count descending, ties broken by first
        appearance in the corpus (when built with `from_counts` or `build`). Packed into
        one UTF-8 buffer (`cbow.data.word_list`): its characters and an 8-byte offset a
        word instead of a str object each.
    counts : ndarray of int64, shape (V,)
        Occurrences of each word in the training text (>= 1), read-only.

    Notes
    -----
    Build one with `Vocab.build` (from text), `Vocab.from_counts` or `Vocab.load`.
    ``key_to_index`` (word -> id) is built on first use.
    """

    words: Sequence[str]
    counts: np.ndarray

    def __post_init__(self) -> None:
        counts = np.array(self.counts, dtype=np.int64)  # a private, read-only copy
        if counts.ndim != 1 or len(counts) != len(self.words):
            raise ValueError(
                f"Vocab: counts must have shape ({len(self.words)},), got {counts.shape}"
            )
        if counts.size and counts.min() < 1:
            raise VocabError(
                f"word {self.words[int(counts.argmin())]!r}: count {counts.min()} in the "
                "vocabulary; every word must occur at least once"
            )
        counts.flags.writeable = False
        object.__setattr__(self, "words", WordList(self.words))
        object.__setattr__(self, "counts", counts)

    # --- construction ---------------------------------------------------------------

    @classmethod
    def from_counts(
        cls,
        words: Sequence[str],
        counts: np.ndarray,
        min_count: int = 5,
        max_vocab: int | None = None,
        name: str | None = None,
        keep_words: Collection[str] | None = None,
    ) -> "Vocab":
        """Make the vocabulary from every distinct token and its count.

        Parameters
        ----------
        words : sequence of str, length n_types
            Distinct tokens in order of first appearance in the corpus.
        counts : ndarray of int, shape (n_types,)
            Occurrences of each token.
        min_count : int, default 5
            Drop words occurring fewer times (word2vec.c `-min-count`).
        max_vocab : int, optional
            Keep only the `max_vocab` most frequent words (ties: the first seen); None keeps
            all that reach `min_count`.
        name : str, optional
            The corpus name, put first in error messages.
        keep_words : collection of str, optional
            Words kept whenever they occur, whatever `min_count` and `max_vocab` say
            (`select_words`, --keep-words).

        Returns
        -------
        Vocab

        Raises
        ------
        VocabError
            No word occurs `min_count` times.
        ConfigError
            `min_count` < 0 or `max_vocab` < 1.
        """
        counts = np.asarray(counts, dtype=np.int64)
        if len(words) != len(counts):
            raise ValueError(
                f"Vocab.from_counts: {len(words)} words but {len(counts)} counts"
            )
        kept = select_words(counts, min_count, max_vocab, keep_mask(words, keep_words))
        if kept.size == 0:
            place = f"{name}: " if name else ""
            if len(words) == 0:
                raise VocabError(
                    f"{place}no words to build a vocabulary from; check the corpus and "
                    "--tokenizer"
                )
            top = int(np.argmax(counts))
            raise VocabError(
                f"{place}no word occurs {counted(min_count, 'time')} (the most frequent, "
                f"{words[top]!r}, occurs {counted(counts[top], 'time')}); lower --min-count or "
                "train on more text"
            )
        kept_words = [words[i] for i in kept.tolist()]
        return cls(kept_words, counts[kept])

    @classmethod
    def build(
        cls,
        source: Source,
        tokenizer: str | Tokenizer = "default",
        min_count: int = 5,
        max_vocab: int | None = None,
    ) -> "Vocab":
        """Count the words of a corpus and make its vocabulary (one pass over the text).

        Parameters
        ----------
        source : str, os.PathLike, iterable of str or of token lists
            Anything `cbow.data.corpus.iter_text_blocks` reads: a file, directory, ``"-"`` or
            lines; or sentences as lists of tokens, counted as they are.
        tokenizer : str or callable, default "default"
            See `cbow.data.tokenize.get_tokenizer`.
        min_count, max_vocab
            As in `from_counts`.

        Returns
        -------
        Vocab

        Raises
        ------
        CorpusError
            The corpus cannot be read or holds no word.
        VocabError
            No word occurs `min_count` times.
        """
        check_vocab_settings(min_count, max_vocab)
        tokenize = get_tokenizer(tokenizer)
        stats = CorpusStats()
        counter: collections.Counter[str] = collections.Counter()
        is_tokens, source = peek_sentences(source)
        if is_tokens:  # token lists, taken as they are (cbow.data.corpus)
            for chunk in iter_token_chunks(source, stats):
                counter.update(itertools.chain.from_iterable(chunk))
        else:
            for text, _ in iter_text_blocks(source, stats):
                counter.update(itertools.chain.from_iterable(map(tokenize, text.split("\n"))))
        name = describe_source(source)
        if not counter:
            raise CorpusError(
                f"{name}: no words found ({counted(stats.n_lines, 'line')} read); check the file "
                "and --tokenizer"
            )
        counts = np.fromiter(counter.values(), dtype=np.int64, count=len(counter))
        return cls.from_counts(list(counter), counts, min_count, max_vocab, name=name)

    # --- lookups --------------------------------------------------------------------

    @cached_property
    def key_to_index(self) -> dict[str, int]:
        """word -> id (gensim's name), built once on first use."""
        index = {word: i for i, word in enumerate(self.words)}
        if len(index) != len(self.words):
            duplicate = next(w for w, n in collections.Counter(self.words).items() if n > 1)
            raise VocabError(
                f"word {duplicate!r}: appears twice in the vocabulary; every word must be "
                "listed once"
            )
        return index

    @property
    def index_to_key(self) -> Sequence[str]:
        """id -> word (gensim's name for `words`)."""
        return self.words

    @cached_property
    def total_words(self) -> int:
        """Sum of the counts of the kept words: word2vec.c's `train_words`."""
        return int(self.counts.sum())

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __iter__(self) -> Iterator[str]:
        return iter(self.words)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return self.words == other.words and np.array_equal(self.counts, other.counts)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking contents: not hashable

    def __repr__(self) -> str:
        head = ", ".join(repr(w) for w in self.words[:5])
        more = ", ..." if len(self.words) > 5 else ""
        return f"Vocab({len(self.words):,} words, {self.total_words:,} tokens: [{head}{more}])"

    # --- what training derives from the counts ----------------------------------

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """Probability of keeping each occurrence of a word when subsampling.

        Matches word2vec.c `-sample`: with f the word's count, T = `total_words` and
        s = `sample`, ``keep = min(1, (sqrt(f / (s T)) + 1) * (s T) / f)``.

        Parameters
        ----------
        sample : float
            The threshold s (word2vec's default 1e-3, cbow's 1e-4); s <= 0 turns subsampling off.

        Returns
        -------
        ndarray of float64, shape (V,)
            Values in (0, 1]; all ones when `sample` <= 0.
        """
        if sample <= 0:
            return np.ones(len(self), dtype=np.float64)
        threshold = float(sample) * self.total_words
        frequency = self.counts.astype(np.float64)
        keep = (np.sqrt(frequency / threshold) + 1.0) * threshold / frequency
        return np.minimum(keep, 1.0)

    def noise_distribution(self, power: float = 0.75) -> np.ndarray:
        """Negative-sampling noise distribution: count ** power, normalised.

        Parameters
        ----------
        power : float, default 0.75
            The exponent (word2vec.c's unigram table uses 0.75; 1 is the unigram, 0 uniform).

        Returns
        -------
        ndarray of float64, shape (V,)
            Probabilities summing to 1.
        """
        weights = self.counts.astype(np.float64) ** power
        return weights / weights.sum()

    def huffman(self) -> HuffmanTree:
        """The Huffman tree of hierarchical softmax (word2vec.c's; module docstring), padded.

        Returns
        -------
        HuffmanTree
            `codes` (V, L) int8, `points` (V, L) int32 with the root V-2 first, `lengths`
            (V,) int32.

        Raises
        ------
        VocabError
            The vocabulary has fewer than 2 words.
        """
        return self.huffman_paths().tree()

    def huffman_paths(self) -> HuffmanPaths:
        """The same tree's paths flattened (what training reads; `huffman()` pads them).

        Raises
        ------
        VocabError
            The vocabulary has fewer than 2 words.
        """
        return huffman_paths(self.counts)

    # --- files ----------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as UTF-8 TSV, one ``word<TAB>count`` line per word, in id order.

        The file is written to a temporary file in the same directory, then moved over
        `path`, so a failed write never leaves a half-written vocabulary.

        Raises
        ------
        VocabError
            A word holds a tab or a newline, which the format cannot store.
        OutputError
            The file cannot be written.
        """
        for word in self.words:
            if "\t" in word or "\n" in word or "\r" in word:
                raise VocabError(
                    f"word {word!r}: holds a tab or line break, which {os.fspath(path)} cannot "
                    "store; use a tokenizer that splits on whitespace"
                )
        text = "".join(f"{w}\t{c}\n" for w, c in zip(self.words, self.counts.tolist()))
        with atomic_write(path) as handle:
            handle.write(text.encode("utf-8"))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocab":
        """Read a vocabulary written by `save`; ids follow the order of the rows.

        Empty lines are skipped and a ``\\r`` before the newline is ignored; everything
        else must be ``word<TAB>count`` with a count >= 1 and each word once.

        Raises
        ------
        VocabError
            The file is missing, unreadable, not UTF-8, empty or has a malformed row (the
            message names the line).
        """
        name = os.fspath(path)
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise VocabError(f"{name}: no such file; check the path") from None
        except OSError as error:
            raise VocabError(
                f"{name}: cannot read ({error.strerror or error}); check the path"
            ) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line_no = data.count(b"\n", 0, error.start) + 1
            raise VocabError(f"{name}:{line_no}: not UTF-8 text; {_FIX_FILE}") from None
        words: list[str] = []
        counts: list[int] = []
        first_line: dict[str, int] = {}
        for line_no, line in enumerate(text.split("\n"), start=1):
            if line.endswith("\r"):
                line = line[:-1]
            if not line:
                continue
            word, tab, count = line.rpartition("\t")
            if not tab or not word or "\t" in word or not _COUNT_RE.fullmatch(count):
                shown = line if len(line) <= 60 else line[:57] + "..."
                raise VocabError(
                    f"{name}:{line_no}: expected 'word<TAB>count', got {shown!r}; {_FIX_FILE}"
                )
            if int(count) < 1:
                raise VocabError(
                    f"{name}:{line_no}: count of {word!r} is {count}, must be at least 1; "
                    f"{_FIX_FILE}"
                )
            if word in first_line:
                raise VocabError(
                    f"{name}:{line_no}: {word!r} is listed again (first on line "
                    f"{first_line[word]}); {_FIX_FILE}"
                )
            first_line[word] = line_no
            words.append(word)
            counts.append(int(count))
        if not words:
            raise VocabError(f"{name}: holds no words; {_FIX_FILE}")
        # key_to_index is left to its first use: training never asks for it, and its 4 MiB
        # (bench-text8's 84,692 words) would sit in the parent through the whole run.
        return cls(words, np.array(counts, dtype=np.int64))
