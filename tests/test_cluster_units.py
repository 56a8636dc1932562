"""The cluster engine's parts that need no cluster: merge rules, newline-aligned pieces, settings."""

import gzip

import numpy as np
import pytest

from cbow.data.corpus import iter_text_blocks
from cbow.errors import ConfigError
from cbow.training.cluster import pieces
from cbow.training.cluster.connect import NodeInfo, check_daemons, parse_cluster
from cbow.training.cluster.engine import parse_sync_every
from cbow.training.cluster.merge import Rows, merge_matrix
from cbow.training.cluster.node import ClusterError
from cbow.wording import flag_names


def test_merge_rules_follow_their_formulas_and_one_node_returns_its_own_weights():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((6, 3)).astype(np.float32)
    node_0, node_1 = base.copy(), base.copy()
    node_0[[0, 2]] += rng.standard_normal((2, 3)).astype(np.float32)
    node_1[[2, 5]] += rng.standard_normal((2, 3)).astype(np.float32)
    uploads = [Rows.changed(node_0, base), Rows.changed(node_1, base)]
    assert uploads[0].ids.tolist() == [0, 2] and uploads[1].ids.tolist() == [2, 5]
    delta_0, delta_1 = node_0 - base, node_1 - base
    np.testing.assert_allclose(merge_matrix(base, uploads, "mean"), base + (delta_0 + delta_1) / 2, rtol=1e-6)
    np.testing.assert_allclose(merge_matrix(base, uploads, "sum"), base + delta_0 + delta_1, rtol=1e-6)
    touched = merge_matrix(base, uploads, "touched")
    np.testing.assert_allclose(touched[[0, 5]], np.stack([node_0[0], node_1[5]]), rtol=1e-6)  # one writer: all of it
    np.testing.assert_allclose(touched[2], base[2] + (delta_0[2] + delta_1[2]) / 2, rtol=1e-6)
    assert np.array_equal(touched[[1, 3, 4]], base[[1, 3, 4]])
    # one node: W_0 itself, bit for bit (base + (W_0 - base) would round differently)
    node_0[1] = np.nextafter(np.float32(1e8), np.float32(np.inf))
    assert np.array_equal(merge_matrix(base, [Rows.changed(node_0, base)], "mean"), node_0)


def test_rows_travel_as_ids_only_while_that_is_smaller():
    base = np.zeros((100, 4), dtype=np.float32)
    few, most = base.copy(), base.copy()
    few[[3, 7]] = 1
    most[:90] = 1
    assert Rows.changed(few, base).ids.tolist() == [3, 7]
    whole = Rows.changed(most, base)
    assert whole.ids is None and whole.values is most
    target = base.copy()
    Rows.changed(few, base).apply(target)
    assert np.array_equal(target, few)


LINES = ["\ufeffThe first line holds a byte-order mark", "alpha beta\r", "", "   ", "!!! ...", "\ufeffmid-file mark",
         "gamma beta alpha delta", "word " * 40, "last line without a newline at the end"]


@pytest.mark.parametrize("piece_bytes", [1, 7, 50, 10_000])
def test_pieces_hold_every_line_once_whatever_the_cut(tmp_path, piece_bytes):
    """Newline-aligned ranges read together give the file's lines, as one reader gives them:
    cuts inside a line, on a newline, in CR LF, in a blank stretch, inside a byte-order mark
    (only the file's first is dropped: whitespace tokens keep a mid-file one)."""
    path = tmp_path / "corpus.txt"
    path.write_bytes("\r\n".join(LINES).encode("utf-8"))
    planned = pieces.plan_pieces(str(path), piece_bytes)
    assert len(planned) == (1 if piece_bytes >= path.stat().st_size else -(-path.stat().st_size // piece_bytes))
    read = [line for piece in planned for line in pieces.PieceLines(piece, "strict")]
    whole = [line for text, _ in iter_text_blocks(str(path)) for line in text.split("\n")]
    assert [line.split() for line in read if line.split()] == [line.split() for line in whole if line.split()]


def test_a_compressed_file_is_one_piece(tmp_path):
    path = tmp_path / "corpus.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(LINES * 50))
    assert len(pieces.plan_pieces(str(path), 10)) == 1


def test_merging_counts_keeps_the_order_of_first_appearance():
    first = pieces.CountSummary(["b", "a"], np.array([1, 2]), 3)
    second = pieces.CountSummary(["c", "a", "d"], np.array([5, 1, 1]), 7)
    merged = pieces.merge_counts(first, second)
    assert merged.words == ["b", "a", "c", "d"] and merged.counts.tolist() == [1, 3, 5, 1] and merged.n_tokens == 10


def test_settings_are_checked_with_one_line():
    assert parse_sync_every("10M").words == 10_000_000 and parse_sync_every("2.5k").words == 2500
    assert parse_sync_every(None).mode == "auto" and parse_sync_every("epoch").mode == "epoch"
    with pytest.raises(ConfigError, match="--sync-every 0"):
        parse_sync_every("0")
    assert parse_cluster("local:3") == ("local", 3) and parse_cluster("tls://head:8786") == ("address", "tls://head:8786")
    for bad in ("local:0", "local", "head:8786"):
        with pytest.raises(ConfigError, match=f"^cluster={bad}: "):  # cbow.train(cluster=...)'s words
            parse_cluster(bad)
        with flag_names(), pytest.raises(ConfigError, match=f"^--cluster {bad}: "):  # cbow train's
            parse_cluster(bad)


def test_a_daemonic_worker_may_not_start_training_processes():
    class Session:
        nodes = [NodeInfo("tcp://10.0.0.5:4000", "node-a", "0.1.0", daemon=True, nthreads=8, cores=8)]

    check_daemons(Session(), 1)  # one process per node: fine
    with pytest.raises(ClusterError, match=r"node tcp://10.0.0.5:4000 \(node-a\).*distributed.worker.daemon: false"):
        check_daemons(Session(), 8)
