"""Hierarchical softmax: gradient check through the mean, leaf probabilities, paths, dtypes."""

from __future__ import annotations

import heapq
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbow.model.objectives import hierarchical_softmax as hs
from gradcheck import cbow_gradient_errors, tiny_contexts

V, D, B = 12, 5, 4
COUNTS = [60, 40, 30, 20, 15, 10, 8, 5, 4, 3, 2, 1]  # word ids sorted by count, as cbow.data.vocab


def huffman(counts, pad=-1):
    """Huffman codes/points in word2vec.c's convention, built independently of cbow.data.vocab.

    Inner nodes are numbered 0..V-2 in order of creation, so the root is V-2. For word w
    and l < lengths[w], points[w, l] is the l-th inner node from the root and codes[w, l]
    the bit of the branch taken there (1 for the second-smallest child merged, as
    word2vec.c). Padding entries hold `pad` so the code under test must not read them.

    Returns
    -------
    codes : (V, L_max) int8, points : (V, L_max) int32, lengths : (V,) int32
    """
    n_words = len(counts)
    parent, bit = {}, {}
    heap = [(count, order, ("leaf", w)) for order, (w, count) in enumerate(enumerate(counts))]
    heapq.heapify(heap)
    order = n_words
    for inner in range(n_words - 1):
        count_0, _, node_0 = heapq.heappop(heap)
        count_1, _, node_1 = heapq.heappop(heap)
        parent[node_0], bit[node_0] = inner, 0
        parent[node_1], bit[node_1] = inner, 1
        heapq.heappush(heap, (count_0 + count_1, order, ("inner", inner)))
        order += 1
    paths = []
    for w in range(n_words):
        node, codes, points = ("leaf", w), [], []
        while node in parent:
            codes.append(bit[node])
            points.append(parent[node])
            node = ("inner", parent[node])
        paths.append((codes[::-1], points[::-1]))
    L_max = max(len(c) for c, _ in paths)
    codes = np.full((n_words, L_max), pad, dtype=np.int8)
    points = np.full((n_words, L_max), pad, dtype=np.int32)
    lengths = np.zeros(n_words, dtype=np.int32)
    for w, (c, p) in enumerate(paths):
        codes[w, : len(c)] = c
        points[w, : len(p)] = p
        lengths[w] = len(c)
    return codes, points, lengths


CODES, POINTS, LENGTHS = huffman(COUNTS)
# shortest and longest paths, a repeated target, and a target that is in its own context
TARGET_IDS = np.array([0, 11, 3, 11], dtype=np.int32)


def _tiny(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(V, D)), rng.normal(size=(V - 1, D))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_test_tree_is_a_huffman_tree():
    assert np.all(POINTS[:, 0] == V - 2)  # root first
    assert LENGTHS[0] < LENGTHS[-1]  # frequent words have shorter paths
    assert len(set(LENGTHS[TARGET_IDS].tolist())) == 3
    # prefix-free codes: no two words share a (codes, points) path
    paths = {tuple(CODES[w, : LENGTHS[w]]) for w in range(V)}
    assert len(paths) == V
    # Kraft equality of a full binary tree
    assert np.sum(0.5 ** LENGTHS.astype(float)) == pytest.approx(1.0)


def test_paths_for_trims_and_masks():
    path_nodes, path_codes, path_mask = hs.paths_for(TARGET_IDS, CODES, POINTS, LENGTHS)
    L = LENGTHS[TARGET_IDS].max()
    assert path_nodes.shape == path_codes.shape == path_mask.shape == (B, L)
    assert path_codes.dtype == np.int8 and path_mask.dtype == bool
    assert path_mask.sum(axis=1).tolist() == LENGTHS[TARGET_IDS].tolist()
    for b, t in enumerate(TARGET_IDS):
        n = LENGTHS[t]
        assert path_nodes[b, :n].tolist() == POINTS[t, :n].tolist()
        assert path_codes[b, :n].tolist() == CODES[t, :n].tolist()
    # padding (-1 in the tables) becomes 0: a valid row, bit 0
    assert np.all(path_nodes[~path_mask] == 0) and np.all(path_codes[~path_mask] == 0)
    # a batch of short paths only gets short arrays
    assert hs.paths_for(np.array([0, 0]), CODES, POINTS, LENGTHS)[0].shape == (2, LENGTHS[0])


def test_gradcheck_through_the_mean():
    W_in, W_out = _tiny()
    context_ids, context_mask = tiny_contexts()
    paths = hs.paths_for(TARGET_IDS, CODES, POINTS, LENGTHS)
    errors = cbow_gradient_errors(hs.forward, hs.backward, W_in, W_out,
                                  context_ids, context_mask, paths)
    assert max(errors.values()) < 1e-6, errors


def test_gradcheck_catches_wrong_bit_convention():
    """dL/dx = sigmoid(x) - b (bits swapped) must fail the check."""
    W_in, W_out = _tiny()
    context_ids, context_mask = tiny_contexts()
    paths = hs.paths_for(TARGET_IDS, CODES, POINTS, LENGTHS)

    def backward_bits_swapped(cache):
        # grad = sigmoid(x) - (1 - b) -> sigmoid(x) - b: add (1 - 2b) on real slots
        path_codes = paths[1]
        wrong = cache.grad_scores + (1 - 2 * path_codes) * cache.path_mask
        return hs.backward(hs.HSCache(cache.h, cache.node_rows, cache.path_nodes,
                                      cache.path_mask, wrong))

    errors = cbow_gradient_errors(hs.forward, backward_bits_swapped, W_in, W_out,
                                  context_ids, context_mask, paths)
    assert errors["W_out"] > 0.1 and errors["h"] > 0.1, errors


def test_bit_convention_on_a_two_word_tree():
    # bit 0 is the sigmoid(x) branch, bit 1 the sigmoid(-x) branch (word2vec.c)
    h = np.array([[0.3, 1.2]])
    W_out = np.array([[2.0, 0.5]])  # the root: x = 1.2, sigmoid(x) != sigmoid(-x)
    x = float(W_out[0] @ h[0])
    mask = np.ones((1, 1), dtype=bool)
    loss_0, _ = hs.forward(h, W_out, np.zeros((1, 1), np.int32), np.zeros((1, 1), np.int8), mask)
    loss_1, _ = hs.forward(h, W_out, np.zeros((1, 1), np.int32), np.ones((1, 1), np.int8), mask)
    assert loss_0 == pytest.approx(-np.log(_sigmoid(x)), rel=1e-12)
    assert loss_1 == pytest.approx(-np.log(_sigmoid(-x)), rel=1e-12)


def test_loss_matches_log_prob_all_and_formula():
    rng = np.random.default_rng(1)
    h, W_out = rng.normal(size=(B, D)), rng.normal(size=(V - 1, D))
    loss, _ = hs.forward(h, W_out, *hs.paths_for(TARGET_IDS, CODES, POINTS, LENGTHS))
    log_probs = hs.log_prob_all(h, W_out, CODES, POINTS, LENGTHS)
    assert loss == pytest.approx(-log_probs[np.arange(B), TARGET_IDS].sum(), rel=1e-12)
    expected = 0.0
    for b, t in enumerate(TARGET_IDS):
        for node, bit in zip(POINTS[t, : LENGTHS[t]], CODES[t, : LENGTHS[t]]):
            x = W_out[node] @ h[b]
            expected -= (1 - bit) * np.log(_sigmoid(x)) + bit * np.log(_sigmoid(-x))
    assert loss == pytest.approx(expected, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(1, 1000), min_size=2, max_size=40),
    scale=st.floats(0.01, 30),
    seed=st.integers(0, 2**32 - 1),
)
def test_leaf_probabilities_sum_to_one(counts, scale, seed):
    counts = sorted(counts, reverse=True)
    codes, points, lengths = huffman(counts)
    n_words = len(counts)
    rng = np.random.default_rng(seed)
    h = rng.normal(scale=scale, size=(3, 4))
    W_out = rng.normal(size=(n_words - 1, 4))
    log_probs = hs.log_prob_all(h, W_out, codes, points, lengths)
    assert log_probs.shape == (3, n_words)
    np.testing.assert_allclose(np.exp(log_probs).sum(axis=1), 1.0, rtol=1e-10)


def test_backward_rows_one_per_real_slot():
    rng = np.random.default_rng(2)
    h, W_out = rng.normal(size=(B, D)), rng.normal(size=(V - 1, D))
    path_nodes, path_codes, path_mask = hs.paths_for(TARGET_IDS, CODES, POINTS, LENGTHS)
    _, cache = hs.forward(h, W_out, path_nodes, path_codes, path_mask)
    grad_h, (row_ids, grad_rows) = hs.backward(cache)
    assert row_ids.tolist() == path_nodes[path_mask].tolist()
    assert grad_rows.shape == (LENGTHS[TARGET_IDS].sum(), D)
    # first slot of example 0: (sigmoid(x) - (1 - b)) h_0
    x = W_out[path_nodes[0, 0]] @ h[0]
    np.testing.assert_allclose(grad_rows[0], (_sigmoid(x) - (1 - path_codes[0, 0])) * h[0],
                               rtol=1e-12)
    again = hs.backward(cache)
    assert np.array_equal(again[0], grad_h) and np.array_equal(again[1][1], grad_rows)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved(dtype):
    rng = np.random.default_rng(3)
    h = rng.normal(size=(B, D)).astype(dtype)
    W_out = rng.normal(size=(V - 1, D)).astype(dtype)
    loss, cache = hs.forward(h, W_out, *hs.paths_for(TARGET_IDS, CODES, POINTS, LENGTHS))
    grad_h, (_, grad_rows) = hs.backward(cache)
    assert isinstance(loss, float)
    assert grad_h.dtype == dtype and grad_rows.dtype == dtype
    assert cache.grad_scores.dtype == dtype and cache.node_rows.dtype == dtype
    assert hs.log_prob_all(h, W_out, CODES, POINTS, LENGTHS).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_huge_scores(dtype):
    h = np.array([[1000.0], [-1000.0]], dtype=dtype)
    W_out = np.array([[1.0]], dtype=dtype)
    path_nodes = np.zeros((2, 1), np.int32)
    path_codes = np.zeros((2, 1), np.int8)  # sigmoid(x) branch: x = 1000 -> 0, -1000 -> 1000
    mask = np.ones((2, 1), bool)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            loss, cache = hs.forward(h, W_out, path_nodes, path_codes, mask)
            grad_h, (_, grad_rows) = hs.backward(cache)
            log_probs = hs.log_prob_all(h, W_out, np.array([[0], [1]]), np.array([[0], [0]]),
                                        np.array([1, 1]))
    assert loss == pytest.approx(1000.0, rel=1e-6)
    np.testing.assert_allclose(grad_h, [[0.0], [-1.0]], atol=1e-6)
    assert np.all(np.isfinite(grad_rows)) and np.all(np.isfinite(log_probs))
