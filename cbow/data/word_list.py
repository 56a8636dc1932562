"""A vocabulary's words packed into one UTF-8 buffer: a read-only sequence of str.

A list of str costs about 72 bytes a word in CPython: the str object (a 49-byte header
and the characters, in pymalloc's 16-byte steps) and the list's 8-byte slot. The same
words as one UTF-8 buffer and the offsets where each starts cost the characters and 8
bytes: on bench-text8 x4 (152,640 words) 2.6 MiB instead of 9.4, and for a 3M-word
vocabulary ~60 MB instead of ~220. Training never reads the words (only their ids), so the
parent holds them the whole run for nothing else; a word is decoded when it is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from typing import overload

import numpy as np

# Lone surrogates (from token lists given by code) survive the round trip.
_ERRORS = "surrogatepass"


class WordList(Sequence[str]):
    """Words (str) stored as one UTF-8 buffer; indexing, slicing, iteration and == as a list.

    Parameters
    ----------
    words : the words, in order (any iterable of str, or another WordList: shared, not copied)

    Notes
    -----
    Read-only. ``words[i]`` decodes one word, ``words[a:b]`` returns a list, and a WordList
    equals a list or tuple holding the same words; ``+`` gives a list.
    """

    __slots__ = ("_blob", "_starts")

    def __init__(self, words: Iterable[str] = ()) -> None:
        if isinstance(words, WordList):
            self._blob, self._starts = words._blob, words._starts
            return
        encoded = [word.encode("utf-8", _ERRORS) for word in words]
        starts = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=starts[1:])
        starts.flags.writeable = False
        self._blob: bytes = b"".join(encoded)
        self._starts: np.ndarray = starts

    def __len__(self) -> int:
        return len(self._starts) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        i = int(index)  # numpy integers too
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"word index {index} out of range for {n} words")
        return self._blob[self._starts[i]:self._starts[i + 1]].decode("utf-8", _ERRORS)

    def __iter__(self) -> Iterator[str]:
        blob = self._blob
        for start, stop in pairwise(self._starts.tolist()):
            yield blob[start:stop].decode("utf-8", _ERRORS)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, WordList):
            return self._blob == other._blob and np.array_equal(self._starts, other._starts)
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compares equal to lists, which are not hashable

    def __add__(self, other: Sequence[str]) -> list[str]:
        return [*self, *other]

    def __radd__(self, other: Sequence[str]) -> list[str]:
        return [*other, *self]

    def __repr__(self) -> str:
        head = ", ".join(repr(word) for word in self[:5])
        return f"WordList([{head}{', ...' if len(self) > 5 else ''}], {len(self):,} words)"

    def __getstate__(self) -> tuple[bytes, np.ndarray]:
        return self._blob, self._starts

    def __setstate__(self, state: tuple[bytes, np.ndarray]) -> None:
        self._blob, self._starts = state

    @property
    def nbytes(self) -> int:
        """Bytes held: the UTF-8 buffer and the offsets."""
        return len(self._blob) + self._starts.nbytes
