"""Pictures: PCA by SVD equals the covariance eigenvectors; images are written; missing extra."""

import sys

import numpy as np
import pytest

from cbow.cli import main
from cbow.vectors.plot import HELDOUT_LABEL, TRAIN_LABEL, MissingExtra, loss_figure, pca_2d, plot_loss, plot_words
from cbow.vectors import formats


def test_pca_matches_covariance_eigenvectors():
    rng = np.random.default_rng(0)
    points = rng.standard_normal((30, 5)) @ np.diag([5, 3, 1, 0.5, 0.1])
    coords, explained = pca_2d(points)
    centred = points - points.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(centred.T))
    top = eigenvectors[:, ::-1][:, :2]
    np.testing.assert_allclose(np.abs(coords), np.abs(centred @ top), atol=1e-9)
    np.testing.assert_allclose(explained, eigenvalues[::-1][:2] / eigenvalues.sum(), atol=1e-9)
    again, _ = pca_2d(points[::-1])  # signs are fixed: the same picture whatever the order
    np.testing.assert_allclose(again[::-1], coords, atol=1e-9)


def test_plot_words_and_loss_write_png(tmp_path):
    from cbow.training.run import LossPoint

    rng = np.random.default_rng(1)
    plot_words(["a", "b", "c", "d"], rng.standard_normal((4, 6)), tmp_path / "map.png", pairs=True)
    history = [LossPoint(1 + i // 10, 100 * (i + 1), 4.0 / (i + 1), 0.05 * (1 - i / 20)) for i in range(20)]
    plot_loss(history, tmp_path / "loss.svg")
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "loss.svg").read_bytes()[:400]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loss.svg", "map.png"]


def _heldout_points(words_per_epoch, every, epochs):
    """Held-out points as a run with --holdout-every `every` makes them."""
    from cbow.training.heldout import HeldoutPoint

    points = []
    for epoch in range(epochs):
        for words in range(epoch * words_per_epoch + every, (epoch + 1) * words_per_epoch, every):
            points.append(HeldoutPoint(words / words_per_epoch, words, 0.01, 2.0, 5.0 - words / 1e4, 150.0, 900,
                                       0.1, False))
        end = (epoch + 1) * words_per_epoch
        points.append(HeldoutPoint(epoch + 1.0, end, 0.01, 2.0, 5.0 - end / 1e4, 150.0, 900, 0.1, True))
    return points


def test_loss_figure_draws_the_heldout_points_against_training_words(tmp_path):
    from cbow.training.run import LossPoint

    words_per_epoch = 1000
    history = [LossPoint(1 + i // 10, 100 * (i + 1), 4.0 / (i + 1), 0.05 * (1 - i / 20)) for i in range(20)]
    heldout = _heldout_points(words_per_epoch, 300, epochs=2)  # 3 in-epoch points + 1 epoch end, twice
    figure = loss_figure(history, heldout[::-1])  # any order: drawn by training words
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    heldout_line = lines[HELDOUT_LABEL]
    assert len(heldout_line.get_xdata()) == len(heldout) == 8
    np.testing.assert_allclose(heldout_line.get_xdata(), [p.words_done / words_per_epoch for p in heldout])
    np.testing.assert_allclose(heldout_line.get_ydata(), [p.nats for p in heldout])
    assert heldout_line.get_linestyle() != lines[TRAIN_LABEL].get_linestyle()
    assert heldout_line.get_color() != lines[TRAIN_LABEL].get_color()
    assert len(lines[TRAIN_LABEL].get_xdata()) == len(history)
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert HELDOUT_LABEL in legend and TRAIN_LABEL in legend and any("learning rate" in t for t in legend)
    assert HELDOUT_LABEL not in {line.get_label() for line in loss_figure(history).axes[0].get_lines()}
    plot_loss(history, tmp_path / "loss.png", heldout_history=heldout)
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_plot_and_missing_matplotlib(tmp_path, monkeypatch, capsys):
    vectors = tmp_path / "v.txt"
    formats.save_word2vec_format(vectors, ["paris", "france", "berlin", "germany"],
                                 np.random.default_rng(2).standard_normal((4, 5)))
    assert main(["plot", str(vectors), "paris", "france", "berlin", "germany", "--pairs", "-o", str(tmp_path / "m.png")]) == 0
    assert (tmp_path / "m.png").exists()
    capsys.readouterr()
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(MissingExtra):
        plot_words(["a", "b"], np.eye(2), tmp_path / "x.png")
    assert main(["plot", str(vectors), "paris", "france", "-o", str(tmp_path / "x.png")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "pip install 'cbow[plot]'" in error
    assert not (tmp_path / "x.png").exists()
