"""Neighbour-search speed of two cbow checkouts, measured in alternation (a shared machine drifts).

    python scripts/query_speed.py --other /path/to/other/checkout [--words 200000] [--dim 100] [--rounds 5]

Each round runs one short timing process per checkout, in turn (this one, the other, ...):
the same seeded (words x dim) float32 vectors in memory, norms (or the older normalised
copy) made before timing, then the best of 3 of: 100 single most_similar calls, one
most_similar_many of 256 words, 100 analogy queries (2 positive, 1 negative). Prints per
case the median over rounds of each checkout's time and the ratio other / this (> 1: this
checkout is faster).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TIMING = """
import json, sys, time
import numpy as np
from cbow.vectors.keyed import KeyedVectors
n_words, dim = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
kv = KeyedVectors([f"w{i}" for i in range(n_words)], rng.standard_normal((n_words, dim)).astype(np.float32))
kv.fill_norms() if hasattr(kv, "fill_norms") else kv.get_normed_vectors()
words = [f"w{i}" for i in rng.choice(n_words, size=300, replace=False)]

def best(function):
    times = []
    for _ in range(3):
        start = time.perf_counter(); function(); times.append(time.perf_counter() - start)
    return min(times)

print(json.dumps({
    "most_similar (per query)": best(lambda: [kv.most_similar(w, topn=10) for w in words[:100]]) / 100,
    "most_similar_many, 256 words": best(lambda: kv.most_similar_many(words[:256], topn=10)),
    "analogy 3CosAdd (per query)": best(lambda: [kv.most_similar([a, b], [c], topn=10)
                                                 for a, b, c in zip(words[:100], words[100:200], words[200:])]) / 100,
}))
"""


def timing(checkout: Path | None, words: int, dim: int) -> dict[str, float]:
    env = None
    if checkout is not None:
        import os

        env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, "-c", TIMING, str(words), str(dim)], capture_output=True, text=True,
                          check=True, env=env, cwd=tempfile.gettempdir())  # not a checkout's ./cbow first
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other", type=Path, required=True, help="the other checkout (its directory holds cbow/)")
    parser.add_argument("--words", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    this_times, other_times = [], []
    for _ in range(args.rounds):
        this_times.append(timing(None, args.words, args.dim))
        other_times.append(timing(args.other, args.words, args.dim))
    print(f"{args.words:,} x {args.dim}, median of {args.rounds} alternating rounds (each the best of 3); "
          f"ratio = other / this (> 1: this checkout faster)")
    for case in this_times[0]:
        mine = statistics.median(t[case] for t in this_times)
        theirs = statistics.median(t[case] for t in other_times)
        print(f"{case:34s} this {1e3 * mine:8.2f} ms   other {1e3 * theirs:8.2f} ms   ratio {theirs / mine:5.2f}x")


if __name__ == "__main__":
    main()
