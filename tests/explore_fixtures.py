"""Small vectors files for the explore tests, made with `cbow train` as a user would (seconds).

    a.cbow    planted corpus, 6 epochs: memory-mapped, with counts, a training log beside it
              (held-out scores within epochs, the planted analogies scored every epoch)
    b.bin     the same corpus, other settings and seed, 3 epochs (about 2/3 of the planted
              analogies right): word2vec binary, a log too
"""

from __future__ import annotations

from pathlib import Path

from cbow.corpora import planted

from cbow.cli import main


def train_pair(directory: Path) -> tuple[Path, Path, Path]:
    """(a.cbow, b.bin, the planted analogy file) trained in `directory`."""
    corpus = planted.write_corpus(directory / "corpus.txt", 6000, seed=3)
    questions = planted.write_analogies(directory / "planted-questions.txt")
    first, second = directory / "a.cbow", directory / "b.bin"
    common = ["--min-count", "3", "--sample", "1e-3", "-q"]
    assert main(["train", str(corpus), "-o", str(first), "--size", "24", "--window", "3", "--epochs", "6",
                 "--holdout", "2%", "--holdout-every", "30k", "--eval", str(questions), *common]) == 0
    assert main(["train", str(corpus), "-o", str(second), "--size", "16", "--window", "2", "--epochs", "3",
                 "--seed", "7", *common]) == 0
    return first, second, questions
