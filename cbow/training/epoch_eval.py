"""Scores on evaluation sets after every epoch (`cbow train --eval / --eval-pairs`), as a callback.

    cbow.train(corpus, config, callbacks=[EpochEvaluation(["questions-words.txt"], ["wordsim353.tsv"])])

After each epoch the vectors the run would save now (`EpochReport.keyed_vectors`) are
scored on every file; the scores go into `report.scores[name]` (name: the file's name, or
its path when two files share a name), where the training log and the progress lines read
them. The files are parsed when the callback is made, so a typo fails in a second, not
after an epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cbow.training.callbacks import Callback
from cbow.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs, read_analogies, read_word_pairs
from cbow.vectors.keyed import KeyedVectors

if TYPE_CHECKING:
    from cbow.training.run import EpochReport, Run

DEFAULT_RESTRICT_VOCAB = 30000  # analogies search the N most frequent words, as gensim


@dataclass(frozen=True)
class Evaluation:
    """One evaluation file: how to score vectors on it and how to say the result briefly."""

    name: str
    score: Callable[[KeyedVectors], dict]
    summary: Callable[[dict], str]


def analogy_evaluation(path: str | Path, name: str, restrict_vocab: int = DEFAULT_RESTRICT_VOCAB) -> Evaluation:
    """3CosAdd accuracy on a questions-words file (parsed now: bad files fail here)."""
    read_analogies(path)

    def score(kv: KeyedVectors) -> dict:
        result = evaluate_word_analogies(kv, path, restrict_vocab=restrict_vocab)
        return {"accuracy": result.accuracy, "correct": result.correct, "total": result.total,
                "skipped": result.skipped}

    return Evaluation(name, score, lambda scores: f"{100 * scores['accuracy']:.2f}% of {scores['total']:,}")


def pairs_evaluation(path: str | Path, name: str) -> Evaluation:
    """Spearman correlation of cosines with the human scores of a word-pair file."""
    read_word_pairs(path)

    def score(kv: KeyedVectors) -> dict:
        result = evaluate_word_pairs(kv, path)
        return {"spearman": result.spearman, "pearson": result.pearson, "pairs": result.n_pairs,
                "oov_ratio": result.oov_ratio}

    return Evaluation(name, score, lambda scores: f"spearman {scores['spearman']:.3f}")


class EpochEvaluation(Callback):
    """Scores the vectors on analogy and word-pair files after every epoch.

    Parameters
    ----------
    analogies : questions-words files (3CosAdd accuracy, case-insensitive)
    pairs : word-pair files (word1 word2 score; Spearman of cosine vs the human scores)
    restrict_vocab : analogies search only the N most frequent words

    Raises
    ------
    FormatError : a file cannot be read or parsed (file:line named)
    """

    def __init__(self, analogies: Sequence[str | Path] = (), pairs: Sequence[str | Path] = (),
                 restrict_vocab: int = DEFAULT_RESTRICT_VOCAB) -> None:
        paths = [("analogies", path) for path in analogies] + [("pairs", path) for path in pairs]
        names = [Path(path).name for _, path in paths]
        self.evaluations: list[Evaluation] = []
        for (kind, path), name in zip(paths, names):
            if names.count(name) > 1:  # two files of the same name in different directories
                name = str(path)
            if kind == "analogies":
                self.evaluations.append(analogy_evaluation(path, name, restrict_vocab))
            else:
                self.evaluations.append(pairs_evaluation(path, name))

    def on_epoch_end(self, run: Run, report: EpochReport) -> None:
        if not self.evaluations:
            return
        kv = report.keyed_vectors()
        for evaluation in self.evaluations:
            report.scores[evaluation.name] = evaluation.score(kv)

    def summaries(self, report: EpochReport) -> list[str]:
        """'name: short result' for each score of `report`, in file order."""
        return [f"{evaluation.name} {evaluation.summary(report.scores[evaluation.name])}"
                for evaluation in self.evaluations if evaluation.name in report.scores]
