"""Merging the nodes' models after a round, and the rows that travel each way.

Notation, per weight matrix (W_in, then W_out): B (V, d) float32 is the model every node
started the round from, W_n node n's model after the round, D_n = W_n - B its delta, and
T_n the rows node n changed (D_n's non-zero rows). N nodes, merged in node order 0..N-1.

    mean      M = B + (1/N) sum_n D_n
    touched   M_r = B_r + (sum_n D_n,r) / c_r,   c_r = #{n : r in T_n}   (rows no node
              changed stay B_r); SPARK-24666's fix for Spark MLlib's Word2Vec: a row one
              node trained keeps its whole delta instead of 1/N of it
    sum       M = B + sum_n D_n

Each node trains its round at `lr_scale` times the run's learning rate (schedule.py).
MERGES lists the two together. The mean at scale 1 is Spark's rule and the issue's
simulation showed it losing training (each node's steps count 1/N); the mean at scale N
gives each node's steps their full size on average, so N nodes taken together move the
model as far as one machine does over the same words.

The rule and scale this engine uses, `DEFAULT_MERGE` (the mean at scale N), were chosen
by measurement on real text (docs/cluster.md, "Choosing the merge"; scripts/bench_cluster.py
merges). bench-text8, one epoch, merges every 1M words, analogy / simlex: one machine
14.5% / 0.246; 2 nodes: mean x N 15.0% / 0.237, mean x 1 6.2% / 0.185, touched 6.2% /
0.184, sum 13.2% / 0.223; 4 nodes: mean x N 14.3% / 0.238, mean x 1 1.3%, touched 1.2%,
sum diverged (also at scale 1/4). Touched is the plain mean here because every node
moves nearly every row that matters; the sum overshoots because a node's delta of a
frequent row saturates within a round, so N of them add up to about N times the step.

With one node every rule returns W_0 itself, not B + (W_0 - B), which float32 does not
round back to W_0: a one-node run equals one process bit for bit.

What travels (`Rows`): a node returns the rows it changed, as their new values (not the
deltas), or the whole matrix when that is smaller (ids cost 4 bytes a row: the rows win
while fewer than V d / (d + 1) of them changed); the client sends back the rows that
changed in the merge (its new values), which each node applies to the copy of B it kept,
or the whole model to a node that has none (a fresh worker after a failure). Values are
copied, never recomputed, so the node's copy equals the client's model exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MERGE_RULES = ("mean", "touched", "sum")


@dataclass(frozen=True)
class Merge:
    """A merge rule and the scale of the nodes' learning rate that goes with it.

    Attributes
    ----------
    rule : "mean", "touched" or "sum" (module docstring)
    lr_scale : the nodes' learning rate is this times the run's; "n_nodes" scales by N
    """

    rule: str = "mean"
    lr_scale: float | str = "n_nodes"

    def __post_init__(self) -> None:
        if self.rule not in MERGE_RULES:
            raise ValueError(f"unknown merge rule {self.rule!r}; choose one of {', '.join(MERGE_RULES)}")
        if self.lr_scale != "n_nodes" and not (isinstance(self.lr_scale, (int, float)) and self.lr_scale > 0):
            raise ValueError(f"lr_scale must be > 0 or 'n_nodes', got {self.lr_scale!r}")

    def scale(self, n_nodes: int) -> float:
        """The nodes' learning-rate factor for a cluster of `n_nodes` (1.0 for one node)."""
        if n_nodes == 1:
            return 1.0
        return float(n_nodes) if self.lr_scale == "n_nodes" else float(self.lr_scale)

    def describe(self) -> str:
        scale = "lr x N" if self.lr_scale == "n_nodes" else f"lr x {self.lr_scale:g}"
        return f"{self.rule} ({scale})"


DEFAULT_MERGE = Merge("mean", "n_nodes")


@dataclass
class Rows:
    """Rows of a (n_rows, d) float32 matrix: all of them (`ids` None) or those listed.

    Attributes
    ----------
    ids : (k,) int32 sorted row ids, or None for the whole matrix
    values : (k, d) float32, or the whole (n_rows, d) matrix
    """

    ids: np.ndarray | None
    values: np.ndarray

    @classmethod
    def changed(cls, new: np.ndarray, old: np.ndarray) -> Rows:
        """The rows of `new` that differ from `old`, or all of `new` when that is smaller."""
        ids = changed_rows(new, old)
        if ids.size * (4 + new.itemsize * new.shape[1]) >= new.nbytes:
            return cls(None, new)
        return cls(ids, new[ids])

    @property
    def nbytes(self) -> int:
        return self.values.nbytes + (0 if self.ids is None else self.ids.nbytes)

    def apply(self, matrix: np.ndarray) -> None:
        """Write these rows into `matrix` (in place)."""
        if self.ids is None:
            matrix[...] = self.values
        else:
            matrix[self.ids] = self.values

    def row_ids(self, n_rows: int) -> np.ndarray:
        """The ids of the rows carried (all of them for a whole matrix)."""
        return np.arange(n_rows, dtype=np.int32) if self.ids is None else self.ids


def changed_rows(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Sorted int32 ids of the rows where `new` and `old` differ (bitwise, NaN included)."""
    differs = np.not_equal(new.view(np.uint32), old.view(np.uint32)).any(axis=1)
    return np.flatnonzero(differs).astype(np.int32)


def merge_matrix(base: np.ndarray, uploads: list[Rows], rule: str) -> np.ndarray:
    """The merged matrix M from the base B and every node's changed rows (module docstring).

    Parameters
    ----------
    base : (n_rows, d) float32, B
    uploads : one `Rows` per node, in node order: the rows it changed, as new values
    rule : "mean", "touched" or "sum"

    Returns
    -------
    (n_rows, d) float32: a new array; with one node, W_0 itself (B with its rows replaced)
    """
    if rule not in MERGE_RULES:
        raise ValueError(f"unknown merge rule {rule!r}")
    merged = base.copy()
    if len(uploads) == 1:  # W_0 exactly: no base + (W_0 - base) rounding
        uploads[0].apply(merged)
        return merged
    n_rows = base.shape[0]
    delta_sum = np.zeros_like(base)
    n_touched = np.zeros(n_rows, dtype=np.int32)
    for upload in uploads:  # node order: the float32 sums are the same on every run
        ids = upload.row_ids(n_rows)
        if upload.ids is None:
            ids = changed_rows(upload.values, base)
            delta_sum[ids] += upload.values[ids] - base[ids]
        else:
            delta_sum[ids] += upload.values - base[ids]
        n_touched[ids] += 1
    touched = np.flatnonzero(n_touched)
    if rule == "mean":
        merged[touched] += delta_sum[touched] / np.float32(len(uploads))
    elif rule == "touched":
        merged[touched] += delta_sum[touched] / n_touched[touched, None].astype(np.float32)
    else:
        merged[touched] += delta_sum[touched]
    return merged
