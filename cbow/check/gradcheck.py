"""Gradient check for users: the analytic gradients of a tiny model against central differences.

`cbow gradcheck` builds a tiny random CBOW model in float64 with the user's settings
(objective, cbow update, negative, window, size, vocabulary size) and compares, for each
matrix, the gradient the code computes with the numerical derivative of the loss

    numeric_i = (-L(x + 2 eps e_i) + 8 L(x + eps e_i) - 8 L(x - eps e_i) + L(x - 2 eps e_i))
                / (12 eps)                                          eps = 1e-3
    error     = max_i |a_i - n_i| / max(1e-8, 1e-6 max_j |n_j|, |a_i| + |n_i|)

over three matrices:

- h       dL/dh from the objective's `backward` (the loss of the objective alone);
- W_out   the touched rows of dL/dW_out, scattered into a dense matrix;
- W_in    dL/dW_in through the mean (`cbow.model.hidden.hidden_backward`), loss of the whole
          composition W_in -> h -> objective.

and then the update the TRAINER applies (`cbow.model.step.sgd_step` with lr = 1 on a float64
copy): `applied W_out` and `applied W_in` are (weights before - weights after), compared
with the same numerical gradients. With `--cbow-update mean` every row must pass. With
`--cbow-update word2vec` the applied W_in update is, by design, C times the true gradient
(word2vec.c's and gensim's rule, DESIGN.md §3), so that row fails as a gradient; the
report then shows, per example, the ratio of the applied update to the true gradient next
to C, the example's number of context words, and checks that ratio / C = 1 (the rule is
tested too: it is word2vec.c's rule exactly, not some other multiple).

The tiny model: W_in ~ N(0, 1), W_out ~ N(0, 1/d) (scores of order 1; word2vec's init has W_out = 0, where every
gradient of W_in vanishes and the check would prove nothing), B examples whose contexts
have a dynamic window b ~ U{1..w} like training, repeated context ids within and across
examples, one example with a single context word, and for NS noise words drawn from a
count^0.75 table plus a repeated noise id and a noise id equal to the target.

Fourth order, not the two-point rule of tests/gradcheck.py: its rounding error (~1e-10 |L|
absolute at eps = 1e-6) fails entries whose gradient is ~1e-5 by cancellation, which random
models of any seed produce; at eps = 1e-3 this stencil errs ~1e-13 |L|. For the same reason the denominator
has a floor of 1e-6 times the matrix's largest entry (STYLE.md §8's measure has 1e-8):
an entry that is ~0 by cancellation is judged on the scale of the matrix, not its own.

Cost: 4 forward passes per checked entry; matrices larger than `max_entries` entries are
checked on a seeded random sample of that many entries.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field

import numpy as np

from cbow.errors import ConfigError
from cbow.check.finite_diff import EPS, numerical_gradient, relative_error
from cbow.model.hidden import apply_row_grads, hidden_backward, hidden_forward
from cbow.model.objectives import OBJECTIVES, hierarchical_softmax
from cbow.model.step import CBOW_UPDATES, OutputLayer, draw_negatives, sgd_step
from cbow.data.huffman import huffman_paths
from cbow.data.windows import Batch

__all__ = [
    "GradcheckSettings",
    "MatrixCheck",
    "GradcheckReport",
    "run_gradcheck",
    "format_report",
]

TOLERANCE = 1e-6
RELATIVE_FLOOR = 1e-6  # denominators below this fraction of the largest entry are raised


@dataclass(frozen=True)
class GradcheckSettings:
    """What the tiny model is built with (the `cbow gradcheck` flags).

    Attributes
    ----------
    objective : "ns", "hs" or "softmax"
    cbow_update : "mean" (exact) or "word2vec" (classic rule, C times the gradient)
    negative : K noise words per example (NS only)
    window : maximum window w; contexts hold up to 2w words
    size : vector size d
    vocab_size : V (>= 3)
    n_examples : B, examples in the batch (>= 2)
    seed : seed of the model, contexts and noise draws
    max_entries : check at most this many entries per matrix (a seeded sample)
    tolerance : the largest relative error that passes
    """

    objective: str = "ns"
    cbow_update: str = "mean"
    negative: int = 5
    window: int = 5
    size: int = 5
    vocab_size: int = 12
    n_examples: int = 4
    seed: int = 0
    max_entries: int = 2000
    tolerance: float = TOLERANCE

    def __post_init__(self) -> None:
        checks = [
            (self.objective in OBJECTIVES, f"unknown --objective {self.objective!r}; choose ns, hs or softmax"),
            (self.cbow_update in CBOW_UPDATES, f"unknown --cbow-update {self.cbow_update!r}; choose mean or word2vec"),
            (self.objective != "ns" or self.negative >= 1, f"--objective ns needs --negative >= 1, got {self.negative}"),
            (self.window >= 1, f"--window must be >= 1, got {self.window}"),
            (self.size >= 1, f"--size must be >= 1, got {self.size}"),
            (self.vocab_size >= 3, f"--vocab-size must be >= 3, got {self.vocab_size}"),
            (self.n_examples >= 2, f"--examples must be >= 2, got {self.n_examples}"),
            (self.max_entries >= 1, f"--max-entries must be >= 1, got {self.max_entries}"),
            (self.tolerance > 0, f"--tolerance must be > 0, got {self.tolerance}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)


@dataclass(frozen=True)
class MatrixCheck:
    """One line of the report: a matrix, its max relative error, and whether it passed.

    `expected_to_fail` marks the applied W_in update of the word2vec rule, which is not a
    gradient by design; it does not make the whole check fail.
    """

    name: str
    max_relative_error: float
    n_entries: int
    passed: bool
    expected_to_fail: bool = False
    norm_relative_error: float = 0.0  # |a - n| / (|a| + |n|) over the whole matrix


@dataclass
class GradcheckReport:
    """All checks of one run and, for the word2vec update, the per-example ratios."""

    settings: GradcheckSettings
    checks: list[MatrixCheck] = field(default_factory=list)
    n_context: np.ndarray | None = None  # (B,) int: C of each example
    update_ratios: np.ndarray | None = None  # (B,) float: |applied W_in| / |true grad|

    @property
    def passed(self) -> bool:
        """True when every check that should pass did."""
        return all(check.passed for check in self.checks if not check.expected_to_fail)


# --- the tiny model ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _TinyProblem:
    W_in: np.ndarray  # (V, d) float64
    W_out: np.ndarray  # (V, d) or (V-1, d) float64
    context_ids: np.ndarray  # (B, 2w) int32
    context_mask: np.ndarray  # (B, 2w) bool
    target_ids: np.ndarray  # (B,) int32
    output: OutputLayer
    noise_seed: int


def _tiny_contexts(settings: GradcheckSettings, rng: np.random.Generator):
    """Contexts with a dynamic window, repeats within/across examples, and one C = 1 example."""
    V, w, B = settings.vocab_size, settings.window, settings.n_examples
    offsets = np.concatenate([np.arange(-w, 0), np.arange(1, w + 1)])
    reduced = rng.integers(1, w + 1, size=B)  # b ~ U{1..w}, as training draws it
    context_mask = np.abs(offsets)[None, :] <= reduced[:, None]
    # a sentence start cuts the left side of example 1, leaving one word: C = 1
    context_mask[1] = False
    context_mask[1, w] = True
    pool = rng.choice(np.arange(1, V), size=max(2, (V - 1) // 2), replace=False)
    context_ids = rng.choice(pool, size=(B, 2 * w)).astype(np.int32)  # a small pool: repeats
    context_ids[0, :2] = context_ids[0, -1]  # a repeat within example 0 (when w allows)
    context_ids[-1, w] = context_ids[0, w]  # an id shared across examples
    context_ids = np.where(context_mask, context_ids, 0).astype(np.int32)  # padding is 0
    return context_ids, context_mask


def _build_problem(settings: GradcheckSettings) -> _TinyProblem:
    rng = np.random.default_rng([settings.seed, 8])
    V, d, B = settings.vocab_size, settings.size, settings.n_examples
    counts = np.sort(rng.integers(1, 1000, size=V))[::-1]  # a vocabulary sorted by count
    n_out_rows = V - 1 if settings.objective == "hs" else V
    W_in = rng.normal(size=(V, d))
    # std 1/sqrt(d) keeps every score u . h of order 1 whatever d: saturated sigmoids would
    # make gradients tiny and the check a test of rounding noise
    W_out = rng.normal(size=(n_out_rows, d)) / np.sqrt(d)
    context_ids, context_mask = _tiny_contexts(settings, rng)
    target_ids = rng.integers(0, V, size=B).astype(np.int32)
    target_ids[-1] = target_ids[0]  # a W_out row shared across examples
    if settings.objective == "ns":
        noise = counts.astype(np.float64) ** 0.75
        noise_cdf = np.cumsum(noise / noise.sum())
        output = OutputLayer("ns", negative=settings.negative, noise_cdf=noise_cdf)
    elif settings.objective == "hs":
        output = OutputLayer("hs", huffman_paths=huffman_paths(counts))
    else:
        output = OutputLayer("softmax")
    return _TinyProblem(W_in, W_out, context_ids, context_mask, target_ids, output,
                        noise_seed=int(rng.integers(2**31)))


def _negatives(problem: _TinyProblem, settings: GradcheckSettings) -> np.ndarray:
    """The noise ids sgd_step draws from a fresh generator seeded with `noise_seed`."""
    rng = np.random.default_rng(problem.noise_seed)
    return draw_negatives(problem.output.noise_cdf, (settings.n_examples, settings.negative), rng)


def _objective_args(problem: _TinyProblem, settings: GradcheckSettings, negative_ids) -> tuple:
    if settings.objective == "ns":
        return (problem.target_ids, negative_ids)
    if settings.objective == "hs":
        tree = problem.output.huffman
        return hierarchical_softmax.paths_for(problem.target_ids, tree.codes, tree.points, tree.lengths)
    return (problem.target_ids,)


def _batch(context_ids: np.ndarray, context_mask: np.ndarray, target_ids: np.ndarray) -> Batch:
    """The tiny examples in the form the training step consumes."""
    n_context = context_mask.sum(axis=1).astype(np.int32)
    indptr = np.zeros(len(n_context) + 1, dtype=np.int32)
    np.cumsum(n_context, out=indptr[1:])
    return Batch(target_ids=target_ids, context_ids=context_ids, context_mask=context_mask,
                 n_context=n_context, context_indptr=indptr,
                 context_flat=context_ids[context_mask].astype(np.int32), words_done=len(target_ids))


def _dense(n_rows: int, row_grads) -> np.ndarray:
    d = row_grads[1].shape[1]
    out = np.zeros((n_rows, d))
    apply_row_grads(out, row_grads, 1.0)
    return out


def _sample_entries(size: int, max_entries: int, rng: np.random.Generator) -> np.ndarray | None:
    if size <= max_entries:
        return None
    return np.sort(rng.choice(size, size=max_entries, replace=False))


def _compare(name: str, analytic: np.ndarray, numeric: np.ndarray, entries, tolerance: float,
             expected_to_fail: bool = False) -> MatrixCheck:
    if entries is not None:
        analytic, numeric = analytic.reshape(-1)[entries], numeric.reshape(-1)[entries]
    # entries a millionth of the largest one are compared on the largest one's scale: a
    # gradient that is ~0 by cancellation has no digits the differences could resolve
    # (they err by ~1e-13 |L| absolute), while a wrong sign or factor shows on large entries
    floor = max(1e-8, RELATIVE_FLOOR * float(np.max(np.abs(numeric), initial=0.0)))
    error = relative_error(analytic, numeric, floor)
    norm_error = float(np.linalg.norm(analytic - numeric)
                       / max(1e-300, np.linalg.norm(analytic) + np.linalg.norm(numeric)))
    return MatrixCheck(name, error, int(np.size(analytic)), error < tolerance, expected_to_fail,
                       norm_error)


def run_gradcheck(settings: GradcheckSettings, objective: types.ModuleType | None = None) -> GradcheckReport:
    """Check every gradient of a tiny float64 model built with `settings`.

    Parameters
    ----------
    settings : GradcheckSettings
    objective : module with `forward` and `backward`, optional
        Replaces the objective module of `settings.objective` for the analytic gradients
        (tests pass a deliberately broken one); the applied-update checks are skipped then,
        because the trainer always uses the real module.

    Returns
    -------
    GradcheckReport
        `checks` holds h, W_out, W_in and (with the real objective) applied W_out and
        applied W_in; `passed` is False if any check that should pass failed.
    """
    problem = _build_problem(settings)
    module = objective if objective is not None else OBJECTIVES[settings.objective]
    negative_ids = _negatives(problem, settings) if settings.objective == "ns" else None
    objective_args = _objective_args(problem, settings, negative_ids)
    W_in, W_out = problem.W_in.copy(), problem.W_out.copy()
    context_ids, context_mask = problem.context_ids, problem.context_mask
    sample_rng = np.random.default_rng([settings.seed, 9])
    tol = settings.tolerance

    # analytic: hidden_forward -> objective forward/backward -> hidden_backward
    h, hidden_cache = hidden_forward(W_in, context_ids, context_mask)
    _, cache = module.forward(h, W_out, *objective_args)
    grad_h, out_row_grads = module.backward(cache)
    grad_W_out = _dense(W_out.shape[0], out_row_grads)
    grad_W_in = _dense(W_in.shape[0], hidden_backward(grad_h, hidden_cache))

    def loss_of_weights() -> float:
        h_now, _ = hidden_forward(W_in, context_ids, context_mask)
        return module.forward(h_now, W_out, *objective_args)[0]

    h_perturbed = np.ascontiguousarray(h.copy())

    def loss_of_h() -> float:
        return module.forward(h_perturbed, W_out, *objective_args)[0]

    entries_h = _sample_entries(h.size, settings.max_entries, sample_rng)
    entries_out = _sample_entries(W_out.size, settings.max_entries, sample_rng)
    entries_in = _sample_entries(W_in.size, settings.max_entries, sample_rng)
    numeric_h = numerical_gradient(loss_of_h, h_perturbed, entries=entries_h)
    numeric_W_out = numerical_gradient(loss_of_weights, W_out, entries=entries_out)
    numeric_W_in = numerical_gradient(loss_of_weights, W_in, entries=entries_in)
    report = GradcheckReport(settings)
    report.checks += [
        _compare("h", grad_h, numeric_h, entries_h, tol),
        _compare("W_out", grad_W_out, numeric_W_out, entries_out, tol),
        _compare("W_in", grad_W_in, numeric_W_in, entries_in, tol),
    ]
    if objective is not None:
        return report

    # what the trainer applies: one sgd_step with lr = 1 on float64 copies
    applied_in, applied_out = _applied_update(problem, settings, context_ids, context_mask,
                                              problem.target_ids)
    classic = settings.cbow_update == "word2vec"
    report.checks += [
        _compare("applied W_out", applied_out, numeric_W_out, entries_out, tol),
        _compare("applied W_in", applied_in, numeric_W_in, entries_in, tol, expected_to_fail=classic),
    ]
    report.n_context = context_mask.sum(axis=1)
    if classic:  # the rule is still checked: applied / true must be exactly C per example
        report.update_ratios = _per_example_ratios(problem, settings, objective_args)
        report.checks.append(_compare("applied W_in/C", report.update_ratios / report.n_context,
                                      np.ones(settings.n_examples), None, tol))
    return report


def _applied_update(problem: _TinyProblem, settings: GradcheckSettings, context_ids, context_mask,
                    target_ids) -> tuple[np.ndarray, np.ndarray]:
    """(W_in before - after, W_out before - after) of one sgd_step with both rates 1."""
    W_in, W_out = problem.W_in.copy(), problem.W_out.copy()
    rng = np.random.default_rng(problem.noise_seed)  # the same noise draws as the check
    sgd_step(W_in, W_out, _batch(context_ids, context_mask, target_ids), problem.output,
             lr_in=1.0, lr_out=1.0, rng=rng, cbow_update=settings.cbow_update)
    return problem.W_in - W_in, problem.W_out - W_out


def _per_example_ratios(problem: _TinyProblem, settings: GradcheckSettings, objective_args) -> np.ndarray:
    """|applied W_in update| / |dL_b/dW_in| for each example b alone (= C_b for word2vec).

    Each example runs as a batch of one through sgd_step (lr_in = 1, lr_out = 0); the true
    gradient comes from `hidden_backward`, checked above. For NS, the one-example step
    draws its K noise ids from a fresh generator seeded with `noise_seed`, and the true
    gradient is taken with those same ids.
    """
    module = OBJECTIVES[settings.objective]
    ratios = []
    for b in range(settings.n_examples):
        keep = slice(b, b + 1)
        target_ids = problem.target_ids[keep]
        if settings.objective == "ns":
            rng = np.random.default_rng(problem.noise_seed)
            args_b = (target_ids, draw_negatives(problem.output.noise_cdf, (1, settings.negative), rng))
        else:
            args_b = tuple(np.asarray(arg)[keep] for arg in objective_args)
        context_ids, context_mask = problem.context_ids[keep], problem.context_mask[keep]
        h, hidden_cache = hidden_forward(problem.W_in, context_ids, context_mask)
        grad_h, _ = module.backward(module.forward(h, problem.W_out, *args_b)[1])
        true_grad = _dense(problem.W_in.shape[0], hidden_backward(grad_h, hidden_cache))
        W_in, W_out = problem.W_in.copy(), problem.W_out.copy()
        sgd_step(W_in, W_out, _batch(context_ids, context_mask, target_ids), problem.output,
                 lr_in=1.0, lr_out=0.0, rng=np.random.default_rng(problem.noise_seed),
                 cbow_update=settings.cbow_update)
        ratios.append(np.linalg.norm(problem.W_in - W_in) / np.linalg.norm(true_grad))
    return np.array(ratios)


def format_report(report: GradcheckReport) -> list[str]:
    """The report as lines for people: one per matrix, then the verdict."""
    settings = report.settings
    lines = [f"gradient check: objective {settings.objective}, cbow update {settings.cbow_update}, "
             f"V {settings.vocab_size}, d {settings.size}, window {settings.window}"
             + (f", negative {settings.negative}" if settings.objective == "ns" else "")
             + f", B {settings.n_examples}, float64, eps {EPS:g}, tolerance {settings.tolerance:g}"]
    for check in report.checks:
        verdict = "PASS" if check.passed else ("FAIL (expected: not a gradient by design)"
                                               if check.expected_to_fail else "FAIL")
        lines.append(f"{check.name:14s} max relative error {check.max_relative_error:.2e}  "
                     f"(norm-wise {check.norm_relative_error:.1e}, {check.n_entries} entries)  {verdict}")
    if report.update_ratios is not None:
        pairs = ", ".join(f"C={c}: {r:.4f}" for c, r in zip(report.n_context.tolist(), report.update_ratios))
        lines.append("cbow update word2vec: the applied W_in update is C times the true gradient "
                     f"(applied / true per example: {pairs})")
    if not report.passed:
        failed = [c for c in report.checks if not c.passed and not c.expected_to_fail]
        if all(c.norm_relative_error < settings.tolerance for c in failed):
            lines.append("note: the norm-wise errors are small, so the failing entries are likely tiny "
                         "gradients lost in rounding (the differences err by ~1e-13 |L| absolute); "
                         "recheck with a smaller --size, --vocab-size or --examples")
        lines.append("FAIL")
    elif report.update_ratios is not None:
        lines.append("PASS: the gradients are exact; the word2vec rule applies C times the W_in "
                     "gradient, as word2vec.c and gensim do (use --cbow-update mean for the true gradient)")
    else:
        lines.append("PASS")
    return lines
