"""Pictures: PCA by SVD equals the covariance eigenvectors; images are written; missing extra."""

import sys

import numpy as np
import pytest

from cbow.cli import main
from cbow.plot import MissingExtra, pca_2d, plot_loss, plot_words
from cbow import formats


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
    from cbow.train import LossPoint

    rng = np.random.default_rng(1)
    plot_words(["a", "b", "c", "d"], rng.standard_normal((4, 6)), tmp_path / "map.png", pairs=True)
    history = [LossPoint(1 + i // 10, 100 * (i + 1), 4.0 / (i + 1), 0.05 * (1 - i / 20)) for i in range(20)]
    plot_loss(history, tmp_path / "loss.svg")
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "loss.svg").read_bytes()[:400]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loss.svg", "map.png"]


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
