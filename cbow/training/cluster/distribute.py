"""The corpus onto the nodes (the client's side): the vocabulary counted in parallel, each
node's shard encoded on the node that trains it.

A file or directory corpus (read by the nodes, from the same path; cbow.training.cluster.pieces):

    1. every node can read the path (connect.check_corpus_readable)
    2. the pieces are planned (one task: it stats the files)
    3. each piece is read, counted and encoded (client.map-style, one task per piece) on
       the node that will train most of it (by bytes)
    4. the pieces' counts are merged pairwise in a tree (order of first appearance kept)
       and the vocabulary made from the total, by one machine's rules; a vocabulary given
       (--vocab) skips the counting
    5. each piece's ids are mapped to the vocabulary; the client gathers only sizes and
       digests (words, sentences, raw tokens, sha256)
    6. node n trains the sentences starting in its n-th of the corpus's words,
       [n W / N, (n + 1) W / N): a piece is cut between two nodes at a sentence boundary
    7. --holdout: the held-out sentences are drawn over the sentences of all nodes, as one
       machine draws them (cbow.data.split.heldout_sentences); each node keeps its own out
       of its shard and the client gathers them (the held-out corpus, in corpus order)
    8. each node's shard is assembled on its worker and stays there for the run

Everything a shard is made of is a Dask task of the corpus path and the settings, so a
shard lost with its worker is made again where Dask reruns it. Lines in memory, stdin,
or a corpus already encoded are prepared by the client as on one machine, then cut into
the nodes' sentence ranges and sent (their data is in the tasks, so also recomputable).

The run's corpus fingerprint (checkpoints) is a sha256 of the vocabulary, the raw token
count and the pieces' digests, in order: a cluster checkpoint resumes on a cluster (with
any number of nodes at an epoch's end), not on one machine, whose fingerprint hashes the
ids in one stream.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from dataclasses import dataclass

import numpy as np

from cbow.data.corpus import describe_source
from cbow.data.encode import EncodedCorpus
from cbow.data.vocab import Vocab
from cbow.errors import ConfigError
from cbow.training.cluster import pieces
from cbow.training.cluster.connect import ClusterSession, absolute_corpus_path, check_corpus_readable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShardedCorpus:
    """The client's view of a corpus spread over the nodes: what the `Run` reads of a corpus.

    Attributes
    ----------
    n_words : training words (in-vocabulary tokens) of all nodes
    n_sentences : their sentences
    n_raw_tokens : tokens read (before dropping out-of-vocabulary ones), held-out part excluded
    fingerprint : sha256 identifying vocabulary and text (module docstring)
    shard_words, shard_sentences : per node
    """

    n_words: int
    n_sentences: int
    n_raw_tokens: int
    fingerprint: str
    shard_words: tuple[int, ...]
    shard_sentences: tuple[int, ...]


@dataclass
class Distributed:
    """A corpus on the nodes: `shards[n]` is the Dask future of node n's NodeShard."""

    vocab: Vocab
    corpus: ShardedCorpus
    shards: list
    heldout: EncodedCorpus | None


def _identity(value):
    return value


def submit(client, function, *args, **kwargs):
    """client.submit without Dask's large-graph warning: data sent inside tasks is meant
    (a task's inputs stay with the scheduler, so Dask can rerun it on another worker)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ll]arge (graph|object)")
        return client.submit(function, *args, pure=False, **kwargs)


def distribute(session: ClusterSession, n_nodes: int, source, config, vocab: Vocab | None,
               encoded: EncodedCorpus | None, progress: bool = False) -> Distributed:
    """Put the corpus on `n_nodes` nodes (module docstring); plain files are read in pieces
    of `pieces.PIECE_BYTES`.

    Raises
    ------
    CorpusError, VocabError, ConfigError : as `cbow.train` on one machine; a node that
        cannot read the corpus is named
    """
    path = absolute_corpus_path(source) if encoded is None else None
    if path is None:
        return _from_client(session, n_nodes, source, config, vocab, encoded, progress)
    return _from_path(session, n_nodes, path, config, vocab, describe_source(source), pieces.PIECE_BYTES)


def _node_worker(session: ClusterSession, node: int) -> str:
    return session.nodes[node % len(session.nodes)].address


def _from_path(session: ClusterSession, n_nodes: int, path: str, config, vocab: Vocab | None, name: str,
               piece_bytes: int) -> Distributed:
    client = session.client
    check_corpus_readable(session, path)
    planned = submit(client, pieces.plan_pieces, path, piece_bytes).result()
    total_bytes = max(1, sum(piece.size for piece in planned))
    reader_of, bytes_before = [], 0
    for piece in planned:  # read each piece on the node that will train most of it
        middle = bytes_before + piece.size / 2
        reader_of.append(min(n_nodes - 1, int(middle * n_nodes / total_bytes)))
        bytes_before += piece.size
    read = [submit(client, pieces.read_piece, piece, config.tokenizer, config.max_sentence_length,
                   config.encoding_errors, workers=[_node_worker(session, node)], allow_other_workers=True)
            for piece, node in zip(planned, reader_of)]
    logger.info("%s: %d pieces read on %d nodes", name, len(planned), n_nodes)
    if vocab is None:
        level = [submit(client, pieces.count_summary, data) for data in read]
        while len(level) > 1:  # pairwise, neighbours only: the order of first appearance is kept
            level = [submit(client, pieces.merge_counts, *level[i:i + 2]) if i + 1 < len(level) else level[i]
                     for i in range(0, len(level), 2)]
        vocab_future = submit(client, pieces.vocab_from_counts, level[0], config.min_count, config.max_vocab, name)
        vocab = vocab_future.result()
    else:
        vocab_future = submit(client, _identity, vocab)
    encoded = [submit(client, pieces.remap_piece, data, vocab_future, workers=[_node_worker(session, node)],
                      allow_other_workers=True) for data, node in zip(read, reader_of)]
    sizes = client.gather([submit(client, _summary, piece) for piece in encoded])
    del read  # the shards' lineage keeps the tasks: Dask can read a piece again
    n_raw = sum(size[2] for size in sizes)
    digest = hashlib.sha256(b"cbow-cluster-corpus-1\n")
    digest.update("\n".join(vocab.words).encode("utf-8"))
    digest.update(np.ascontiguousarray(vocab.counts, dtype="<i8").tobytes())
    digest.update(f"\n{n_raw}\n".encode())
    for size in sizes:
        digest.update(f"{size[0]} {size[1]} {size[3]}\n".encode())
    segments = _segments(client, encoded, [size[0] for size in sizes], [size[1] for size in sizes], n_nodes)
    node_sentences = [sum(stop - first for _, first, stop in node_segments) for node_segments in segments]
    n_words = sum(size[0] for size in sizes)
    if n_words == 0:
        raise ConfigError(f"{name}: none of its words is in the vocabulary; check --tokenizer and --vocab")
    for node, count in enumerate(node_sentences):
        if count == 0:
            raise ConfigError(f"{name}: too few sentences to give each of the {n_nodes} nodes some (node {node} "
                              "would get none); train on fewer nodes")
    heldout_of = _heldout_ids(config, node_sentences)
    shards = []
    for node, node_segments in enumerate(segments):
        shards.append(submit(client, pieces.assemble_shard, node, vocab_future,
                             [(first, stop) for _, first, stop in node_segments], heldout_of[node],
                             *[encoded[index] for index, _, _ in node_segments],
                             workers=[_node_worker(session, node)], allow_other_workers=True))
    heldout = None
    if config.holdout > 0:
        parts = client.gather([submit(client, pieces.shard_heldout, shard) for shard in shards])
        heldout = pieces.concatenate([part for part in parts if part is not None], 0)
    shard_sizes = client.gather([submit(client, pieces.shard_size, shard) for shard in shards])
    raw_heldout = 0 if heldout is None else round(n_raw * heldout.n_words / max(1, n_words))
    if heldout is not None:
        heldout = EncodedCorpus(heldout.word_ids, heldout.sentence_offsets, raw_heldout)
    corpus = ShardedCorpus(
        n_words=sum(words for words, _ in shard_sizes), n_sentences=sum(count for _, count in shard_sizes),
        n_raw_tokens=n_raw - raw_heldout, fingerprint=digest.hexdigest(),
        shard_words=tuple(words for words, _ in shard_sizes), shard_sentences=tuple(count for _, count in shard_sizes),
    )
    logger.info("%s: %s training words in %d shards (%s)", name, f"{corpus.n_words:,}", n_nodes,
                ", ".join(f"{words:,}" for words in corpus.shard_words))
    return Distributed(vocab, corpus, shards, heldout)


def _summary(piece: pieces.EncodedPiece) -> tuple[int, int, int, str]:
    return piece.summary


def _segments(client, encoded: list, piece_words: list[int], piece_sentences: list[int],
              n_nodes: int) -> list[list[tuple[int, int, int]]]:
    """Per node, its (piece, first sentence, stop sentence) segments, in corpus order:
    node n takes the sentences starting in words [n W / N, (n + 1) W / N) (module docstring)."""
    n_words = sum(piece_words)
    bounds = [n_words * node // n_nodes for node in range(n_nodes + 1)]
    starts = np.cumsum([0] + piece_words[:-1]).tolist()
    # the sentence index at each node boundary inside a piece (a task where it needs the offsets)
    cuts: dict[tuple[int, int], object] = {}
    for bound in bounds[1:-1]:
        for index, (start, words) in enumerate(zip(starts, piece_words)):
            if start < bound < start + words:
                cuts[(index, bound)] = submit(client, pieces.sentence_cut, encoded[index], bound - start)
    resolved = dict(zip(cuts, client.gather(list(cuts.values()))))

    def cut(index: int, bound: int) -> int:
        start, words = starts[index], piece_words[index]
        if bound <= start:
            return 0
        if bound >= start + words:
            return piece_sentences[index]
        return resolved[(index, bound)]

    segments = []
    for node in range(n_nodes):
        node_segments = []
        for index in range(len(piece_words)):
            first, stop = cut(index, bounds[node]), cut(index, bounds[node + 1])
            if stop > first:
                node_segments.append((index, first, stop))
        segments.append(node_segments)
    return segments


def _heldout_ids(config, node_sentences: list[int]) -> list[np.ndarray | None]:
    """Per node, the sorted ids (within its sentences) of its --holdout sentences."""
    if config.holdout <= 0:
        return [None] * len(node_sentences)
    from cbow.data.split import heldout_sentences

    chosen = heldout_sentences(sum(node_sentences), config.holdout, config.seed)
    first = np.cumsum([0] + node_sentences[:-1])
    return [chosen[(chosen >= start) & (chosen < start + count)] - start
            for start, count in zip(first.tolist(), node_sentences)]


def _from_client(session: ClusterSession, n_nodes: int, source, config, vocab: Vocab | None,
                 encoded: EncodedCorpus | None, progress: bool) -> Distributed:
    """Lines in memory, stdin or an encoded corpus: prepared here, cut, sent (module docstring)."""
    from cbow.data.prepare import prepare
    from cbow.data.split import split_holdout
    from cbow.training.parallel.pool import split_sentences
    from cbow.training.run import corpus_fingerprint

    if vocab is None or encoded is None:
        if source is None:
            raise ConfigError("no corpus given; pass a path, '-' for stdin, or an iterable of lines")
        vocab, encoded = prepare(source, config, progress)
    heldout = None
    if config.holdout > 0:
        encoded, heldout = split_holdout(encoded, config.holdout, config.seed)
    slices = split_sentences(encoded.sentence_offsets, n_nodes)
    if len(slices) < n_nodes:
        raise ConfigError(f"the corpus has {encoded.n_sentences} sentences, too few for {n_nodes} nodes; "
                          "train on fewer nodes")
    client, offsets = session.client, encoded.sentence_offsets
    shards = []
    for node, (first, stop) in enumerate(slices):
        begin, end = int(offsets[first]), int(offsets[stop])
        shards.append(submit(client, pieces.make_shard, node, vocab, np.array(encoded.word_ids[begin:end]),
                             np.asarray(offsets[first:stop + 1]) - begin, workers=[_node_worker(session, node)],
                             allow_other_workers=True))
    corpus = ShardedCorpus(
        n_words=encoded.n_words, n_sentences=encoded.n_sentences, n_raw_tokens=encoded.n_raw_tokens,
        fingerprint=corpus_fingerprint(vocab, encoded.word_ids, encoded.sentence_offsets, encoded.n_raw_tokens),
        shard_words=tuple(int(offsets[stop] - offsets[first]) for first, stop in slices),
        shard_sentences=tuple(stop - first for first, stop in slices),
    )
    return Distributed(vocab, corpus, shards, heldout)
