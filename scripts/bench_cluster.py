"""Training on a cluster, measured: speed, quality, the merge rule, and a paper estimate.

    python scripts/bench_cluster.py speed     # local:1, local:2 against --workers 1, 2 (1 epoch)
    python scripts/bench_cluster.py quality   # 5 epochs: local:2 next to one machine, 3 scores
    python scripts/bench_cluster.py merges    # the merge rules on N simulated nodes (no Dask)
    python scripts/bench_cluster.py estimate --words-per-second 250000   # 100B tokens, 16 nodes

Corpus: ../shared/data/bench-text8.txt.gz (--corpus); evaluation sets in ../shared/data/eval
(scored as scripts/quality.py does: 3CosAdd over the 30,000 most frequent words, Spearman).
Runs that are compared run in the same invocation, one after the other, and each result
line says how loaded the machine was (`os.getloadavg`). On a machine with C cores,
local:N's N nodes share those C cores: local:2 on 2 cores cannot beat --workers 2 (both
train on 2 cores; the cluster also merges). What `speed` measures there is the cost of the
synchronisation, not a speedup.

`merges` runs N nodes one after the other in this process: the cluster engine's rounds
(cbow.training.cluster.engine.ClusterEngine) with the nodes' rounds called directly
(cbow.training.cluster.node.train_round) instead of through Dask. The result is the one
a cluster of N one-process nodes gives (a round is a pure function of its inputs), at
one machine's cost.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import cbow_scores  # noqa: E402  (scripts/quality.py: the same scorer)

from cbow.data.encode import EncodedCorpus  # noqa: E402
from cbow.data.prepare import prepare  # noqa: E402
from cbow.training.cluster.distribute import ShardedCorpus  # noqa: E402
from cbow.training.cluster.engine import AUTO_MIN_MERGES_PER_EPOCH, ClusterEngine, parse_sync_every  # noqa: E402
from cbow.training.cluster.merge import Merge  # noqa: E402
from cbow.training.cluster.node import NodeShard, train_round  # noqa: E402
from cbow.training.config import TrainConfig  # noqa: E402
from cbow.training.loop import train  # noqa: E402
from cbow.training.wiring import callback_list, drive  # noqa: E402
from cbow.training.run import Run, TrainResult, corpus_fingerprint  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load() -> str:
    """'load 5.3 / 5.1 / 4.8' (1, 5, 15 minutes) for every result line."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores"


# -- merges: N nodes simulated in one process -----------------------------------------------
class _Serial:
    """Stands in for the cluster session: no client, the shards are here."""

    spec = "serial"


class SerialEngine(ClusterEngine):
    """The cluster engine with its nodes' rounds run here, one after the other."""

    def _run_tasks(self, tasks):
        results = []
        for task in tasks:
            self.stats["bytes_to_nodes"] += task.model.nbytes
            results.append(train_round(self.shards[task.node], task))
        return results


def simulate(vocab, encoded: EncodedCorpus, config: TrainConfig, n_nodes: int, sync_every: str,
             merge: Merge, heldout: EncodedCorpus | None = None) -> TrainResult:
    """Train `config` on `n_nodes` simulated one-process nodes, merged by `merge`."""
    from cbow.model.hidden import init_weights
    from cbow.model.step import build_output_layer
    from cbow.training.parallel.pool import split_sentences

    offsets = encoded.sentence_offsets
    slices = split_sentences(offsets, n_nodes)
    shards = [NodeShard(node, EncodedCorpus(encoded.word_ids[offsets[first]:offsets[stop]],
                                            offsets[first:stop + 1] - offsets[first], 0), vocab)
              for node, (first, stop) in enumerate(slices)]
    corpus = ShardedCorpus(encoded.n_words, encoded.n_sentences, encoded.n_raw_tokens,
                           corpus_fingerprint(vocab, encoded.word_ids, offsets, encoded.n_raw_tokens),
                           tuple(shard.corpus.n_words for shard in shards),
                           tuple(shard.corpus.n_sentences for shard in shards))
    output, n_out_rows = build_output_layer(vocab, config.objective, config.negative)
    W_in, W_out = init_weights(len(vocab), config.size, n_out_rows, np.random.default_rng([config.seed, 0]))
    keep_prob = vocab.keep_probabilities(config.sample) if config.sample > 0 else None
    result = TrainResult(vocab, W_in, W_out, config, n_corpus_words=corpus.n_words)
    run = Run(config, vocab, corpus, W_in, W_out, output, result, keep_prob=keep_prob)
    run.callbacks = callback_list([], False, heldout, config)
    engine = SerialEngine(_Serial(), run, shards, parse_sync_every(sync_every), 1, merge)
    drive(run, lambda run: engine.train())
    result.cluster = {**engine.stats, "sync_words": engine.sync_words}
    return result


def merges(args) -> None:
    """The merge rules side by side on N simulated nodes (docs/cluster.md, "Choosing the merge")."""
    from cbow.data.split import split_holdout

    config = TrainConfig(epochs=args.epochs, seed=args.seed, workers=1)
    vocab, encoded = prepare(args.corpus, config, cache_dir=_cache_dir())
    encoded, heldout = split_holdout(encoded, 0.005, config.seed)
    config = replace(config, holdout=0.005)
    print(f"{args.corpus.name}: {encoded.n_words:,} training words, {len(vocab):,} words; {args.epochs} epoch(s), "
          f"merge every {args.sync_every} words; held-out loss on 0.5% of the sentences; {load()}", flush=True)
    rows = []
    cases = [("one machine", 1, Merge())]
    for n_nodes in args.nodes:
        merges = [Merge(rule, "n_nodes" if scale == "N" else float(scale))
                  for rule, scale in (case.split(":") for case in args.merges)] if args.merges else [
                  Merge("mean", 1.0), Merge("mean", "n_nodes"), Merge("touched", 1.0), Merge("sum", 1.0),
                  Merge("sum", 1.0 / n_nodes)]
        cases += [(f"{n_nodes} nodes, {merge.describe()}", n_nodes, merge) for merge in merges]
    for name, n_nodes, merge in cases:
        if args.only and not any(part in name for part in args.only):
            continue
        started = time.perf_counter()
        try:
            result = simulate(vocab, encoded, config, n_nodes, args.sync_every, merge, heldout)
        except Exception as error:  # a rule that diverges is a result too
            print(f"{name:38s} failed: {str(error).splitlines()[0][:100]}", flush=True)
            rows.append({"name": name, "failed": str(error)})
            continue
        scores = cbow_scores(result.wv, args.eval_dir)
        heldout_nats = result.epochs[-1].heldout_nats
        row = {"name": name, "nodes": n_nodes, "rule": merge.rule, "lr_scale": merge.scale(n_nodes),
               "heldout_nats": heldout_nats, "train_loss": result.epochs[-1].mean_loss, **scores,
               "seconds": time.perf_counter() - started, "load": load()}
        rows.append(row)
        print(f"{name:38s} held-out {heldout_nats:.4f} nats, train loss {row['train_loss']:.4f}, analogy "
              f"{100 * scores['analogy']:.1f}%, ws353 {scores['ws353']:.3f}, simlex {scores['simlex']:.3f} "
              f"({row['seconds']:.0f} s, {load()})", flush=True)
    _write_json(args, {"merges": rows, "sync_every": args.sync_every, "epochs": args.epochs})


# -- speed and quality: real clusters ---------------------------------------------------------
def timed_train(name: str, corpus: Path, config: TrainConfig, cluster: str | None, sync_every: str | None) -> dict:
    """One run: training words/s, training and wall seconds, the cluster's exchange."""
    if cluster is None:
        vocab, encoded = prepare(corpus, config, cache_dir=_cache_dir())
        started = time.perf_counter()
        result = train(config=config, vocab=vocab, encoded=encoded)
    else:
        started = time.perf_counter()
        result = train(corpus, config, cluster=cluster, sync_every=sync_every)
    wall = time.perf_counter() - started
    words = result.n_corpus_words * config.epochs
    row = {"name": name, "train_seconds": result.train_seconds, "prepare_seconds": result.prepare_seconds,
           "wall_seconds": wall, "words_per_second": words / result.train_seconds, "cluster": result.cluster,
           "load": load(), "result": result}
    extra = ""
    if result.cluster:
        stats = result.cluster
        share = 1 - stats["train_seconds"] / max(stats["round_seconds"], 1e-9)
        extra = (f"; {stats['rounds']} rounds every {stats['sync_words']:,} words, exchange {100 * share:.0f}% of "
                 f"rounds, {(stats['bytes_to_nodes'] + stats['bytes_from_nodes']) / 2**20:,.0f} MB moved")
    print(f"{name:14s} {row['words_per_second']:>10,.0f} words/s, training {row['train_seconds']:.1f} s, "
          f"wall {wall:.1f} s (reading and counting {row['prepare_seconds']:.1f} s){extra} ({row['load']})",
          flush=True)
    return row


def speed(args) -> None:
    config = TrainConfig(epochs=args.epochs, seed=args.seed)
    print(f"speed on {args.corpus.name}, {args.epochs} epoch(s), {load()}", flush=True)
    # local:N trains with its nodes' Dask threads (cores // N processes each); "local:1 -w 1"
    # is one node of one process: the cluster's own cost next to --workers 1
    rows = [timed_train("--workers 1", args.corpus, replace(config, workers=1), None, None),
            timed_train("--workers 2", args.corpus, replace(config, workers=2), None, None),
            timed_train("local:1 -w 1", args.corpus, replace(config, workers=1), "local:1", args.sync_every),
            timed_train("local:1", args.corpus, replace(config, workers=0), "local:1", args.sync_every),
            timed_train("local:2", args.corpus, replace(config, workers=0), "local:2", args.sync_every)]
    _write_json(args, {"speed": [_plain(row) for row in rows]})


def quality(args) -> None:
    """local:2 next to one machine (--workers 2), for each seed of --seeds, and the mean gap."""
    print(f"quality on {args.corpus.name}, {args.epochs} epochs, seeds {args.seeds}, {load()}", flush=True)
    rows = []
    for seed in args.seeds:
        config = TrainConfig(epochs=args.epochs, seed=seed)
        pair = []
        for name, cluster, workers in (("one machine, --workers 2", None, 2), ("local:2", "local:2", 0)):
            row = timed_train(f"{name}, seed {seed}", args.corpus, replace(config, workers=workers), cluster,
                              args.sync_every)
            row.update(cbow_scores(row["result"].wv, args.eval_dir), seed=seed, system=name)
            print(f"{name}, seed {seed}: analogy {100 * row['analogy']:.1f}%, ws353 {row['ws353']:.3f}, simlex "
                  f"{row['simlex']:.3f}", flush=True)
            pair.append(row)
        one, cluster = pair
        print(f"seed {seed}: local:2 - one machine: analogy {100 * (cluster['analogy'] - one['analogy']):+.1f} "
              f"points, ws353 {cluster['ws353'] - one['ws353']:+.3f}, simlex {cluster['simlex'] - one['simlex']:+.3f}",
              flush=True)
        rows += pair
    for key, scale, unit in (("analogy", 100, " points"), ("ws353", 1, ""), ("simlex", 1, "")):
        gaps = [scale * (rows[i + 1][key] - rows[i][key]) for i in range(0, len(rows), 2)]
        print(f"mean gap over {len(gaps)} seed(s), {key}: {np.mean(gaps):+.3f}{unit} (per seed "
              f"{', '.join(f'{gap:+.3f}' for gap in gaps)})", flush=True)
    _write_json(args, {"quality": [_plain(row) for row in rows]})


# -- estimate: 100B tokens on 16 nodes --------------------------------------------------------
def estimate(args) -> None:
    """Sync time against round time for a big run, on paper (docs/cluster.md).

    Per node and sync, the model goes out and the changed rows come back: at most
    2 x V x d x 4 bytes each way (W_in and W_out, float32). The client is the hub, so its
    link carries all N nodes' exchanges one after the other: t_sync = N x 2 x (2 V d 4) x 8 /
    bandwidth. A round of K words takes K / (N r) on N nodes of r words/s.
    """
    V, d, nodes, rate, tokens = args.vocab_size, args.size, args.nodes_estimate, args.words_per_second, args.tokens
    one_way = 2 * V * d * 4
    print(f"{tokens:,.0f} tokens on {nodes} nodes of {rate:,.0f} words/s ({nodes * rate:,.0f} words/s together), "
          f"V = {V:,}, d = {d}: {one_way / 1e9:.2f} GB each way per node and sync, "
          f"{nodes * 2 * one_way / 1e9:.1f} GB through the client's link; one pass trains in "
          f"{tokens / (nodes * rate) / 3600:.1f} h without syncs")
    for gbits in (1, 10):
        sync_seconds = nodes * 2 * one_way * 8 / (gbits * 1e9)
        smallest = sync_seconds * 9 * nodes * rate  # sync <= 10% of a round: training >= 9 x sync
        auto = min(smallest, tokens / AUTO_MIN_MERGES_PER_EPOCH)
        ring = 2 * (nodes - 1) / nodes * one_way * 8 / (gbits * 1e9)  # an all-reduce, for comparison
        print(f"  {gbits:>2} Gbit/s: a sync takes {sync_seconds:,.0f} s through the client (an all-reduce "
              f"between the nodes, not implemented: {ring:,.1f} s); --sync-every auto: {smallest / 1e9:,.1f}G "
              f"words for 10%, capped at {tokens / AUTO_MIN_MERGES_PER_EPOCH / 1e9:,.0f}G (10 merges a pass): "
              f"{auto / 1e9:,.1f}G")
        for sync_words in (10e6, 100e6, 1e9, 10e9):
            round_seconds = sync_words / (nodes * rate)
            share = sync_seconds / (sync_seconds + round_seconds)
            hours = tokens / sync_words * (sync_seconds + round_seconds) / 3600
            print(f"      every {sync_words / 1e6:>7,.0f}M words: round {round_seconds:9,.0f} s of training + "
                  f"{sync_seconds:,.0f} s sync ({100 * share:4.1f}% sync), {hours:8,.1f} h per pass")


# -- helpers ---------------------------------------------------------------------------------
def _cache_dir() -> Path:
    from cbow.data.cache import default_cache_dir

    return default_cache_dir()


def _plain(row: dict) -> dict:
    return {key: value for key, value in row.items() if key != "result"}


def _write_json(args, payload: dict) -> None:
    if args.json:
        args.json.write_text(json.dumps(payload, indent=2, default=float))
        print(f"wrote {args.json}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["speed", "quality", "merges", "estimate"])
    parser.add_argument("--corpus", type=Path, default=SHARED / "bench-text8.txt.gz")
    parser.add_argument("--eval-dir", type=Path, default=SHARED / "eval")
    parser.add_argument("--epochs", type=int, default=None, help="default: 1 (speed, merges), 5 (quality)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1], help="quality: one pair of runs per seed")
    parser.add_argument("--sync-every", default="auto", help="the cluster runs' --sync-every (merges: 1M)")
    parser.add_argument("--nodes", type=int, nargs="+", default=[2, 4], help="merges: simulated cluster sizes")
    parser.add_argument("--only", nargs="+", default=[], help="merges: only the cases whose name holds one of these")
    parser.add_argument("--merges", nargs="+", default=[], metavar="RULE:SCALE",
                        help="merges: these instead of the five (mean:N, mean:1.5, sum:1, touched:1)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    parser.add_argument("--words-per-second", type=float, default=250_000, help="estimate: one node's rate")
    parser.add_argument("--tokens", type=float, default=100e9, help="estimate: corpus tokens per pass")
    parser.add_argument("--nodes-estimate", type=int, default=16, help="estimate: nodes")
    parser.add_argument("--vocab-size", type=int, default=1_000_000, help="estimate: V")
    parser.add_argument("--size", type=int, default=TrainConfig().size, help="estimate: d")
    args = parser.parse_args()
    if args.epochs is None:
        args.epochs = 5 if args.what == "quality" else 1
    if args.what == "merges" and args.sync_every == "auto":
        args.sync_every = "1M"
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    {"speed": speed, "quality": quality, "merges": merges, "estimate": estimate}[args.what](args)


if __name__ == "__main__":
    main()
