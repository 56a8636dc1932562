"""Training speed of two (or more) checkouts of cbow side by side, runs alternated.

    python scripts/bench_checkouts.py OLD_TREE NEW_TREE [--workers 2] [--epochs 3] [--repeats 3] [--no-cache]

Each TREE is a directory holding the `cbow` package (a worktree, or `git archive REV cbow |
tar -x -C DIR`). Every run is its own subprocess with PYTHONPATH=TREE, one at a time, the
trees alternated (A B A B ...) so a noisy shared machine hits both alike; each tree has
its own corpus cache (warmed by an untimed first run), so only training is compared.
Printed: per run the training seconds (worker start-up included), train words/s, and the
CPU seconds of the parent process itself (with workers: its polling, reports, and the
corpus reading, which the warm cache makes small);
then the median per tree and the ratio of medians against the first tree. With --no-cache
every run reads and encodes the corpus itself (no cache), and the end-to-end seconds
(reading included) are compared too.

Used to measure the cost of the workers' epoch barrier (cbow.training.parallel.pool): the same run with
and without it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "bench-small-text8.txt.gz"

CHILD = """
import json, resource, sys, time
try:  # the layout with subpackages
    from cbow.training.config import TrainConfig
    from cbow.training.loop import train
except ImportError:  # the flat layout before it
    from cbow.train import TrainConfig, train

def main():
    corpus, cache_dir, workers, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    config = TrainConfig(workers=workers, epochs=epochs, seed=1)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = train(corpus, config, cache_dir=cache_dir or None)
    total_seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)  # this process only: the workers are its children
    words = result.n_corpus_words * epochs
    print(json.dumps({"train_seconds": result.train_seconds, "total_seconds": total_seconds, "words": words,
                      "epoch_words_per_s": [round(r.words_per_second) for r in result.epochs],
                      "final_loss": result.epoch_losses[-1],
                      "parent_cpu_seconds": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}))

if __name__ == "__main__":
    main()
"""


def run_child(tree: Path, corpus: Path, cache_dir: Path | str, workers: int, epochs: int) -> dict:
    environment = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, "-c", CHILD, str(corpus), str(cache_dir), str(workers), str(epochs)],
                          capture_output=True, text=True, env=environment, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise RuntimeError(f"{tree}: run failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=Path, help="directories holding a cbow package")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-cache", action="store_true", help="every run reads the corpus itself")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-checkouts-") as scratch:
        caches = {tree: "" if args.no_cache else Path(scratch) / f"cache{index}"
                  for index, tree in enumerate(args.trees)}
        for tree in args.trees:  # untimed: fills each tree's corpus cache (and the page cache)
            run_child(tree, args.corpus, caches[tree], args.workers, 1)
        speeds: dict[Path, list[float]] = {tree: [] for tree in args.trees}
        totals: dict[Path, list[float]] = {tree: [] for tree in args.trees}
        print(f"{args.corpus.name}, {args.workers} workers, {args.epochs} epochs, default settings", flush=True)
        for repeat in range(args.repeats):
            for tree in args.trees:
                run = run_child(tree, args.corpus, caches[tree], args.workers, args.epochs)
                speed = run["words"] / run["train_seconds"]
                speeds[tree].append(speed)
                totals[tree].append(run["total_seconds"])
                print(f"  run {repeat + 1} {tree}: {run['train_seconds']:.2f} s ({run['total_seconds']:.2f} s end to end), "
                      f"{speed:,.0f} train words/s "
                      f"(epochs {run['epoch_words_per_s']}), final loss {run['final_loss']:.4f}, "
                      f"parent CPU {run['parent_cpu_seconds']:.2f} s", flush=True)
    reference = statistics.median(speeds[args.trees[0]])
    reference_total = statistics.median(totals[args.trees[0]])
    for tree in args.trees:
        median, total = statistics.median(speeds[tree]), statistics.median(totals[tree])
        print(f"median {tree}: {median:,.0f} train words/s, {median / reference:.3f}x the first; "
              f"{total:.2f} s end to end, {total / reference_total:.3f}x the first")


if __name__ == "__main__":
    main()
