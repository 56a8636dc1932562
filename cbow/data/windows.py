"""Word ids -> minibatches of (context, target) examples, one epoch at a time.

Per epoch, and all vectorized (no Python loop per token):

1. Subsampling (word2vec.c's `-sample`): each token is kept with probability keep[id].
2. Dynamic window: every kept target draws b ~ U{1..w} and takes up to b words on each
   side as its context, never crossing a sentence boundary (word2vec.c draws
   `b = rand % window` and uses `window - b`, the same distribution). With
   `shrink_windows=False` (gensim's option) every target takes the full w, and no window
   size is drawn.
3. Examples without any context word are skipped.

Examples are built a chunk of targets at a time (bounded memory) and cut into
minibatches of `batch_size` in corpus order. Each batch carries its context both as
padded arrays (`context_ids`, `context_mask`, as DESIGN.md names them) and in CSR form
(`context_indptr`, `context_flat`), the form the sparse training step consumes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from cbow.data.pages import release_pages

# Targets per chunk: large enough to amortise numpy overhead (16 batches of 1024), small
# enough that the (chunk, 2w) context arrays stay a few MB. 4x smaller than before cut each
# worker's private memory from ~93 to ~52 MB on text8 at no measurable speed cost.
CHUNK_TARGETS = 1 << 14
# Tokens subsampled at a time (whole sentences): bounds the per-epoch temporaries, ~20
# bytes a token (the kept ids, sentence ids and positions live through the chunk). 4x
# smaller than 1 << 18: malloc's heap fragments less around them, and each worker's heap
# shrank from ~32 to ~26 MiB on text8 (speed the same within 2%, scripts/bench_chunks.py).
CHUNK_TOKENS = 1 << 16


@dataclass(frozen=True)
class Batch:
    """One minibatch of CBOW examples.

    Attributes
    ----------
    target_ids : (B,) int32
        Centre word of each example.
    context_ids : (B, 2w) int32
        Padded context ids (padding is 0; see `context_mask`).
    context_mask : (B, 2w) bool
        True where `context_ids` holds a real context word.
    n_context : (B,) int32
        C, the number of real context words of each example (>= 1).
    context_indptr : (B+1,) int32
        CSR row pointers: example i's context is context_flat[indptr[i]:indptr[i+1]].
    context_flat : (M,) int32
        The real context ids, example after example (M = n_context.sum()).
    words_done : int
        Position, in the epoch's raw (pre-subsampling) token stream, just past the last
        target of this batch: drives the learning-rate schedule and progress.
    """

    target_ids: np.ndarray
    context_ids: np.ndarray
    context_mask: np.ndarray
    n_context: np.ndarray
    context_indptr: np.ndarray
    context_flat: np.ndarray
    words_done: int

    def __len__(self) -> int:
        return len(self.target_ids)


def subsample(
    word_ids: np.ndarray,
    sentence_offsets: np.ndarray,
    keep_prob: np.ndarray | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop each token with probability 1 - keep_prob[id] (word2vec.c's `-sample`).

    Parameters
    ----------
    word_ids : (N,) int32
    sentence_offsets : (S+1,) int64
    keep_prob : (V,) float64 or None
        None keeps every token.
    rng : numpy Generator

    Returns
    -------
    kept_ids : (N',) int32
    kept_sentence_ids : (N',) int64
        Sentence index of every kept token.
    kept_positions : (N',) int64
        Position of every kept token in `word_ids` (for raw-word progress).
    """
    n_tokens = len(word_ids)
    lengths = np.diff(sentence_offsets)
    sentence_ids = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    if keep_prob is None:
        positions = np.arange(n_tokens, dtype=np.int64)
        return np.asarray(word_ids, dtype=np.int32), sentence_ids, positions
    keep_mask = rng.random(n_tokens, dtype=np.float32) < keep_prob[word_ids]
    positions = np.flatnonzero(keep_mask)
    return (
        np.asarray(word_ids[positions], dtype=np.int32),
        sentence_ids[positions],
        positions,
    )


def context_offsets(window: int) -> np.ndarray:
    """Relative positions -w..-1, 1..w of the context slots, shape (2w,)."""
    return np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])


def build_examples(
    ids: np.ndarray,
    sentence_ids: np.ndarray,
    start: int,
    stop: int,
    window: int,
    rng: np.random.Generator,
    shrink_windows: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Contexts for the targets ids[start:stop], with a dynamic window per target
    (b ~ U{1..w} drawn from `rng`), or the full window w when not `shrink_windows`.

    Returns
    -------
    target_index : (n,) int64
        Positions (into `ids`) of the targets that have at least one context word.
    target_ids : (n,) int32
    context_ids : (n, 2w) int32, 0 where masked
    context_mask : (n, 2w) bool
    """
    n_ids = len(ids)
    target_index = np.arange(start, stop, dtype=np.int64)
    offsets = context_offsets(window)
    if shrink_windows:
        reduced = rng.integers(1, window + 1, size=stop - start)  # b ~ U{1..w}
    else:  # gensim's shrink_windows=False: the full window, nothing drawn
        reduced = np.full(stop - start, window)
    position = target_index[:, None] + offsets[None, :]
    in_range = (position >= 0) & (position < n_ids)
    np.clip(position, 0, n_ids - 1, out=position)
    context_mask = (
        in_range
        & (np.abs(offsets)[None, :] <= reduced[:, None])
        & (sentence_ids[position] == sentence_ids[target_index][:, None])
    )
    has_context = context_mask.any(axis=1)
    target_index = target_index[has_context]
    context_mask = context_mask[has_context]
    context_ids = np.where(context_mask, ids[position[has_context]], 0).astype(np.int32)
    return target_index, ids[target_index], context_ids, context_mask


def sentence_chunks(sentence_offsets: np.ndarray, chunk_tokens: int) -> Iterator[tuple[int, int]]:
    """(first, stop) sentence ranges of about `chunk_tokens` tokens each (at least one sentence).

    Each chunk's end is searched near its start (a window growing 16-fold from 256 sentences)
    rather than over all the offsets: a binary search over mapped offsets would read pages
    all over them, and the kernel maps a whole page-cache folio (up to 2 MiB) per fault.
    """
    n_sentences = len(sentence_offsets) - 1
    first = 0
    while first < n_sentences:
        limit = sentence_offsets[first] + chunk_tokens
        span = 256
        while True:
            window = sentence_offsets[first:min(len(sentence_offsets), first + span)]
            if first + span >= len(sentence_offsets) or window[-1] > limit:
                break
            span *= 16
        stop = first + int(np.searchsorted(window, limit, side="right")) - 1
        stop = min(max(stop, first + 1), n_sentences)
        yield first, stop
        first = stop


def iter_batches(
    word_ids: np.ndarray,
    sentence_offsets: np.ndarray,
    window: int,
    batch_size: int,
    rng: np.random.Generator,
    keep_prob: np.ndarray | None = None,
    start_token: int = 0,
    shrink_windows: bool = True,
) -> Iterator[Batch]:
    """Yield one epoch of minibatches in corpus order.

    The corpus is processed a run of whole sentences (~`CHUNK_TOKENS` tokens) at a time, so
    the per-token temporaries of subsampling stay a few MB whatever the corpus size
    (contexts never cross a sentence, so chunking changes nothing but memory).

    Parameters
    ----------
    word_ids : (N,) int32
        The encoded corpus (may be a memory map).
    sentence_offsets : (S+1,) int64
        Where each sentence starts, counted from sentence_offsets[0], which is word_ids[0]:
        the corpus' own offsets, or a slice of them with `word_ids` the matching slice of
        the ids (no rebased copy needed). A memory-mapped one gives its pages back chunk by
        chunk, as the ids do.
    window : int
        Maximum window w (each target draws its own b ~ U{1..w}).
    batch_size : int
        Examples per batch; the last batch of the epoch may be smaller.
    rng : numpy Generator
        Drives subsampling and window sizes: one seed gives one epoch.
    keep_prob : (V,) float64 or None
        Subsampling keep probabilities; None keeps every token.
    start_token : int
        Skip targets before this raw position (used to resume mid-epoch).
    shrink_windows : bool
        True: each target draws b ~ U{1..w}; False: every target takes the full window.
    """
    pending: list[tuple[np.ndarray, ...]] = []
    n_pending = 0
    base = int(sentence_offsets[0])
    for first_sentence, stop_sentence in sentence_chunks(sentence_offsets, CHUNK_TOKENS):
        token_start = int(sentence_offsets[first_sentence]) - base
        token_stop = int(sentence_offsets[stop_sentence]) - base
        if token_stop <= start_token:
            continue
        chunk_offsets = np.asarray(sentence_offsets[first_sentence:stop_sentence + 1]) - (base + token_start)
        ids, sentence_ids, positions = subsample(
            word_ids[token_start:token_stop], chunk_offsets, keep_prob, rng
        )
        # A mapped corpus gives its pages back (cbow.data.pages): all of them, not only this
        # chunk's, because a fault maps the whole page-cache folio around it (up to 2 MiB on
        # ext4), pages of chunks already given back and of chunks still ahead included.
        release_pages(word_ids)
        release_pages(sentence_offsets)
        positions += token_start
        first = int(np.searchsorted(positions, start_token))
        n_kept = len(ids)
        for chunk_start in range(first, n_kept, CHUNK_TARGETS):
            chunk_stop = min(n_kept, chunk_start + CHUNK_TARGETS)
            target_index, target_ids, context_ids, context_mask = build_examples(
                ids, sentence_ids, chunk_start, chunk_stop, window, rng, shrink_windows
            )
            pending.append((positions[target_index], target_ids, context_ids, context_mask))
            n_pending += len(target_ids)
            if n_pending < batch_size:
                continue
            merged = [np.concatenate(parts) for parts in zip(*pending)]
            n_full = (len(merged[0]) // batch_size) * batch_size
            yield from _cut_batches(*(part[:n_full] for part in merged), batch_size=batch_size)
            pending = [tuple(part[n_full:] for part in merged)]
            n_pending = len(pending[0][0])
    if n_pending:
        merged = [np.concatenate(parts) for parts in zip(*pending)]
        yield from _cut_batches(*merged, batch_size=batch_size)


def _cut_batches(
    raw_positions: np.ndarray,
    target_ids: np.ndarray,
    context_ids: np.ndarray,
    context_mask: np.ndarray,
    batch_size: int,
) -> Iterator[Batch]:
    """Slice arrays of examples into Batch objects, computing CSR form once."""
    n_context = context_mask.sum(axis=1, dtype=np.int32)
    row_start = np.zeros(len(n_context) + 1, dtype=np.int64)
    np.cumsum(n_context, out=row_start[1:])
    context_flat = context_ids[context_mask]  # row-major: example after example
    for start in range(0, len(target_ids), batch_size):
        stop = min(start + batch_size, len(target_ids))
        flat_start, flat_stop = row_start[start], row_start[stop]
        yield Batch(
            target_ids=target_ids[start:stop],
            context_ids=context_ids[start:stop],
            context_mask=context_mask[start:stop],
            n_context=n_context[start:stop],
            context_indptr=(row_start[start : stop + 1] - flat_start).astype(np.int32),
            context_flat=context_flat[flat_start:flat_stop],
            words_done=int(raw_positions[stop - 1]) + 1,
        )
