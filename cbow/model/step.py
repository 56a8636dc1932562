"""One SGD step on a minibatch: mean of context rows -> objective -> sparse updates.

The step composes the pure pieces (model's mean, an objective's forward/backward) with
the sparse kernels of `sparse_ops`:

    h       = A @ W_in                          A: (B x V) CSR, entries 1/C
    loss, cache = objective.forward(h, W_out, ...)
    grad_h, (row_ids, grad_rows) = objective.backward(cache)
    W_out[row_ids] -= lr_out * grad_rows        (scatter-add, repeats add)
    W_in          -= lr_in * U^T @ grad_h       U = A (mean, exact)  or  U = mask (word2vec)

`cbow_update="mean"` applies the exact gradient through the average, (1/C) dL/dh to each
context row. `cbow_update="word2vec"` applies the full dL/dh to every context row, as
word2vec.c's and gensim's CBOW do: C times the true gradient, kept for comparison only
(so the objectives and `model.hidden_backward` stay exact and gradient-checked).

Both gradients are computed from the weights before either update, then applied with
the per-example learning rate, summed over the batch (DESIGN.md §3, SGD).

**Repeat guard (a step size, not a gradient change).** A row of W_in that occurs in many
examples of one batch receives all their gradients at once, computed at the same point;
one-example-at-a-time SGD would have corrected course after each. For row r let

    n_r = sum over the batch's context slots of r of 1/C_b     (= dh_sum / dW_in[r])

which counts the row's occurrences in the batch's stretch of text: each occurrence of a
word is the context of the targets within their (random) windows, and its weights 1/C_b
over those targets sum to 1 in expectation. With `repeat_guard` = p the W_in update is

    W_in[r] -= lr_in * max(1, n_r)^(-p) * sum_{slots of r} w_b dL/dh_b
               w_b = 1/C_b (mean)  or  1 (word2vec)

i.e. the exact summed gradient times a per-row step size: p = 0 is plain summed SGD,
p = 1 averages a row's gradients over its occurrences (a word seen 300 times in the batch
moves like one seen once), p = 0.5 sits between. `repeat_guard_out` = q does the same for
W_out, where a row's count m_r is its number of output slots in the batch (each slot
scores the row against one h with coefficient 1):

    W_out[r] -= lr_out * max(1, m_r)^(-q) * sum_{slots m of r} g_m h_b(m)

This matters most for hierarchical softmax: the root of the Huffman tree is on every
example's path (m_root = B) and the nodes below it on half, a quarter, ... of them.
The gradients themselves (objectives, `model.hidden_backward`) are unchanged and
gradient-checked with the guards off; the guards are the trainer's optimizer choice
(TrainConfig.repeat_guard, repeat_guard_out). The dense full-softmax update is not guarded.

**Context power (a step size per example, not a gradient change).** With `context_power`
q the mean update moves each context row of example b by

    W_in[c] -= lr_in * C_b^(1-q) * (1/C_b) dL/dh_b  =  lr_in * C_b^(-q) dL/dh_b

the exact gradient (1/C_b) dL/dh_b, stepped with a learning rate that grows as C_b^(1-q):
q = 1 is plain SGD on the exact gradient, q = 0 gives each row the full dL/dh (the size
of word2vec's rule), values between mix the two. The exact update gives an example with a
wide window (C = 10) a fifth of the W_in step of one with C = 2, which costs analogies
(wide windows carry topical, "semantic" context); q = 0.75 (the default) wins most of
them back and keeps the similarity scores (measured: docs/quality.md#the-context-power).

`sgd_step` is the reference: it runs the objectives' pure forward/backward. `fused_step`
computes the same update in fewer passes (cbow.model.logistic_step for NS and HS,
cbow.model.softmax_step for the full softmax); tests check that the two agree, and the trainer
uses the fused one unless gradients are clipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from cbow.model import sparse_ops
from cbow.data.huffman import HuffmanPaths, HuffmanTree
from cbow.model.logistic_step import Workspace, hs_slots, logistic_step, ns_slots
from cbow.model.hidden import apply_row_grads
from cbow.model.noise import AliasSampler
from cbow.model.objectives import full_softmax, hierarchical_softmax, negative_sampling
from cbow.model.softmax_step import softmax_step
from cbow.data.vocab import Vocab
from cbow.data.windows import Batch

CBOW_UPDATES = ("mean", "word2vec")


@dataclass(frozen=True)
class OutputLayer:
    """What the objective needs besides h and W_out: its name and its lookup tables.

    Attributes
    ----------
    objective : "ns", "hs" or "softmax"
    negative : K, noise words per example (NS only)
    noise_cdf : (V,) float64 cumulative noise distribution (NS without a sampler)
    huffman_paths : the vocabulary's Huffman paths flattened (HS only; what the fused step
        reads); `huffman` pads them on first use
    noise_sampler : alias table of the noise distribution (NS); when set, both step paths
        draw the noise words from it (faster than `noise_cdf`, same distribution)
    """

    objective: str
    negative: int = 0
    noise_cdf: np.ndarray | None = None
    huffman_paths: HuffmanPaths | None = None
    noise_sampler: AliasSampler | None = None

    @cached_property
    def huffman(self) -> HuffmanTree | None:
        """The Huffman paths padded (HS; None otherwise): the reference step, likelihoods and
        --init-from index paths by depth. Made on first use (5 V L bytes, 22 MiB for 150k
        words), so a run that never asks does not hold it."""
        return None if self.huffman_paths is None else self.huffman_paths.tree()

    def draw_noise(self, n_examples: int, rng: np.random.Generator) -> np.ndarray:
        """(n_examples, K) int32 noise ids from the sampler, or from the CDF without one."""
        if self.noise_sampler is not None:
            return self.noise_sampler.draw((n_examples, self.negative), rng)
        return draw_negatives(self.noise_cdf, (n_examples, self.negative), rng)


NOISE_POWER = 0.75  # noise distribution of NS: unigram counts ^ 0.75 (word2vec.c; TrainConfig.ns_exponent)


def build_output_layer(vocab: Vocab, objective: str, negative: int = 0,
                       noise_power: float = NOISE_POWER) -> tuple[OutputLayer, int]:
    """The objective's lookup tables for `vocab`, and the number of W_out rows it needs
    (V for NS and the full softmax, V - 1 inner Huffman nodes for HS). NS draws its noise
    words from count^noise_power, normalised."""
    if objective == "ns":
        # the alias table only: both steps draw from it (a CDF beside it would be 8 bytes a word more)
        sampler = AliasSampler.from_probabilities(vocab.noise_distribution(noise_power))
        return OutputLayer("ns", negative=negative, noise_sampler=sampler), len(vocab)
    if objective == "hs":
        return OutputLayer("hs", huffman_paths=vocab.huffman_paths()), len(vocab) - 1
    return OutputLayer("softmax"), len(vocab)


def draw_negatives(noise_cdf: np.ndarray, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Noise word ids drawn from the distribution whose CDF is `noise_cdf`, int32 of `shape`."""
    uniform = rng.random(shape)
    ids = np.searchsorted(noise_cdf, uniform, side="right")
    return np.minimum(ids, len(noise_cdf) - 1).astype(np.int32)


def objective_loss_and_grads(
    h: np.ndarray,
    W_out: np.ndarray,
    target_ids: np.ndarray,
    output: OutputLayer,
    rng: np.random.Generator,
):
    """Run the chosen objective's forward and backward on a batch.

    Returns
    -------
    loss : float, summed over the batch
    grad_h : (B, d)
    row_grads : (row_ids or None, grad_rows) for W_out
    """
    if output.objective == "ns":
        negative_ids = output.draw_noise(len(target_ids), rng)
        loss, cache = negative_sampling.forward(h, W_out, target_ids, negative_ids)
        grad_h, row_grads = negative_sampling.backward(cache)
    elif output.objective == "hs":
        tree = output.huffman
        path_nodes, path_codes, path_mask = hierarchical_softmax.paths_for(
            target_ids, tree.codes, tree.points, tree.lengths
        )
        loss, cache = hierarchical_softmax.forward(h, W_out, path_nodes, path_codes, path_mask)
        grad_h, row_grads = hierarchical_softmax.backward(cache)
    elif output.objective == "softmax":
        loss, cache = full_softmax.forward(h, W_out, target_ids)
        grad_h, row_grads = full_softmax.backward(cache)
    else:
        raise ValueError(f"unknown objective {output.objective!r}")
    return float(loss), grad_h, row_grads


def clip_rows(grad: np.ndarray, max_norm: float) -> np.ndarray:
    """Scale each row of `grad` down to L2 norm <= max_norm (rows below are unchanged)."""
    norms = np.sqrt(np.einsum("ij,ij->i", grad, grad))
    scale = np.minimum(1.0, max_norm / np.maximum(norms, 1e-30)).astype(grad.dtype)
    return grad * scale[:, None]


def repeat_scale(row_ids: np.ndarray, weights: np.ndarray | None, power: float, dtype=None) -> np.ndarray:
    """max(1, n_r)^(-power) of each slot's row r (module docstring, repeat guard).

    Parameters
    ----------
    row_ids : (M,) int, the row of each slot
    weights : (M,) float or None
        Each slot's coefficient: 1/C of its example for W_in's context slots (so n_r
        counts occurrences); None counts every slot as 1 (W_out's output slots).
    power : p >= 0
    dtype : of the result (default: that of `weights`, float64 without them)

    Returns
    -------
    (M,) array; all ones when power is 0
    """
    dtype = dtype or (weights.dtype if weights is not None else np.float64)
    if power == 0:
        return np.ones(len(row_ids), dtype=dtype)
    counts = np.bincount(row_ids, weights=weights)  # n_r (float64 with weights, int64 without)
    if weights is None:  # counts of present rows are >= 1; float32 maths is enough for them
        scale = counts[row_ids].astype(dtype)
        if power == 1:  # HS's default: a reciprocal, not a pow (this runs every batch)
            return np.reciprocal(scale, out=scale)
        return np.power(scale, -power, out=scale)
    return (np.maximum(counts[row_ids], 1.0) ** -power).astype(dtype)


def in_update_weights(mean_weights: np.ndarray, context_flat: np.ndarray, lr_in: float,
                      cbow_update: str, repeat_guard: float = 0.0, context_power: float = 1.0,
                      n_context: np.ndarray | None = None, in_row_scale: np.ndarray | None = None) -> np.ndarray:
    """The W_in update's weight of each context slot, rate and sign folded in.

    -lr_in/C (mean) or -lr_in (word2vec), times the repeat guard's per-row scale. With
    `context_power` q < 1 the mean update's weight is -lr_in * C^(1-q) / C = -lr_in C^-q
    (module docstring, context power). (M,) dtype of mean_weights.

    in_row_scale : (V,) float, optional
        A factor per row of W_in (gensim's vectors_lockf): 0 freezes a row (its slots
        get weight 0, so the scatter-add leaves it bit for bit as it was), 1 trains it.

    n_context : (B,) int, optional
        The examples' context counts, when `mean_weights` is their 1/C repeated C times
        (as the steps build it): the power is then taken once per example, not per slot
        (a pow costs far more than a multiply, and this runs every batch), with the same result.
    """
    dtype = mean_weights.dtype
    if cbow_update == "mean":
        if context_power == 1:
            in_weights = mean_weights * dtype.type(-lr_in)
        elif n_context is not None:
            per_example = np.power((1.0 / n_context).astype(dtype), dtype.type(context_power))
            per_example *= dtype.type(-lr_in)
            in_weights = np.repeat(per_example, n_context)
        else:
            in_weights = np.power(mean_weights, dtype.type(context_power)) * dtype.type(-lr_in)
    elif cbow_update == "word2vec":
        in_weights = np.full(len(mean_weights), -lr_in, dtype=dtype)
    else:
        raise ValueError(f"unknown cbow_update {cbow_update!r}")
    if repeat_guard:
        in_weights *= repeat_scale(context_flat, mean_weights, repeat_guard)
    if in_row_scale is not None:
        in_weights *= in_row_scale[context_flat].astype(dtype, copy=False)
    return in_weights


def sgd_step(
    W_in: np.ndarray,
    W_out: np.ndarray,
    batch: Batch,
    output: OutputLayer,
    lr_in: float,
    lr_out: float,
    rng: np.random.Generator,
    cbow_update: str = "mean",
    clip_grad: float | None = None,
    repeat_guard: float = 0.0,
    repeat_guard_out: float = 0.0,
    context_power: float = 1.0,
    in_row_scale: np.ndarray | None = None,
) -> float:
    """Apply one minibatch SGD step in place; return the batch's summed loss.

    Parameters
    ----------
    W_in : (V, d) float32, updated in place
    W_out : (V, d) or (V-1, d) float32, updated in place
    batch : the examples (targets, contexts in CSR form)
    output : objective and its tables
    lr_in, lr_out : learning rates of W_in and W_out (per example; the batch's
        gradients are summed, as word2vec applies them one example at a time)
    rng : draws the noise words (NS)
    cbow_update : "mean" (exact) or "word2vec" (full dL/dh to every context row)
    clip_grad : if set, each example's dL/dh and each W_out row gradient is clipped
        to this L2 norm before the update
    repeat_guard : power p of W_in's per-row step scale max(1, n_r)^(-p) (module
        docstring); 0 = off, the plain summed gradient
    repeat_guard_out : the same for W_out's rows (sparse objectives; not the dense softmax)
    context_power : q of the mean update's W_in step lr_in * C^-q dL/dh (module docstring);
        1 = plain SGD on the exact gradient; ignored by the word2vec rule
    in_row_scale : (V,) factor of each W_in row's update, 0 = frozen (`in_update_weights`)
    """
    dtype = W_in.dtype
    inv_n_context = (1.0 / batch.n_context).astype(dtype)
    mean_weights = np.repeat(inv_n_context, batch.n_context)
    h = sparse_ops.gather_rows(W_in, batch.context_indptr, batch.context_flat, mean_weights)

    loss, grad_h, (row_ids, grad_rows) = objective_loss_and_grads(
        h, W_out, batch.target_ids, output, rng
    )
    if clip_grad is not None:
        grad_h = clip_rows(grad_h, clip_grad)
        grad_rows = clip_rows(grad_rows, clip_grad)

    if repeat_guard_out and row_ids is not None:
        grad_rows = grad_rows * repeat_scale(row_ids, None, repeat_guard_out, grad_rows.dtype)[:, None]
    apply_row_grads(W_out, (row_ids, grad_rows), -lr_out)

    in_weights = in_update_weights(mean_weights, batch.context_flat, lr_in, cbow_update, repeat_guard,
                                   context_power, batch.n_context, in_row_scale)
    sparse_ops.scatter_add_rows(W_in, batch.context_indptr, batch.context_flat, in_weights, grad_h)
    return loss


def fused_step(
    W_in: np.ndarray,
    W_out: np.ndarray,
    batch: Batch,
    output: OutputLayer,
    lr_in: float,
    lr_out: float,
    rng: np.random.Generator,
    cbow_update: str,
    workspace: Workspace,
    repeat_guard: float = 0.0,
    repeat_guard_out: float = 0.0,
    context_power: float = 1.0,
    in_row_scale: np.ndarray | None = None,
) -> float:
    """`sgd_step` without clipping, fused (cbow.model.logistic_step, cbow.model.softmax_step); same update,
    the repeat guards and the context power included (the full softmax's dense W_out update has no row guard, as
    in `sgd_step`).

    Draws the same noise words from `rng` as `sgd_step` does. `workspace` holds the
    buffers reused from batch to batch (`Workspace(d, W_in.dtype)`).
    """
    dtype = W_in.dtype
    inv_n_context = (1.0 / batch.n_context).astype(dtype)
    mean_weights = np.repeat(inv_n_context, batch.n_context)
    in_weights = in_update_weights(mean_weights, batch.context_flat, lr_in, cbow_update, repeat_guard,
                                   context_power, batch.n_context, in_row_scale)
    if output.objective == "ns":
        noise_ids = output.draw_noise(len(batch), rng)
        slots = ns_slots(batch.target_ids, noise_ids, dtype)
    elif output.objective == "hs":
        slots = hs_slots(batch.target_ids, output.huffman_paths, dtype)
    elif output.objective == "softmax":
        return softmax_step(W_in, W_out, batch.context_indptr, batch.context_flat, mean_weights,
                            in_weights, batch.target_ids, lr_out, workspace)
    else:
        raise ValueError(f"the fused step covers ns, hs and softmax, not {output.objective!r}")
    out_scale = repeat_scale(slots.row_ids, None, repeat_guard_out, dtype) if repeat_guard_out else None
    return logistic_step(W_in, W_out, batch.context_indptr, batch.context_flat, mean_weights,
                         in_weights, slots, lr_out, workspace, out_scale)
