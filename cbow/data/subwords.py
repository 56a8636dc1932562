"""A word's character n-grams and the input rows they hash to, exactly as fastText builds them.

fastText (src/dictionary.cc: computeSubwords, hash, initNgrams, getSubwords) represents a
word w of a vocabulary of V words by its own row and the rows of the character n-grams of
"<" + w + ">", hashed into `buckets` rows that follow the V word rows:

    S(w)      = [id(w)] + [V + hash(g) mod buckets  for g in ngrams("<" + w + ">")]
    S(unseen) =           [V + hash(g) mod buckets  for g in ngrams("<" + w + ">")]
    ngrams(s) = for each character i of s, in order, for n = 1, 2, ... max_n while
                characters remain: the n characters from i, kept when n >= min_n and the
                gram is not the lone "<" or ">" (n = 1 at the first or at the last character)
    hash(g)   = 32-bit FNV-1a over g's UTF-8 bytes, each byte taken as a *signed* char and
                widened, so a byte b >= 0x80 is xor-ed in as 0xFFFFFF00 | b:
                    h = 2166136261;  for b in g: h = ((h ^ widen(b)) * 16777619) mod 2^32

Lengths count characters: a UTF-8 continuation byte (10xxxxxx) stays with the character
it continues and no n-gram starts on one. Repeated n-grams and n-grams that share a bucket
are all kept, so the mean counts each as often as it occurs, as fastText's does. The word
"</s>" (fastText's end of line) has no n-grams. max_n = 0 means words only.

A word's input vector is the mean of its rows (fastText's getWordVector):

    v(w) = (1 / |S(w)|) sum_{r in S(w)} W_in[r]        (zero for an unseen word with no n-gram)

`word_rows` builds S(w) for a whole vocabulary, as CSR arrays (the word's own row first,
then its n-grams in fastText's order), vectorised over the n-grams of many words at once:
one pass per n-gram length, the hash carried from the gram of length n - 1 to the one of
length n.
`char_ngrams` and `fasttext_hash` are the one-word reference it is tested against
(and gensim's ft_hash_bytes / compute_ngrams_bytes against both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from cbow.errors import ConfigError

FNV_OFFSET = 2166136261
FNV_PRIME = 16777619
EOS = "</s>"  # fastText's end-of-line token: its own row, never n-grams
BEGIN, END = b"<", b">"
MAX_ROWS = 2**31 - 1  # fastText keeps row ids and bucket counts in int32
_CONTINUATION_MASK, _CONTINUATION = 0xC0, 0x80
MEAN_CHUNK_WORDS = 65_536  # words composed per sparse product: bounds its temporary arrays
WORD_CHUNK = 16_384  # words whose rows are built at a time: bounds the arrays per character


@dataclass(frozen=True)
class SubwordSpec:
    """Which n-grams make a word: lengths min_n..max_n characters, hashed into `buckets` rows.

    Attributes
    ----------
    min_n, max_n : n-gram lengths in characters, "<" and ">" included (fastText's -minn,
        -maxn; gensim's min_n, max_n); max_n = 0 means words only
    buckets : rows of the n-gram matrix (fastText's -bucket, gensim's bucket), < 2^31
    """

    min_n: int = 3
    max_n: int = 6
    buckets: int = 2_000_000

    def __post_init__(self) -> None:
        for name in ("min_n", "max_n", "buckets"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value <= MAX_ROWS:
                raise ConfigError(f"{name} = {value!r}: must be an integer in [0, {MAX_ROWS}]")
        if self.enabled and self.buckets == 0:
            raise ConfigError(f"n-grams of {self.min_n}..{self.max_n} characters need buckets >= 1; "
                              "give --buckets (fastText's default: 2000000) or --maxn 0 for words only")

    @property
    def enabled(self) -> bool:
        """True when words have n-grams at all (max_n >= 1 and max_n >= min_n)."""
        return self.max_n >= max(self.min_n, 1)


def word_bytes(word: str) -> bytes:
    """The bytes fastText hashes and stores for `word`: UTF-8.

    Words read from a fastText file whose bytes were not UTF-8 hold them as surrogate
    escapes (U+DC80..U+DCFF, Python's "surrogateescape"), which give the bytes back; other
    lone surrogates (a token list can hold them) are encoded as cbow.data.word_list does.
    """
    try:
        return word.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return word.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return word.encode("utf-8", "surrogatepass")


def fasttext_hash(data: bytes) -> int:
    """fastText's Dictionary::hash of `data`: 32-bit FNV-1a over signed chars (see the module)."""
    h = FNV_OFFSET
    for byte in data:
        h = ((h ^ (byte | 0xFFFFFF00 if byte >= 0x80 else byte)) * FNV_PRIME) & 0xFFFFFFFF
    return h


def char_ngrams(word: str, min_n: int, max_n: int) -> list[bytes]:
    """The character n-grams of "<word>" as UTF-8 bytes, in fastText's order (see the module).

    The one-word reference of `word_rows`: by start character, then by length.
    """
    if word == EOS:
        return []
    data = BEGIN + word_bytes(word) + END
    starts = [i for i, byte in enumerate(data) if byte & _CONTINUATION_MASK != _CONTINUATION] + [len(data)]
    n_chars = len(starts) - 1
    grams = []
    for first in range(n_chars):
        for n in range(max(min_n, 1), min(max_n, n_chars - first) + 1):
            if n == 1 and (first == 0 or first == n_chars - 1):
                continue  # the lone "<" or ">"
            grams.append(data[starts[first]:starts[first + n]])
    return grams


def ngram_rows(word: str, n_words: int, spec: SubwordSpec) -> np.ndarray:
    """(k,) int64 rows of the n-grams of `word` (not its own row): n_words + hash mod buckets."""
    if not spec.enabled:
        return np.empty(0, dtype=np.int64)
    return np.array([n_words + fasttext_hash(gram) % spec.buckets
                     for gram in char_ngrams(word, spec.min_n, spec.max_n)], dtype=np.int64)


@dataclass(frozen=True)
class WordRows:
    """S(w) of every vocabulary word as CSR arrays: the rows of word i are
    `row_ids[indptr[i]:indptr[i + 1]]`, its own row i first, then its n-gram rows.

    Attributes
    ----------
    indptr : (V + 1,) int64, from 0 to len(row_ids)
    row_ids : (nnz,) int32 (`word_rows` makes int32: fastText's ids are), each in [0, n_rows)
    n_rows : V + buckets, the rows of the input matrix these ids index
    """

    indptr: np.ndarray
    row_ids: np.ndarray
    n_rows: int

    def __post_init__(self) -> None:
        if (self.indptr.dtype != np.int64 or self.indptr.ndim != 1 or self.row_ids.ndim != 1
                or self.row_ids.dtype not in (np.int32, np.int64) or len(self.indptr) < 1
                or self.indptr[0] != 0 or self.indptr[-1] != len(self.row_ids)):
            raise ValueError("WordRows: indptr must be int64 from 0 to len(row_ids), row_ids int32/int64")
        if len(self.row_ids) and not (0 <= self.row_ids.min() and self.row_ids.max() < self.n_rows):
            raise ValueError(f"WordRows: row ids must lie in [0, {self.n_rows}), the rows of the input matrix")

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def rows(self, word_id: int) -> np.ndarray:
        """The rows of word `word_id`: its own first."""
        return self.row_ids[self.indptr[word_id]:self.indptr[word_id + 1]]

    def counts(self) -> np.ndarray:
        """(V,) int64 |S(w)|: 1 + the number of n-grams of each word."""
        return np.diff(self.indptr)

    def mean_matrix(self, dtype=np.float32) -> scipy.sparse.csr_matrix:
        """The (V, n_rows) sparse matrix whose row w holds 1 / |S(w)| at each row of S(w)
        (repeated rows add up): the mean of S(w) is row w of `mean_matrix() @ W_in`."""
        weights = np.repeat((1.0 / self.counts()).astype(dtype), self.counts())
        return scipy.sparse.csr_matrix((weights, self.row_ids, self.indptr), shape=(len(self), self.n_rows))

    def mean_vectors(self, word_matrix: np.ndarray, ngram_matrix: np.ndarray) -> np.ndarray:
        """(V, d) float32 v(w) = mean of S(w), from the two parts of the input matrix.

        Parameters
        ----------
        word_matrix : (V, d) the word rows (W_in[:V]; gensim's vectors_vocab)
        ngram_matrix : (n_rows - V, d) the bucket rows (W_in[V:]; gensim's vectors_ngrams);
            either may be a memory map, read only where S(w) points
        """
        n_words = len(self)
        if word_matrix.shape[0] != n_words or ngram_matrix.shape[0] != self.n_rows - n_words:
            raise ValueError(f"{n_words} words and {self.n_rows - n_words} buckets, but matrices of "
                             f"{word_matrix.shape[0]} and {ngram_matrix.shape[0]} rows")
        vectors = np.empty(word_matrix.shape, dtype=np.float32)
        for start in range(0, n_words, MEAN_CHUNK_WORDS):
            stop = min(start + MEAN_CHUNK_WORDS, n_words)
            lo, hi = self.indptr[start], self.indptr[stop]
            own = self.indptr[start:stop] - lo  # the first entry of each word is its own row
            keep = np.ones(hi - lo, dtype=bool)
            keep[own] = False
            columns = self.row_ids[lo:hi][keep] - n_words
            indptr = self.indptr[start:stop + 1] - lo - np.arange(stop - start + 1)
            sums = scipy.sparse.csr_matrix((np.ones(len(columns), dtype=np.float32), columns, indptr),
                                           shape=(stop - start, ngram_matrix.shape[0])) @ ngram_matrix
            sums += word_matrix[start:stop]
            vectors[start:stop] = sums / self.counts()[start:stop, None].astype(np.float32)
        return vectors


def word_rows(words: Sequence[str], spec: SubwordSpec) -> WordRows:
    """S(w) for every word of a vocabulary (see the module), vectorised.

    Parameters
    ----------
    words : the V words, in id order
    spec : n-gram lengths and buckets; not `spec.enabled`: each word gets its own row only

    Returns
    -------
    WordRows with n_rows = V + spec.buckets, equal entry for entry to
    [i] + list(ngram_rows(words[i], V, spec)) for each i

    Notes
    -----
    How many n-grams a word has depends on its length in characters alone, so the output
    is allocated once from the lengths and filled WORD_CHUNK words at a time: the arrays
    per character stay small whatever V is.
    """
    n_words = len(words)
    n_rows = n_words + spec.buckets
    if n_rows > MAX_ROWS:
        raise ConfigError(f"{n_words:,} words + {spec.buckets:,} buckets = {n_rows:,} rows: fastText's files and "
                          f"ids hold at most {MAX_ROWS:,}; lower --buckets")
    if not spec.enabled or n_words == 0:
        return WordRows(np.arange(n_words + 1, dtype=np.int64), np.arange(n_words, dtype=np.int32), n_rows)
    lengths = _char_lengths(words)
    grams_of_length = np.array([_gram_count(length, spec) for length in range(int(lengths.max()) + 1)], dtype=np.int64)
    rows_per_word = 1 + grams_of_length[lengths]
    rows_per_word[[i for i, word in enumerate(words) if word == EOS]] = 1
    indptr = np.zeros(n_words + 1, dtype=np.int64)
    np.cumsum(rows_per_word, out=indptr[1:])
    row_ids = np.empty(indptr[-1], dtype=np.int32)
    for first in range(0, n_words, WORD_CHUNK):
        last = min(first + WORD_CHUNK, n_words)
        _fill_rows(words[first:last], first, n_words, spec, row_ids[indptr[first]:indptr[last]])
    return WordRows(indptr, row_ids, n_rows)


def _char_lengths(words: Sequence[str]) -> np.ndarray:
    """(V,) int64 characters of "<" + word + ">" as fastText counts them (bytes that start one)."""
    try:
        "".join(words).encode("utf-8")
    except UnicodeEncodeError:  # surrogate escapes: their bytes decide, not the code points
        return np.array([sum(byte & _CONTINUATION_MASK != _CONTINUATION for byte in BEGIN + word_bytes(w) + END)
                         for w in words], dtype=np.int64)
    return np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 2  # code points: characters


def _gram_count(n_chars: int, spec: SubwordSpec) -> int:
    """The n-grams of a word of `n_chars` characters, "<" and ">" included (see char_ngrams)."""
    lowest = max(spec.min_n, 1)
    count = 0
    for first in range(n_chars):
        low = 2 if lowest == 1 and (first == 0 or first == n_chars - 1) else lowest
        count += max(0, min(spec.max_n, n_chars - first) - low + 1)
    return count


def _fill_rows(words: Sequence[str], first_id: int, n_words: int, spec: SubwordSpec, out: np.ndarray) -> None:
    """Write S(w) of `words` (ids first_id, first_id + 1, ...) into `out`, one after the other."""
    encoded = [BEGIN + word_bytes(word) + END for word in words]
    text = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    word_starts = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(words)), out=word_starts[1:])
    del encoded

    # characters: their first byte, their length in bytes, how many are left in their word
    char_starts = np.flatnonzero((text & _CONTINUATION_MASK) != _CONTINUATION)
    n_chars = len(char_starts)
    char_bytes = np.diff(np.append(char_starts, len(text)))
    word_first_char = np.searchsorted(char_starts, word_starts)  # every word begins with "<", a character
    char_word = np.repeat(np.arange(len(words)), np.diff(word_first_char))
    position = np.arange(n_chars) - word_first_char[char_word]
    remaining = word_first_char[1:][char_word] - np.arange(n_chars)  # this character included

    # n-grams starting at each character: lengths lowest..min(max_n, remaining)
    lowest_n = max(spec.min_n, 1)
    lowest = np.full(n_chars, lowest_n, dtype=np.int64)
    if lowest_n == 1:  # the lone "<" and ">" are no n-grams
        lowest[(position == 0) | (remaining == 1)] = 2
    n_grams = np.clip(np.minimum(spec.max_n, remaining) - lowest + 1, 0, None)
    for local_id in [i for i, word in enumerate(words) if word == EOS]:
        n_grams[word_first_char[local_id]:word_first_char[local_id + 1]] = 0
    grams_before = np.zeros(n_chars + 1, dtype=np.int64)
    np.cumsum(n_grams, out=grams_before[1:])
    starts = grams_before[word_first_char] + np.arange(len(words) + 1)  # of each word's rows in `out`
    out[starts[:-1]] = np.arange(first_id, first_id + len(words))

    # hashes[c] after n steps: the hash of the n characters from c (garbage where fewer are
    # left: never read). Each step absorbs the next character into every start at once.
    signed_text = text.view(np.int8)
    next_first_byte = np.zeros(n_chars + spec.max_n, dtype=np.uint32)
    next_first_byte[:n_chars] = signed_text[char_starts]  # a negative int8 wraps to 0xFFFFFFxx
    multibyte = np.flatnonzero(char_bytes > 1)  # few, except in CJK and such
    prime = np.uint32(FNV_PRIME)
    bucket_of = np.empty((spec.max_n - lowest_n + 1, n_chars), dtype=np.uint32)  # [n - lowest_n, c]
    hashes = np.full(n_chars, FNV_OFFSET, dtype=np.uint32)
    for n in range(1, spec.max_n + 1):
        hashes ^= next_first_byte[n - 1:n - 1 + n_chars]
        hashes *= prime
        for offset in range(1, int(char_bytes.max(initial=1))):
            chars = multibyte[(char_bytes[multibyte] > offset) & (multibyte >= n - 1)]
            at = chars - (n - 1)
            hashes[at] ^= signed_text[char_starts[chars] + offset].astype(np.uint32)
            hashes[at] *= prime
        if n >= lowest_n:
            np.remainder(hashes, np.uint32(spec.buckets), out=bucket_of[n - lowest_n])

    # the grams in fastText's order (by start character, then length), after their word's own row
    gram_char = np.repeat(np.arange(n_chars), n_grams)
    gram_ids = np.arange(grams_before[-1])
    length_level = lowest[gram_char] - lowest_n + (gram_ids - grams_before[gram_char])
    out[gram_ids + char_word[gram_char] + 1] = bucket_of[length_level, gram_char].astype(np.int32) + n_words
