"""The child process that computes one t-SNE or UMAP map: `python -m cbow.explore.layout_child METHOD OUT`.

It reads an (n, d) float32 .npy of unit vectors on stdin, writes the (n, 2) float32
coordinates to OUT (atomically, through cbow.atomic) and reports on stdout, one JSON
object a line:

    {"progress": 0.42, "message": "t-SNE iteration 420 of 1000"}
    {"done": true}                      or      {"error": "..."} (and exit status 1)

The libraries report their progress by printing (scikit-learn's TSNE with verbose=2:
"[t-SNE] Iteration 50: ..."; umap-learn's epochs through tqdm). While they run, their
stdout is a reader of those lines (this process is theirs alone); the protocol goes to
the original stdout. Both use a fixed random_state: one file, one picture.

Before t-SNE or UMAP the vectors are reduced to PCA_DIMENSIONS dimensions by PCA, as
scikit-learn's documentation advises for t-SNE (it removes noise and speeds up the
neighbour search); the unit vectors' Euclidean distances order neighbours as cosine does.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys

import numpy as np

PCA_DIMENSIONS = 50
TSNE_ITERATIONS = 1000
UMAP_EPOCHS = 200
NEIGHBOUR_SHARE = 0.1  # of the bar given to the neighbour search before the optimisation's own count


class _Reporter:
    """Writes protocol lines to the real stdout."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def send(self, **message) -> None:
        self.stream.write(json.dumps(message) + "\n")
        self.stream.flush()


class _LibraryOutput(io.TextIOBase):
    """What the libraries print, turned into progress: each match of `pattern` gives (done, total)."""

    def __init__(self, reporter: _Reporter, pattern: str, label: str, total: int | None = None) -> None:
        self.reporter, self.pattern, self.label, self.total = reporter, re.compile(pattern), label, total
        self.last = -1.0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        for match in self.pattern.finditer(text):
            done = int(match.group(1))
            total = int(match.group(2)) if match.lastindex and match.lastindex >= 2 else self.total
            if total:
                fraction = NEIGHBOUR_SHARE + (1 - NEIGHBOUR_SHARE) * min(1.0, done / total)
                if fraction - self.last >= 0.01 or done >= total:
                    self.last = fraction
                    self.reporter.send(progress=round(fraction, 4), message=f"{self.label} {done} of {total}")
        return len(text)


def _reduced(unit: np.ndarray) -> np.ndarray:
    if unit.shape[1] <= PCA_DIMENSIONS or len(unit) <= PCA_DIMENSIONS:
        return unit
    from sklearn.decomposition import PCA

    return PCA(n_components=PCA_DIMENSIONS, random_state=0).fit_transform(unit).astype(np.float32)


def tsne(unit: np.ndarray, reporter: _Reporter) -> np.ndarray:
    """scikit-learn's Barnes-Hut t-SNE, perplexity 30 (less for tiny maps), PCA initialisation."""
    from sklearn.manifold import TSNE

    reporter.send(progress=0.0, message="t-SNE: reducing to 50 dimensions and finding neighbours")
    reduced = _reduced(unit)
    perplexity = float(min(30.0, max(1.0, (len(unit) - 1) / 3)))
    model = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=0, verbose=2,
                 max_iter=TSNE_ITERATIONS)
    output = _LibraryOutput(reporter, r"\[t-SNE\] Iteration (\d+)", "t-SNE iteration", TSNE_ITERATIONS)
    with contextlib.redirect_stdout(output):
        return model.fit_transform(reduced)


def umap(unit: np.ndarray, reporter: _Reporter) -> np.ndarray:
    """umap-learn's UMAP, 15 neighbours, min_dist 0.1 (its defaults), 200 epochs."""
    import umap as umap_learn

    reporter.send(progress=0.0, message="UMAP: reducing to 50 dimensions and finding neighbours")
    reduced = _reduced(unit)
    output = _LibraryOutput(reporter, r"(\d+)/(\d+)", "UMAP epoch")
    model = umap_learn.UMAP(n_components=2, random_state=0, n_epochs=UMAP_EPOCHS, verbose=True,
                            tqdm_kwds={"file": output, "disable": False, "mininterval": 0.2})
    with contextlib.redirect_stdout(output):
        return model.fit_transform(reduced)


METHODS = {"tsne": tsne, "umap": umap}


def main(argv: list[str]) -> int:
    method, output = argv
    reporter = _Reporter(os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8"))
    try:
        unit = np.load(io.BytesIO(sys.stdin.buffer.read()), allow_pickle=False)
        coords = np.ascontiguousarray(METHODS[method](unit, reporter), dtype=np.float32)
        from cbow.atomic import atomic_write

        buffer = io.BytesIO()
        np.save(buffer, coords, allow_pickle=False)
        with atomic_write(output) as handle:
            handle.write(buffer.getvalue())
    except Exception as error:  # noqa: BLE001 (the parent shows it on the page)
        reporter.send(error=f"{type(error).__name__}: {error}")
        return 1
    reporter.send(done=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
