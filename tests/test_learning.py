"""The did-it-learn check of every training phase (xstilts.learning)."""

import math

import pytest

from xstilts.learning import binomial_sf, chance_rate, describe, learning_check


def test_binomial_tail_by_hand():
    assert binomial_sf(0, 10, 0.5) == 1.0
    assert binomial_sf(10, 10, 0.5) == pytest.approx(0.5**10)
    assert binomial_sf(9, 10, 0.5) == pytest.approx(11 / 1024)
    # Against the sum of exact terms on a large n (log-space must not lose it).
    n, p, k = 2000, 0.55, 1160
    from fractions import Fraction

    q = Fraction(55, 100)
    exact = float(sum(math.comb(n, i) * q**i * (1 - q) ** (n - i) for i in range(k, n + 1)))
    assert binomial_sf(k, n, p) == pytest.approx(exact, rel=1e-9)


def test_chance_is_the_majority_class_rate():
    assert chance_rate([0, 0, 1]) == pytest.approx(2 / 3)
    assert chance_rate([0, 1, 2] * 5) == pytest.approx(1 / 3)


def test_a_constant_predictor_did_not_learn_and_a_good_one_did():
    labels = [0] * 75 + [1] * 75
    stuck = learning_check(0.5, labels, validation_points=3)
    assert not stuck["learned"] and stuck["p_value"] > 0.4
    assert describe(stuck).startswith("did not learn: held-out 50.0 % vs 50.0 % chance")
    good = learning_check(0.75, labels, validation_points=3)
    assert good["learned"] and good["p_value"] < 1e-6 and good["correct"] == 112


def test_selection_over_validation_points_is_corrected():
    labels = [0, 1, 2] * 50  # chance 1/3, n = 150
    one = learning_check(0.45, labels, validation_points=1)
    many = learning_check(0.45, labels, validation_points=20)
    assert many["p_value"] == pytest.approx(min(1.0, 20 * one["p_value"]))
    assert one["learned"] and not many["learned"]  # 45 % of 150 beats 1/3 alone, not as the best of 20


def test_without_enough_held_out_data_nothing_is_claimed():
    check = learning_check(float("nan"), [], 1)
    assert check["learned"] is None and describe(check).startswith("not checked")
    tiny = learning_check(1.0, [0, 1] * 4, validation_points=4)  # even 8 of 8 right: p = 4 / 256 > 0.01
    assert tiny["learned"] is None and describe(tiny).startswith("not checked (too little held-out data)")
