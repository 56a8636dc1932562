"""The training step of another checkout against this one's, in one process, on the same batches.

    python scripts/bench_step.py OLD_TREE [--objective hs] [--batch-size 256] [--words 3e6]

OLD_TREE is a directory holding a `cbow` package (a worktree, or `git archive REV cbow |
tar -x -C DIR`). Its package is copied under the name `cbow_reference` (its imports
renamed) so both versions live in one process. One epoch's batches of the first --words
words of the corpus are built once; each version trains on them in its own weights, in
blocks of --block batches, the two alternated (A B, then B A, ...) so that the shared
machine's swings in speed (2x within minutes is common) hit both alike. The first pass
warms caches and buffers and is not timed; the second is. Printed: seconds of each, the
ratio, and both summed losses (equal when the change keeps the arithmetic).

One process with one BLAS thread: this measures the step's own cost (gathers, scatters,
the objective's maths, per-batch overhead). An A/A run (a checkout against itself) gave
0.99-1.01 at 3M words and 0.95 for HS at 1M, where whole runs (`scripts/bench.py`,
`scripts/bench_checkouts.py`) vary by +-15%.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "bench-text8.txt.gz"
REFERENCE = "cbow_reference"


class StepAPI:
    """What this script needs of a cbow package, in either layout (flat before the
    subpackages, `training/` and `model/` after): TrainConfig, prepare, the output layer
    of a config, and the step."""

    def __init__(self, package: str) -> None:
        try:
            config = importlib.import_module(f"{package}.training.config")
            schedule = importlib.import_module(f"{package}.training.schedule")
            step = importlib.import_module(f"{package}.model.step")
            self.TrainConfig, self.make_step = config.TrainConfig, schedule.make_step
            self.prepare = importlib.import_module(f"{package}.data.prepare").prepare
            self.build_output_layer = lambda vocab, config: step.build_output_layer(vocab, config.objective,
                                                                                    config.negative)
        except ImportError:  # the flat layout: everything in <package>.train
            flat = importlib.import_module(f"{package}.train")
            self.TrainConfig, self.make_step, self.prepare = flat.TrainConfig, flat.make_step, flat.prepare
            self.build_output_layer = flat.build_output_layer


def load_reference(tree: Path, scratch: Path) -> StepAPI:
    """The package in `tree`, imported as cbow_reference."""
    target = scratch / REFERENCE
    shutil.copytree(tree / "cbow", target)
    pattern = re.compile(r"\b(from|import) cbow\b")
    for path in target.rglob("*.py"):
        path.write_text(pattern.sub(rf"\1 {REFERENCE}", path.read_text()))
    sys.path.insert(0, str(scratch))
    return StepAPI(REFERENCE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old_tree", type=Path, help="directory holding the reference `cbow` package")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--objective", choices=("ns", "hs", "softmax"), default="ns")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the CLI's (512; 256 with hs)")
    parser.add_argument("--words", type=float, default=3e6, help="corpus words to train on (default 3e6)")
    parser.add_argument("--block", type=int, default=100, help="batches per alternation block")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "cbow-bench-step-cache")
    args = parser.parse_args()

    from cbow.cli.train_flags import HS_BATCH_SIZE
    from cbow.data.windows import iter_batches

    new_train = StepAPI("cbow")
    batch_size = args.batch_size or (HS_BATCH_SIZE if args.objective == "hs" else new_train.TrainConfig().batch_size)
    settings = {"objective": args.objective, "negative": 5 if args.objective == "ns" else 0, "batch_size": batch_size}
    with tempfile.TemporaryDirectory() as scratch:
        old_train = load_reference(args.old_tree, Path(scratch))
        config = new_train.TrainConfig(**settings)
        vocab, encoded = new_train.prepare(args.corpus, config, cache_dir=args.cache_dir)
        n_words = min(int(args.words), len(encoded.word_ids))
        word_ids = np.asarray(encoded.word_ids[:n_words])
        batches = list(iter_batches(word_ids, np.array([0, n_words]), config.window, batch_size,
                                    np.random.default_rng(1), vocab.keep_probabilities(config.sample)))
        runs = {}
        for name, module in (("old", old_train), ("new", new_train)):
            run_config = module.TrainConfig(**settings)
            output, n_out = module.build_output_layer(vocab, run_config)
            init = np.random.default_rng(0)
            W_in = (init.random((len(vocab), config.size), dtype=np.float32) - 0.5) / config.size
            W_out = np.zeros((n_out, config.size), dtype=np.float32)
            runs[name] = {"step": module.make_step(W_in, output, run_config), "W_in": W_in, "W_out": W_out,
                          "rng": np.random.default_rng(5), "seconds": 0.0, "loss": 0.0}
        for timed in (False, True):
            for start in range(0, len(batches), args.block):
                order = ("old", "new") if (start // args.block) % 2 == 0 else ("new", "old")
                for name in order:
                    run = runs[name]
                    started = time.perf_counter()
                    for batch in batches[start:start + args.block]:
                        loss = run["step"](run["W_in"], run["W_out"], batch, 0.1, 0.025, run["rng"])
                        if timed:
                            run["loss"] += loss
                    if timed:
                        run["seconds"] += time.perf_counter() - started
    old, new = runs["old"], runs["new"]
    print(f"{args.objective}, batch {batch_size}, {len(batches)} batches of {n_words:,} words: "
          f"old {old['seconds']:.2f} s, new {new['seconds']:.2f} s, new/old time {new['seconds'] / old['seconds']:.3f}; "
          f"summed loss old {old['loss']:.6g}, new {new['loss']:.6g}")


if __name__ == "__main__":
    main()
