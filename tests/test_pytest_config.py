"""The pytest configuration silences gensim's own DeprecationWarnings, and only those."""

import subprocess
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

PROBE = '''
import warnings

import numpy as np
from gensim.models import KeyedVectors


def test_gensim_calls_its_deprecated_api():
    kv = KeyedVectors(2)
    kv.add_vectors(["a", "b", "c"], np.eye(3, 2, dtype=np.float32) + 0.5)
    kv.most_similar_cosmul("a")  # calls the deprecated init_sims inside gensim, as evaluate_word_analogies does


def test_a_deprecation_of_ours():
    warnings.warn("probe: our own deprecation", DeprecationWarning)
'''


def test_gensim_deprecations_are_filtered_and_others_still_shown(tmp_path):
    (tmp_path / "test_probe.py").write_text(PROBE, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(PYPROJECT), "--rootdir", str(tmp_path), "-p", "no:cacheprovider",
         "-q", str(tmp_path / "test_probe.py")],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("..")  # both probes ran and passed
    assert "init_sims" not in run.stdout
    assert "probe: our own deprecation" in run.stdout
