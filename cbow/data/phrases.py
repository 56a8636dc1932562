"""Phrases: find pairs of adjacent words seen together far more often than chance, and join them.

"new york" becomes the one token "new_york", so a model learns one vector for the phrase
(Mikolov et al. 2013, "Distributed Representations of Words and Phrases and their
Compositionality", section 4; word2vec's word2phrase.c; gensim's `Phrases`).

The score of the pair (a, b), from counts over the corpus (pairs never span two lines):

    score(a, b) = (count(a b) - delta) / (count(a) * count(b)) * N

    delta   a discount that keeps pairs seen only a few times out; word2phrase and gensim
            use min_count (the default here too)
    N       scoring="word2phrase" (default): the number of tokens read (word2phrase's
            train_words); scoring="gensim": the number of distinct unigrams + bigrams
            counted (gensim's len_vocab in `original_scorer`)

(a, b) is a phrase when count(a b), count(a) and count(b) are all >= min_count and
score > threshold. Joining is greedy, left to right: a token joined to its left neighbour is
not joined again in the same pass, so "a b c" with phrases (a b) and (b c) becomes "a_b c"
(both peers do the same). A second pass counts and scores the text the first pass made, so its
pairs may hold phrases: "new_york times" -> "new_york_times".

Defaults are word2phrase's: threshold 100, min_count 5, N = tokens. (word2vec's own scripts
run two passes with thresholds 200 then 100.) gensim defaults to threshold 10 with its smaller
N; use scoring="gensim" and its threshold to reproduce a gensim setup.

Versus word2phrase.c: it also counts the pair made by the last word of a line and the first
of the next (its `start` flag is reset before it is tested), we do not; it scores in float32,
we in float64. Versus gensim: its N is len(vocab) (reproduced by scoring="gensim"); it does
not test count(a), count(b) against min_count, which changes nothing while delta = min_count
(a score > 0 needs count(a b) > min_count, and count(a), count(b) >= count(a b)); its
connector words (phrases such as "bank_of_america") are not supported. With no pruning,
scoring="gensim" gives exactly gensim's phrases, scores and joined text (tested), for two
passes too, where gensim's FrozenPhrases of the second pass re-splits "new_york times" at
every "_" and scores ("new", "times") instead (gensim issue #3326); our table keeps the pair.

Memory: the unigram and bigram counts, at most `max_types` entries together. When the tables
pass that at the end of a block (~4 MiB of text, `cbow.data.corpus.BLOCK_SIZE`), every entry
seen at most `min_reduce` times is dropped and `min_reduce` goes up by one until they fit:
word2vec's ReduceVocab, as `cbow vocab` prunes (`cbow.data.counting`). Counts of entries
dropped and seen again are then too low, so some rare phrases are missed (a warning says so).
gensim prunes after a sentence, once, dropping counts below min_reduce (so its first prune,
at min_reduce 1, drops nothing). A bigram is held as
the string "a b" (~60 bytes plus its slot), not a tuple that would keep two token strings alive.
"""

from __future__ import annotations

import collections
import itertools
import logging
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from cbow.data.counting import DEFAULT_MAX_TYPES
from cbow.data.corpus import CorpusStats, Source, describe_source, iter_text_blocks
from cbow.data.phrase_table import JOINER, MAX_PASSES, Phrase, PhraseTable
from cbow.data.tokenize import Tokenizer, get_tokenizer
from cbow.errors import ConfigError, CorpusError

logger = logging.getLogger(__name__)

SCORINGS = ("word2phrase", "gensim")

# The lines of one block of text, tokenized, and whether its last line continues in the next
# block (an overlong line read piecewise; see `cbow.data.corpus.iter_text_blocks`).
TokenBlock = tuple[list[list[str]], bool]


@dataclass(frozen=True)
class PhraseSettings:
    """How phrases are chosen (formula in the module docstring).

    Attributes
    ----------
    thresholds : tuple of float, default (100.0,)
        The score a pair must exceed, one per pass; the number of passes is its length
        (1 to MAX_PASSES). word2phrase's default is 100.
    min_count : int, default 5
        A pair and both its words must be seen at least this often (word2phrase and gensim: 5).
    delta : float or None, default None
        The discount of the score; None means min_count, as in word2phrase and gensim.
    scoring : {"word2phrase", "gensim"}, default "word2phrase"
        N of the score: tokens read, or distinct unigrams + bigrams (gensim).
    """

    thresholds: tuple[float, ...] = (100.0,)
    min_count: int = 5
    delta: float | None = None
    scoring: str = "word2phrase"

    @property
    def discount(self) -> float:
        """The delta the score subtracts (min_count unless set)."""
        return self.min_count if self.delta is None else self.delta

    def describe(self) -> str:
        """The settings as one line, for the phrase table's header."""
        thresholds = ",".join(f"{t:g}" for t in self.thresholds)
        return (f"passes={len(self.thresholds)} threshold={thresholds} min_count={self.min_count} "
                f"delta={self.discount:g} scoring={self.scoring}")


def check_phrase_settings(settings: PhraseSettings) -> None:
    """Raise ConfigError naming the flag when a setting is out of range."""
    if not 1 <= len(settings.thresholds) <= MAX_PASSES:
        raise ConfigError(f"--passes {len(settings.thresholds)}: must be 1 to {MAX_PASSES}")
    for threshold in settings.thresholds:
        if not (np.isfinite(threshold) and threshold >= 0):
            raise ConfigError(f"--threshold {threshold}: must be a number >= 0 (word2phrase's default is 100)")
    if isinstance(settings.min_count, bool) or not isinstance(settings.min_count, (int, np.integer)) \
            or settings.min_count < 1:
        raise ConfigError(f"--min-count {settings.min_count!r}: must be an integer >= 1 (default 5)")
    if settings.delta is not None and not (np.isfinite(settings.delta) and settings.delta >= 0):
        raise ConfigError(f"--delta {settings.delta}: must be a number >= 0 (default: --min-count)")
    if settings.scoring not in SCORINGS:
        raise ConfigError(f"--scoring {settings.scoring!r}: choose one of {', '.join(SCORINGS)}")


def phrase_score(count_ab, count_a, count_b, delta: float, n_scale: int | float) -> np.ndarray:
    """Score pairs: (count_ab - delta) / (count_a * count_b) * n_scale, elementwise, float64.

    Parameters
    ----------
    count_ab, count_a, count_b : int or array_like of int
        Counts of the pair and of its first and second word (broadcast together).
    delta : float
        The discount (word2phrase and gensim: min_count).
    n_scale : int or float
        N: tokens read (word2phrase) or distinct unigrams + bigrams (gensim).

    Returns
    -------
    ndarray of float64
        Negative when count_ab < delta. The operations run in gensim's `original_scorer`
        order (the product of counts is exact in int64, then one float division, then the
        multiplication), so equal counts give bit-equal scores.
    """
    denominator = (np.asarray(count_a, dtype=np.int64) * np.asarray(count_b, dtype=np.int64)).astype(np.float64)
    return (np.asarray(count_ab, dtype=np.float64) - delta) / denominator * float(n_scale)


@dataclass
class PairCounts:
    """Unigram and bigram counts of one pass over a corpus.

    Attributes
    ----------
    unigrams : Counter of str
    bigrams : Counter of str
        Keyed ``"a b"``: the two tokens and one space (tokens never hold whitespace).
    n_tokens : int
        Tokens read (N of word2phrase's score).
    min_reduce : int
        Entries seen fewer than `min_reduce` times may have been pruned (1: none were).
    """

    unigrams: collections.Counter
    bigrams: collections.Counter
    n_tokens: int
    min_reduce: int = 1

    @property
    def n_types(self) -> int:
        """Distinct unigrams + bigrams held (N of gensim's score)."""
        return len(self.unigrams) + len(self.bigrams)


def prune_pair_counts(counts: PairCounts, max_types: int) -> None:
    """Drop rare entries until at most `max_types` remain (word2vec's ReduceVocab), in place.

    Each round drops every unigram and bigram counted <= min_reduce, then raises min_reduce
    by one. A bigram is never counted more often than either of its words, so it goes no
    later than they do: a held bigram always has both counts to be scored with.
    """
    while counts.n_types > max_types:
        for counter in (counts.unigrams, counts.bigrams):
            rare = [key for key, count in counter.items() if count <= counts.min_reduce]
            for key in rare:
                del counter[key]
        counts.min_reduce += 1


def _bigram_keys(tokens: list[str]) -> Iterator[str]:
    """``"a b"`` for each adjacent pair of `tokens` (lazy; C-level loops)."""
    return map(" ".join, zip(tokens, itertools.islice(tokens, 1, None)))


def count_pairs(blocks: Iterable[TokenBlock], max_types: int = DEFAULT_MAX_TYPES) -> PairCounts:
    """Count the unigrams and the bigrams within lines, holding at most `max_types` of them.

    Parameters
    ----------
    blocks : iterable of (list of token lists, bool)
        Tokenized lines a block at a time (`iter_token_blocks`); when a block's flag is set its
        last line continues as the first line of the next block, and the pair across the
        boundary is counted.
    max_types : int, default 10,000,000
        Distinct unigrams + bigrams held; past that, rare ones are pruned after a block
        (`prune_pair_counts`).

    Returns
    -------
    PairCounts
    """
    if max_types < 1:
        raise ConfigError(f"--max-types-in-memory must be >= 1, got {max_types}")
    counts = PairCounts(collections.Counter(), collections.Counter(), 0)
    open_last: str | None = None  # last token so far of a line continued by the next block
    for lines, open_end in blocks:
        if open_last is not None and lines[0]:
            counts.bigrams[f"{open_last} {lines[0][0]}"] += 1
        counts.unigrams.update(itertools.chain.from_iterable(lines))
        counts.bigrams.update(itertools.chain.from_iterable(map(_bigram_keys, lines)))
        counts.n_tokens += sum(map(len, lines))
        if not open_end:
            open_last = None
        elif lines[-1]:
            open_last = lines[-1][-1]
        elif len(lines) > 1:  # the continued line starts in this block and has no token yet
            open_last = None
        if counts.n_types > max_types:
            prune_pair_counts(counts, max_types)
    return counts


def choose_phrases(counts: PairCounts, settings: PhraseSettings, threshold: float) -> dict[str, Phrase]:
    """The pairs of `counts` that are phrases: every count >= min_count and score > threshold.

    Returns
    -------
    dict
        ``"a b"`` -> Phrase(count, score), for every such pair (in counting order).
    """
    candidates = [(pair, count) for pair, count in counts.bigrams.items() if count >= settings.min_count]
    if not candidates:
        return {}
    halves = [pair.split(" ") for pair, _ in candidates]
    if any(len(half) != 2 for half in halves):
        bad = next(pair for (pair, _), half in zip(candidates, halves) if len(half) != 2)
        raise ConfigError(f"pair {bad!r}: a token holds a space; use a tokenizer that splits on whitespace")
    get = counts.unigrams.get
    count_ab = np.fromiter((count for _, count in candidates), dtype=np.int64, count=len(candidates))
    count_a = np.fromiter((get(first, 0) for first, _ in halves), dtype=np.int64, count=len(candidates))
    count_b = np.fromiter((get(second, 0) for _, second in halves), dtype=np.int64, count=len(candidates))
    n_scale = counts.n_tokens if settings.scoring == "word2phrase" else counts.n_types
    with np.errstate(divide="ignore", invalid="ignore"):  # a word pruned away: count 0, never kept
        scores = phrase_score(count_ab, count_a, count_b, settings.discount, n_scale)
    keep = (count_a >= settings.min_count) & (count_b >= settings.min_count) & (scores > threshold)
    return {candidates[i][0]: Phrase(int(count_ab[i]), float(scores[i])) for i in np.flatnonzero(keep).tolist()}


# --- applying a table ----------------------------------------------------------------------


def _join_pass(tokens: list[str], pairs: Container[str]) -> tuple[list[str], bool]:
    """One pass of greedy left-to-right joining; also says whether the last token stayed alone.

    Only the pairs found in `pairs` are visited in Python, so a line without phrases costs
    one C-level scan.
    """
    hits = itertools.compress(itertools.count(), map(pairs.__contains__, _bigram_keys(tokens)))
    joined: list[str] = []
    start = 0  # first token not yet written
    for i in hits:
        if i < start:  # tokens[i] was joined to its left neighbour: greedy, left to right
            continue
        joined.extend(tokens[start:i])
        joined.append(tokens[i] + JOINER + tokens[i + 1])
        start = i + 2
    if start == 0:
        return tokens, True
    joined.extend(tokens[start:])
    return joined, start < len(tokens)


def apply_phrases(tokens: Sequence[str], table: PhraseTable) -> list[str]:
    """Join the phrases of `table` in one sentence: each pass in order, greedy, left to right.

    Parameters
    ----------
    tokens : sequence of str
        One sentence, tokenized as the corpus the table was made from.
    table : PhraseTable
        From `learn_phrases` or `cbow.data.phrase_table.load_phrase_table`.

    Returns
    -------
    list of str
        A new list: ``["in", "new", "york", "times"]`` -> ``["in", "new_york_times"]`` when
        pass 1 holds "new york" and pass 2 "new_york times".
    """
    joined = list(tokens)
    for pairs in table.passes:
        if pairs:
            joined = _join_pass(joined, pairs)[0]
    return joined


def phrase_tokenizer(tokenizer: str | Tokenizer, table: PhraseTable) -> Tokenizer:
    """A tokenizer that tokenizes a line with `tokenizer`, then joins the phrases of `table`.

    What `cbow train --phrases TABLE` needs: pass it wherever a tokenizer goes, for counting
    and for encoding alike, so both see the same joined tokens. (A line read in 4 MiB pieces,
    text8-style, is joined piece by piece: a phrase across a piece boundary is missed.)
    """
    tokenize = get_tokenizer(tokenizer)

    def tokenize_with_phrases(line: str) -> list[str]:
        return apply_phrases(tokenize(line), table)

    # a corpus of token lists is not tokenized, but its phrases are joined (cbow.data.encode)
    tokenize_with_phrases.join_tokens = lambda tokens: apply_phrases(tokens, table)
    return tokenize_with_phrases


def join_blocks(blocks: Iterable[TokenBlock], pairs: Container[str]) -> Iterator[TokenBlock]:
    """Apply one pass to a stream of token blocks, exactly as to whole lines.

    When a line continues in the next block and its last token was not joined, that token
    is held back and put in front of the next block's first line, so a phrase across a
    block boundary is found. (Earlier tokens are settled: greedy joining never looks back.)
    """
    held: list[str] = []
    for lines, open_end in blocks:
        if held:
            lines = [held + lines[0], *lines[1:]]
        joined = []
        last_alone = False
        for tokens in lines:
            tokens, last_alone = _join_pass(tokens, pairs)
            joined.append(tokens)
        held = []
        if open_end and joined[-1] and last_alone:
            held = joined[-1][-1:]
            joined[-1] = joined[-1][:-1]
        yield joined, open_end
    # A stream always ends with a closed block, so nothing is held here.


# --- reading a corpus ----------------------------------------------------------------------


def iter_token_blocks(
    source: Source,
    tokenizer: str | Tokenizer = "default",
    stats: CorpusStats | None = None,
    on_bytes: Callable[[int], None] | None = None,
    encoding_errors: str = "replace",
) -> Iterator[TokenBlock]:
    """Yield the tokenized lines of `source` a block at a time (see `TokenBlock`).

    Every line is kept, empty ones too, so a rewritten corpus has the lines of its source.
    Reading is `cbow.data.corpus.iter_text_blocks`'s: files, directories, .gz/.bz2/.xz,
    stdin, or lines in memory, with the same errors.
    """
    tokenize = get_tokenizer(tokenizer)
    for text, open_end in iter_text_blocks(source, stats, on_bytes, encoding_errors):
        yield list(map(tokenize, text.split("\n"))), open_end


def check_rereadable(source: Source, reads: int) -> None:
    """Raise ConfigError when `source` is read `reads` > 1 times but can be read only once."""
    if reads < 2:
        return
    if describe_source(source) == "<stdin>":
        raise ConfigError(f"standard input can be read only once and this needs {reads} reads (counting, "
                          "then rewriting); save the text to a file and give its path")
    if describe_source(source) == "<lines>" and iter(source) is source:
        raise ConfigError(f"the corpus is a one-shot iterator and this needs {reads} reads; pass a list "
                          "or a path")


def learn_phrases(
    source: Source,
    settings: PhraseSettings = PhraseSettings(),
    tokenizer: str | Tokenizer = "default",
    max_types: int = DEFAULT_MAX_TYPES,
    encoding_errors: str = "replace",
    on_pass: Callable[[int], Callable[[int], None] | None] | None = None,
) -> PhraseTable:
    """Find the phrases of `source`: one read per pass, each over the text the passes before made.

    Parameters
    ----------
    source : path, "-" or iterable of str
        As `cbow.data.corpus.iter_text_blocks` reads it (read once per pass).
    settings : PhraseSettings
        Thresholds (one per pass), min_count, delta, scoring.
    tokenizer : str or callable, default "default"
    max_types : int, default 10,000,000
        Distinct unigrams + bigrams held while counting (see the module docstring).
    encoding_errors : {"replace", "strict"}
    on_pass : callable, optional
        ``on_pass(pass_no) -> on_bytes callback or None``, for a progress bar per read.

    Returns
    -------
    PhraseTable
        ``passes[k]``: the phrases pass k + 1 joins.

    Raises
    ------
    ConfigError : a setting out of range, or a source that cannot be read once per pass
    CorpusError : unreadable corpus or no token at all
    """
    check_phrase_settings(settings)
    check_rereadable(source, len(settings.thresholds))
    name = describe_source(source)
    passes: list[dict[str, Phrase]] = []
    for pass_no, threshold in enumerate(settings.thresholds, start=1):
        stats = CorpusStats()
        on_bytes = on_pass(pass_no) if on_pass is not None else None
        blocks = iter_token_blocks(source, tokenizer, stats, on_bytes, encoding_errors)
        for pairs in passes:
            blocks = join_blocks(blocks, pairs)
        counts = count_pairs(blocks, max_types)
        if counts.n_tokens == 0:
            raise CorpusError(f"{name}: no words found ({stats.n_lines:,} lines read); check the file "
                              "and --tokenizer")
        if counts.min_reduce > 1:
            logger.warning(
                "%s: pass %d: more than %d distinct words and pairs; those seen fewer than %d times were "
                "pruned while counting (as word2vec does), so some rare phrases may be missed; raise "
                "--max-types-in-memory for exact counts", name, pass_no, max_types, counts.min_reduce)
        passes.append(choose_phrases(counts, settings, threshold))
        logger.info("%s: pass %d: %d tokens, %d words, %d pairs; %d phrases score > %g", name, pass_no,
                    counts.n_tokens, len(counts.unigrams), len(counts.bigrams), len(passes[-1]), threshold)
        del counts  # the next pass counts afresh: never two passes' tables in memory at once
    return PhraseTable(tuple(passes), f"{settings.describe()} corpus={name}")
