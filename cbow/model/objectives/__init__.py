"""Output objectives of CBOW: each module maps the hidden layer h to a loss and its gradients.

The contract every objective obeys
----------------------------------
- Two pure functions, no state on objects, no globals, no randomness (noise ids are drawn
  by the caller and passed in):

      forward(h, W_out, <targets...>) -> (loss, cache)
      backward(cache)                 -> (grad_h, row_grads)

- `loss` is a Python float: the SUM over the B examples of the per-example loss, so the
  gradients are the per-example gradients summed, i.e. the minibatch SGD step of
  DESIGN.md §3 (divide by B only to display a mean).
- `grad_h` is dL/dh, shape (B, d). `row_grads` is a `cbow.model.hidden.RowGrads`:
  (row_ids (M,) int, grad_rows (M, d)) for the rows of W_out the batch touched, ids
  repeated when touched more than once (scatter-add them with
  `cbow.model.hidden.apply_row_grads`), or (None, grad (n_rows, d)) for a dense gradient.
- `backward` is the exact derivative of the loss `forward` returned (gradient-checked in
  float64 in tests/objectives/), and neither function mutates its inputs or the cache, so
  `backward` may be called twice on one cache.
- dtype-agnostic: float32 in gives float32 gradients (training); float64 in gives float64
  (gradient checks). Nothing upcasts the (B, d) or (M, d) arrays.
- Each module's docstring states its loss and derivatives in plain text, its shapes and
  how it departs from word2vec.c.

OBJECTIVES maps the names used by the CLI and the config to the modules.
"""

from __future__ import annotations

from cbow.model.objectives import full_softmax, hierarchical_softmax, negative_sampling

OBJECTIVES = {
    "softmax": full_softmax,
    "ns": negative_sampling,
    "hs": hierarchical_softmax,
}

__all__ = ["OBJECTIVES", "full_softmax", "negative_sampling", "hierarchical_softmax"]
