"""The vocabulary: words with their counts, and what training derives from the counts.

A `Vocab` holds the kept words sorted by count, most frequent first (ties: the word seen
first in the corpus comes first), so a word's id is its rank. From the counts it derives
word2vec's subsampling keep-probabilities, the negative-sampling noise distribution
(count^0.75) and the Huffman tree of hierarchical softmax.

Huffman tree (DESIGN.md §3; the same tree as word2vec.c `CreateBinaryTree`): inner nodes are
numbered 0..V-2 in the order they are created, the root is V-2. Word w's path from the root
is the inner nodes ``points[w, :lengths[w]]`` (``points[w, 0] == V - 2``), and
``codes[w, l]`` is the bit of the branch taken below ``points[w, l]``:

    p(w | h) = prod_l sigmoid((1 - 2 codes[w, l]) * W_out[points[w, l]] . h)

so bit 0 means "go the sigmoid(x) way". Frequent words get short codes.
"""

from __future__ import annotations

import bisect
import collections
import itertools
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from cbow.corpus import CorpusStats, Source, describe_source, iter_text_blocks
from cbow.errors import ConfigError, CorpusError, OutputError, VocabError
from cbow.tokenize import Tokenizer, get_tokenizer

logger = logging.getLogger(__name__)

_COUNT_RE = re.compile(r"[0-9]+")
_FIX_FILE = "fix or regenerate the file with `cbow vocab`"


@dataclass(frozen=True, eq=False)
class HuffmanTree:
    """Huffman codes of a vocabulary as padded arrays (see the module docstring).

    Attributes
    ----------
    codes : ndarray of int8, shape (V, L)
        Code bits along each word's path from the root, padded with 0; L = max(lengths).
    points : ndarray of int32, shape (V, L)
        Inner-node ids (0..V-2, root V-2) along each word's path from the root, padded with 0.
    lengths : ndarray of int32, shape (V,)
        Real path length of each word (>= 1).
    """

    codes: np.ndarray
    points: np.ndarray
    lengths: np.ndarray


def _huffman_parents(counts: list[int]) -> tuple[list[int], bytearray]:
    """Build word2vec.c's Huffman tree over counts sorted in descending order.

    Parameters
    ----------
    counts : list of int, length V >= 2
        Positive counts, sorted descending (the leaves 0..V-1).

    Returns
    -------
    parent : list of int, length 2V-1
        Parent node of every node; leaves are 0..V-1, inner node i is V+i, root 2V-2.
    binary : bytearray, length 2V-1
        The bit of the branch from each node's parent to it.

    Notes
    -----
    word2vec.c's two-queue merge: the leaves are consumed from the least frequent end
    (`pos1`), the inner nodes in creation order (`pos2`), always taking the smaller head and
    preferring the inner node on ties; the second node taken gets bit 1. Its loop runs V-1
    times; here runs of equal values (the long tail of words with the same count, and the
    equal inner nodes they make) are paired in one slice operation each, with exactly the
    same outcome, so V = 1e6 takes a fraction of a second.
    """
    V = len(counts)
    n_nodes = 2 * V - 1
    sentinel = sum(counts) + 1  # larger than any node: stands for "not created yet"
    count = counts + [sentinel] * (V - 1)
    parent = [0] * n_nodes
    binary = bytearray(n_nodes)
    # run_start[i]: the first leaf with the same count as leaf i (counts are descending)
    negated = -np.asarray(counts, dtype=np.int64)
    run_start = np.searchsorted(negated, negated, side="left").tolist()
    pos1, pos2, new = V - 1, V, V  # least frequent unused leaf, oldest unused inner node, next id
    while new < n_nodes:
        leaf = count[pos1] if pos1 >= 0 else sentinel
        head = count[pos2]  # == sentinel when every inner node is used
        if pos1 >= 1 and leaf < head and count[pos1 - 1] == leaf:
            # Equal leaves below the inner head pair up with each other (the new nodes, 2 *
            # leaf, are above leaf too): leaves pos1, pos1-1 -> new; pos1-2, pos1-3 -> new+1...
            n_pairs = (pos1 - run_start[pos1] + 1) // 2
            low = pos1 - 2 * n_pairs + 1
            new_ids = range(new + n_pairs - 1, new - 1, -1)  # for the pairs from low upwards
            parent[low:pos1 + 1:2] = new_ids  # second picks: pos1-1, pos1-3, ... (bit 1)
            parent[low + 1:pos1 + 1:2] = new_ids  # first picks: pos1, pos1-2, ...
            binary[low:pos1 + 1:2] = b"\x01" * n_pairs
            count[new:new + n_pairs] = [2 * leaf] * n_pairs
            pos1 -= 2 * n_pairs
            new += n_pairs
            continue
        if pos2 + 1 < new and count[pos2 + 1] == head and leaf >= head:
            # Equal inner nodes not above the smallest leaf pair up with each other (the new
            # nodes, 2 * head, are larger, so the run does not grow while we pair it).
            n_pairs = (bisect.bisect_right(count, head, pos2, new) - pos2) // 2
            new_ids = range(new, new + n_pairs)
            parent[pos2:pos2 + 2 * n_pairs:2] = new_ids
            parent[pos2 + 1:pos2 + 2 * n_pairs:2] = new_ids
            binary[pos2 + 1:pos2 + 2 * n_pairs:2] = b"\x01" * n_pairs
            count[new:new + n_pairs] = [2 * head] * n_pairs
            pos2 += 2 * n_pairs
            new += n_pairs
            continue
        # One step of word2vec.c's loop.
        picks = []
        for _ in range(2):
            if pos1 >= 0 and count[pos1] < count[pos2]:
                picks.append(pos1)
                pos1 -= 1
            else:
                picks.append(pos2)
                pos2 += 1
        count[new] = count[picks[0]] + count[picks[1]]
        parent[picks[0]] = new
        parent[picks[1]] = new
        binary[picks[1]] = 1
        new += 1
    return parent, binary


def huffman_tree(counts: np.ndarray) -> HuffmanTree:
    """Huffman codes of words with the given counts (word2vec.c's tree).

    Parameters
    ----------
    counts : ndarray of int, shape (V,)
        Positive word counts, V >= 2, in any order (ties are broken as word2vec.c does on
        the counts stably sorted in descending order).

    Returns
    -------
    HuffmanTree
        Codes, inner-node points and path lengths, rows in the order of `counts`.

    Raises
    ------
    VocabError
        Fewer than 2 words.
    """
    counts = np.asarray(counts, dtype=np.int64)
    V = len(counts)
    if V < 2:
        raise VocabError(
            f"hierarchical softmax needs at least 2 words, the vocabulary has {V}; "
            "lower --min-count or train on more text"
        )
    order = np.argsort(-counts, kind="stable")  # sorted position -> word id
    parent_list, binary_bytes = _huffman_parents(counts[order].tolist())
    root = 2 * V - 2
    parent = np.array(parent_list, dtype=np.int64)
    parent[root] = root
    binary = np.frombuffer(bytes(binary_bytes), dtype=np.int8)
    # Depth of every node by pointer jumping: ~log2(depth) passes over the 2V-1 nodes.
    depth = np.ones(2 * V - 1, dtype=np.int64)
    depth[root] = 0
    ancestor = parent.copy()
    while np.any(ancestor != root):
        depth += np.where(ancestor != root, depth[ancestor], 0)
        ancestor = ancestor[ancestor]
    L = int(depth[:V].max())
    # Paths of the inner nodes, built level by level from the root: an inner node's path is
    # its parent's plus itself (points) and its parent's bits plus its own bit (codes).
    inner_depth = depth[V:]
    inner_parent = parent[V:] - V
    inner_bit = binary[V:]
    by_depth = np.argsort(inner_depth, kind="stable")
    level_starts = np.searchsorted(inner_depth[by_depth], np.arange(L + 1))
    inner_points = np.zeros((V - 1, L), dtype=np.int32)
    inner_codes = np.zeros((V - 1, L), dtype=np.int8)
    inner_points[V - 2, 0] = V - 2  # the root
    for d in range(1, L):
        nodes = by_depth[level_starts[d]:level_starts[d + 1]]
        if nodes.size == 0:
            break
        above = inner_parent[nodes]
        # whole rows: the parent's row is zero past its own path
        inner_points[nodes] = inner_points[above]
        inner_points[nodes, d] = nodes
        inner_codes[nodes] = inner_codes[above]
        inner_codes[nodes, d - 1] = inner_bit[nodes]
    # A word's path is its parent's path; its codes add the bit of its own branch.
    leaf = np.empty(V, dtype=np.int64)  # word id -> leaf (sorted position)
    leaf[order] = np.arange(V)
    lengths = depth[leaf].astype(np.int32)
    above = parent[leaf] - V
    points = inner_points[above]
    codes = inner_codes[above]
    codes[np.arange(V), lengths - 1] = binary[leaf]
    return HuffmanTree(codes=codes, points=points, lengths=lengths)


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
    counts: np.ndarray, min_count: int = 5, max_vocab: int | None = None
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
    return order[:n_kept]


@dataclass(frozen=True, eq=False)
class Vocab:
    """Words sorted by count, most frequent first; a word's id is its position.

    Attributes
    ----------
    words : list of str
        ``index_to_key``: id -> word. Sorted by count descending, ties broken by first
        appearance in the corpus (when built with `from_counts` or `build`).
    counts : ndarray of int64, shape (V,)
        Occurrences of each word in the training text (>= 1), read-only.

    Notes
    -----
    Build one with `Vocab.build` (from text), `Vocab.from_counts` or `Vocab.load`.
    ``key_to_index`` (word -> id) is built on first use.
    """

    words: list[str]
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
        object.__setattr__(self, "words", list(self.words))
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
        kept = select_words(counts, min_count, max_vocab)
        if kept.size == 0:
            place = f"{name}: " if name else ""
            if len(words) == 0:
                raise VocabError(
                    f"{place}no words to build a vocabulary from; check the corpus and "
                    "--tokenizer"
                )
            top = int(np.argmax(counts))
            raise VocabError(
                f"{place}no word occurs {min_count} times (the most frequent, "
                f"{words[top]!r}, occurs {counts[top]} times); lower --min-count or train "
                "on more text"
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
        source : str, os.PathLike or iterable of str
            Anything `cbow.corpus.iter_text_blocks` reads: a file, directory, ``"-"`` or
            lines.
        tokenizer : str or callable, default "default"
            See `cbow.tokenize.get_tokenizer`.
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
        for text, _ in iter_text_blocks(source, stats):
            counter.update(itertools.chain.from_iterable(map(tokenize, text.split("\n"))))
        name = describe_source(source)
        if not counter:
            raise CorpusError(
                f"{name}: no words found ({stats.n_lines:,} lines read); check the file "
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
    def index_to_key(self) -> list[str]:
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
            The threshold s (word2vec's default 1e-3); s <= 0 turns subsampling off.

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
        """The Huffman tree of hierarchical softmax (word2vec.c's; module docstring).

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
        return huffman_tree(self.counts)

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
        _write_atomic(Path(path), text.encode("utf-8"))

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
        vocab = cls(words, np.array(counts, dtype=np.int64))
        vocab.__dict__["key_to_index"] = {w: i for i, w in enumerate(words)}  # checked above
        return vocab


def _write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same directory + os.replace."""
    directory = path.parent
    try:
        fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise OutputError(
            f"{path}: cannot write ({error.strerror or error}); check that the directory "
            "exists and is writable"
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except OSError as error:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise OutputError(
            f"{path}: cannot write ({error.strerror or error}); choose another path"
        ) from None
