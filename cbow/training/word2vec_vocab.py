"""cbow.Word2Vec's build_vocab: gensim 4.4's vocabulary rules on cbow's counting and encoding.

The corpus is read once (cbow.data.prepare, every word counted, the sentences encoded as
ids), then gensim's rules choose the vocabulary, and the ids are mapped onto it, so a
`train` on the same corpus right after need not read it again:

    effective_min_count = min_count, raised by max_final_vocab to (the count of the word
                          ranked max_final_vocab) + 1 when the corpus has more words (gensim's
                          rule: a vocabulary at most that big, every tie at the cut dropped)
    a word is kept      when trim_rule(word, count, effective_min_count) says RULE_KEEP, or,
                        unless it says RULE_DISCARD, when count >= effective_min_count
    update=True         every word of the model stays, its count plus its count in the new
                        text; a new word enters by the rule above (cbow.data.vocab.grow_vocab)

max_vocab_size (gensim's bound on the words held while counting) counts in bounded memory
instead, pruning the rarest words as word2vec.c and gensim do (cbow.data.counting); the ids
are then encoded by `train`. The vocabulary is sorted by count, ties in first-seen order
(gensim breaks ties the other way round), and stays sorted after an update (gensim appends
new words at the end): rows are matched by word, so the order changes nothing.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from cbow.data.corpus import iter_token_chunks, peek_sentences
from cbow.data.counting import count_words, prune_counts
from cbow.data.encode import EncodedCorpus, remap_corpus
from cbow.data.prepare import corpus_tokenizer, prepare
from cbow.data.vocab import Vocab, grow_vocab
from cbow.errors import VocabError
from cbow.training.config import TrainConfig

RULE_DEFAULT, RULE_DISCARD, RULE_KEEP = 0, 1, 2  # gensim.utils' values for a trim_rule's answer
TrimRule = Callable[[str, int, int], int]


@dataclass
class BuiltVocab:
    """What build_vocab found.

    Attributes
    ----------
    vocab : the kept words, most frequent first, with their counts (summed with the
        model's on update)
    raw_counts : every distinct word of the corpus and its count there (gensim's raw_vocab)
    encoded : the corpus as ids of `vocab` (None when counted with max_vocab_size)
    corpus_count : the corpus' sentences holding a token (0 when a file was counted with
        max_vocab_size: known once `train` has read it)
    corpus_total_words : its tokens
    effective_min_count : the min_count applied (raised by max_final_vocab)
    """

    vocab: Vocab
    raw_counts: dict
    encoded: EncodedCorpus | None
    corpus_count: int
    corpus_total_words: int
    effective_min_count: int


def effective_min_count(counts: np.ndarray, min_count: int, max_final_vocab: int | None) -> int:
    """gensim's min_count under max_final_vocab (module docstring)."""
    if max_final_vocab is None or max_final_vocab >= len(counts):
        return min_count
    ranked = np.sort(np.asarray(counts, dtype=np.int64))[::-1]
    return max(int(ranked[max_final_vocab]) + 1, min_count)


def kept(words: list, counts: np.ndarray, min_count: int, trim_rule: TrimRule | None) -> np.ndarray:
    """(n,) bool: gensim's keep_vocab_item for each word."""
    by_count = np.asarray(counts) >= min_count
    if trim_rule is None:
        return by_count
    rules = [trim_rule(word, int(count), min_count) for word, count in zip(words, counts.tolist())]
    return np.array([rule == RULE_KEEP or (rule != RULE_DISCARD and default)
                     for rule, default in zip(rules, by_count.tolist())], dtype=bool)


def _count_bounded(source, config: TrainConfig, max_types: int) -> tuple[list, np.ndarray, int, int]:
    """(words in first-seen order, counts, sentences, tokens), at most `max_types` words held."""
    is_tokens, source = peek_sentences(source)
    if not is_tokens:
        counted = count_words(source, corpus_tokenizer(config), max_types, config.encoding_errors)
        return counted.words, counted.counts, 0, counted.n_tokens
    counter: collections.Counter = collections.Counter()
    n_sentences = n_tokens = 0
    min_reduce = 1
    for chunk in iter_token_chunks(source):
        for sentence in chunk:
            n_sentences += bool(len(sentence))
            n_tokens += len(sentence)
        counter.update(itertools.chain.from_iterable(chunk))
        if len(counter) > max_types:
            min_reduce = prune_counts(counter, max_types, min_reduce)
    return list(counter), np.fromiter(counter.values(), dtype=np.int64, count=len(counter)), n_sentences, n_tokens


def build_vocab(source, config: TrainConfig, base: Vocab | None, trim_rule: TrimRule | None,
                max_final_vocab: int | None, max_vocab_size: int | None) -> tuple[BuiltVocab, np.ndarray]:
    """Count `source` and choose the vocabulary by gensim's rules (module docstring); with
    `base` (update=True) grow that vocabulary instead.

    Returns
    -------
    BuiltVocab, and (len(raw_counts),) int32 the id of each counted word in the new vocabulary (-1: left out)

    Raises
    ------
    VocabError : no word is kept (lower min_count)
    """
    if max_vocab_size:
        words, counts, n_sentences, n_tokens = _count_bounded(source, config, int(max_vocab_size))
        encoded = None
    else:
        every_word = replace(config, min_count=1, max_vocab=None, keep_words=None)
        counted, encoded = prepare(source, every_word)
        words, counts = list(counted.words), np.asarray(counted.counts)
        n_sentences, n_tokens = encoded.n_sentences, encoded.n_raw_tokens
    min_count = effective_min_count(counts, config.min_count, max_final_vocab)
    if base is None:
        keep = kept(words, counts, min_count, trim_rule)
        order = np.argsort(-counts, kind="stable")  # count descending, ties first seen
        order = order[keep[order]]
        if not len(order):
            raise VocabError(f"no word occurs min_count={min_count} times (the most frequent occurs "
                             f"{int(counts.max()) if len(counts) else 0}); lower min_count or train on more text")
        vocab = Vocab([words[i] for i in order.tolist()], counts[order])
        new_id = np.full(len(words), -1, dtype=np.int32)
        new_id[order] = np.arange(len(order), dtype=np.int32)
    else:
        known = np.fromiter((word in base.key_to_index for word in words), dtype=bool, count=len(words))
        offered = np.flatnonzero(known | kept(words, counts, min_count, trim_rule))
        vocab, offered_id = grow_vocab(base, [words[i] for i in offered.tolist()], counts[offered], min_count=1)
        new_id = np.full(len(words), -1, dtype=np.int32)
        new_id[offered] = offered_id
    if encoded is not None:
        encoded = remap_corpus(encoded, new_id)
    built = BuiltVocab(vocab, dict(zip(words, counts.tolist())), encoded, n_sentences, n_tokens, min_count)
    return built, new_id
