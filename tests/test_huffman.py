"""Huffman tree: word2vec.c's tree, prefix-free, optimal, probabilities sum to one."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbow.errors import VocabError
from cbow.data.huffman import HuffmanTree, huffman_paths, huffman_tree
from cbow.data.vocab import Vocab

# --- Huffman tree -----------------------------------------------------------------------


def word2vec_tree(counts: list[int]) -> tuple[list[list[int]], list[list[int]]]:
    """Literal port of word2vec.c CreateBinaryTree (counts sorted descending)."""
    V = len(counts)
    count = list(counts) + [10**15] * (V - 1)
    binary = [0] * (2 * V - 1)
    parent = [0] * (2 * V - 1)
    pos1, pos2 = V - 1, V
    for a in range(V - 1):
        mins = []
        for _ in range(2):
            if pos1 >= 0 and count[pos1] < count[pos2]:
                mins.append(pos1)
                pos1 -= 1
            else:
                mins.append(pos2)
                pos2 += 1
        count[V + a] = count[mins[0]] + count[mins[1]]
        parent[mins[0]] = parent[mins[1]] = V + a
        binary[mins[1]] = 1
    codes, points = [], []
    for a in range(V):
        code, point, b = [], [], a
        while True:
            code.append(binary[b])
            point.append(b)
            b = parent[b]
            if b == 2 * V - 2:
                break
        i = len(code)
        word_code, word_point = [0] * i, [V - 2] + [0] * i
        for k in range(i):
            word_code[i - k - 1] = code[k]
            word_point[i - k] = point[k] - V
        codes.append(word_code)
        points.append(word_point[:i])
    return codes, points


def textbook_huffman_cost(counts: list[int]) -> int:
    """Sum of count * code length of an optimal prefix code (heapq Huffman)."""
    heap = list(counts)
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged  # every merge adds one bit to all words below it
        heapq.heappush(heap, merged)
    return cost


def paths(tree: HuffmanTree) -> list[tuple[list[int], list[int]]]:
    return [
        (tree.codes[w, :n].tolist(), tree.points[w, :n].tolist())
        for w, n in enumerate(tree.lengths.tolist())
    ]


def test_huffman_small_known_distribution() -> None:
    # CLRS 16.3: frequencies 45 16 13 12 9 5 -> optimal lengths 1 3 3 3 4 4, cost 224.
    vocab = Vocab(list("afcbed"), np.array([45, 16, 13, 12, 9, 5]))
    tree = vocab.huffman()
    assert tree.lengths.tolist() == [1, 3, 3, 3, 4, 4]
    assert int(np.dot(tree.lengths, vocab.counts)) == 224
    assert textbook_huffman_cost([45, 16, 13, 12, 9, 5]) == 224
    assert tree.codes.dtype == np.int8 and tree.points.dtype == np.int32
    assert tree.lengths.dtype == np.int32 and tree.codes.shape == tree.points.shape == (6, 4)


def check_tree(counts: np.ndarray, tree: HuffmanTree) -> None:
    V = len(counts)
    lengths = tree.lengths
    assert lengths.min() >= 1 and tree.codes.shape == (V, lengths.max())
    # The root is inner node V-2, first on every path; inner ids are 0..V-2, each used.
    assert (tree.points[:, 0] == V - 2).all()
    used = set()
    for code, point in paths(tree):
        assert all(0 <= p <= V - 2 for p in point)
        used.update(point)
    assert used == set(range(V - 1))
    # Padding is zero.
    pad = np.arange(tree.codes.shape[1])[None, :] >= lengths[:, None]
    assert not tree.codes[pad].any() and not tree.points[pad].any()
    # Prefix-free codes.
    codes = sorted("".join(map(str, code)) for code, _ in paths(tree))
    for shorter, longer in zip(codes, codes[1:]):
        assert not longer.startswith(shorter)
    # Optimal: same total cost as a textbook Huffman code.
    assert int(np.dot(lengths, counts)) == textbook_huffman_cost(counts.tolist())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 30), min_size=2, max_size=60))
def test_huffman_is_word2vec_tree(count_list: list[int]) -> None:
    counts = np.array(sorted(count_list, reverse=True))
    tree = huffman_tree(counts)
    check_tree(counts, tree)
    codes, points = word2vec_tree(counts.tolist())
    assert paths(tree) == list(zip(codes, points))


def test_huffman_on_long_zipf_tail_is_word2vec_tree() -> None:
    # Long runs of equal counts take the batched branches of the construction.
    rng = np.random.default_rng(0)
    counts = np.sort(np.minimum(rng.zipf(1.3, 3000), 400) + 4)[::-1]
    tree = huffman_tree(counts)
    check_tree(counts, tree)
    codes, points = word2vec_tree(counts.tolist())
    assert paths(tree) == list(zip(codes, points))


def test_huffman_unsorted_counts_follow_the_word_order() -> None:
    counts = np.array([3, 9, 1, 9, 4, 3, 2])
    order = np.argsort(-counts, kind="stable")
    tree = huffman_tree(counts)
    sorted_tree = huffman_tree(counts[order])
    check_tree(counts, tree)
    for position, word in enumerate(order):
        assert tree.lengths[word] == sorted_tree.lengths[position]
        assert (tree.codes[word] == sorted_tree.codes[position]).all()
        assert (tree.points[word] == sorted_tree.points[position]).all()


def test_hierarchical_softmax_probabilities_sum_to_one() -> None:
    rng = np.random.default_rng(1)
    counts = np.sort(rng.integers(1, 50, 40))[::-1]
    tree = huffman_tree(counts)
    inner = rng.normal(size=(len(counts) - 1, 8))
    h = rng.normal(size=8)
    probabilities = []
    for code, point in paths(tree):
        x = inner[point] @ h
        signs = 1 - 2 * np.array(code)
        probabilities.append(np.prod(1 / (1 + np.exp(-signs * x))))
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-12)


def test_huffman_frequent_words_get_shorter_codes() -> None:
    counts = np.array([1000, 500, 100, 50, 10, 5, 1, 1])
    lengths = huffman_tree(counts).lengths
    assert (np.diff(lengths) >= 0).all() and lengths[0] < lengths[-1]


def test_huffman_two_words_and_too_few() -> None:
    tree = Vocab(["a", "b"], np.array([5, 2])).huffman()
    # word2vec.c takes the rarer word first (bit 0), the second pick gets bit 1
    assert tree.codes.tolist() == [[1], [0]] and tree.points.tolist() == [[0], [0]]
    assert tree.lengths.tolist() == [1, 1]
    with pytest.raises(VocabError, match="hierarchical softmax needs at least 2 words"):
        Vocab(["a"], np.array([5])).huffman()




@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=2, max_size=80))
def test_flattened_paths_are_the_padded_trees_rows(count_list: list[int]) -> None:
    # huffman_paths climbs from the leaves straight into the flat arrays; the padded tree is
    # made from them, so compare both with an independent port of word2vec.c
    counts = np.array(count_list)
    flat = huffman_paths(counts)
    codes, points = word2vec_tree(counts[np.argsort(-counts, kind="stable")].tolist())
    rank = np.empty(len(counts), dtype=int)
    rank[np.argsort(-counts, kind="stable")] = np.arange(len(counts))
    for word in range(len(counts)):
        nodes = flat.nodes[flat.start[word]:flat.start[word + 1]]
        signs = flat.signs[flat.start[word]:flat.start[word + 1]]
        assert nodes.tolist() == points[rank[word]]
        assert signs.tolist() == [1 - 2 * bit for bit in codes[rank[word]]]
    assert flat.nodes.dtype == np.int32 and flat.signs.dtype == np.int8
    padded = flat.tree()  # the same paths, each row zero past its length
    np.testing.assert_array_equal(padded.lengths, flat.lengths)
    np.testing.assert_array_equal(np.diff(flat.start), flat.lengths)
    real = np.arange(padded.points.shape[1]) < flat.lengths[:, None]
    np.testing.assert_array_equal(padded.points[real], flat.nodes)
    np.testing.assert_array_equal(padded.codes[real], (flat.signs < 0).astype(np.int8))
    assert not padded.points[~real].any() and not padded.codes[~real].any()


def test_a_training_run_never_pads_the_huffman_paths(planted_lines) -> None:
    # The fused step reads the flat paths; the padded (V, L) tree is 22 MiB at 150k words
    # and is made only where something indexes paths by depth.
    from cbow.training.callbacks import Callback
    from cbow.training.config import TrainConfig
    from cbow.training.loop import train

    seen = []

    class Watch(Callback):
        def on_train_end(self, run) -> None:
            seen.append("huffman" in vars(run.output))

    train(planted_lines, TrainConfig(objective="hs", negative=0, size=16, window=3, min_count=3, epochs=1,
                                     batch_size=256, seed=3), callbacks=[Watch()])
    assert seen == [False]
