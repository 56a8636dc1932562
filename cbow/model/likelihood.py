"""The model's exact probabilities: p(w | context) for every word, and log p of sentences.

What the trained CBOW model says, as opposed to the surrogate losses it was fitted with.
Shared by the held-out loss (cbow.training.heldout), `predict_output_word` and `score`
(cbow.training.full_model). For one context c_1..c_C (C >= 1):

    h = (1/C) sum_j W_in[c_j]                                  (the CBOW hidden layer)

    NS, softmax:  p(w | h) = exp(u_w . h) / sum_v exp(u_v . h)     u_w = W_out[w]
                  the normalised softmax over ALL V output vectors
    HS:           p(w | h) = prod_{l=1..L_w} sigmoid((1 - 2 b_{w,l}) v_{n_{w,l}} . h)
                  over the Huffman path (n_{w,l}, b_{w,l}) of w, v = W_out rows (inner nodes)

The HS leaf probabilities sum to 1 over the V words: at an inner node n with score
x = v_n . h the two branches get sigmoid(x) (bit 0) and sigmoid(-x) = 1 - sigmoid(x)
(bit 1), so each node splits its mass between its two children; the root has mass 1, so
by induction down the tree the leaves' masses add up to 1. The softmax sums to 1 by
construction.

For negative sampling the softmax over W_out h is the model its scores define, not what
NS fits (NS scores approximate log p(w | c) - log(K p_noise(w)), Levy & Goldberg 2014):
its probabilities rank words as the model does, and compare runs of the same objective.

Sentences (`sentence_log_probs`): every word of a sentence that has a context word within
the FULL window w on either side (inside the sentence; words out of the vocabulary are
dropped first, as training drops them) is predicted from that context:

    log p(sentence) = sum_{i : C_i >= 1} log p(t_i | h_i)

the same windows and the same terms as the held-out loss, so over a set of sentences
sum log p(sentence) = -(held-out nats per word) x (words predicted).

All arithmetic is float64 whatever the weights' dtype. Memory is bounded by chunking:
the softmax over V in chunks of `vocab_chunk` rows of W_out with a running logsumexp,
the HS leaves a chunk of words at a time.
"""

from __future__ import annotations

import numpy as np

from cbow.data.encode import EncodedCorpus
from cbow.data.huffman import HuffmanTree
from cbow.data.split import full_window_examples
from cbow.numerics import log_sigmoid

OBJECTIVES = ("ns", "softmax", "hs")
_CELLS_PER_CHUNK = 1 << 22  # float64 cells of a (B, words, L) or (B, V) temporary: 32 MB


def hidden_mean(W_in: np.ndarray, context_ids: np.ndarray, context_mask: np.ndarray) -> np.ndarray:
    """h = mean of the real context rows, in float64, shape (B, d).

    Parameters
    ----------
    W_in : (V, d) any float dtype
    context_ids : (B, 2w) int, padded (padding ids are read and multiplied by 0)
    context_mask : (B, 2w) bool, at least one True per row
    """
    rows = W_in[context_ids].astype(np.float64)  # (B, 2w, d): small, B <= batch_size
    rows *= context_mask[..., None]
    return rows.sum(axis=1) / context_mask.sum(axis=1)[:, None]


def softmax_nll(h: np.ndarray, W_out: np.ndarray, target_ids: np.ndarray, vocab_chunk: int = 8192) -> np.ndarray:
    """-log softmax(W_out h)_t per example, exact, chunked over V with a running logsumexp.

    Parameters
    ----------
    h : (B, d) float64
    W_out : (V, d) any float dtype; read `vocab_chunk` rows at a time, cast to float64
    target_ids : (B,) int
    vocab_chunk : rows of W_out per chunk: memory O(B * vocab_chunk)

    Returns
    -------
    (B,) float64: logsumexp_w(u_w . h) - u_t . h
    """
    running_max = np.full(len(h), -np.inf)
    running_sum = np.zeros(len(h))  # sum exp(s - running_max) over the chunks so far
    for start in range(0, W_out.shape[0], vocab_chunk):
        scores = h @ W_out[start:start + vocab_chunk].astype(np.float64).T  # (B, V_c)
        new_max = np.maximum(running_max, scores.max(axis=1))
        running_sum *= np.exp(running_max - new_max)  # rescale the old sum to the new max
        scores -= new_max[:, None]
        running_sum += np.exp(scores, out=scores).sum(axis=1)
        running_max = new_max
    target_scores = np.einsum("bd,bd->b", h, W_out[target_ids].astype(np.float64))
    return running_max + np.log(running_sum) - target_scores


def huffman_nll(h: np.ndarray, W_out: np.ndarray, target_ids: np.ndarray, huffman: HuffmanTree) -> np.ndarray:
    """-log p(t | h) of hierarchical softmax: -sum_l log sigmoid((1 - 2 b_l) v_{n_l} . h).

    Parameters
    ----------
    h : (B, d) float64
    W_out : (V-1, d) inner-node vectors, any float dtype
    target_ids : (B,) int
    huffman : the vocabulary's HuffmanTree (codes, points, lengths)

    Returns
    -------
    (B,) float64
    """
    lengths = huffman.lengths[target_ids]
    depth = int(lengths.max())
    path_mask = np.arange(depth) < lengths[:, None]
    path_nodes = np.where(path_mask, huffman.points[target_ids, :depth], 0)
    signs = np.where(huffman.codes[target_ids, :depth] != 0, -1.0, 1.0)
    node_rows = W_out[path_nodes].astype(np.float64)  # (B, L, d)
    x = np.einsum("bld,bd->bl", node_rows, h)
    return -np.sum(np.where(path_mask, log_sigmoid(signs * x), 0.0), axis=1)


def _check_objective(objective: str, huffman: HuffmanTree | None) -> None:
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}")
    if objective == "hs" and huffman is None:
        raise ValueError("objective 'hs' needs the Huffman tree")


def target_nll(h: np.ndarray, W_out: np.ndarray, target_ids: np.ndarray, objective: str,
               huffman: HuffmanTree | None = None, vocab_chunk: int = 8192) -> np.ndarray:
    """-log p(t | h) per example under `objective` (module docstring): (B,) float64.

    Parameters
    ----------
    h : (B, d) float64
    W_out : (V, d) for "ns"/"softmax", (V-1, d) for "hs"
    target_ids : (B,) int
    objective : "ns", "softmax" or "hs"
    huffman : the HuffmanTree, required for "hs"
    vocab_chunk : W_out rows per chunk of the softmax
    """
    _check_objective(objective, huffman)
    if objective == "hs":
        return huffman_nll(h, W_out, target_ids, huffman)
    return softmax_nll(h, W_out, target_ids, vocab_chunk)


def output_log_probs(h: np.ndarray, W_out: np.ndarray, objective: str,
                     huffman: HuffmanTree | None = None) -> np.ndarray:
    """log p(w | h) of every word w (module docstring): the model's whole output distribution.

    Parameters
    ----------
    h : (B, d) float64
    W_out : (V, d) for "ns"/"softmax", (V-1, d) for "hs"
    objective : "ns", "softmax" or "hs"
    huffman : the HuffmanTree, required for "hs"

    Returns
    -------
    (B, V) float64; exp of each row sums to 1 (up to rounding)

    Notes
    -----
    Softmax: log p = s - logsumexp(s), s = W_out h, a few rows of h at a time. HS: the
    inner-node scores x = W_out h are computed once (B, V-1), then each word's path is
    gathered from them, a chunk of words at a time:

        log p(w | h) = sum_{l < L_w} log sigmoid((1 - 2 b_{w,l}) x[n_{w,l}])
    """
    _check_objective(objective, huffman)
    h = np.asarray(h, dtype=np.float64)
    W = np.asarray(W_out, dtype=np.float64)
    if objective != "hs":
        out = np.empty((len(h), len(W)))
        rows = max(1, _CELLS_PER_CHUNK // max(1, len(W)))
        for start in range(0, len(h), rows):
            scores = h[start:start + rows] @ W.T  # (b, V)
            shift = scores.max(axis=1, keepdims=True)
            log_norm = np.log(np.exp(scores - shift).sum(axis=1, keepdims=True)) + shift
            out[start:start + rows] = scores - log_norm
        return out
    x = h @ W.T  # (B, V-1) inner-node scores
    V, depth = huffman.points.shape
    out = np.empty((len(h), V))
    words = max(1, _CELLS_PER_CHUNK // max(1, len(h) * depth))
    for start in range(0, V, words):
        stop = min(V, start + words)
        path_mask = np.arange(depth) < huffman.lengths[start:stop, None]  # (Vc, L)
        signs = np.where(huffman.codes[start:stop] != 0, -1.0, 1.0)
        along = log_sigmoid(signs * x[:, huffman.points[start:stop]])  # (B, Vc, L)
        out[:, start:stop] = np.where(path_mask, along, 0.0).sum(axis=2)
    return out


def sentence_log_probs(W_in: np.ndarray, W_out: np.ndarray, objective: str, corpus: EncodedCorpus,
                       window: int, huffman: HuffmanTree | None = None, batch_size: int = 512,
                       vocab_chunk: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """log p of each sentence of `corpus`: the sum of log p(t | h) over its words that have a
    context within the full window (module docstring).

    Parameters
    ----------
    W_in : (V, d); W_out : (V, d) for "ns"/"softmax", (V-1, d) for "hs"
    objective : "ns", "softmax" or "hs"
    corpus : the sentences as word ids (OOV words already dropped); empty sentences are
        allowed here (offsets may repeat) and score 0
    window : w; every target takes its full window on each side
    huffman : the HuffmanTree, required for "hs"
    batch_size : targets per batch; vocab_chunk : W_out rows per softmax chunk

    Returns
    -------
    log_probs : (S,) float64, <= 0; 0 for a sentence with no word predicted
    n_predicted : (S,) int64, the words predicted in each sentence
    """
    _check_objective(objective, huffman)
    n_sentences = corpus.n_sentences
    sentence_of = np.repeat(np.arange(n_sentences), np.diff(corpus.sentence_offsets))
    log_probs = np.zeros(n_sentences)
    n_predicted = np.zeros(n_sentences, dtype=np.int64)
    for positions, target_ids, context_ids, context_mask in full_window_examples(corpus, window, batch_size):
        h = hidden_mean(W_in, context_ids, context_mask)
        nll = target_nll(h, W_out, target_ids, objective, huffman, vocab_chunk)
        sentences = sentence_of[positions]
        np.subtract.at(log_probs, sentences, nll)
        np.add.at(n_predicted, sentences, 1)
    return log_probs, n_predicted
