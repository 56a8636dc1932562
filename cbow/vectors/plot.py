"""Pictures: a labelled 2-D PCA map of chosen words, and the training loss curve.

matplotlib is an optional extra (`pip install 'cbow[plot]'`); the math (`pca_2d`) needs
only numpy. PCA of the n chosen unit vectors X (n, d):

    Xc = X - mean(X)                   (centre the rows)
    Xc = U S V^T                       (thin SVD, numpy.linalg.svd)
    coords = Xc V[:, :2] = U[:, :2] S[:2]
    explained_k = S_k^2 / sum_j S_j^2  (share of the variance on axis k)

Each component's sign is fixed so that its largest-magnitude loading is positive, so
the same words draw the same picture on every run. Figures are drawn with matplotlib's
object API (no global pyplot state, no display needed) and written atomically.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cbow.errors import CbowError
from cbow.atomic import atomic_write

INSTALL_HINT = "pip install 'cbow[plot]'"


class MissingExtra(CbowError):
    """An optional dependency is not installed; the message says how to add it."""


def pca_2d(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project the rows of `matrix` (n, d) onto their first two principal axes.

    Returns
    -------
    coords : (n, 2) float64
    explained : (2,) float64, the share of variance on each axis (0 when there is none)
    """
    centred = np.asarray(matrix, dtype=np.float64)
    centred = centred - centred.mean(axis=0)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    components = components[:2]
    signs = np.sign(components[np.arange(len(components)), np.argmax(np.abs(components), axis=1)])
    components = components * np.where(signs == 0, 1.0, signs)[:, None]
    coords = centred @ components.T
    if coords.shape[1] < 2:  # a single dimension: pad so callers always get (n, 2)
        coords = np.hstack([coords, np.zeros((len(coords), 2 - coords.shape[1]))])
    variance = singular ** 2
    total = variance.sum()
    explained = np.zeros(2)
    explained[: min(2, len(variance))] = variance[:2] / total if total > 0 else 0.0
    return coords, explained


def _figure_module():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtra(f"drawing needs matplotlib; install it with: {INSTALL_HINT}") from None
    return Figure, FigureCanvasAgg


def _save(figure, canvas_class, path: str | Path) -> None:
    suffix = Path(path).suffix.lower().lstrip(".") or "png"
    buffer = io.BytesIO()
    canvas_class(figure)
    try:
        figure.savefig(buffer, format=suffix, dpi=150, bbox_inches="tight")
    except ValueError:
        raise CbowError(f"{path}: cannot draw a .{suffix} file; use .png, .svg or .pdf") from None
    with atomic_write(path, binary=suffix != "svg") as handle:  # no PNG or PDF bytes on a terminal
        handle.write(buffer.getvalue())


def plot_words(words: Sequence[str], vectors: np.ndarray, path: str | Path, pairs: bool = False,
               title: str | None = None) -> np.ndarray:
    """Draw the 2-D PCA map of `words` (their (n, d) `vectors`, unit-normalised here) to `path`.

    With `pairs`, arrows join words 1->2, 3->4, ... (e.g. capital -> country). Returns the
    (n, 2) coordinates drawn.
    """
    if len(words) < 2:
        raise CbowError("plot needs at least 2 words; name more words or use --top N")
    if pairs and len(words) % 2:
        raise CbowError(f"--pairs needs an even number of words, got {len(words)}")
    Figure, canvas_class = _figure_module()
    unit = np.asarray(vectors, dtype=np.float64)
    unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    coords, explained = pca_2d(unit)
    figure = Figure(figsize=(8, 6.5))
    axes = figure.add_subplot()
    if pairs:
        colours = ["tab:blue", "tab:orange"] * (len(words) // 2)
        for start in range(0, len(words), 2):
            (x0, y0), (x1, y1) = coords[start], coords[start + 1]
            axes.annotate("", xy=(x1, y1), xytext=(x0, y0),
                          arrowprops={"arrowstyle": "->", "color": "0.6", "lw": 1})
    else:
        colours = ["tab:blue"] * len(words)
    axes.scatter(coords[:, 0], coords[:, 1], c=colours, s=22, zorder=3)
    for word, (x, y) in zip(words, coords):
        axes.annotate(word, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=9, zorder=4)
    axes.set_xlabel(f"PC1 ({100 * explained[0]:.0f}% of variance)")
    axes.set_ylabel(f"PC2 ({100 * explained[1]:.0f}% of variance)")
    axes.set_title(title or f"{len(words)} words, PCA of unit vectors")
    axes.grid(True, alpha=0.3)
    _save(figure, canvas_class, path)
    return coords


HELDOUT_LABEL = "held-out cross-entropy (exact softmax, nats)"
TRAIN_LABEL = "training loss per example (the objective's, nats)"
LR_LABEL = "learning rate (W_out)"


def loss_figure(loss_history: Sequence, heldout_history: Sequence = (), title: str | None = None):
    """The loss-curve figure (a matplotlib Figure, not yet drawn to a file).

    Parameters
    ----------
    loss_history : `TrainResult.loss_history`, LossPoint(epoch, words_done, mean_loss, lr):
        the training loss (solid) and, on a second y axis, the learning rate (dashed)
    heldout_history : `TrainResult.heldout_history`, HeldoutPoint(words_done, nats,
        epoch_end, ...): the held-out cross-entropy on the training-loss axes, as one dotted
        line (HELDOUT_LABEL) with a marker per score, hollow every N words, filled after an
        epoch (those drawn again as markers only)
    title : the figure's title (default "training loss")

    The x axis is training words / words per epoch (epochs, bottom) and training words
    (top), so every curve is placed by the training words it had seen.

    Returns
    -------
    matplotlib.figure.Figure; its first axes hold the training loss and held-out lines,
    labelled TRAIN_LABEL and HELDOUT_LABEL
    """
    if not loss_history:
        raise CbowError("no loss was recorded (empty run); nothing to plot")
    Figure, _ = _figure_module()
    epochs = np.array([point.epoch for point in loss_history])
    words_done = np.array([point.words_done for point in loss_history], dtype=np.float64)
    words_per_epoch = max(words_done.max() / max(epochs.max(), 1), 1.0)
    figure = Figure(figsize=(8, 4.5))
    axes = figure.add_subplot()
    handles = axes.plot(words_done / words_per_epoch, [point.mean_loss for point in loss_history],
                        color="tab:blue", lw=1.4, label=TRAIN_LABEL)
    heldout = sorted(heldout_history, key=lambda point: point.words_done)
    if heldout:
        position = np.array([point.words_done for point in heldout], dtype=np.float64) / words_per_epoch
        nats = np.array([point.nats for point in heldout])
        handles += axes.plot(position, nats, color="tab:green", lw=1.2, ls=":", marker="o", markersize=4,
                             markerfacecolor="white", label=HELDOUT_LABEL)
        at_epoch_end = np.array([point.epoch_end for point in heldout], dtype=bool)
        filled = axes.plot(position[at_epoch_end], nats[at_epoch_end], ls="none", marker="o", markersize=5,
                           color="tab:green", label="held-out, end of an epoch")
        if not at_epoch_end.all():  # hollow markers too: say which is which
            handles += filled
    axes.set_xlabel("epoch")
    axes.set_ylabel("nats")
    axes.grid(True, alpha=0.3)
    top = axes.secondary_xaxis("top", functions=(lambda epoch: epoch * words_per_epoch,
                                                 lambda words: words / words_per_epoch))
    top.set_xlabel("training words")
    from matplotlib.ticker import EngFormatter

    top.xaxis.set_major_formatter(EngFormatter(sep=""))
    lr_axes = axes.twinx()
    handles += lr_axes.plot(words_done / words_per_epoch, [point.lr for point in loss_history],
                            color="tab:orange", lw=1, ls="--", label=LR_LABEL)
    lr_axes.set_ylabel(LR_LABEL, color="tab:orange")
    axes.legend(handles=handles, loc="best", fontsize=8, framealpha=0.9)
    axes.set_title(title or "training loss")
    return figure


def plot_loss(loss_history: Sequence, path: str | Path, title: str | None = None,
              heldout_history: Sequence = ()) -> None:
    """Draw `loss_figure(loss_history, heldout_history, title)` to `path` (.png/.svg/.pdf)."""
    figure = loss_figure(loss_history, heldout_history, title)
    _save(figure, _figure_module()[1], path)
