"""Neighbour-search speed of this checkout's KeyedVectors against another version of keyed.py, interleaved.

    git show main:cbow/vectors/keyed.py > /tmp/keyed_main.py
    python scripts/query_speed.py /tmp/keyed_main.py [--words 200000] [--dim 100] [--rounds 15]

The other keyed.py is imported from its file as a module of its own (its `cbow` imports
resolved in this checkout, so it must need nothing this checkout lacks); both classes get
the same seeded (words x dim) float32 matrix, their norms (or the older normalised copy)
made before timing. Each round times, in turn, this version and the other on each case,
so a shared machine's drift hits both alike; a case's time is the median over rounds of
the best of 3. BLAS runs on one thread (OPENBLAS_NUM_THREADS=1, set before numpy loads):
with two threads on a busy machine a descheduled thread stalls the whole product.

Cases: 100 single most_similar(word) calls, 100 analogy queries (2 positive, 1 negative),
one most_similar_many of 256 words. Prints the ratio other / this (> 1: this one faster).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from cbow.vectors.keyed import KeyedVectors  # noqa: E402


def load_other(path: str):
    spec = importlib.util.spec_from_file_location("other_keyed", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["other_keyed"] = module
    spec.loader.exec_module(module)
    return module.KeyedVectors


def prepared(cls, words: list[str], vectors: np.ndarray):
    kv = cls(words, vectors)
    kv.fill_norms() if hasattr(kv, "fill_norms") else kv.get_normed_vectors()
    return kv


def best_of_3(function) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", help="the other version's keyed.py")
    parser.add_argument("--words", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(args.words)]
    vectors = rng.standard_normal((args.words, args.dim)).astype(np.float32)
    asked = [words[i] for i in rng.choice(args.words, size=300, replace=False)]
    tables = {"this": prepared(KeyedVectors, words, vectors), "other": prepared(load_other(args.other), words, vectors)}
    cases = {
        "most_similar (per query)": lambda kv: [kv.most_similar(w, topn=10) for w in asked[:100]],
        "analogy 3CosAdd (per query)": lambda kv: [kv.most_similar([a, b], [c], topn=10)
                                                   for a, b, c in zip(asked[:100], asked[100:200], asked[200:])],
        "most_similar_many, 256 words": lambda kv: kv.most_similar_many(asked[:256], topn=10),
    }
    per_query = {"most_similar (per query)": 100, "analogy 3CosAdd (per query)": 100, "most_similar_many, 256 words": 1}
    times = {(case, name): [] for case in cases for name in tables}
    for _ in range(args.rounds):
        for case, run in cases.items():
            for name, kv in tables.items():
                times[case, name].append(best_of_3(lambda: run(kv)) / per_query[case])
    print(f"{args.words:,} x {args.dim}, BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}, median of {args.rounds} "
          "interleaved rounds (each the best of 3); ratio = other / this (> 1: this one faster)")
    for case in cases:
        mine, theirs = (statistics.median(times[case, name]) for name in ("this", "other"))
        print(f"{case:32s} this {1e3 * mine:8.2f} ms   other {1e3 * theirs:8.2f} ms   ratio {theirs / mine:5.2f}x")


if __name__ == "__main__":
    main()
