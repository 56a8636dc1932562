"""2-D maps of words: PCA of the top N by frequency (up to the whole vocabulary) or of a neighbourhood.

The map shows cosine geometry, so words enter as unit vectors. For the N chosen rows
x_i = W[r_i] / ||W[r_i]|| (a zero row stays zero), with d the vector size:

    mu     = (1/N) sum_i x_i                            (the mean, d)
    C      = (1/N) sum_i (x_i - mu)(x_i - mu)^T         (the covariance, d x d)
    C      = Q diag(lambda) Q^T                         (numpy.linalg.eigh; lambda ascending)
    a_k    = the eigenvector of the k-th largest lambda (k = 1, 2)
    p_ik   = (x_i - mu) . a_k                           (the coordinates sent to the page)
    explained_k = lambda_k / trace(C)                   (share of the variance on axis k)

Each axis's sign is fixed so that its largest-magnitude loading is positive (as
cbow.vectors.plot.pca_2d, whose SVD gives the same axes), so one file draws one picture.

The covariance of a d-dimensional cloud is d x d whatever N is: the rows are read in
blocks of BLOCK_ROWS (bounded memory, also for a memory-mapped 1M x 300 file), the mean
in one pass, C in a second (centred, so no large terms cancel), the coordinates in a
third. The eigendecomposition costs O(d^3), nothing next to the passes' O(N d^2).

t-SNE and UMAP maps (scikit-learn, umap-learn: the explore extra) run in a child process:
cbow.explore.layout_jobs.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

BLOCK_ROWS = 1 << 15
METHODS = ("pca", "tsne", "umap")
MODULE_OF = {"tsne": "sklearn", "umap": "umap"}  # the importable module each optional method needs
INSTALL_HINT = "pip install 'cbow[explore]'"


@dataclass(frozen=True)
class Layout:
    """Coordinates of some words on a 2-D map.

    rows : (n,) int64, the vectors' rows drawn, in the order of `coords`
    coords : (n, 2) float32
    explained : (2,) share of the variance on each PCA axis (None for t-SNE / UMAP)
    """

    rows: np.ndarray
    coords: np.ndarray
    explained: tuple[float, float] | None = None


def available_methods() -> dict[str, bool]:
    """Which map methods this Python can compute: PCA always; t-SNE, UMAP when installed."""
    found = {}
    for method in METHODS:
        module = MODULE_OF.get(method)
        try:
            found[method] = module is None or importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found[method] = False
    return found


def unit_rows(vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(len(rows), d) float32: the rows scaled to unit length (zero rows stay zero)."""
    block = np.array(vectors[rows], dtype=np.float32)
    norms = np.linalg.norm(block, axis=1, keepdims=True)
    block /= np.where(norms > 0, norms, 1.0)
    return block


def _blocks(rows: np.ndarray):
    for start in range(0, len(rows), BLOCK_ROWS):
        yield rows[start:start + BLOCK_ROWS]


def _sorted_for_reading(rows: np.ndarray) -> np.ndarray:
    """The same rows read in file order: a memory-mapped file is then read front to back."""
    return np.sort(rows)


def pca(vectors: np.ndarray, rows: np.ndarray) -> Layout:
    """PCA of the unit vectors of `rows` of a (V, d) matrix (see the module docstring).

    Parameters
    ----------
    vectors : (V, d) float array, possibly memory-mapped
    rows : (n,) int rows to place, n >= 1, in the order the coordinates are returned

    Returns
    -------
    Layout with (n, 2) float32 coordinates and the explained variance of each axis
    """
    rows = np.asarray(rows, dtype=np.int64)
    d = vectors.shape[1]
    reading = _sorted_for_reading(rows)
    total = np.zeros(d, dtype=np.float64)
    for block in _blocks(reading):
        total += unit_rows(vectors, block).sum(axis=0, dtype=np.float64)
    mean = total / len(rows)
    covariance = np.zeros((d, d), dtype=np.float64)
    for block in _blocks(reading):
        centred = unit_rows(vectors, block) - mean.astype(np.float32)
        covariance += (centred.T @ centred).astype(np.float64)  # float32 product, float64 sum of blocks
    covariance /= len(rows)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    axes = eigenvectors[:, ::-1][:, :2].T  # (k, d), largest variance first
    if axes.shape[0] < 2:
        axes = np.vstack([axes, np.zeros((2 - axes.shape[0], d))])
    largest = np.argmax(np.abs(axes), axis=1)
    signs = np.sign(axes[np.arange(2), largest])
    axes = axes * np.where(signs == 0, 1.0, signs)[:, None]
    coords = np.empty((len(rows), 2), dtype=np.float32)
    mean32, axes32 = mean.astype(np.float32), axes.T.astype(np.float32)
    for start in range(0, len(rows), BLOCK_ROWS):
        block = rows[start:start + BLOCK_ROWS]
        coords[start:start + len(block)] = (unit_rows(vectors, block) - mean32) @ axes32
    trace = float(np.trace(covariance))
    top = np.clip(eigenvalues[::-1][:2], 0, None)
    explained = tuple(float(value / trace) if trace > 0 else 0.0 for value in np.pad(top, (0, 2 - len(top))))
    return Layout(rows, coords, explained)
