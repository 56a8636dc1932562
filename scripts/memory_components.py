"""Targeted measurements of the parts of a cbow run's memory, for bench.py's breakdown at the peak.

    python scripts/memory_components.py --corpus FILE --cache-dir DIR [--hs] [--workers 2]

Prints one JSON object (MiB). Each part is measured on its own, in this process or in a
fresh one, so that bench.py can split the heap (anonymous PSS) of each process of a real
run, read from /proc/PID/smaps at its peak, into named parts:

- imports_*: a fresh interpreter's anonymous and file-backed PSS, and RSS, after importing
  a module set (`MODULE_SETS`): bare Python, numpy, a worker's modules, the parent's.
  Alone on the machine PSS_File would equal the libraries' RSS; in a tree of processes the
  libraries are shared, so bench.py takes them from the run's smaps instead.
- vocab_objects: tracemalloc of `Vocab.load` of the cached vocabulary, its words packed
  (what the parent holds while training, warm or cold; training never builds
  `key_to_index`).
- counting_dict: tracemalloc of the reading pass's provisional dict (every distinct token
  -> int, cbow.data.encode) rebuilt from the corpus's distinct tokens, in first-seen
  order, with str and int objects made as the reader makes them.
- read_block: the largest tracemalloc peak inside one call of the ASCII block encoder over
  the whole corpus (its per-block temporaries, the block's bytes included), and
  read_table: the size of its hash table (`cbow.data.encode._WordIdTable`).
- output_tables: tracemalloc of the objective's lookup tables (keep probabilities, noise
  alias table and CDF, or Huffman tree and paths): each worker receives a pickled copy.
- batch_buffers: the tracemalloc peak while one worker's loop (iter_batches + the training
  step) runs over the first `BUFFER_TOKENS` tokens of the corpus, over what was traced
  before it; numpy registers its array data with tracemalloc, so this counts the
  subsampled chunk, the window chunk, the batches and the step's workspace.
- weights: 4 V d each for W_in and W_out (HS: V - 1 rows); corpus_ids: 4 N;
  sentence_offsets: 8 (S + 1). Sizes, not measurements: those arrays are written in full.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MIB = 2 ** 20
BUFFER_TOKENS = 2_000_000
# What each kind of process imports (the worker's: what cbow.training.parallel.child and
# its _train_slice import; the parent's: a `train()` call that starts workers).
MODULE_SETS = {
    "bare": [],
    "numpy": ["numpy"],
    "worker": ["cbow.training.parallel.child", "cbow.training.loop", "cbow.data.windows"],
    "parent": ["cbow.training.loop", "cbow.training.parallel.engine", "cbow.training.parallel.child", "tqdm"],
}
_IMPORT_PROBE = r"""
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
values = {}
for line in open("/proc/self/smaps_rollup"):
    key, _, rest = line.partition(":")
    if key in ("Rss", "Pss_Anon", "Pss_File"):
        values[key] = int(rest.split()[0]) / 1024
print(json.dumps(values))
"""


def import_costs() -> dict[str, dict[str, float]]:
    """{set: {"Rss", "Pss_Anon", "Pss_File"}} of a fresh interpreter per module set (MiB)."""
    costs = {}
    for name, modules in MODULE_SETS.items():
        done = subprocess.run([sys.executable, "-c", _IMPORT_PROBE, *modules], capture_output=True,
                              text=True, check=True, cwd=REPO)
        costs[name] = json.loads(done.stdout)
    return costs


def traced(fn) -> tuple[object, float, float]:
    """(result, MiB still traced after, MiB peak) of calling fn under tracemalloc."""
    tracemalloc.start()
    try:
        result = fn()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, current / MIB, peak / MIB


def counting_dict_mib(corpus: Path) -> tuple[float, int]:
    """tracemalloc of the provisional word -> int dict of the reading pass; distinct tokens."""
    import collections
    import itertools

    from cbow.data.corpus import CorpusStats, iter_text_blocks
    from cbow.data.tokenize import tokenize_default

    first_seen: dict[str, None] = {}
    for text, _ in iter_text_blocks(str(corpus), CorpusStats()):
        for line in text.split("\n"):
            for token in tokenize_default(line):
                first_seen.setdefault(token, None)
    encoded = [word.encode("utf-8") for word in first_seen]  # bytes, so the strs below are new
    del first_seen

    def build() -> dict:
        provisional = collections.defaultdict(itertools.count().__next__)
        for word in encoded:
            provisional[word.decode("utf-8")]
        return provisional

    provisional, current, _ = traced(build)
    return current, len(provisional)


def read_block_mib(corpus: Path) -> float:
    """The largest tracemalloc peak inside one ASCII block of the reading pass (MiB)."""
    import collections
    import itertools

    from cbow.data import encode

    original = encode._encode_ascii_block
    worst = [0]

    def measured(data, table, ids_of_words):
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = original(data, table, ids_of_words)
        worst[0] = max(worst[0], tracemalloc.get_traced_memory()[1] - before)
        return result

    provisional = collections.defaultdict(itertools.count().__next__)
    encode._encode_ascii_block = measured
    tracemalloc.start()
    try:
        for _ in encode._iter_id_blocks(str(corpus), encode.get_tokenizer("default"),
                                        lambda words: map(provisional.__getitem__, words), 10000,
                                        encode.CorpusStats(), None):
            pass
    finally:
        tracemalloc.stop()
        encode._encode_ascii_block = original
    return worst[0] / MIB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--cache-dir", required=True, help="a corpus cache holding this corpus (warm)")
    parser.add_argument("--hs", action="store_true")
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=1024)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    import numpy as np

    from cbow.data import cache as corpus_cache
    from cbow.data import encode
    from cbow.data.vocab import Vocab
    from cbow.data.windows import iter_batches
    from cbow.data.prepare import prepare
    from cbow.model.step import build_output_layer
    from cbow.training.config import TrainConfig
    from cbow.training.schedule import make_step

    config = TrainConfig(size=args.size, window=5, objective="hs" if args.hs else "ns",
                         negative=0 if args.hs else 5, sample=1e-4, min_count=5, epochs=1,
                         batch_size=args.batch_size, workers=1, seed=1)
    vocab, encoded = prepare(args.corpus, config, cache_dir=args.cache_dir)
    key = corpus_cache.cache_key(args.corpus, config.tokenizer, config.min_count, config.max_vocab,
                                 config.max_sentence_length)
    vocab_path = corpus_cache._entry_dir(Path(args.cache_dir), key) / "vocab.tsv"

    def load_vocab():  # without key_to_index: a training run never builds it
        return Vocab.load(vocab_path)

    _, vocab_mib, _ = traced(load_vocab)

    def tables():
        keep_prob = vocab.keep_probabilities(config.sample)
        return keep_prob, build_output_layer(vocab, config.objective, config.negative)

    (keep_prob, (output, n_out)), tables_mib, _ = traced(tables)
    V, d = len(vocab), config.size
    n_tokens = min(BUFFER_TOKENS, len(encoded.word_ids))
    n_sentences = int(np.searchsorted(encoded.sentence_offsets, n_tokens, side="right")) - 1
    stop = int(encoded.sentence_offsets[n_sentences])
    word_ids = np.array(encoded.word_ids[:stop])
    offsets = np.array(encoded.sentence_offsets[:n_sentences + 1])
    W_in = (np.random.default_rng(0).random((V, d), dtype=np.float32) - 0.5) / d
    W_out = np.zeros((n_out, d), dtype=np.float32)
    rng = np.random.default_rng(0)

    def one_worker_loop() -> None:
        step = make_step(W_in, output, config)
        for batch in iter_batches(word_ids, offsets, config.window, config.batch_size, rng, keep_prob):
            step(W_in, W_out, batch, 0.01, 0.01, rng)

    _, _, buffers_mib = traced(one_worker_loop)
    counting_mib, n_distinct = counting_dict_mib(Path(args.corpus))
    table = encode._WordIdTable()
    result = dict(
        imports=import_costs(),
        vocab_objects=vocab_mib,
        counting_dict=counting_mib,
        n_distinct=n_distinct,
        read_block=read_block_mib(Path(args.corpus)),
        read_table=(table.low.nbytes + table.high.nbytes + table.ids.nbytes) / MIB,
        output_tables=tables_mib,
        batch_buffers=buffers_mib,
        weights=4 * (V + n_out) * d / MIB,
        corpus_ids=4 * len(encoded.word_ids) / MIB,
        sentence_offsets=8 * len(encoded.sentence_offsets) / MIB,
        V=V, N=len(encoded.word_ids), S=encoded.n_sentences,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
