"""The `cbow query` prompt: parse one input line, answer it; history for the interactive prompt.

Input language (one query per line):

    paris                      neighbours of a word
    king - man + woman         neighbours of an expression (3CosAdd; also king-man+woman)
    paris berlin               several words: neighbours of their sum
    :sim cat dog               cosine similarity
    :odd cat dog car mouse     the word that does not match
    :rank cat dog              rank of dog among cat's neighbours
    :topn 5                    neighbours shown from now on
    :help                      this text
    :quit                      leave (so do Ctrl-D and Ctrl-C)

This module computes answers as data (`Answer`); cbow.cli prints them, one line per input
line when stdin is not a terminal, a small table when it is. With a `WordResolver`
(`cbow.vectors.spelling`), as the command uses, a missing word is looked up by its
lowercase or tokenizer form ('King' -> 'king'); without one, lookups are exact.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cbow.errors import CbowError
from cbow.vectors.keyed import KeyedVectors
from cbow.vectors.spelling import WordResolver
from cbow.vectors.subword_keyed import SubwordKeyedVectors

HELP = __doc__.split("Input language (one query per line):")[1].split("This module")[0].strip("\n")


class QueryError(CbowError):
    """An input line the prompt cannot answer (the prompt reports it and goes on)."""


@dataclass
class Answer:
    """The answer to one input line.

    kind : 'neighbours' (items = [(word, score)]), 'number' (value), 'word' (text),
           'text' (text: help or a setting changed), 'empty', 'quit'
    """

    kind: str
    items: list[tuple[str, float]] = field(default_factory=list)
    value: float = 0.0
    text: str = ""

    def one_line(self) -> str:
        """The answer as a single line (for pipes: one output line per input line)."""
        if self.kind == "neighbours":
            return "\t".join(f"{word} {score:.4f}" for word, score in self.items)
        if self.kind == "number":
            return f"{self.value:.4f}" if isinstance(self.value, float) else str(self.value)
        if self.kind == "text":
            return self.text.replace("\n", " | ")
        return self.text


@dataclass
class Session:
    """State of one prompt session: the vectors and the settings the user changed."""

    kv: KeyedVectors
    topn: int = 10
    restrict_vocab: int | None = None
    resolver: WordResolver | None = None  # None: exact lookups (the Python API's default)
    _notes: list[str] = field(default_factory=list)

    def answer(self, line: str) -> Answer:
        """Answer one input line; raises QueryError (or UnknownWordError) for bad input."""
        line = line.strip()
        if not line or line.startswith("#"):
            return Answer("empty")
        if line.startswith(":"):
            return self._command(line[1:].split())
        is_word = self.resolver.knows if self.resolver is not None else self.kv.has_index_for
        positive, negative = parse_expression(line, is_word)
        return Answer("neighbours", self.kv.most_similar(positive=self._keys(positive), negative=self._keys(negative),
                                                         topn=self.topn, restrict_vocab=self.restrict_vocab))

    def _keys(self, words: list[str]) -> list[str]:
        """The vocabulary keys of typed words (through the resolver, when there is one); which
        of them get their vector from n-grams is noted (`take_notes`)."""
        keys = words if self.resolver is None else [self.resolver(word) for word in words]
        self._notes += [note for note in ngram_notices(self.kv, keys) if note not in self._notes]
        return keys

    def take_notes(self) -> list[str]:
        """What the last answers should say beside them: the query words made from n-grams."""
        notes, self._notes = self._notes, []
        return notes

    def _command(self, parts: list[str]) -> Answer:
        name, words = (parts[0].lower(), parts[1:]) if parts else ("", [])
        words = self._keys(words) if name in ("sim", "odd", "rank") else words
        if name in ("q", "quit", "exit"):
            return Answer("quit")
        if name in ("h", "help", "?"):
            return Answer("text", text=HELP)
        if name == "sim":
            _need(words, 2, ":sim a b")
            return Answer("number", value=self.kv.similarity(words[0], words[1]))
        if name == "odd":
            if len(words) < 3:
                raise QueryError(":odd needs at least 3 words, e.g. ':odd cat dog car mouse'")
            for word in words:
                self.kv.get_vector(word)  # unknown words are errors here, not silently ignored
            return Answer("word", text=self.kv.doesnt_match(words))
        if name == "rank":
            _need(words, 2, ":rank a b")
            return Answer("number", value=self.kv.rank(words[0], words[1]))
        if name == "topn":
            if len(words) != 1 or not words[0].isdigit() or int(words[0]) < 1:
                raise QueryError(":topn needs one integer >= 1, e.g. ':topn 5'")
            self.topn = int(words[0])
            return Answer("text", text=f"showing {self.topn} neighbours")
        raise QueryError(f"unknown command ':{name}'; try :help")


def ngram_notices(kv: KeyedVectors, words: list[str]) -> list[str]:
    """For vectors with n-grams: one line per distinct word of `words` not in the vocabulary
    whose vector is the mean of its n-grams ("'foo' is not in the vocabulary: ..."). A word
    with no n-gram is left to the warning its zero vector raises."""
    if not isinstance(kv, SubwordKeyedVectors):
        return []
    counts = {word: kv.ngram_count(word) for word in dict.fromkeys(words)}
    return [f"{word!r} is not in the vocabulary: its vector is the mean of its {count} n-gram vectors"
            for word, count in counts.items() if count]


def _need(words: list[str], count: int, usage: str) -> None:
    if len(words) != count:
        raise QueryError(f"expected {count} words: '{usage}'")


_OPERATOR = re.compile(r"([+-])")


def parse_expression(line: str, is_word: Callable[[str], bool] | None = None) -> tuple[list[str], list[str]]:
    """'king - man + woman' (or 'king-man+woman') -> (['king', 'woman'], ['man']).

    A whitespace-separated piece holding '+' or '-' is cut at them, unless `is_word` says the
    piece is a word of the vocabulary ('e-mail' in vectors that keep hyphens).
    """
    pieces = []
    for piece in line.split():
        if len(piece) > 1 and not (is_word is not None and is_word(piece)):
            pieces += [part for part in _OPERATOR.split(piece) if part]
        else:
            pieces.append(piece)
    positive: list[str] = []
    negative: list[str] = []
    sign = None
    for token in pieces:
        if token in ("+", "-"):
            if sign is not None:
                raise QueryError(f"two operators in a row in {line!r}; write e.g. 'king - man + woman'")
            sign = token
            continue
        (negative if sign == "-" else positive).append(token)
        sign = None
    if sign is not None:
        raise QueryError(f"{line!r} ends with an operator; add a word after it")
    return positive, negative


def history_path() -> Path:
    """$XDG_CACHE_HOME/cbow/query_history (default ~/.cache/cbow/query_history)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "cbow" / "query_history"


@contextlib.contextmanager
def readline_history(path: Path | None = None, length: int = 1000):
    """Enable readline line editing with a history file; any failure only loses the history."""
    try:
        import readline
    except ImportError:  # not on every platform; the prompt works without it
        yield
        return
    path = history_path() if path is None else path
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(length)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)
