"""Drawing negative-sampling noise words in O(1) per draw: Walker's alias method.

word2vec.c fills a 1e8-entry int table with word ids in proportion to count^0.75 and reads
it at random positions (400 MB, and the distribution rounded to 1e-8). gensim binary-searches
a cumulative table (O(log V) per draw). The alias table is exact and small (V entries): split
the V-outcome distribution p into V equal "columns" of mass 1/V; column i keeps outcome i
with probability accept[i] and gives the rest of its mass to one other outcome alias[i].
A draw is one uniform column i ~ U{0..V-1} and one uniform u ~ U[0, 1):

    id = i if u < accept[i] else alias[i]

    P(id = w) = (1/V) [accept[w] + sum_{i: alias[i] = w} (1 - accept[i])] = p_w

(Vose 1991, "A linear algorithm for generating random numbers with a given distribution").
Two vectorized gathers per batch instead of a searchsorted, much faster (measured:
docs/performance.md#kernel-choices-and-batch-sizes).

Both uniforms come from one raw 64-bit word r of the generator: the column is the high 32
bits scaled to V, i = (r_hi * V) >> 32, and u is the low 32 bits, compared as an integer
with accept[i] * 2^32 (`threshold`). Column i, being uniform over all V columns, lands
anywhere in the table, so in training (where the weight matrices crowd the cache) every
table read is a cache miss; `packed` keeps alias[i] and threshold[i] in one 64-bit word so
a draw reads the table once. Rounding: each column's probability is 1/V to within V/2^32
relative (the multiply-shift), and accept[i] is kept to 2^-32; word2vec.c's 1e8-entry
table rounds every probability to a multiple of 1e-8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AliasSampler", "alias_columns"]

_LOW_BITS = np.uint64(32)
_LITTLE_ENDIAN = np.little_endian
_ALIAS_SHIFT = np.uint64(33)
_THRESHOLD_MASK = np.uint64((1 << 33) - 1)


def alias_columns(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias columns of `probs` ((V,) non-negative, summing to 1 up to rounding).

    Returns
    -------
    accept : (V,) float64, the probability that column i yields i itself
    alias : (V,) int32, the outcome column i yields otherwise
    """
    probs = np.asarray(probs, dtype=np.float64)
    V = len(probs)
    scaled = probs * (V / probs.sum())
    accept = np.ones(V, dtype=np.float64)
    alias = np.arange(V, dtype=np.int32)
    small = [int(i) for i in np.flatnonzero(scaled < 1.0)]
    large = [int(i) for i in np.flatnonzero(scaled >= 1.0)]
    # Pair each under-full column with an over-full outcome that tops it up.
    while small and large:
        under, over = small.pop(), large[-1]
        accept[under] = scaled[under]
        alias[under] = over
        scaled[over] -= 1.0 - scaled[under]
        if scaled[over] < 1.0:
            large.pop()
            small.append(over)
    # Whatever is left is full up to rounding: keeps itself (accept 1, alias itself).
    return accept, alias


@dataclass(frozen=True)
class AliasSampler:
    """Walker/Vose alias table of a discrete distribution over 0..V-1.

    Attributes
    ----------
    packed : ndarray of uint64, shape (V,)
        alias[i] << 33 | threshold[i], threshold[i] = floor(accept[i] * 2^32) in 33 bits
        (2^32 when accept[i] = 1: always kept); all that `draw` reads, and all that is kept
        (8 bytes a word: `accept` and `alias` are read back from it).
    """

    packed: np.ndarray

    @classmethod
    def from_probabilities(cls, probs: np.ndarray) -> "AliasSampler":
        """Build the table of `probs` ((V,) non-negative, summing to 1 up to rounding)."""
        accept, alias = alias_columns(probs)
        threshold = np.floor(np.minimum(accept, 1.0) * 2.0**32).astype(np.uint64)
        return cls((alias.astype(np.uint64) << _ALIAS_SHIFT) | threshold)

    @property
    def accept(self) -> np.ndarray:
        """(V,) float64: the probability that column i yields i itself (to 2^-32, as drawn)."""
        return (self.packed & _THRESHOLD_MASK).astype(np.float64) / 2.0**32

    @property
    def alias(self) -> np.ndarray:
        """(V,) int32: the outcome column i yields otherwise."""
        return (self.packed >> _ALIAS_SHIFT).astype(np.int32)

    def __len__(self) -> int:
        return len(self.packed)

    def draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Ids drawn independently from the distribution, int32 of `shape`."""
        bits = rng.bit_generator.random_raw(int(np.prod(shape, dtype=np.int64)))
        # The two 32-bit halves as strided views (little-endian: low word first): no shift or
        # mask pass over the draws.
        halves = bits.view(np.uint32)
        low, high = (halves[0::2], halves[1::2]) if _LITTLE_ENDIAN else (halves[1::2], halves[0::2])
        column = np.multiply(high, np.uint64(len(self.packed)), dtype=np.uint64)
        column >>= _LOW_BITS  # (r_hi * V) >> 32: uniform on 0..V-1
        entry = self.packed[column]
        keep = low < (entry & _THRESHOLD_MASK)  # u < accept[i]
        entry >>= _ALIAS_SHIFT
        return np.where(keep, column, entry).astype(np.int32).reshape(shape)
