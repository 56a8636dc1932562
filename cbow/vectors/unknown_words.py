"""The errors of a vectors query, typed as gensim's are, and the message for a missing word.

A gensim program catches `KeyError` for an unknown word and `ValueError` for a query with
nothing to work on; each class here is a CbowError (one line, with the fix) and the
built-in exception gensim 4.4 raises in the same case, so both kinds of caller work:

    UnknownWordError   KeyError          a word (or integer index) that is not in the vectors
    NoWordsError       KeyError, ValueError   none of the words given is known (doesnt_match)
    EmptyQueryError    ValueError        no word or vector to query with
    EmptySetError      ZeroDivisionError, ValueError   n_similarity with an empty side
    VectorSizeError    ValueError        vectors of another size than the table's
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from cbow.errors import CbowError


class UnknownWordError(KeyError, CbowError):
    """A queried word is not in the vocabulary (a KeyError, as in gensim)."""

    def __str__(self) -> str:  # KeyError would show the repr of the message
        return str(self.args[0]) if self.args else ""


class NoWordsError(UnknownWordError, ValueError):
    """None of the words of a query is in the vocabulary (gensim raises ValueError here)."""


class EmptyQueryError(CbowError, ValueError):
    """A query was given no word and no vector."""


class EmptySetError(CbowError, ZeroDivisionError, ValueError):
    """`n_similarity` with an empty side (gensim raises ZeroDivisionError)."""


class VectorSizeError(CbowError, ValueError):
    """Vectors of another dimension than the table's."""


def unknown_message(word: object, index_to_key: Sequence, resolve: Callable[[str], str | None]) -> str:
    """'word 'pariss' is not in the vocabulary (48,213 words); did you mean 'paris'?'

    `resolve` gives the likeliest meaning of a typed word ('King' -> 'king'), tried before
    close spellings (difflib over the words sharing its first letter, or the 50,000 most
    frequent).
    """
    n_words = len(index_to_key)
    if not isinstance(word, str):
        if isinstance(word, int):
            return f"index {word} is not a key and is out of range (the vectors hold {n_words:,} rows)"
        return f"key {word!r} ({type(word).__name__}) is not in the vocabulary ({n_words:,} words)"
    form = resolve(word)
    if form is not None:
        return f"word {word!r} is not in the vocabulary ({n_words:,} words); did you mean {form!r}?"
    initial = word[:1].lower()
    words = [w for w in index_to_key[:200_000] if isinstance(w, str)]
    candidates = [w for w in words if w[:1].lower() == initial] or words[:50_000]
    close = difflib.get_close_matches(word, candidates, n=3)
    hint = f"; did you mean {', '.join(repr(w) for w in close)}?" if close else "; check the spelling"
    return f"word {word!r} is not in the vocabulary ({n_words:,} words){hint}"
