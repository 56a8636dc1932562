"""Bootstrap intervals cover at the nominal rate; paired tests find real differences only."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from cbow.vectors.stats import (accuracy_ci, compare_accuracy, compare_spearman, row_spearman, spearman_ci,
                        wilson_interval)


def test_accuracy_interval_covers_the_true_accuracy_at_the_nominal_rate():
    """200 seeded synthetic evaluators: Bernoulli(p) outcomes of 300 questions each."""
    rng = np.random.default_rng(0)
    p_true, n_questions, n_reps = 0.62, 300, 200
    covered = 0
    for rep in range(n_reps):
        outcomes = rng.random(n_questions) < p_true
        interval = accuracy_ci(outcomes, n_boot=1000, seed=rep)
        assert interval.low <= interval.estimate <= interval.high
        covered += interval.low <= p_true <= interval.high
    assert 0.90 <= covered / n_reps <= 0.99, covered


def test_spearman_interval_covers_the_population_value():
    """Pairs from a bivariate normal (rho = 0.6): population Spearman 6/pi asin(rho/2)."""
    rng = np.random.default_rng(1)
    rho, n_pairs, n_reps = 0.6, 150, 100
    true_spearman = 6 / np.pi * np.arcsin(rho / 2)
    covariance = [[1, rho], [rho, 1]]
    covered = 0
    for rep in range(n_reps):
        human, model = rng.multivariate_normal([0, 0], covariance, size=n_pairs).T
        interval = spearman_ci(human, model, n_boot=400, seed=rep)
        assert interval.estimate == pytest.approx(scipy.stats.spearmanr(human, model)[0], abs=1e-12)
        covered += interval.low <= true_spearman <= interval.high
    assert 0.87 <= covered / n_reps <= 0.99, covered


def test_row_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(2)
    human = rng.integers(0, 5, size=(4, 30)).astype(float)  # many ties
    model = rng.normal(size=(4, 30))
    expected = [scipy.stats.spearmanr(h, m)[0] for h, m in zip(human, model)]
    np.testing.assert_allclose(row_spearman(human, model), expected, atol=1e-12)


def test_intervals_are_seeded():
    outcomes = np.random.default_rng(3).random(100) < 0.5
    assert accuracy_ci(outcomes, seed=4) == accuracy_ci(outcomes, seed=4)
    assert accuracy_ci(outcomes, seed=4) != accuracy_ci(outcomes, seed=5)


def test_paired_test_finds_a_real_difference():
    rng = np.random.default_rng(4)
    difficulty = rng.random(2000)  # shared between the models: what pairing removes
    correct_a = difficulty < 0.60
    correct_b = (difficulty < 0.56) | ((difficulty < 0.60) & (rng.random(2000) < 0.3))
    result = compare_accuracy(correct_a, correct_b, n_boot=2000, seed=0)
    assert result.delta > 0 and result.p_value < 0.01
    assert 0 < result.low <= result.delta <= result.high
    assert result.n == 2000


def test_paired_p_values_are_roughly_uniform_under_the_null():
    rng = np.random.default_rng(5)
    p_values = []
    for rep in range(200):
        difficulty = rng.random(500)
        noise = rng.random((2, 500)) < 0.2  # each model flips 20% of answers at random
        correct = (difficulty < 0.5) ^ noise
        p_values.append(compare_accuracy(correct[0], correct[1], n_boot=400, seed=rep).p_value)
    p_values = np.array(p_values)
    # valid (P(p <= alpha) <= alpha up to sampling error) and not far from uniform: the
    # statistic is discrete, so the test is a little conservative, never anticonservative
    for alpha in (0.05, 0.1, 0.25, 0.5):
        assert alpha / 2 <= np.mean(p_values <= alpha) <= alpha + 0.05, (alpha, np.mean(p_values <= alpha))


def test_compare_spearman_detects_a_better_model_and_not_a_copy():
    rng = np.random.default_rng(6)
    human = rng.normal(size=300)
    good = human + 0.5 * rng.normal(size=300)
    bad = human + 2.0 * rng.normal(size=300)
    better = compare_spearman(human, good, bad, n_boot=1000)
    assert better.delta > 0 and better.p_value < 0.01 and better.low > 0
    same = compare_spearman(human, good, good, n_boot=200)
    assert same.delta == 0 and same.p_value == 1.0


def test_bad_arguments():
    with pytest.raises(ValueError):
        accuracy_ci([], n_boot=10)
    with pytest.raises(ValueError):
        accuracy_ci([True, False], confidence=1.5)
    assert accuracy_ci([True]).method == "wilson"  # one question: an interval, not an error
    with pytest.raises(ValueError):
        compare_accuracy([True, False], [True])


def test_all_right_or_all_wrong_gets_a_wilson_interval_not_zero_width():
    """The bootstrap cannot move when every outcome is equal; the Wilson bound can:
    at k = 0 its upper end is z^2 / (n + z^2), at k = n its lower end is n / (n + z^2)."""
    z2 = 1.959963984540054 ** 2
    none_right = accuracy_ci(np.zeros(10, dtype=bool))
    assert none_right.method == "wilson" and none_right.low == 0.0
    assert none_right.high == pytest.approx(z2 / (10 + z2), rel=1e-12)
    all_right = accuracy_ci(np.ones(636, dtype=bool))
    assert all_right.estimate == 1.0 and all_right.high == 1.0
    assert all_right.low == pytest.approx(636 / (636 + z2), rel=1e-12)
    mixed = accuracy_ci(np.array([True, False] * 50))
    assert mixed.method == "bootstrap" and mixed.low < 0.5 < mixed.high


def test_wilson_interval_matches_a_textbook_value():
    # 8 of 10 at 95%: [0.4902, 0.9433] (Newcombe 1998, Table I's method 3 gives 0.4902-0.9433)
    low, high = wilson_interval(8, 10, 0.95)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
