"""Small vocabularies and the repeat guard: the measurements of docs/quality.md, "Small vocabularies".

    python scripts/bench_small_vocab.py boundary [--words 20] [--lines 20000] [--set alpha=0.07 ...]
    python scripts/bench_small_vocab.py grid      # NS, HS, softmax over word counts, seeds, line lengths
    python scripts/bench_small_vocab.py classes   # what the guard costs: class neighbours vs gensim

Every run trains in one process (`workers=1`), so each line is reproducible for its seed.
"""

from __future__ import annotations

import argparse
import ast
import logging

import numpy as np

from cbow.corpora import planted
from cbow.errors import Diverged
from cbow.training import schedule
from cbow.training.config import TrainConfig
from cbow.training.loop import train

N_BAR_GRID = [4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 32, 40]


def random_lines(n_words: int, seed: int, n_lines: int, shortest: int = 5, longest: int = 15) -> list[str]:
    """Made-up words drawn uniformly, shortest..longest to a line."""
    rng = np.random.default_rng(seed)
    words = planted.pseudo_words(n_words, rng)
    return [" ".join(words[index] for index in rng.integers(0, n_words, size=length))
            for length in rng.integers(shortest, longest + 1, size=n_lines)]


def class_lines(n_classes: int, per_class: int, seed: int, n_lines: int = 20_000) -> tuple[list[str], dict]:
    """A class-level Markov chain (class c is followed by c + 1 70% of the time, else by any
    class), a word drawn uniformly from its class; returns the lines and word -> class."""
    rng = np.random.default_rng(seed)
    words = planted.pseudo_words(n_classes * per_class, rng)
    classes = [words[c * per_class:(c + 1) * per_class] for c in range(n_classes)]
    lines = []
    for length in rng.integers(5, 16, size=n_lines):
        current, tokens = int(rng.integers(n_classes)), []
        for _ in range(length):
            tokens.append(classes[current][rng.integers(per_class)])
            current = (current + 1) % n_classes if rng.random() < 0.7 else int(rng.integers(n_classes))
        lines.append(" ".join(tokens))
    return lines, {word: c for c, members in enumerate(classes) for word in members}


def trains(lines, **settings) -> bool:
    try:
        train(lines, TrainConfig(workers=1, **settings))
    except Diverged:
        return False
    return True


def boundary(args) -> None:
    settings = {key: ast.literal_eval(value) for key, value in (item.split("=", 1) for item in args.set)}
    settings.setdefault("repeat_guard_out", 0.0)  # unguarded, as before the rule
    lines = random_lines(args.words, args.seed, args.lines)
    config = TrainConfig(**settings)
    per_n_bar = config.lr_in * config.alpha * (config.negative + 1)
    row = [f"{n_bar}:{'ok' if trains(lines, batch_size=n_bar * args.words, seed=args.seed, **settings) else 'D'}"
           for n_bar in N_BAR_GRID]  # n_bar = B / V for V equally frequent words
    print(f"{args.words} words, {args.lines} lines, {settings or 'defaults'} (load = n_bar x {per_n_bar:.4f}): "
          + " ".join(row))


def grid(args) -> None:
    runs = {"ns": {}, "hs": {"objective": "hs", "negative": 0, "context_power": 0.25, "batch_size": 256},
            "softmax": {"objective": "softmax", "negative": 0}}
    for name, settings in runs.items():
        samples = (1e-4,) if name == "softmax" else (1e-4, 0.0)
        diverged = {"before": 0, "now": 0}
        total = 0
        for n_words in (15, 20, 25, 30):
            for seed in (1, 2, 3, 4, 5):
                for shortest, longest in ((1, 3), (5, 15), (30, 59)):
                    lines = random_lines(n_words, seed, 20_000, shortest, longest)
                    for sample in samples:
                        total += 1
                        if name == "ns":  # before the rule: nothing guarded these runs
                            diverged["before"] += not trains(lines, seed=seed, sample=sample, repeat_guard_out=0.0)
                        diverged["now"] += not trains(lines, seed=seed, sample=sample, **settings)
        print(f"{name}: {total} runs, diverged {diverged}")


def classes(args) -> None:
    from gensim.models import Word2Vec

    def in_class_share(wv, word_class) -> float:
        keys = list(wv.index_to_key)
        return float(np.mean([word_class[wv.most_similar(word, topn=1)[0][0]] == word_class[word] for word in keys]))

    for seed in (1, 2, 3):
        lines, word_class = class_lines(4, 6, seed)
        guarded = train(lines, TrainConfig(workers=1, seed=seed))
        keep = guarded.vocab.keep_probabilities(guarded.config.sample)
        smaller = schedule.unguarded_batch_size(TrainConfig(), guarded.vocab.counts, keep)
        unguarded = train(lines, TrainConfig(workers=1, seed=seed, batch_size=smaller))
        tokens = [line.split() for line in lines]
        gensim_same = Word2Vec(tokens, vector_size=100, window=5, min_count=5, sg=0, negative=5, sample=1e-4,
                               alpha=0.05, workers=1, seed=seed, epochs=5)
        gensim_defaults = Word2Vec(tokens, vector_size=100, window=5, min_count=5, sg=0, workers=1, seed=seed,
                                   epochs=5)
        print(f"seed {seed}: guarded (repeat_guard_out={guarded.config.repeat_guard_out}) "
              f"{in_class_share(guarded.wv, word_class):.2f}, batch {smaller} "
              f"{in_class_share(unguarded.wv, word_class):.2f}, gensim sample=1e-4 alpha=0.05 "
              f"{in_class_share(gensim_same.wv, word_class):.2f}, gensim defaults "
              f"{in_class_share(gensim_defaults.wv, word_class):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    first = commands.add_parser("boundary", help="the first divergence as the batch grows")
    first.add_argument("--words", type=int, default=20)
    first.add_argument("--lines", type=int, default=20_000)
    first.add_argument("--seed", type=int, default=1)
    first.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="TrainConfig fields")
    commands.add_parser("grid", help="how many default runs diverge, before the rule and now")
    commands.add_parser("classes", help="class neighbours: guarded, the named batch size, gensim")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    {"boundary": boundary, "grid": grid, "classes": classes}[args.command](args)


if __name__ == "__main__":
    main()
