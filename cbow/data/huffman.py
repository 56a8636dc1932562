"""The Huffman tree of hierarchical softmax, built as word2vec.c's `CreateBinaryTree` does.

Huffman tree (DESIGN.md §3; the same tree as word2vec.c `CreateBinaryTree`): inner nodes are
numbered 0..V-2 in the order they are created, the root is V-2. Word w's path from the root
is the inner nodes ``points[w, :lengths[w]]`` (``points[w, 0] == V - 2``), and
``codes[w, l]`` is the bit of the branch taken below ``points[w, l]``:

    p(w | h) = prod_l sigmoid((1 - 2 codes[w, l]) * W_out[points[w, l]] . h)

so bit 0 means "go the sigmoid(x) way". Frequent words get short codes.

The construction is word2vec.c's two-pointer merge over the count-sorted leaves (runs of
equal counts are merged in bulk), then every path is read off with numpy: depths by pointer
jumping, then all paths climbed at once from the leaves into one flat array (`HuffmanPaths`,
what training reads). The padded (V, L) `HuffmanTree` is made from it only where code
indexes paths by depth.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from cbow.errors import VocabError


@dataclass(frozen=True, eq=False)
class HuffmanTree:
    """Huffman codes of a vocabulary as padded arrays (see the module docstring).

    Attributes
    ----------
    codes : ndarray of int8, shape (V, L)
        Code bits along each word's path from the root, padded with 0; L = max(lengths).
    points : ndarray of int32, shape (V, L)
        Inner-node ids (0..V-2, root V-2) along each word's path from the root, padded with 0.
    lengths : ndarray of int32, shape (V,)
        Real path length of each word (>= 1).
    """

    codes: np.ndarray
    points: np.ndarray
    lengths: np.ndarray


@dataclass(frozen=True, eq=False)
class HuffmanPaths:
    """Every word's Huffman path flattened: word w's nodes are nodes[start[w]:start[w+1]].

    The form training reads (`cbow.model.logistic_step.hs_slots`); `tree()` gives the padded
    `HuffmanTree` for the code that indexes paths by depth (likelihoods, the reference step).

    Attributes
    ----------
    start : (V+1,) int64
    nodes : (sum of lengths,) int32, inner-node ids from the root down
    signs : (sum of lengths,) int8, 1 - 2 * code bit (a batch's slots are cast to the
        step's float type: int8 is a quarter of float32's memory, 4.8 MiB less on text8)
    lengths : (V,) int32
    """

    start: np.ndarray
    nodes: np.ndarray
    signs: np.ndarray
    lengths: np.ndarray

    def tree(self) -> HuffmanTree:
        """The same paths padded to the longest, as a `HuffmanTree` (5 V L bytes)."""
        V, L = len(self.lengths), int(self.lengths.max())
        real = np.arange(L) < self.lengths[:, None]  # row-major: word, depth, as `nodes`
        points = np.zeros((V, L), dtype=np.int32)
        codes = np.zeros((V, L), dtype=np.int8)
        points[real] = self.nodes
        codes[real] = self.signs < 0  # sign -1 is bit 1
        return HuffmanTree(codes=codes, points=points, lengths=self.lengths.copy())


def _huffman_parents(counts: list[int]) -> tuple[list[int], bytearray]:
    """Build word2vec.c's Huffman tree over counts sorted in descending order.

    Parameters
    ----------
    counts : list of int, length V >= 2
        Positive counts, sorted descending (the leaves 0..V-1).

    Returns
    -------
    parent : list of int, length 2V-1
        Parent node of every node; leaves are 0..V-1, inner node i is V+i, root 2V-2.
    binary : bytearray, length 2V-1
        The bit of the branch from each node's parent to it.

    Notes
    -----
    word2vec.c's two-queue merge: the leaves are consumed from the least frequent end
    (`pos1`), the inner nodes in creation order (`pos2`), always taking the smaller head and
    preferring the inner node on ties; the second node taken gets bit 1. Its loop runs V-1
    times; here runs of equal values (the long tail of words with the same count, and the
    equal inner nodes they make) are paired in one slice operation each, with exactly the
    same outcome, so V = 1e6 takes a fraction of a second.
    """
    V = len(counts)
    n_nodes = 2 * V - 1
    sentinel = sum(counts) + 1  # larger than any node: stands for "not created yet"
    count = counts + [sentinel] * (V - 1)
    parent = [0] * n_nodes
    binary = bytearray(n_nodes)
    # run_start[i]: the first leaf with the same count as leaf i (counts are descending)
    negated = -np.asarray(counts, dtype=np.int64)
    run_start = np.searchsorted(negated, negated, side="left").tolist()
    pos1, pos2, new = V - 1, V, V  # least frequent unused leaf, oldest unused inner node, next id
    while new < n_nodes:
        leaf = count[pos1] if pos1 >= 0 else sentinel
        head = count[pos2]  # == sentinel when every inner node is used
        if pos1 >= 1 and leaf < head and count[pos1 - 1] == leaf:
            # Equal leaves below the inner head pair up with each other (the new nodes, 2 *
            # leaf, are above leaf too): leaves pos1, pos1-1 -> new; pos1-2, pos1-3 -> new+1...
            n_pairs = (pos1 - run_start[pos1] + 1) // 2
            low = pos1 - 2 * n_pairs + 1
            new_ids = range(new + n_pairs - 1, new - 1, -1)  # for the pairs from low upwards
            parent[low:pos1 + 1:2] = new_ids  # second picks: pos1-1, pos1-3, ... (bit 1)
            parent[low + 1:pos1 + 1:2] = new_ids  # first picks: pos1, pos1-2, ...
            binary[low:pos1 + 1:2] = b"\x01" * n_pairs
            count[new:new + n_pairs] = [2 * leaf] * n_pairs
            pos1 -= 2 * n_pairs
            new += n_pairs
            continue
        if pos2 + 1 < new and count[pos2 + 1] == head and leaf >= head:
            # Equal inner nodes not above the smallest leaf pair up with each other (the new
            # nodes, 2 * head, are larger, so the run does not grow while we pair it).
            n_pairs = (bisect.bisect_right(count, head, pos2, new) - pos2) // 2
            new_ids = range(new, new + n_pairs)
            parent[pos2:pos2 + 2 * n_pairs:2] = new_ids
            parent[pos2 + 1:pos2 + 2 * n_pairs:2] = new_ids
            binary[pos2 + 1:pos2 + 2 * n_pairs:2] = b"\x01" * n_pairs
            count[new:new + n_pairs] = [2 * head] * n_pairs
            pos2 += 2 * n_pairs
            new += n_pairs
            continue
        # One step of word2vec.c's loop.
        picks = []
        for _ in range(2):
            if pos1 >= 0 and count[pos1] < count[pos2]:
                picks.append(pos1)
                pos1 -= 1
            else:
                picks.append(pos2)
                pos2 += 1
        count[new] = count[picks[0]] + count[picks[1]]
        parent[picks[0]] = new
        parent[picks[1]] = new
        binary[picks[1]] = 1
        new += 1
    return parent, binary


def huffman_paths(counts: np.ndarray) -> HuffmanPaths:
    """Huffman paths of words with the given counts (word2vec.c's tree), flattened.

    Parameters
    ----------
    counts : ndarray of int, shape (V,)
        Positive word counts, V >= 2, in any order (ties are broken as word2vec.c does on
        the counts stably sorted in descending order).

    Returns
    -------
    HuffmanPaths
        Every word's inner nodes and signs from the root down, words in the order of
        `counts`. The padded (V, L) form is `.tree()`; building this one never makes it
        (5 V L bytes: 22 MiB for 150k words).

    Raises
    ------
    VocabError
        Fewer than 2 words.
    """
    counts = np.asarray(counts, dtype=np.int64)
    V = len(counts)
    if V < 2:
        raise VocabError(
            f"hierarchical softmax needs at least 2 words, the vocabulary has {V}; "
            "lower --min-count or train on more text"
        )
    order = np.argsort(-counts, kind="stable")  # sorted position -> word id
    parent_list, binary_bytes = _huffman_parents(counts[order].tolist())
    root = 2 * V - 2
    parent = np.array(parent_list, dtype=np.int32)  # int32: the climb below gathers from it
    parent[root] = root
    binary = np.frombuffer(bytes(binary_bytes), dtype=np.int8)
    # Depth of every node by pointer jumping: ~log2(depth) passes over the 2V-1 nodes.
    depth = np.ones(2 * V - 1, dtype=np.int64)
    depth[root] = 0
    ancestor = parent.copy()
    while np.any(ancestor != root):
        depth += np.where(ancestor != root, depth[ancestor], 0)
        ancestor = ancestor[ancestor]
    leaf = np.empty(V, dtype=np.int32)  # word id -> leaf (sorted position)
    leaf[order] = np.arange(V, dtype=np.int32)
    lengths = depth[leaf].astype(np.int32)
    start = np.zeros(V + 1, dtype=np.int64)
    np.cumsum(lengths, out=start[1:])
    nodes = np.empty(int(start[-1]), dtype=np.int32)
    signs = np.empty(int(start[-1]), dtype=np.int8)
    # Walk every path up from its leaf, filling it from its last slot: the slot of inner
    # node p holds p and the sign of the branch taken below it (the bit of the child we came
    # from). Words sorted by length, longest first, so the words still climbing at step s
    # (those longer than s) are a prefix: O(sum of lengths) in all.
    by_length = np.argsort(-lengths, kind="stable")
    # words longer than s, for each step s: a count in the descending lengths (negated: ascending)
    n_longer = np.searchsorted(-lengths[by_length], -np.arange(int(lengths.max())), side="left")
    child = leaf[by_length]
    slot = start[by_length + 1] - 1
    for n_climbing in n_longer.tolist():
        child, slot = child[:n_climbing], slot[:n_climbing]
        above = parent[child]
        nodes[slot] = above - V
        signs[slot] = 1 - 2 * binary[child]
        child, slot = above, slot - 1
    return HuffmanPaths(start, nodes, signs, lengths)


def huffman_tree(counts: np.ndarray) -> HuffmanTree:
    """Huffman codes of words with the given counts (word2vec.c's tree) as padded arrays.

    `huffman_paths(counts).tree()`: see `huffman_paths` (parameters, errors).
    """
    return huffman_paths(counts).tree()
