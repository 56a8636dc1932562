"""Peak memory of counting + encoding, and the cost of checkpointing on training speed.

    python scripts/memory_report.py [--corpus ../shared/data/bench-text8.txt.gz]

1. Peak RSS (each measurement in a fresh subprocess, ru_maxrss) of counting + encoding the
   corpus and four copies of it concatenated (written to /tmp, removed afterwards), with the
   in-memory path (`read_and_encode`) and the bounded path (`cbow.data.counting`: pruned counting
   + ids streamed to a memory-mapped file).
2. Training words/s on the corpus without checkpoints and with a checkpoint every 2 s (plus
   epoch ends), side by side in the same run: the ratio is the checkpointing overhead.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "bench-text8.txt.gz"

MEASURE = r"""
import resource, sys, time
path, mode, ids_path = sys.argv[1], sys.argv[2], sys.argv[3]
started = time.perf_counter()
if mode == "in-memory":
    from cbow.data.encode import read_and_encode
    vocab, encoded = read_and_encode(path, min_count=5)
else:
    from cbow.data.counting import build_vocab_bounded, encode_to_file
    vocab = build_vocab_bounded(path, min_count=5)
    encoded = encode_to_file(path, vocab, ids_path)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{peak:.0f} {seconds:.1f} {len(vocab)} {encoded.n_words}")
"""


def peak_rss(corpus: Path, mode: str, work: Path) -> tuple[float, float, int, int]:
    done = subprocess.run([sys.executable, "-c", MEASURE, str(corpus), mode, str(work / "ids.i32")],
                          capture_output=True, text=True, check=True)
    (work / "ids.i32").unlink(missing_ok=True)
    peak, seconds, n_vocab, n_words = done.stdout.split()
    return float(peak), float(seconds), int(n_vocab), int(n_words)


def concatenate(corpus: Path, copies: int, target: Path) -> None:
    """Four copies, each ending with a newline, gzip level 1."""
    with gzip.open(target, "wb", compresslevel=1) as out:
        for _ in range(copies):
            with gzip.open(corpus, "rb") as source:
                shutil.copyfileobj(source, out, 1 << 22)
            out.write(b"\n")


def checkpoint_overhead(corpus: Path, work: Path) -> None:
    from cbow.training.checkpoint import Checkpointer
    from cbow.data.encode import read_and_encode
    from cbow.training.config import TrainConfig
    from cbow.training.loop import train

    vocab, encoded = read_and_encode(corpus, min_count=5)
    config = TrainConfig(epochs=1)
    print(f"\ncheckpoint overhead: 1 epoch, d=100, {len(vocab):,} words, {encoded.n_words:,} tokens")
    rows = []
    for label, every in [("no checkpoints", None), ("checkpoint every 2 s", 2.0),
                         ("no checkpoints (again)", None), ("checkpoint every 2 s (again)", 2.0)]:
        checkpointer = None if every is None else Checkpointer(work / "run.ckpt", every)
        started = time.perf_counter()
        train(config=config, vocab=vocab, encoded=encoded, checkpointer=checkpointer)
        seconds = time.perf_counter() - started
        saves = "" if checkpointer is None else (
            f"  ({checkpointer.n_saved} saves, {checkpointer.save_seconds:.2f} s in saving, "
            f"{(work / 'run.ckpt').stat().st_size / 2**20:.0f} MiB each)")
        rows.append((label, seconds))
        print(f"  {label:30s} {seconds:7.2f} s  {encoded.n_words / seconds:10,.0f} words/s{saves}")
    plain = min(s for label, s in rows if label.startswith("no"))
    with_ckpt = min(s for label, s in rows if label.startswith("checkpoint"))
    print(f"  time ratio with / without checkpoints (best of 2 each): {with_ckpt / plain:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--skip-overhead", action="store_true")
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"memory_report: {args.corpus} not found; pass --corpus")
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        work = Path(tmp)
        four = work / "four-copies.txt.gz"
        concatenate(args.corpus, 4, four)
        print("peak RSS of counting + encoding (min_count 5), each in a fresh process")
        print(f"  {'corpus':22s} {'path':10s} {'peak RSS':>10s} {'seconds':>8s} {'vocab':>8s} {'tokens':>12s}")
        results = {}
        for name, path in [("bench-text8", args.corpus), ("4 x bench-text8", four)]:
            for mode in ("in-memory", "bounded"):
                peak, seconds, n_vocab, n_words = peak_rss(path, mode, work)
                results[name, mode] = peak
                print(f"  {name:22s} {mode:10s} {peak:8.0f} MiB {seconds:8.1f} {n_vocab:8,d} {n_words:12,d}")
        for mode in ("in-memory", "bounded"):
            ratio = results["4 x bench-text8", mode] / results["bench-text8", mode]
            print(f"  {mode}: peak RSS ratio 4 copies / 1 copy = {ratio:.2f}")
        if not args.skip_overhead:
            checkpoint_overhead(args.corpus, work)


if __name__ == "__main__":
    main()
