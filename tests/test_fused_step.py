"""The fused NS/HS step computes the same update as the reference path (objective
forward/backward + model.apply_row_grads), with the private and the public sparse kernels;
the alias noise sampler draws from the noise distribution."""

import numpy as np
import pytest

from cbow.model import sparse_ops, step
from cbow.data.huffman import huffman_paths
from cbow.model.logistic_step import Workspace
from cbow.model.noise import AliasSampler, alias_columns
from cbow.data.windows import iter_batches


@pytest.fixture(params=[True, False], ids=["private", "public"])
def kernels(request):
    sparse_ops.use_private_kernels(request.param)
    yield request.param
    sparse_ops.use_private_kernels(True)


def small_case(objective, seed=0, V=40, d=6, K=4):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(1, 500, size=V))[::-1].astype(np.int64)
    word_ids = rng.choice(V, size=600, p=counts / counts.sum()).astype(np.int32)
    offsets = np.array([0, 250, 251, 600], dtype=np.int64)
    batch = next(iter_batches(word_ids, offsets, window=3, batch_size=200, rng=rng))
    W_in = rng.standard_normal((V, d))
    if objective == "ns":
        noise = counts ** 0.75 / (counts ** 0.75).sum()
        output = step.OutputLayer("ns", negative=K, noise_cdf=np.cumsum(noise),
                                  noise_sampler=AliasSampler.from_probabilities(noise))
        W_out = rng.standard_normal((V, d))
    elif objective == "softmax":
        output = step.OutputLayer("softmax")
        W_out = rng.standard_normal((V, d))
    else:
        output = step.OutputLayer("hs", huffman_paths=huffman_paths(counts))
        W_out = rng.standard_normal((V - 1, d))
    return batch, W_in * 0.5, W_out * 0.5, output


@pytest.mark.parametrize("objective", ["ns", "hs", "softmax"])
@pytest.mark.parametrize("cbow_update", ["mean", "word2vec"])
@pytest.mark.parametrize("repeat_guard, repeat_guard_out", [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (0.0, 1.0),
                                                          (0.5, 0.5)])
def test_fused_step_equals_reference_step(kernels, objective, cbow_update, repeat_guard, repeat_guard_out):
    batch, W_in, W_out, output = small_case(objective)
    assert len(np.unique(batch.context_flat)) < len(batch.context_flat)  # repeated rows
    results = {}
    for name in ("reference", "fused"):
        W_in_new, W_out_new = W_in.copy(), W_out.copy()
        rng = np.random.default_rng(11)
        if name == "reference":
            loss = step.sgd_step(W_in_new, W_out_new, batch, output, 0.3, 0.2, rng, cbow_update,
                                 repeat_guard=repeat_guard, repeat_guard_out=repeat_guard_out)
        else:
            loss = step.fused_step(W_in_new, W_out_new, batch, output, 0.3, 0.2, rng, cbow_update,
                                   Workspace(W_in.shape[1], W_in.dtype), repeat_guard, repeat_guard_out)
        results[name] = (loss, W_in_new - W_in, W_out_new - W_out, rng.random())
    ref, fused = results["reference"], results["fused"]
    assert fused[3] == ref[3]  # the same random draws were consumed
    assert fused[0] == pytest.approx(ref[0], rel=1e-12)
    assert np.abs(ref[1]).max() > 1e-3 and np.abs(ref[2]).max() > 1e-3  # both matrices moved
    np.testing.assert_allclose(fused[1], ref[1], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(fused[2], ref[2], rtol=1e-10, atol=1e-13)


def test_fused_step_reuses_workspace_across_batch_sizes():
    """A workspace grown by a big batch serves a smaller one (the last batch of an epoch)."""
    batch, W_in, W_out, output = small_case("hs", seed=1)
    workspace = Workspace(W_in.shape[1], W_in.dtype)
    step.fused_step(W_in.copy(), W_out.copy(), batch, output, 0.1, 0.1, np.random.default_rng(0),
                    "mean", workspace)
    small_batch, *_ = small_case("hs", seed=2)
    rng = np.random.default_rng(3)
    expected_in, expected_out = W_in.copy(), W_out.copy()
    step.sgd_step(expected_in, expected_out, small_batch, output, 0.1, 0.1, rng, "mean")
    got_in, got_out = W_in.copy(), W_out.copy()
    step.fused_step(got_in, got_out, small_batch, output, 0.1, 0.1, np.random.default_rng(3), "mean",
                    workspace)
    np.testing.assert_allclose(got_in, expected_in, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got_out, expected_out, rtol=1e-10, atol=1e-13)


def test_alias_table_holds_exactly_the_distribution():
    rng = np.random.default_rng(0)
    probs = rng.random(500) ** 4
    probs /= probs.sum()
    accept, alias = alias_columns(probs)  # the exact columns, before packing
    implied = accept / len(probs)
    np.add.at(implied, alias, (1 - accept) / len(probs))
    np.testing.assert_allclose(implied, probs, rtol=1e-9, atol=1e-15)
    # what draw() reads: alias and the 32-bit threshold packed in one word per column
    sampler = AliasSampler.from_probabilities(probs)
    threshold = (sampler.packed & np.uint64((1 << 33) - 1)).astype(np.float64) / 2.0**32
    np.testing.assert_array_equal(sampler.packed >> np.uint64(33), alias)
    np.testing.assert_array_equal(sampler.alias, alias)
    np.testing.assert_allclose(sampler.accept, accept, rtol=0, atol=2.0**-32)
    drawn = threshold / len(probs)
    np.add.at(drawn, sampler.alias, (1 - threshold) / len(probs))
    np.testing.assert_allclose(drawn, probs, rtol=0, atol=2.0**-32)


def test_alias_draws_follow_the_distribution():
    probs = np.array([0.5, 0.25, 0.125, 0.125, 0.0])
    draws = AliasSampler.from_probabilities(probs).draw((200_000,), np.random.default_rng(1))
    assert draws.dtype == np.int32
    frequencies = np.bincount(draws, minlength=5) / len(draws)
    np.testing.assert_allclose(frequencies, probs, atol=0.005)
    assert frequencies[4] == 0


@pytest.mark.parametrize("chunk_rows", [1, 7, 64, 1000])
def test_softmax_step_is_the_batch_update_whatever_the_chunking(chunk_rows):
    # Every chunk must see the old W_out: the result equals the reference batch update.
    from cbow.model.softmax_step import softmax_step

    batch, W_in, W_out, output = small_case("softmax", seed=3)
    reference_in, reference_out = W_in.copy(), W_out.copy()
    loss_ref = step.sgd_step(reference_in, reference_out, batch, output, 0.3, 0.2, None, "mean")
    fused_in, fused_out = W_in.copy(), W_out.copy()
    mean_weights = np.repeat(1.0 / batch.n_context, batch.n_context)
    loss = softmax_step(fused_in, fused_out, batch.context_indptr, batch.context_flat, mean_weights,
                        -0.3 * mean_weights, batch.target_ids, 0.2, Workspace(W_in.shape[1], W_in.dtype),
                        chunk_rows=chunk_rows)
    assert loss == pytest.approx(loss_ref, rel=1e-12)
    np.testing.assert_allclose(fused_out, reference_out, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(fused_in, reference_in, rtol=1e-10, atol=1e-13)
