"""A phrase table: the word pairs each pass of `cbow phrases` joins, saved as TSV and read back.

A phrase is a pair of adjacent tokens ``first second`` that becomes the one token
``first_second``. Pass 1 pairs are words; a pass-2 pair may hold a pass-1 phrase
(``new_york times`` -> ``new_york_times``), which is how two passes make trigrams, as running
word2phrase twice does. The file keeps the pass of every phrase so that applying a table
repeats exactly the passes that found it (`cbow.data.phrases.apply_phrases`).

File format (UTF-8, one phrase a line, most confident first within a pass)::

    # cbow phrases: <how the table was made, for people; ignored when reading>
    phrase<TAB>count<TAB>score<TAB>pass
    new york<TAB>1186<TAB>1733.1<TAB>1
    new_york times<TAB>52<TAB>161.9<TAB>2

`phrase` is the two tokens separated by one space (tokens never hold whitespace: both
tokenizers split on it); `count` is how often the pair was seen in that pass, `score` its
score (see `cbow.data.phrases`), `pass` 1 or more. The first line may be the ``# cbow
phrases`` comment, the next the column header; every other line is a phrase.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cbow.atomic import atomic_write
from cbow.errors import FormatError

JOINER = "_"  # glues a phrase's two tokens into one, as word2phrase and gensim do
MAX_PASSES = 4  # pass k joins up to 2**k words; a bound keeps a damaged pass column from allocating
HEADER = "phrase\tcount\tscore\tpass"
_COMMENT = "# cbow phrases"
_FIX = "fix the file or make it again with `cbow phrases CORPUS --save-table TABLE`"
_COUNT_RE = re.compile(r"[0-9]+")
_PASS_RE = re.compile(r"[1-9][0-9]*")


@dataclass(frozen=True)
class Phrase:
    """One pair that a pass joins: how often it was seen and its score."""

    count: int
    score: float


@dataclass(frozen=True)
class PhraseTable:
    """The phrases of each pass, in the order the passes apply.

    Attributes
    ----------
    passes : tuple of dict
        ``passes[k]`` maps ``"first second"`` (the two tokens, one space) to the `Phrase`
        pass k + 1 joins; a pass may find nothing (an empty dict).
    description : str
        How the table was made (settings, corpus), written to the file's first line.
    """

    passes: tuple[dict[str, Phrase], ...]
    description: str = field(default="", compare=False)

    def __len__(self) -> int:
        return sum(map(len, self.passes))

    def rows(self) -> Iterator[tuple[int, str, Phrase]]:
        """Yield ``(pass_no, "first second", phrase)``: by pass, then score descending, then pair."""
        for pass_no, pairs in enumerate(self.passes, start=1):
            for pair in sorted(pairs, key=lambda key: (-pairs[key].score, key)):
                yield pass_no, pair, pairs[pair]


def phrase_token(pair: str) -> str:
    """The token a pair becomes: ``"new york"`` -> ``"new_york"``."""
    return pair.replace(" ", JOINER, 1)


def save_phrase_table(table: PhraseTable, path: str | os.PathLike) -> None:
    """Write `table` as TSV (format in the module docstring), atomically.

    Scores are written with ``repr`` so they read back bit for bit.

    Raises
    ------
    OutputError : the file cannot be written (nothing is left behind)
    """
    description = " ".join(table.description.split())  # one line, whatever it holds
    lines = [f"{_COMMENT}: {description}".rstrip(), HEADER]
    lines.extend(f"{pair}\t{phrase.count}\t{phrase.score!r}\t{pass_no}"
                 for pass_no, pair, phrase in table.rows())
    with atomic_write(path) as handle:
        handle.write(("\n".join(lines) + "\n").encode("utf-8"))


def load_phrase_table(path: str | os.PathLike) -> PhraseTable:
    """Read a phrase table written by `save_phrase_table` (or by hand in its format).

    Empty lines are skipped and a ``\\r`` before the newline is ignored. The number of
    passes is the highest pass listed; a table of no phrases (its header only) has none.

    Returns
    -------
    PhraseTable

    Raises
    ------
    FormatError
        The file is missing, unreadable, not UTF-8, empty, or a line is malformed
        (the message names the line): not four tab-separated fields, a phrase that is not
        two tokens separated by one space, a negative count, a score that is not a finite
        number, a pass outside 1..MAX_PASSES, or a phrase listed twice in one pass.
    """
    name = os.fspath(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise FormatError(f"{name}: no such file; check the path of the phrase table") from None
    except OSError as error:
        raise FormatError(f"{name}: cannot read ({error.strerror or error}); check the path") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_no = data.count(b"\n", 0, error.start) + 1
        raise FormatError(f"{name}:{line_no}: not UTF-8 text; {_FIX}") from None
    passes: list[dict[str, Phrase]] = []
    first_line: dict[tuple[int, str], int] = {}
    has_header = False
    for line_no, line in enumerate(text.split("\n"), start=1):
        line = line[:-1] if line.endswith("\r") else line
        if (line_no == 1 and line.startswith(_COMMENT)) or (line_no <= 2 and line == HEADER):
            has_header = True
            continue
        if not line:
            continue
        pass_no, pair, phrase = _parse_row(line, f"{name}:{line_no}")
        if (pass_no, pair) in first_line:
            raise FormatError(f"{name}:{line_no}: phrase {pair!r} of pass {pass_no} is listed again "
                              f"(first on line {first_line[pass_no, pair]}); {_FIX}")
        first_line[pass_no, pair] = line_no
        while len(passes) < pass_no:
            passes.append({})
        passes[pass_no - 1][pair] = phrase
    if not first_line and not has_header:  # a table that found nothing still has its header
        raise FormatError(f"{name}: holds neither a header nor phrases; {_FIX}")
    description = text.split("\n", 1)[0][len(_COMMENT) + 1:].strip() if text.startswith(_COMMENT) else ""
    return PhraseTable(tuple(passes), description)


def _parse_row(line: str, place: str) -> tuple[int, str, Phrase]:
    """``phrase<TAB>count<TAB>score<TAB>pass`` -> (pass_no, pair, Phrase), or FormatError at `place`."""
    fields = line.split("\t")
    shown = line if len(line) <= 60 else line[:57] + "..."
    if len(fields) != 4:
        raise FormatError(f"{place}: expected 'phrase<TAB>count<TAB>score<TAB>pass', got {shown!r}; {_FIX}")
    pair, count, score, pass_no = fields
    tokens = pair.split(" ")
    if len(tokens) != 2 or not all(tokens) or any(len(token.split()) != 1 for token in tokens):
        raise FormatError(f"{place}: phrase {pair!r} is not two tokens separated by one space; {_FIX}")
    if not _COUNT_RE.fullmatch(count):
        raise FormatError(f"{place}: count {count!r} of {pair!r} is not a whole number >= 0; {_FIX}")
    try:
        value = float(score)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise FormatError(f"{place}: score {score!r} of {pair!r} is not a finite number; {_FIX}")
    if not _PASS_RE.fullmatch(pass_no) or int(pass_no) > MAX_PASSES:
        raise FormatError(f"{place}: pass {pass_no!r} of {pair!r} is not a whole number from 1 to "
                          f"{MAX_PASSES}; {_FIX}")
    return int(pass_no), pair, Phrase(int(count), value)
