"""The search box's completion: the most frequent words starting with what is typed, and did-you-mean.

The vocabulary is sorted once by casefolded spelling; the words starting with a prefix
are then one contiguous range of that order, found by two binary searches. Of that
range the `limit` most frequent (lowest rows: vectors are stored most frequent first)
are returned, so "pa" offers 'paris' before 'pamphleteer' in O(log V + range) time.

When nothing starts with the prefix, did-you-mean offers the close spellings
(difflib's ratio, as `cbow similar`'s error does) among the most frequent words that
share the first letter, found through the same sorted order.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Sequence

import numpy as np

SPELLING_CANDIDATES = 20_000  # most frequent words with the same first letter compared by difflib


class PrefixIndex:
    """Prefix search over a vocabulary (`words` in row order, most frequent first)."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = words
        folded = [word.casefold() for word in words]
        self._order = np.array(sorted(range(len(words)), key=folded.__getitem__), dtype=np.int64)
        self._folded = [folded[row] for row in self._order.tolist()]

    def _rows_starting_with(self, prefix: str) -> np.ndarray:
        """Rows of the words whose casefolded spelling starts with `prefix` (casefolded), any order."""
        folded = prefix.casefold()
        low = bisect.bisect_left(self._folded, folded)
        high = bisect.bisect_left(self._folded, folded + "\U0010ffff")  # past every continuation
        return self._order[low:high]

    @staticmethod
    def _most_frequent(rows: np.ndarray, limit: int) -> list[int]:
        if len(rows) > limit:
            rows = np.partition(rows, limit - 1)[:limit]
        return np.sort(rows).tolist()

    def complete(self, prefix: str, limit: int = 10) -> list[str]:
        """Up to `limit` words starting with `prefix` (case-insensitive), most frequent first;
        a word spelled exactly as typed comes first."""
        if not prefix or limit < 1:
            return []
        found = [self.words[row] for row in self._most_frequent(self._rows_starting_with(prefix), limit)]
        if prefix in found:
            found.remove(prefix)
            found.insert(0, prefix)
        return found

    def did_you_mean(self, word: str, limit: int = 5) -> list[str]:
        """Close spellings of `word` among the most frequent words sharing its first letter."""
        if not word or limit < 1:
            return []
        rows = self._most_frequent(self._rows_starting_with(word[0]), SPELLING_CANDIDATES)
        candidates = [self.words[row] for row in rows]
        by_fold: dict[str, str] = {}
        for candidate in candidates:  # compare casefolded, answer in the vocabulary's spelling
            by_fold.setdefault(candidate.casefold(), candidate)
        close = difflib.get_close_matches(word.casefold(), list(by_fold), n=limit, cutoff=0.6)
        return [by_fold[match] for match in close]
