"""Training on a Dask cluster: vocabulary, determinism, a killed worker, the demo, errors.

One 2-process LocalCluster serves the module (starting one costs seconds); the one-node
test starts its own with `cluster="local:1"`, as a user would.
"""

import os
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from cbow.corpora import planted  # noqa: E402
from cbow.data.encode import read_and_encode  # noqa: E402
from cbow.errors import ConfigError, CorpusError  # noqa: E402
from cbow.training.checkpoint import CheckpointError, Checkpointer, load_checkpoint  # noqa: E402
from cbow.training.cluster import pieces  # noqa: E402
from cbow.training.cluster.connect import open_cluster  # noqa: E402
from cbow.training.cluster.distribute import distribute  # noqa: E402
from cbow.training.cluster.engine import EXIT_ONCE_ENV  # noqa: E402
from cbow.training.cluster.node import ClusterError  # noqa: E402
from cbow.training.config import TrainConfig  # noqa: E402
from cbow.training.loop import train  # noqa: E402

SMALL = TrainConfig(size=16, window=3, epochs=2, min_count=3, batch_size=16, seed=7, workers=1)


@pytest.fixture(scope="module")
def client():
    """A 2-process LocalCluster, as `--cluster local:2` starts it (no daemons, no dashboard)."""
    import dask

    with dask.config.set({"distributed.worker.daemon": False}):  # also for workers the nanny restarts
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
        client.wait_for_workers(2)
        yield client
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    return planted.write_corpus(tmp_path_factory.mktemp("cluster") / "corpus.txt", n_sentences=3000, seed=1)


@pytest.fixture(scope="module")
def two_node_run(client, corpus_file):
    """An undisturbed 2-node run, merging every 5,000 words (a dozen rounds an epoch)."""
    return train(corpus_file, SMALL, cluster=client, sync_every="5k")


def tie_corpus(directory: Path) -> Path:
    """Words whose counts tie, first seen in different pieces and files, in an order that is
    neither alphabetical nor any piece's own; CR LF, a byte-order mark, blank stretches."""
    directory.mkdir()
    lines = ["zulu yankee", "", "   ", "xray zulu whisky", "victor xray", "whisky victor yankee"] * 3
    (directory / "a.txt").write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    (directory / "b.txt").write_text("\n".join(["uniform tango", "tango sierra uniform", "sierra romeo"] * 4))
    import gzip

    with gzip.open(directory / "c.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(["romeo quebec papa", "papa quebec", "oscar oscar zulu"] * 3) + "\n")
    return directory


@pytest.mark.parametrize("min_count, max_vocab", [(1, None), (3, None), (1, 7)])
def test_distributed_vocabulary_and_ids_equal_one_machine(client, tmp_path, monkeypatch, min_count, max_vocab):
    source = tie_corpus(tmp_path / "corpus")
    monkeypatch.setattr(pieces, "PIECE_BYTES", 23)  # a.txt and b.txt in several pieces each
    config = TrainConfig(min_count=min_count, max_vocab=max_vocab, seed=3)
    vocab, encoded = read_and_encode(source, min_count=min_count, max_vocab=max_vocab)
    session = open_cluster(client)
    spread = distribute(session, 2, source, config, None, None)
    assert spread.vocab.words == vocab.words and np.array_equal(spread.vocab.counts, vocab.counts)
    shards = client.gather(spread.shards)
    assert np.array_equal(np.concatenate([shard.corpus.word_ids for shard in shards]), encoded.word_ids)
    lengths = np.concatenate([np.diff(shard.corpus.sentence_offsets) for shard in shards])
    assert np.array_equal(lengths, np.diff(encoded.sentence_offsets))
    assert spread.corpus.n_raw_tokens == encoded.n_raw_tokens and all(spread.corpus.shard_words)


def test_one_node_cluster_equals_one_process_bit_for_bit(corpus_file):
    """Several merges an epoch, --holdout on both: the node's rounds are the in-process run."""
    config = TrainConfig(**{**SMALL.__dict__, "holdout": 0.05})
    one = train(corpus_file, config)
    cluster = train(corpus_file, config, cluster="local:1", sync_every="7k")
    assert cluster.cluster["rounds"] > 2 * config.epochs
    assert np.array_equal(cluster.W_in, one.W_in) and np.array_equal(cluster.W_out, one.W_out)
    assert cluster.epoch_losses == one.epoch_losses
    assert [report.heldout_nats for report in cluster.epochs] == [report.heldout_nats for report in one.epochs]


def _listeners() -> set:
    """(pid, ip, port) of every socket listening in this process and its children."""
    import psutil

    me = psutil.Process()
    return {(process.pid, conn.laddr.ip, conn.laddr.port) for process in [me, *me.children(recursive=True)]
            for conn in process.net_connections(kind="inet") if conn.status == psutil.CONN_LISTEN}


def test_a_local_cluster_refuses_other_clients_and_listens_on_loopback_only(tmp_path, caplog):
    """--cluster local:N: a process that reaches the scheduler without the run's credentials
    cannot submit code (it ran os.getuid() through a plain tcp:// Client before), and no
    scheduler, nanny, worker or HTTP server listens beyond 127.0.0.1. A tls:// address joins
    with the credentials Dask's configuration names (files, as docs/cluster.md sets them up)."""
    import urllib.error
    import urllib.request

    import dask

    before = _listeners()
    session = open_cluster("local:1")
    try:
        address = session.client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert session.client.run(os.getpid)  # the run's own client works
        opened = _listeners() - before
        assert len(opened) >= 4, opened  # scheduler, its HTTP server, the nanny, the worker (and its HTTP server)
        assert {ip for _, ip, _ in opened} == {"127.0.0.1"}, opened
        for stranger, security in [(address.replace("tls://", "tcp://"), None),  # no TLS at all
                                   (address, distributed.Security.temporary())]:  # a key of its own
            with pytest.raises((OSError, TimeoutError)):
                distributed.Client(stranger, security=security, timeout=5).submit(os.getuid).result()
        http = session._local_cluster.scheduler.http_server
        with urllib.request.urlopen(f"http://127.0.0.1:{http.port}/health", timeout=5) as answer:
            assert answer.read() == b"ok"
        with pytest.raises(urllib.error.HTTPError, match="404"):  # no pages of workers, tasks or logs
            urllib.request.urlopen(f"http://127.0.0.1:{http.port}/info/main/workers.html", timeout=5)

        with pytest.raises(ClusterError, match=r"^cluster=tls://\S+: Dask's configuration holds no TLS creden"
                                               r"tials for a client; set DASK_DISTRIBUTED__COMM__TLS__CA_FILE"):
            open_cluster(address)
        security = session.client.security
        (tmp_path / "cluster.pem").write_text(security.tls_client_cert)
        (tmp_path / "cluster.key").write_text(security.tls_client_key)
        tls = {"distributed.comm.tls.ca-file": str(tmp_path / "cluster.pem"),
               "distributed.comm.tls.client.cert": str(tmp_path / "cluster.pem"),
               "distributed.comm.tls.client.key": str(tmp_path / "cluster.key")}
        with dask.config.set(tls), caplog.at_level("WARNING"):
            joined = open_cluster(address)
        try:
            assert [node.address for node in joined.nodes] == [node.address for node in session.nodes]
            assert not joined.owned and "not encrypted" not in caplog.text
        finally:
            joined.client.close()
    finally:
        session.close()


def test_tls_credentials_that_do_not_load_are_one_line(tmp_path):
    import dask

    with dask.config.set({"distributed.comm.tls.ca-file": str(tmp_path / "nowhere.pem"),
                          "distributed.comm.tls.client.cert": str(tmp_path / "nowhere.pem")}):
        with pytest.raises(ClusterError, match=r"^cluster=tls://head:8786: the TLS credentials in Dask's "
                                               r"configuration do not load \(.*No such file.*\); check DASK_"):
            open_cluster("tls://head:8786")


def test_joining_a_tcp_scheduler_warns_that_it_runs_anyones_code(client, caplog):
    with caplog.at_level("WARNING"):
        joined = open_cluster(client.scheduler.address)
    joined.client.close()
    assert f"cluster={client.scheduler.address}: a tcp:// scheduler is not encrypted and runs the code of anyone" \
        in caplog.text and "tls://" in caplog.text


def test_two_node_run_is_deterministic_and_its_checkpoint_resumes_only_on_a_cluster(client, corpus_file,
                                                                                      two_node_run, tmp_path):
    checkpointer = Checkpointer(tmp_path / "run.ckpt")
    again = train(corpus_file, SMALL, cluster=client, sync_every="5k", checkpointer=checkpointer)
    assert np.array_equal(again.W_in, two_node_run.W_in) and np.array_equal(again.W_out, two_node_run.W_out)
    assert again.cluster["rounds"] > 2 * SMALL.epochs and again.cluster["nodes"] == 2
    saved = load_checkpoint(tmp_path / "run.ckpt")
    assert saved.state.cluster["nodes"] == 2 and saved.state.cluster["sync_words"] == 5000
    with pytest.raises(CheckpointError, match="saved by a run on a cluster; resume it with --cluster"):
        train(corpus_file, SMALL, resume=saved)
    # a finished run goes on with more --epochs, as on one machine
    longer = train(corpus_file, TrainConfig(**{**SMALL.__dict__, "epochs": 3}), cluster=client, sync_every="5k",
                   resume=saved)
    assert [report.epoch for report in longer.epochs] == [1, 2, 3]
    assert not np.array_equal(longer.W_in, two_node_run.W_in)


def test_a_worker_killed_mid_round_is_replaced_and_the_vectors_do_not_change(client, corpus_file, two_node_run,
                                                                              tmp_path, monkeypatch):
    marker = tmp_path / "exited"
    monkeypatch.setenv(EXIT_ONCE_ENV, f"3,0,{marker}")  # node 0's round 3: os._exit on its first attempt
    result = train(corpus_file, SMALL, cluster=client, sync_every="5k")
    assert marker.exists()  # the worker did die
    assert result.cluster["retries"] >= 1  # its rerun found no kept model: the whole model was sent
    assert np.array_equal(result.W_in, two_node_run.W_in) and np.array_equal(result.W_out, two_node_run.W_out)
    client.wait_for_workers(2)


def test_two_nodes_solve_the_demo_analogies_as_well_as_one_machine(client):
    from cbow.cli.train_flags import DEMO_SAMPLE

    lines = planted.demo_lines()
    config = TrainConfig(sample=DEMO_SAMPLE, workers=1)  # `cbow train`'s demo
    questions = list(planted.analogy_questions())

    def solved(result) -> int:
        wv = result.wv
        return sum(wv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] == d for _, (a, b, c, d) in questions)

    one = solved(train(lines, config))
    on_cluster = train(lines, config, cluster=client)  # --sync-every auto
    assert on_cluster.cluster["nodes"] == 2
    assert solved(on_cluster) >= one - len(questions) // 100, (solved(on_cluster), one)


def test_several_processes_per_node(client, corpus_file):
    """--workers 2 on each node: the worker pool, held at each round's end."""
    result = train(corpus_file, TrainConfig(**{**SMALL.__dict__, "workers": 2, "epochs": 3}), cluster=client,
                   sync_every="20k")
    assert result.cluster["node_workers"] == 2 and result.cluster["rounds"] >= 6
    assert np.isfinite(result.W_in).all() and result.epoch_losses[-1] < result.epoch_losses[0]


def test_a_node_that_cannot_read_the_corpus_is_named(client, tmp_path):
    missing = tmp_path / "nowhere" / "corpus.txt"
    with pytest.raises(CorpusError) as error:
        train(missing, SMALL, cluster=client)
    message = str(error.value)
    assert message.startswith("node tcp://") and str(missing) in message and "every node" in message
    assert "\n" not in message


def test_a_worker_with_another_cbow_is_named(client, corpus_file):
    def set_version(version, dask_worker):
        import cbow

        cbow.__version__, old = version, cbow.__version__
        return old

    first = min(client.scheduler_info()["workers"])
    old = client.run(set_version, "0.0.1", workers=[first])[first]
    try:
        with pytest.raises(ClusterError, match=rf"node {first} \(.*\): runs cbow 0.0.1, this client cbow {old}"):
            train(corpus_file, SMALL, cluster=client)
    finally:
        client.run(set_version, old, workers=[first])


def test_without_distributed_the_fix_is_named(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match=r"pip install '\.\[cluster\]'"):
        train(["a b c"] * 10, SMALL, cluster="local:2")


def test_without_cryptography_a_local_cluster_names_the_fix(monkeypatch):
    import sys

    for name in [name for name in sys.modules if name == "cryptography" or name.startswith("cryptography.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cryptography", None)
    with pytest.raises(ConfigError, match=r"^cluster=local:N encrypts .* needs the cryptography package; install "
                                          r"the extra in cbow's folder: pip install '\.\[cluster\]'"):
        open_cluster("local:2")


def test_the_workers_forget_the_run(client, two_node_run):
    from cbow.training.cluster import node

    assert client.run(lambda: len(node._CACHE)) == {address: 0 for address in client.scheduler_info()["workers"]}


if __name__ == "__main__":  # pragma: no cover
    os._exit(pytest.main([__file__, "-q"]))


def test_without_subsampling_a_big_batch_is_guarded_as_on_one_machine(client, corpus_file):
    """--sample 0 with a batch where the top word repeats hundreds of times: the cluster turns
    W_out's repeat guard on as one machine does (cbow.training.schedule.guard_repeated_rows)."""
    config = TrainConfig(**{**SMALL.__dict__, "sample": 0.0, "batch_size": 8192, "epochs": 1})
    one = train(corpus_file, config)
    cluster = train(corpus_file, config, cluster=client, sync_every="epoch")
    assert one.config.repeat_guard_out == cluster.config.repeat_guard_out == 1.0
    assert np.isfinite(cluster.W_in).all()
