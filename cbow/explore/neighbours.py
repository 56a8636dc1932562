"""Neighbour answers for the page: a word, an expression or analogy, and two files side by side.

Every answer is computed by the public KeyedVectors queries that `cbow similar` and
`cbow analogy` use, so the page and the commands agree to the last digit:

    a word            most_similar_many([key], topn)   (cbow similar; the word itself excluded;
                                                        the server's concurrent ones in one batch;
                                                        an unseen word of a subword model too)
    an expression     most_similar(positive, negative) for 3CosAdd,
                      most_similar_cosmul(positive, negative) for 3CosMul (cbow analogy --cosmul)

Expressions are those of `cbow query` ("king - man + woman", "king-man+woman"), and the
analogy form "man : king :: woman" (= king - man + woman).

Two files A and B, for one word w, with N_A and N_B its k nearest neighbours in each:

    overlap@k(w) = |N_A intersect N_B| / k

Each neighbour is marked as shared or not, with its rank in the other file's list and its
cosine to w there (None when the other vocabulary lacks either word). `moved_words` ranks
the most frequent words of A that B also holds by overlap@k, lowest first: what changed
most between two runs, the check people otherwise make by hand after a retrain.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from cbow.explore.errors import RequestError
from cbow.explore.served import ServedFile
from cbow.vectors.query import QueryError, ngram_notices, parse_expression
from cbow.vectors.spelling import WordResolver

METHODS = ("3CosAdd", "3CosMul")
MAX_TERMS = 20
_ANALOGY = re.compile(r"^\s*(\S+?)\s*:\s*(\S+?)\s*::\s*(\S+?)\s*(?::\s*\??)?\s*$")


def _pairs(found: list[tuple[str, float]]) -> list[list]:
    return [[word, round(float(score), 6)] for word, score in found]


Search = Callable[[ServedFile, str, int], list]  # (file, vocabulary word, topn) -> [(word, cosine)]


def search_alone(served: ServedFile, key: str, topn: int) -> list[tuple[str, float]]:
    """One word's neighbours by itself (the server batches concurrent ones: cbow.explore.batching)."""
    return served.kv.most_similar_many([key], topn=topn)[0]


def neighbours(served: ServedFile, typed: str, topn: int, search: Search = search_alone) -> dict:
    """The `topn` nearest words of one typed word, best first, and how the word was found."""
    word = served.look_up(typed)
    found = search(served, word.key, topn)  # an n-gram word: SubwordKeyedVectors makes its vector
    answer = {"file": served.id, "word": typed, "key": word.key, "source": word.source,
              "neighbours": _pairs(found)}
    if word.source == "ngrams":
        answer["notices"] = ngram_notices(served.kv, [word.key])  # "... the mean of its 21 n-gram vectors"
    if served.kv.counts is not None and word.row is not None:
        answer["count"] = int(served.kv.counts[word.row])
    if word.row is not None:
        answer["rank"] = int(word.row) + 1  # frequency rank when the file is stored most frequent first
    return answer


def parse_query(served: ServedFile, text: str) -> tuple[list[str], list[str]]:
    """(positive, negative) typed words of an expression or an analogy 'a : b :: c'.

    Raises
    ------
    RequestError : 400 bad_expression, saying how to write one
    """
    analogy = _ANALOGY.match(text)
    if analogy:
        a, b, c = analogy.groups()
        return [b, c], [a]
    try:
        positive, negative = parse_expression(text, is_word=WordResolver(served.kv).knows)
    except QueryError as error:
        raise RequestError(400, "bad_expression", str(error)) from None
    if not positive and not negative:
        raise RequestError(400, "bad_expression", "the expression holds no word; write e.g. 'king - man + woman'")
    if len(positive) + len(negative) > MAX_TERMS:
        raise RequestError(400, "bad_expression", f"the expression has {len(positive) + len(negative)} words; "
                                                  f"at most {MAX_TERMS} are answered")
    return positive, negative


def expression(served: ServedFile, text: str, method: str, topn: int) -> dict:
    """Neighbours of 'king - man + woman' (or 'man : king :: woman') by 3CosAdd or 3CosMul."""
    positive, negative = parse_query(served, text)
    if method == "3CosMul" and not positive:
        raise RequestError(400, "bad_expression", "3CosMul needs at least one word to add; "
                                                  "write e.g. 'king - man + woman' or use 3CosAdd")
    found_positive = [served.look_up(word) for word in positive]
    found_negative = [served.look_up(word) for word in negative]
    query = served.kv.most_similar_cosmul if method == "3CosMul" else served.kv.most_similar
    found = query(positive=[w.key for w in found_positive], negative=[w.key for w in found_negative], topn=topn)
    notices = [f"using {w.key!r} for {w.typed!r}" for w in found_positive + found_negative if w.source == "spelling"]
    notices += ngram_notices(served.kv, [w.key for w in found_positive + found_negative if w.source == "ngrams"])
    return {"file": served.id, "expression": text, "method": method,
            "positive": [w.key for w in found_positive], "negative": [w.key for w in found_negative],
            "notices": notices, "neighbours": _pairs(found)}


def _cosine(served: ServedFile, word: str, other: str) -> float | None:
    """cos(word, other) in one file, None when its vocabulary lacks either word."""
    if word not in served.kv.key_to_index or other not in served.kv.key_to_index:
        return None
    return round(served.kv.similarity(word, other), 6)


def _side(served: ServedFile, typed: str, k: int, search: Search) -> dict:
    try:
        return neighbours(served, typed, k, search)
    except RequestError as error:
        if error.code != "unknown_word":
            raise
        return {"file": served.id, "word": typed, "error": error.to_json()["error"], "neighbours": []}


def compare(file_a: ServedFile, file_b: ServedFile, typed: str, k: int, search: Search = search_alone) -> dict:
    """One word's k neighbours in A and in B, what each has that the other lacks, and overlap@k."""
    sides = {"a": _side(file_a, typed, k, search), "b": _side(file_b, typed, k, search)}
    if "error" in sides["a"] and "error" in sides["b"]:
        error = sides["a"]["error"]
        hint = error["message"].split("; ")[-1]
        raise RequestError(404, "unknown_word", f"word {typed!r} is in neither file; {hint}",
                           word=typed, suggestions=error.get("suggestions", []))
    lists = {name: [word for word, _ in side["neighbours"]] for name, side in sides.items()}
    for name, other, other_file in (("a", "b", file_b), ("b", "a", file_a)):
        side = sides[name]
        other_rank = {word: rank for rank, word in enumerate(lists[other], start=1)}
        key = side.get("key", typed)
        side["marks"] = [{"shared": word in other_rank, "rank_in_other": other_rank.get(word),
                          "in_other_vocabulary": word in other_file.kv.key_to_index,
                          "cosine_in_other": _cosine(other_file, key, word)} for word in lists[name]]
    shared = len(set(lists["a"]) & set(lists["b"]))
    both = "error" not in sides["a"] and "error" not in sides["b"]
    return {"word": typed, "k": k, "a": sides["a"], "b": sides["b"], "shared": shared,
            "overlap": round(shared / k, 6) if both else None,
            "only_a": [w for w in lists["a"] if w not in set(lists["b"])],
            "only_b": [w for w in lists["b"] if w not in set(lists["a"])]}


def moved_words(file_a: ServedFile, file_b: ServedFile, sample: int, k: int, show: int = 50) -> dict:
    """The words among A's `sample` most frequent (and in B) whose k neighbours changed most.

    Returns the mean overlap@k over the sample and the `show` words of lowest overlap
    (ties: the more frequent first), each with its first neighbours in A and in B.
    """
    order = file_a.frequency_order()
    words = [file_a.kv.index_to_key[row] for row in order[: sample * 2].tolist()
             if file_a.kv.index_to_key[row] in file_b.kv.key_to_index][:sample]
    if not words:
        raise RequestError(400, "bad_parameter", f"{file_a.name} and {file_b.name} share no word; "
                                                 "compare files trained on the same language")
    lists_a = file_a.kv.most_similar_many(words, topn=k)
    lists_b = file_b.kv.most_similar_many(words, topn=k)
    overlaps = np.array([len({w for w, _ in in_a} & {w for w, _ in in_b}) / k
                         for in_a, in_b in zip(lists_a, lists_b)])
    lowest = np.argsort(overlaps, kind="stable")[:show].tolist()
    return {"a": file_a.id, "b": file_b.id, "sample": len(words), "k": k,
            "mean_overlap": round(float(overlaps.mean()), 6),
            "words": [{"word": words[i], "overlap": round(float(overlaps[i]), 6),
                       "a": [w for w, _ in lists_a[i][:5]], "b": [w for w, _ in lists_b[i][:5]]} for i in lowest]}
