"""Phrases: the score, counting in bounded memory, greedy joining, streaming, planted bigrams found."""

import collections
import logging
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbow.corpora import planted
from cbow.data import corpus
from cbow.data.phrase_corpus import write_phrased_corpus
from cbow.data.phrase_table import Phrase, PhraseTable
from cbow.data.phrases import (
    PhraseSettings, apply_phrases, choose_phrases, count_pairs, iter_token_blocks, learn_phrases, phrase_score,
    phrase_tokenizer, prune_pair_counts, PairCounts,
)
from cbow.errors import ConfigError, CorpusError

PLANTED = [("new", "york"), ("los", "angeles"), ("hong", "kong"), ("buenos", "aires"), ("tel", "aviv")]


def planted_bigram_lines(n_sentences=4000, seed=0, rate=0.1):
    """Zipfian filler and frequent function words drawn independently, so only the planted pairs
    occur together more often than chance. "of the" is inserted as a pair too, often (thousands of
    times) but made of very frequent words: a common pair that must not score as a phrase. "new"
    also occurs alone, so count(new) > count(new york)."""
    rng = np.random.default_rng(seed)
    filler = planted.pseudo_words(300, rng, length=3)
    zipf = 1.0 / np.arange(1, len(filler) + 1)
    zipf /= zipf.sum()
    function_words = ["the", "of", "and", "a", "in", "to"]
    lines = []
    for _ in range(n_sentences):
        tokens = []
        for _ in range(rng.integers(6, 14)):
            if rng.random() < 0.35:
                tokens.append(function_words[rng.integers(len(function_words))])
            else:
                tokens.append(filler[rng.choice(len(filler), p=zipf)])
        if rng.random() < 0.4:
            position = rng.integers(len(tokens) + 1)
            tokens[position:position] = ["of", "the"]
        if rng.random() < rate:
            position = rng.integers(len(tokens) + 1)
            tokens[position:position] = list(PLANTED[rng.integers(len(PLANTED))])
        if rng.random() < 0.015:
            tokens.insert(rng.integers(len(tokens) + 1), "new")
        lines.append(" ".join(tokens))
    return lines


def planted_trigram_lines(**kwargs):
    """`planted_bigram_lines` where every other "new york" is "new york times" ("times" only there)."""
    return [line.replace("new york", "new york times", 1) if index % 2 else line
            for index, line in enumerate(planted_bigram_lines(**kwargs))]


def naive_counts(lines):
    """Unigram and in-line bigram counts of whitespace-split lines, the obvious way."""
    unigrams, bigrams = collections.Counter(), collections.Counter()
    for line in lines:
        tokens = line.split()
        unigrams.update(tokens)
        bigrams.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))
    return unigrams, bigrams


def naive_join(tokens, pairs):
    """Greedy left-to-right joining, one token at a time (the reference for `_join_pass`)."""
    out, i = [], 0
    while i < len(tokens):
        if i + 1 < len(tokens) and f"{tokens[i]} {tokens[i + 1]}" in pairs:
            out.append(f"{tokens[i]}_{tokens[i + 1]}")
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def test_score_is_word2phrase_formula():
    # (count_ab - delta) / (count_a * count_b) * N, by hand.
    assert phrase_score(30, 40, 50, 5, 1000) == pytest.approx(25 / 2000 * 1000)
    assert phrase_score(3, 40, 50, 5, 1000) < 0
    scores = phrase_score(np.array([10, 20]), np.array([10, 40]), np.array([20, 20]), 5.0, 100)
    assert scores.dtype == np.float64 and scores.tolist() == pytest.approx([2.5, 1.875])


def test_score_of_huge_counts_does_not_overflow():
    # count_a * count_b = 10^18 fits in int64; the score stays exact in float64.
    assert phrase_score(10**9, 10**9, 10**9, 0, 10**12) == pytest.approx(1000.0)


def test_planted_bigrams_are_found_and_no_common_pair_is(tmp_path):
    path = tmp_path / "planted.txt"
    path.write_text("\n".join(planted_bigram_lines()) + "\n", encoding="utf-8")
    table = learn_phrases(path)  # defaults: threshold 100, min_count 5, word2phrase scoring
    found = set(table.passes[0])
    assert found == {f"{a} {b}" for a, b in PLANTED}
    unigrams, bigrams = naive_counts(path.read_text().splitlines())
    assert bigrams["of the"] > 1000 and "of the" not in found  # frequent, but of frequent words
    assert unigrams["new"] > bigrams["new york"]
    phrase = table.passes[0]["new york"]
    n_tokens = sum(unigrams.values())
    assert phrase.count == bigrams["new york"]
    assert phrase.score == pytest.approx((bigrams["new york"] - 5) / (unigrams["new"] * unigrams["york"]) * n_tokens)


def test_threshold_min_count_and_delta_decide():
    lines = ["x y"] * 6 + ["a b c d e f g h"] * 2
    unigrams, bigrams = naive_counts(lines)
    n_tokens = sum(unigrams.values())  # 28; score(x y) = (6 - delta) / 36 * 28
    assert set(learn_phrases(lines, PhraseSettings((0.0,), min_count=5)).passes[0]) == {"x y"}
    assert learn_phrases(lines, PhraseSettings((0.0,), min_count=7)).passes[0] == {}  # count 6 < 7
    assert learn_phrases(lines, PhraseSettings((0.0,), min_count=6)).passes[0] == {}  # score 0, not > 0
    both_frequent = lines + ["x", "y"] * 3  # count(x) = count(y) = 9 >= 7 > count(x y) = 6
    assert learn_phrases(both_frequent, PhraseSettings((0.0,), min_count=7, delta=0)).passes[0] == {}
    assert set(learn_phrases(both_frequent, PhraseSettings((0.0,), min_count=6, delta=0)).passes[0]) == {"x y"}
    with_delta = learn_phrases(lines, PhraseSettings((0.0,), min_count=2, delta=0))
    assert set(with_delta.passes[0]) == {"x y"} | {f"{a} {b}" for a, b in zip("abcdefg", "bcdefgh")}
    assert with_delta.passes[0]["x y"].score == pytest.approx(6 / 36 * n_tokens)
    score = with_delta.passes[0]["x y"].score  # 4.67; the a..h pairs score 2 / 4 * 28 = 14
    assert "x y" not in learn_phrases(lines, PhraseSettings((score,), min_count=2, delta=0)).passes[0]  # strict >
    assert "x y" in learn_phrases(lines, PhraseSettings((score * (1 - 1e-9),), min_count=2, delta=0)).passes[0]


def test_gensim_scoring_uses_distinct_words_and_pairs():
    lines = ["x y"] * 6 + ["a b c"]
    counts = count_pairs(iter_token_blocks(lines, "whitespace"))
    assert counts.n_types == 5 + 3  # x y a b c; "x y" "a b" "b c"
    chosen = choose_phrases(counts, PhraseSettings(min_count=1, delta=0, scoring="gensim"), 0.0)
    assert chosen["x y"].score == pytest.approx(6 / 36 * 8)


def test_two_passes_make_trigrams():
    # "times" only ever follows "new york": pass 1 joins "new york" (greedy, before "york times"),
    # pass 2 scores "new_york times" on the joined text.
    lines = planted_trigram_lines()
    table = learn_phrases(lines, PhraseSettings((100.0, 100.0)))
    assert "new york" in table.passes[0] and "york times" in table.passes[0]
    assert set(table.passes[1]) == {"new_york times"}
    assert apply_phrases("read the new york times".split(), table) == ["read", "the", "new_york_times"]
    assert apply_phrases("read the new york times".split(), PhraseTable(table.passes[:1]))[-2:] == ["new_york", "times"]
    single = learn_phrases(lines, PhraseSettings((100.0,)))
    assert single.passes == table.passes[:1]


@pytest.mark.parametrize("tokens, pairs, expected", [
    ("a b c".split(), {"a b", "b c"}, ["a_b", "c"]),          # greedy: b is taken by a
    ("x a b c".split(), {"a b", "b c"}, ["x", "a_b", "c"]),
    ("a b a b a".split(), {"a b", "b a"}, ["a_b", "a_b", "a"]),
    ("b c".split(), {"a b"}, ["b", "c"]),
    (["a"], {"a b"}, ["a"]),
    ([], {"a b"}, []),
])
def test_joining_is_greedy_left_to_right(tokens, pairs, expected):
    table = PhraseTable(({pair: Phrase(5, 200.0) for pair in pairs},))
    assert apply_phrases(tokens, table) == expected
    assert apply_phrases(tokens, table) == naive_join(tokens, pairs)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcd"), max_size=20), st.sets(st.sampled_from(["a b", "b c", "c a", "a a", "d d"])))
def test_joining_matches_the_reference(tokens, pairs):
    table = PhraseTable(({pair: Phrase(5, 200.0) for pair in pairs},))
    assert apply_phrases(tokens, table) == naive_join(tokens, pairs)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["ab", "c", "de", "f", "ghij"]), max_size=30), min_size=1, max_size=8),
       st.sampled_from([16, 24, 64, 1 << 22]))
def test_overlong_lines_read_in_pieces_count_and_join_as_whole_lines(tmp_path_factory, lines, block_size):
    lines = [" ".join(tokens) for tokens in lines]
    path = tmp_path_factory.mktemp("c") / "c.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    old = corpus.BLOCK_SIZE
    corpus.BLOCK_SIZE = block_size  # (hypothesis forbids the monkeypatch fixture here)
    try:
        counts = count_pairs(iter_token_blocks(path, "whitespace"))
        unigrams, bigrams = naive_counts(lines)
        assert counts.unigrams == unigrams and counts.bigrams == bigrams
        assert counts.n_tokens == sum(unigrams.values())
        # "ab_c de": a joined token never joins again in its pass, even at a block boundary
        table = PhraseTable(({"ab c": Phrase(1, 1.0), "c ab": Phrase(1, 1.0), "de f": Phrase(1, 1.0),
                              "ab_c de": Phrase(1, 1.0)},
                             {"ab_c de_f": Phrase(1, 1.0), "f f": Phrase(1, 1.0)}))
        if counts.n_tokens:
            output = path.with_name("out.txt")
            stats = write_phrased_corpus(path, table, output, "whitespace")
            expected = [" ".join(apply_phrases(line.split(), table)) for line in lines]
            assert output.read_text(encoding="utf-8").split("\n") == expected + [""]
            assert stats.n_lines == len(lines) and stats.n_tokens_in == counts.n_tokens
    finally:
        corpus.BLOCK_SIZE = old


def test_a_block_boundary_anywhere_in_a_line_changes_nothing(tmp_path, monkeypatch):
    # One long line cut at every alignment: a held token crosses the cut only when it is still
    # alone ("ab_c" must not meet "de" for the pair "ab_c de" of the same pass).
    line = "x ab c de ab c de f ab c ab c de de f x " * 6
    path = tmp_path / "c.txt"
    path.write_text(line + "\n" + line + "\n", encoding="utf-8")
    table = PhraseTable(({"ab c": Phrase(1, 1.0), "de f": Phrase(1, 1.0), "ab_c de": Phrase(1, 1.0)},
                         {"ab_c de_f": Phrase(1, 1.0), "ab_c ab_c": Phrase(1, 1.0)}))
    expected = " ".join(apply_phrases(line.split(), table))
    assert "ab_c_ab_c" in expected and "ab_c_de_f" in expected and "ab_c de" in expected
    unigrams, bigrams = naive_counts([line, line])
    for block_size in range(4, 40):
        monkeypatch.setattr(corpus, "BLOCK_SIZE", block_size)
        counts = count_pairs(iter_token_blocks(path))
        assert counts.unigrams == unigrams and counts.bigrams == bigrams, block_size
        output = tmp_path / "out.txt"
        write_phrased_corpus(path, table, output)
        assert output.read_text(encoding="utf-8") == f"{expected}\n{expected}\n", block_size


def test_rewritten_corpus_keeps_every_line(tmp_path):
    lines = ["new york", "", "  ", "in new york", "los angeles new york"] * 4
    table = PhraseTable(({"new york": Phrase(12, 150.0)},))
    output = tmp_path / "out.txt"
    stats = write_phrased_corpus(lines, table, output)
    written = output.read_text(encoding="utf-8").split("\n")
    assert written[:5] == ["new_york", "", "", "in new_york", "los angeles new_york"] and written[-1] == ""
    assert stats.n_lines == len(lines) == len(written) - 1
    assert stats.n_tokens_in == 4 * 9 and stats.n_tokens_out == 4 * (9 - 3)


def test_phrase_tokenizer_is_tokenize_then_apply():
    table = PhraseTable(({"new york": Phrase(12, 150.0)}, {"new_york times": Phrase(6, 120.0)}))
    tokenize = phrase_tokenizer("default", table)
    assert tokenize("The New York Times, in New-York.") == ["the", "new_york_times", "in", "new_york"]


def test_pruning_drops_rare_entries_like_reduce_vocab():
    counts = PairCounts(collections.Counter({"a": 9, "b": 7, "c": 1, "d": 2}),
                        collections.Counter({"a b": 6, "b c": 1, "c d": 1, "a d": 2}), 27)
    prune_pair_counts(counts, max_types=6)
    assert dict(counts.unigrams) == {"a": 9, "b": 7, "d": 2} and dict(counts.bigrams) == {"a b": 6, "a d": 2}
    assert counts.min_reduce == 2
    prune_pair_counts(counts, max_types=3)  # two more rounds: <= 2 goes, then nothing <= 3
    assert dict(counts.unigrams) == {"a": 9, "b": 7} and dict(counts.bigrams) == {"a b": 6}
    assert counts.min_reduce == 3


def test_a_tiny_cap_prunes_but_keeps_the_planted_phrases(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(corpus, "BLOCK_SIZE", 4096)  # prune checks every ~4 KB, as every 4 MiB on real text
    path = tmp_path / "planted.txt"
    lines = planted_bigram_lines(n_sentences=3000, seed=1, rate=0.4)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    exact = count_pairs(iter_token_blocks(path))
    assert exact.n_types > 3000 and exact.min_reduce == 1
    capped = count_pairs(iter_token_blocks(path), max_types=300)
    assert capped.min_reduce > 1 and capped.n_types <= 300
    assert capped.n_tokens == exact.n_tokens
    for counter, exact_counter in ((capped.unigrams, exact.unigrams), (capped.bigrams, exact.bigrams)):
        assert all(count <= exact_counter[key] for key, count in counter.items())
    with caplog.at_level(logging.WARNING):
        table = learn_phrases(path, max_types=300)
    assert {f"{a} {b}" for a, b in PLANTED} <= set(table.passes[0])
    assert "pruned while counting" in caplog.text


def test_the_cap_bounds_the_memory_of_counting(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "BLOCK_SIZE", 8192)
    rng = np.random.default_rng(2)
    words = planted.pseudo_words(3000, rng, length=3)
    lines = [" ".join(rng.choice(words, size=20)) for _ in range(4000)]  # ~80k distinct pairs
    path = tmp_path / "random.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def peak_bytes(max_types):
        tracemalloc.start()
        try:
            counts = count_pairs(iter_token_blocks(path), max_types=max_types)
            return tracemalloc.get_traced_memory()[1], counts
        finally:
            tracemalloc.stop()

    uncapped_peak, uncapped = peak_bytes(10_000_000)
    capped_peak, capped = peak_bytes(2000)
    assert uncapped.n_types > 70_000 and capped.n_types <= 2000
    assert capped_peak < uncapped_peak / 4


def test_bad_settings_and_sources_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="--threshold"):
        learn_phrases(["a b"], PhraseSettings((-1.0,)))
    with pytest.raises(ConfigError, match="--passes"):
        learn_phrases(["a b"], PhraseSettings(()))
    with pytest.raises(ConfigError, match="--min-count"):
        learn_phrases(["a b"], PhraseSettings(min_count=0))
    with pytest.raises(ConfigError, match="--scoring"):
        learn_phrases(["a b"], PhraseSettings(scoring="npmi"))
    with pytest.raises(ConfigError, match="--max-types-in-memory"):
        learn_phrases(["a b"], max_types=0)
    with pytest.raises(ConfigError, match="one-shot iterator"):
        learn_phrases(iter(["a b"]), PhraseSettings((100.0, 100.0)))
    with pytest.raises(ConfigError, match="standard input"):
        learn_phrases("-", PhraseSettings((100.0, 100.0)))
    with pytest.raises(CorpusError, match="no words found"):
        learn_phrases(["", " 42 !"])
    with pytest.raises(CorpusError, match="no such file"):
        learn_phrases(tmp_path / "missing.txt")
    output = tmp_path / "out.txt"
    with pytest.raises(CorpusError, match="no words found"):
        write_phrased_corpus(["", "..."], PhraseTable(({},)), output)
    assert list(tmp_path.iterdir()) == []  # no output, no temporary file
