"""The window pipeline's chunk sizes against each other, in one process, on the same words.

    python scripts/bench_chunks.py [--objective hs] [--words 2e6] [--rounds 8] 14,16 13,16 14,18

Each configuration is "log2 CHUNK_TARGETS,log2 CHUNK_TOKENS" (`cbow/data/windows.py`); the
first is the reference. The corpus's first --words words (a cache in --cache-dir, made on
the first run) are batched by `iter_batches` and trained by the fused step, one pass per
configuration per round, the order reversed every other round so that the shared
machine's swings hit all alike; a warm-up pass of each is not timed. One BLAS thread:
what a worker runs. Printed: each configuration's total seconds and its speed against the
first. Memory is the other half of the trade: scripts/bench.py --memory-table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "bench-text8.txt.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("configs", nargs="+", help="log2 CHUNK_TARGETS,log2 CHUNK_TOKENS, e.g. 14,16")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--cache-dir", default=os.path.join("/tmp", "cbow-bench-chunks"))
    parser.add_argument("--objective", choices=["ns", "hs"], default="ns")
    parser.add_argument("--words", type=float, default=2e6)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from cbow.data import windows
    from cbow.data.prepare import prepare
    from cbow.model.hidden import init_weights
    from cbow.model.step import build_output_layer
    from cbow.training.config import TrainConfig
    from cbow.training.schedule import make_step

    configs = [tuple(int(part) for part in text.split(",")) for text in args.configs]
    hs = args.objective == "hs"
    config = TrainConfig(size=100, window=5, objective=args.objective, negative=0 if hs else 5, sample=1e-4,
                         min_count=5, epochs=1, batch_size=256 if hs else 512, workers=1, seed=1)
    vocab, encoded = prepare(args.corpus, config, cache_dir=args.cache_dir)
    output, n_out_rows = build_output_layer(vocab, config.objective, config.negative)
    W_in, W_out = init_weights(len(vocab), config.size, n_out_rows, np.random.default_rng(1))
    keep_prob = vocab.keep_probabilities(config.sample)
    step = make_step(W_in, output, config)
    offsets = np.asarray(encoded.sentence_offsets)
    stop_sentence = int(np.searchsorted(offsets, int(args.words)))
    word_ids = np.asarray(encoded.word_ids[:offsets[stop_sentence]])
    noise_rng = np.random.default_rng(2)

    def one_pass(targets_log2: int, tokens_log2: int) -> float:
        windows.CHUNK_TARGETS, windows.CHUNK_TOKENS = 1 << targets_log2, 1 << tokens_log2
        started = time.perf_counter()
        for batch in windows.iter_batches(word_ids, offsets[:stop_sentence + 1], config.window, config.batch_size,
                                          np.random.default_rng(3), keep_prob):
            step(W_in, W_out, batch, 0.025, 0.025, noise_rng)
        return time.perf_counter() - started

    for chunk in configs:  # warm-up, not timed
        one_pass(*chunk)
    seconds = {chunk: [] for chunk in configs}
    for round_index in range(args.rounds):
        for chunk in configs if round_index % 2 == 0 else configs[::-1]:
            seconds[chunk].append(one_pass(*chunk))
    reference = sum(seconds[configs[0]])
    print(f"{args.objective}, {int(args.words):,} words of {Path(args.corpus).name}, {args.rounds} rounds")
    for chunk in configs:
        total = sum(seconds[chunk])
        print(f"  CHUNK_TARGETS 2^{chunk[0]}, CHUNK_TOKENS 2^{chunk[1]}: {total:.2f} s, speed {reference / total:.3f}x "
              f"the first  (rounds: {' '.join(f'{s:.2f}' for s in seconds[chunk])})")


if __name__ == "__main__":
    main()
