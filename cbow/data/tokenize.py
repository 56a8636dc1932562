"""Tokenizers: one line of text -> a list of tokens.

Two are built in, chosen by name with `--tokenizer`:

``default``
    Lowercase, then keep maximal runs of Unicode letters (categories L*, i.e.
    ``str.isalpha``); everything else (digits and other numerals, punctuation, apostrophes,
    underscores, whitespace) separates tokens. Combining marks (categories Mn, Mc, Me) that
    follow a letter stay in the word, so Devanagari vowel signs and decomposed accents
    (``e`` + U+0301) do not cut words apart.
    ``"Déjà-vu 42 don't"`` -> ``['déjà', 'vu', 'don', 't']``: the same split as the
    text8 normalisation (`don't` -> `don t`), without folding accents.
``whitespace``
    ``line.split()``: tokens kept exactly as they are (case and punctuation included), for
    text that is already normalised.

Speed: an ASCII line (the common case) takes one ``str.translate`` (uppercase -> lowercase,
every other non-letter -> space) and ``str.split``, ~5x faster than the regex; other lines
go through the regex. `ascii_token_spans` finds the default tokens of a whole ASCII block
with numpy, for `cbow.data.encode`. All paths give the same tokens (tested on random strings).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Callable

import numpy as np

from cbow.errors import ConfigError

Tokenizer = Callable[[str], list[str]]


# Every assigned letter and mark lives in planes 0-3 or among the variation selectors of
# plane 14 (planes 4-13 are unassigned, 15-16 private use); scanning them takes ~0.1 s, so
# it happens on the first non-ASCII line, not at import.
_SCANNED_RANGES = (range(0x80, 0x40000), range(0xE0000, 0xE1000))


def _class_body(code_points: list[int]) -> str:
    """Regex class body matching exactly the given sorted code points (as ranges)."""
    ranges: list[list[int]] = []
    for c in code_points:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in ranges
    )


@functools.lru_cache(maxsize=1)
def _word_regex() -> re.Pattern[str]:
    """A token: a letter (category L*), then letters or combining marks (M*).

    `re` turns the BMP part of a class into one bitmap test but checks astral ranges one by
    one, which would be paid on every non-letter; the astral classes are therefore only
    tried behind a cheap "is astral" lookahead (4x faster on mixed-script text).
    """
    letters: dict[bool, list[int]] = {False: [], True: []}  # by "is astral"
    marks: dict[bool, list[int]] = {False: [], True: []}
    category = unicodedata.category
    for scan in _SCANNED_RANGES:
        for c in scan:
            kind = category(chr(c))[0]
            if kind == "L":
                letters[c > 0xFFFF].append(c)
            elif kind == "M":
                marks[c > 0xFFFF].append(c)
    bmp_letters = "A-Za-z" + _class_body(letters[False])
    astral_letters = _class_body(letters[True])
    bmp_marks, astral_marks = _class_body(marks[False]), _class_body(marks[True])
    astral = "(?=[\U00010000-\U0010FFFF])"
    first = f"(?:[{bmp_letters}]|{astral}[{astral_letters}])"
    rest = f"(?:[{bmp_letters}{bmp_marks}]|{astral}[{astral_letters}{astral_marks}])"
    return re.compile(f"{first}{rest}*")


# ASCII fast path: A-Z -> a-z, a-z kept, every other ASCII character -> space.
_ASCII_TABLE = str.maketrans(
    {c: (chr(c).lower() if chr(c).isalpha() else " ") for c in range(128)}
)


def _tokenize_regex(line: str) -> list[str]:
    """The default tokenizer's general path (any line); `tokenize_default` is the same."""
    return _word_regex().findall(line.lower())


def tokenize_default(line: str) -> list[str]:
    """Lowercase `line` and split it into runs of Unicode letters.

    Parameters
    ----------
    line : str
        One line of text (a trailing newline is harmless).

    Returns
    -------
    list of str
        The tokens in order; digits, punctuation, apostrophes and underscores separate
        tokens and are dropped. ``"Déjà-vu 42 don't"`` -> ``['déjà', 'vu', 'don', 't']``.

    Notes
    -----
    Combining marks after a letter are kept in the token (see the module docstring).
    ASCII lines take a fast path with the same result.
    """
    if line.isascii():
        return line.translate(_ASCII_TABLE).split()
    return _word_regex().findall(line.lower())


def tokenize_whitespace(line: str) -> list[str]:
    """Split `line` on whitespace and keep the tokens as they are (``line.split()``).

    Parameters
    ----------
    line : str
        One line of text.

    Returns
    -------
    list of str
        The whitespace-separated tokens, case and punctuation unchanged.
    """
    return line.split()


TOKENIZERS: dict[str, Tokenizer] = {
    "default": tokenize_default,
    "whitespace": tokenize_whitespace,
}


def get_tokenizer(name: str | Tokenizer) -> Tokenizer:
    """Return the tokenizer called `name` (or `name` itself when it is already callable).

    Parameters
    ----------
    name : str or callable
        A key of `TOKENIZERS` (``"default"``, ``"whitespace"``), or a function
        ``str -> list[str]``, returned unchanged.

    Returns
    -------
    callable
        ``line -> list of tokens``.

    Raises
    ------
    ConfigError
        `name` is neither a known tokenizer nor callable.
    """
    if callable(name):
        return name
    try:
        return TOKENIZERS[name]
    except (KeyError, TypeError):
        choices = ", ".join(repr(key) for key in TOKENIZERS)
        raise ConfigError(
            f"--tokenizer {name!r}: unknown tokenizer; choose one of {choices}"
        ) from None


def ascii_token_spans(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find the tokens of `tokenize_default` in ASCII text, vectorized over a whole block.

    Parameters
    ----------
    data : bytes
        ASCII text; lines are separated by ``b"\\n"``.

    Returns
    -------
    starts, ends : ndarray of intp, shape (n_tokens,)
        Byte span ``data[starts[i]:ends[i]]`` of each token: a maximal run of ASCII letters
        (lowercase it to get the token).
    line_lengths : ndarray of int64, shape (n_lines,)
        Tokens in each line, ``n_lines = data.count(b"\\n") + 1``.

    Notes
    -----
    Equal to ``[tokenize_default(line) for line in data.decode().split("\\n")]`` (tested);
    `cbow.data.encode` uses it to skip making a string per token.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    n_bytes = len(raw)
    # Setting bit 0x20 lowercases letters; a byte is a letter iff the result is in a..z
    # (uint8 arithmetic wraps, so everything below 'a' becomes large).
    is_letter = ((raw | np.uint8(0x20)) - np.uint8(ord("a"))) < np.uint8(26)
    changes = np.flatnonzero(is_letter[1:] != is_letter[:-1]) + 1
    if n_bytes and is_letter[0]:
        changes = np.concatenate(([0], changes))
    if n_bytes and is_letter[-1]:
        changes = np.concatenate((changes, [n_bytes]))
    starts, ends = changes[0::2], changes[1::2]
    tokens_before_line_end = np.searchsorted(starts, np.flatnonzero(raw == ord("\n")))
    line_lengths = np.diff(tokens_before_line_end, prepend=0, append=len(starts))
    return starts, ends, line_lengths.astype(np.int64)
