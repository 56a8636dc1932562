"""Starting a run from a trained model or from pretrained vectors (`cbow.train(..., init=...)`).

Two kinds of start (`--init-from PATH`):

- a whole model (cbow.training.full_model.Model: a TrainResult, or `load_model` of a .cbow
  directory saved with its W_out): training CONTINUES. The vocabulary grows by the new
  text's words (cbow.data.prepare.prepare_grown: counts add up, new words of at least
  --min-count occurrences enter, the noise table and the Huffman tree are rebuilt from
  the summed counts), every old word keeps its rows of W_in and (NS, full softmax) W_out,
  and the new words start as any run's words do (W_in ~ U(-0.5/d, 0.5/d), W_out = 0).
- word vectors (KeyedVectors: any file `cbow.load` reads, or a .cbow directory without
  W_out): the vocabulary is the new text's own, and the words it shares with the vectors
  start from them in W_in; W_out starts at zero (pretrained vectors carry no output layer).

Hierarchical softmax. W_out's rows are the inner nodes of the Huffman tree, and the tree
rebuilt from the summed counts is another tree as soon as a count changes the merge order.
A node's row scores "left or right" between the two sets of words below it, so a row keeps
its meaning exactly when a node of the new tree splits the same two sets of words: those
rows are carried over (negated when the two sides swap: sigmoid(-x) = 1 - sigmoid(x)), and
every other inner node starts at zero, as in a fresh run (`huffman_node_map`). Continuing
on text with the same word frequencies keeps the whole tree, hence all of W_out; adding
words keeps the nodes whose subtrees did not change.

`freeze_init` (--freeze-init) keeps the W_in rows that came from the start fixed: the step
multiplies their updates by 0 (gensim's vectors_lockf), so they stay bit for bit what they
were while the new words and W_out train around them.

The learning rate of such a run is any run's: a fresh linear fall from --alpha over its
own --epochs (cbow.training.schedule). `--resume` with more --epochs is another thing:
the same run, stretched (cbow.training.schedule, docs/usage.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cbow.data.array_checks import ArrayProblem, check_finite
from cbow.data.huffman import HuffmanTree
from cbow.data.vocab import Vocab
from cbow.errors import ConfigError
from cbow.model.hidden import init_weights
from cbow.training.config import TrainConfig
from cbow.training.full_model import Model, is_model_dir, load_model
from cbow.vectors.keyed import KeyedVectors

logger = logging.getLogger(__name__)

Init = Model | KeyedVectors


def resolve_init(init: Init | str | Path) -> Init:
    """A path read as a whole model (a .cbow directory with W_out) or as vectors (any
    format `cbow.load` reads); a Model or KeyedVectors as it is."""
    if isinstance(init, Model):
        return checked_model(init)
    if isinstance(init, KeyedVectors):
        return init
    if isinstance(init, (str, Path)):
        return load_model(init) if is_model_dir(init) else KeyedVectors.load(init)
    raise TypeError(f"init must be a model (cbow.load_model, a TrainResult), KeyedVectors or a path, "
                    f"not {type(init).__name__}")


def checked_model(model: Model) -> Model:
    """`model` when its arrays fit its vocabulary and settings (W_in (V, d), W_out (V, d) or
    (V - 1, d) for HS, real floats, finite), a ConfigError otherwise: a Model built by hand
    in Python enters training here (one loaded from a .cbow directory was checked by
    `load_model`).
    """
    V, d, objective = len(model.vocab), model.config.size, model.config.objective
    for name, matrix, n_rows in (("W_in", model.W_in, V), ("W_out", model.W_out, V - 1 if objective == "hs" else V)):
        shape, dtype = getattr(matrix, "shape", None), getattr(matrix, "dtype", None)
        if not isinstance(matrix, np.ndarray) or dtype.kind != "f" or shape != (n_rows, d):
            raise ConfigError(
                f"init: the model's {name} is {'an array of ' + str(dtype) if dtype is not None else 'no array'} "
                f"{shape if shape is not None else ''}, but a model of {V:,} words of size {d} ({objective}) has a "
                f"({n_rows}, {d}) float matrix; pass a TrainResult or cbow.load_model(PATH)")
        try:
            check_finite(matrix, f"the model's {name}", model.vocab.words if name == "W_in" else None)
        except ArrayProblem as problem:
            raise ConfigError(f"init: {problem}; it cannot be trained further") from None
    return model


def describe_init(init: Init) -> str:
    """'a model of 852 words (ns)' / '71,290 vectors': for messages."""
    if isinstance(init, Model):
        return f"a model of {len(init.vocab):,} words ({init.config.objective})"
    return f"{len(init):,} vectors"


@dataclass
class Start:
    """The weights a run starts from.

    Attributes
    ----------
    W_in, W_out : float32, (V, d) and (V or V-1, d)
    frozen_rows : (V,) bool, the W_in rows that came from the init (with freeze_init),
        else None
    n_in_rows, n_out_rows : rows of W_in / W_out taken over from the init
    """

    W_in: np.ndarray
    W_out: np.ndarray
    frozen_rows: np.ndarray | None
    n_in_rows: int
    n_out_rows: int


def _node_keys(tree: HuffmanTree, word_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(V-1, 2) uint64 fingerprints of the word sets below each inner node's two branches
    (bit 0, bit 1): sums of the words' random 64-bit keys (wrapping), and (V-1, 2) counts."""
    V = len(tree.lengths)
    path_mask = np.arange(tree.points.shape[1]) < tree.lengths[:, None]
    word_of = np.broadcast_to(np.arange(V)[:, None], tree.points.shape)[path_mask]
    nodes, bits = tree.points[path_mask], tree.codes[path_mask].astype(np.int64)
    sums = np.zeros((V - 1, 2), dtype=np.uint64)
    sizes = np.zeros((V - 1, 2), dtype=np.int64)
    np.add.at(sums, (nodes, bits), word_keys[word_of])
    np.add.at(sizes, (nodes, bits), 1)
    return sums, sizes


def huffman_node_map(old_words: list[str], old_tree: HuffmanTree, new_words: list[str], new_tree: HuffmanTree
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The inner nodes of `new_tree` that split the same two word sets as a node of
    `old_tree` (module docstring).

    Word sets are compared by the sum of random 64-bit keys of their words (and their
    sizes): two different sets agree with probability about 2^-64.

    Returns
    -------
    new_nodes, old_nodes : (M,) int, matching inner nodes
    signs : (M,) float32, 1 when the sides agree, -1 when they are swapped (the row is negated)
    """
    keys_of = dict(zip(sorted(set(old_words) | set(new_words)),
                       np.random.default_rng(0x7EE).integers(0, 2**63, size=len(set(old_words) | set(new_words)),
                                                             dtype=np.uint64)))
    old_keys = np.array([keys_of[w] for w in old_words], dtype=np.uint64)
    new_keys = np.array([keys_of[w] for w in new_words], dtype=np.uint64)
    with np.errstate(over="ignore"):
        old_sums, old_sizes = _node_keys(old_tree, old_keys)
        new_sums, new_sizes = _node_keys(new_tree, new_keys)
    where = {(int(s0), int(s1), int(n0), int(n1)): node
             for node, (s0, s1, n0, n1) in enumerate(zip(old_sums[:, 0], old_sums[:, 1], old_sizes[:, 0],
                                                         old_sizes[:, 1]))}
    new_nodes, old_nodes, signs = [], [], []
    for node, (s0, s1, n0, n1) in enumerate(zip(new_sums[:, 0], new_sums[:, 1], new_sizes[:, 0], new_sizes[:, 1])):
        same = where.get((int(s0), int(s1), int(n0), int(n1)))
        swapped = where.get((int(s1), int(s0), int(n1), int(n0))) if same is None else None
        if same is not None or swapped is not None:
            new_nodes.append(node)
            old_nodes.append(same if same is not None else swapped)
            signs.append(1.0 if same is not None else -1.0)
    return (np.array(new_nodes, dtype=np.int64), np.array(old_nodes, dtype=np.int64),
            np.array(signs, dtype=np.float32))


def initial_weights(vocab: Vocab, config: TrainConfig, n_out_rows: int, init: Init | None,
                    huffman: HuffmanTree | None = None) -> Start:
    """The weights a run of `config` on `vocab` starts from (module docstring).

    Without `init`, word2vec.c's: W_in ~ U(-0.5/d, 0.5/d) from the seed, W_out = 0. With
    one, the same, then the rows of the words it knows are taken over.

    Parameters
    ----------
    vocab : the run's vocabulary (grown from the model's, or the new text's own)
    n_out_rows : V, or V - 1 for HS
    init : a whole model or word vectors, or None
    huffman : the run's Huffman tree (HS)

    Raises
    ------
    ConfigError : the init's vector size is not config.size, or it shares no word with
        the vocabulary
    """
    W_in, W_out = init_weights(len(vocab), config.size, n_out_rows, np.random.default_rng([config.seed, 0]))
    if init is None:
        return Start(W_in, W_out, None, 0, 0)
    source_in = init.W_in if isinstance(init, Model) else init.vectors
    if source_in.shape[1] != config.size:
        raise ConfigError(f"the vectors to start from have size {source_in.shape[1]}, this run --size {config.size}; "
                          f"give --size {source_in.shape[1]}")
    source_index = init.vocab.key_to_index if isinstance(init, Model) else init.key_to_index
    ours, theirs = [], []
    for word_id, word in enumerate(vocab.words):
        found = source_index.get(word)
        if found is not None:
            ours.append(word_id)
            theirs.append(found)
    if not ours:
        raise ConfigError(f"the {describe_init(init)} to start from share no word with the corpus' vocabulary "
                          f"({len(vocab):,} words); check --tokenizer, or that they belong to this language")
    ours_ids, theirs_ids = np.array(ours), np.array(theirs)
    W_in[ours_ids] = np.asarray(source_in[theirs_ids], dtype=W_in.dtype)
    n_out = 0
    if isinstance(init, Model):
        if init.config.objective != config.objective:
            logger.warning("the model was trained with %s, this run uses %s: W_out starts at zero",
                           init.config.objective, config.objective)
        elif config.objective != "hs":  # rows are words
            W_out[ours_ids] = init.W_out[theirs_ids]
            n_out = len(ours_ids)
        else:
            new_nodes, old_nodes, signs = huffman_node_map(init.vocab.words, init.vocab.huffman(), vocab.words,
                                                           huffman if huffman is not None else vocab.huffman())
            W_out[new_nodes] = init.W_out[old_nodes] * signs[:, None]
            n_out = len(new_nodes)
            if n_out < n_out_rows:
                logger.info("hierarchical softmax: %d of the %d inner nodes of the rebuilt Huffman tree split the "
                            "same words as before and keep their rows; the other %d start at zero", n_out,
                            n_out_rows, n_out_rows - n_out)
    frozen = None
    if config.freeze_init:
        frozen = np.zeros(len(vocab), dtype=bool)
        frozen[ours_ids] = True
    elif isinstance(init, Model) and init.frozen_rows is not None and init.frozen_rows[theirs_ids].any():
        frozen = np.zeros(len(vocab), dtype=bool)  # the rows the model itself keeps fixed (vectors_lockf 0)
        frozen[ours_ids] = init.frozen_rows[theirs_ids]
    logger.info("starting from %s: %d of %d W_in rows and %d of %d W_out rows taken over%s", describe_init(init),
                len(ours_ids), len(vocab), n_out, n_out_rows, " (W_in's frozen)" if frozen is not None else "")
    return Start(W_in, W_out, frozen, len(ours_ids), n_out)
