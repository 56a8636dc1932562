"""The evaluation sets cbow knows, run from the page: scores, sections, and what the vectors got wrong.

The sets are the registry of `cbow datasets` (cbow.vectors.datasets) that are on this
machine already (in the cache, or gensim's bundled copies), and the planted analogies of
the demo corpus, made here. The page names a set by its registry name, never by a path,
and nothing is downloaded: a set not fetched yet is listed with the command that fetches it.

Scores are those of `cbow evaluate` (the same functions, gensim's rules, the same defaults:
analogies among the 30,000 most frequent words, word pairs among 300,000), with per item:

    analogies   every question answered wrong, per method: section, a b c d, the answer given
    word pairs  every pair scored, with the human and the model's rank among the pairs; listed
                by |rank difference|, the pairs the vectors disagree with most first
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import numpy as np
import scipy.stats

from cbow.corpora import planted
from cbow.explore.errors import RequestError
from cbow.explore.served import ServedFile
from cbow.scratch import HeldDirectory, held_name_pattern, sweep
from cbow.vectors import datasets
from cbow.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs

PLANTED = "planted-analogies"
ANALOGY_RESTRICT_VOCAB = 30_000   # cbow evaluate's --restrict-vocab
PAIRS_RESTRICT_VOCAB = 300_000    # cbow evaluate's --pairs-restrict-vocab


SCRATCH_PREFIX = "cbow-explore-sets-"


class EvaluationSets:
    """The sets a session can run; the planted questions are written once, into a scratch
    directory the session holds (cbow.scratch: one a killed session left is swept)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scratch: HeldDirectory | None = None
        self._planted: Path | None = None

    def listing(self) -> list[dict]:
        """Every known set: name, kind, description, and whether it is here (else how to fetch it)."""
        sets = [{"name": PLANTED, "kind": "analogies", "available": True,
                 "description": "the demo corpus's planted analogies (paris : france :: berlin : germany), "
                                f"{sum(1 for _ in planted.analogy_questions()):,} questions"}]
        for dataset in datasets.REGISTRY.values():
            if dataset.kind not in ("analogies", "pairs"):
                continue
            here = datasets.locate(dataset.name) is not None
            sets.append({"name": dataset.name, "kind": dataset.kind, "description": dataset.description,
                         "available": here, **({} if here else {"fetch": f"cbow datasets fetch {dataset.name}"})})
        return sets

    def _path(self, name: str) -> tuple[str, Path]:
        if name == PLANTED:
            with self._lock:
                if self._planted is None:
                    sweep(tempfile.gettempdir(), held_name_pattern(SCRATCH_PREFIX))
                    self._scratch = HeldDirectory(tempfile.gettempdir(), SCRATCH_PREFIX)
                    self._planted = planted.write_analogies(self._scratch.path / "planted-questions.txt")
            return "analogies", self._planted
        dataset = datasets.REGISTRY.get(name)
        if dataset is None or dataset.kind not in ("analogies", "pairs"):
            known = ", ".join(entry["name"] for entry in self.listing())
            raise RequestError(404, "not_found", f"no evaluation set {name!r}; known: {known}")
        found = datasets.locate(name)
        if found is None:
            raise RequestError(404, "not_found", f"evaluation set {name!r} is not on this machine; "
                                                 f"run: cbow datasets fetch {name}")
        return dataset.kind, found

    def run(self, served: ServedFile, name: str) -> dict:
        """Evaluate one file on one set (see the module docstring for what comes back)."""
        kind, path = self._path(name)
        if kind == "analogies":
            return {"set": name, "kind": kind, "file": served.id, **analogy_report(served, path)}
        return {"set": name, "kind": kind, "file": served.id, **pairs_report(served, path)}

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.remove()


def analogy_report(served: ServedFile, path: Path) -> dict:
    """`cbow evaluate --json`'s numbers and, per method, the questions answered wrong."""
    result = evaluate_word_analogies(served.kv, path, restrict_vocab=ANALOGY_RESTRICT_VOCAB)
    report = result.to_dict()
    wrong = {}
    for method, hits in result.outcomes.items():
        predictions = result.predictions[method]
        wrong[method] = [{"section": str(result.section_labels[i]), "question": list(result.questions[i]),
                          "answer": predictions[i]} for i in np.flatnonzero(~hits).tolist()]
    return {**report, "wrong": wrong}


def pairs_report(served: ServedFile, path: Path) -> dict:
    """`cbow evaluate --json`'s correlations and every scored pair, worst-ranked first."""
    result = evaluate_word_pairs(served.kv, path, restrict_vocab=PAIRS_RESTRICT_VOCAB)
    human_rank = scipy.stats.rankdata(result.human) if len(result.human) else np.empty(0)
    model_rank = scipy.stats.rankdata(result.model) if len(result.model) else np.empty(0)
    order = np.argsort(-np.abs(human_rank - model_rank), kind="stable")
    items = [{"pair": list(result.pairs[i]), "human": float(result.human[i]), "model": round(float(result.model[i]), 6),
              "human_rank": float(human_rank[i]), "model_rank": float(model_rank[i])} for i in order.tolist()]
    return {**result.to_dict(), "items": items}
