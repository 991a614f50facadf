"""The report's inference (xstilts.report.inference): the two-level bootstrap covers the truth when
seeds vary, an items-only bootstrap does not, and the small exact pieces are right.

    pytest tests/test_inference.py
"""

from __future__ import annotations

import numpy as np
import pytest

from xstilts.report.inference import (
    bootstrap_p,
    format_p,
    holm,
    interval,
    required_samples,
    seed_draws,
    seed_mean,
    sign_flip_floor,
    sign_flip_p,
)
from xstilts.robustness import resampling_weights

SEEDS, ITEMS, SAMPLES, SIMULATIONS = 5, 200, 1000, 500
SEED_SD, ITEM_SD = 0.5, 1.0  # logit scale: seed-to-seed and item-to-item spread
LOGIT = {"arm": 0.9, "baseline": 0.6}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _true_delta() -> float:
    """E over seeds and items of accuracy(arm) - accuracy(baseline), by a large Monte Carlo."""
    rng = np.random.default_rng(0)
    noise = rng.normal(0, SEED_SD, 2_000_000) + rng.normal(0, ITEM_SD, 2_000_000)
    return float(np.mean(_sigmoid(LOGIT["arm"] + noise)) - np.mean(_sigmoid(LOGIT["baseline"] + noise)))


def _simulate(rng: np.random.Generator, seeds: int = SEEDS) -> dict[str, np.ndarray]:
    """Per arm, correct/incorrect of shape (seeds, items): items shared by both arms (paired), each
    seed a fresh draw of the method."""
    difficulty = rng.normal(0, ITEM_SD, ITEMS)
    out = {}
    for arm, logit in LOGIT.items():
        seed_effect = rng.normal(0, SEED_SD, (seeds, 1))
        out[arm] = (rng.random((seeds, ITEMS)) < _sigmoid(logit + seed_effect + difficulty)).astype(np.float32)
    return out


def _intervals(correct: dict[str, np.ndarray], sim: int) -> tuple[tuple[float, float], tuple[float, float], float]:
    """(two-level interval, items-only interval, two-level p) of Δ accuracy, through the library."""
    seeds = len(correct["arm"])
    weights = resampling_weights(ITEMS, SAMPLES, seed=sim)
    per_seed = {arm: (weights @ c.T).T / ITEMS for arm, c in correct.items()}  # (S, B)
    delta = float(np.mean(correct["arm"]) - np.mean(correct["baseline"]))
    draws = seed_draws(seeds, SAMPLES, seed=sim)
    two_level = seed_mean(per_seed["arm"], draws) - seed_mean(per_seed["baseline"], draws)
    items_only = per_seed["arm"].mean(axis=0) - per_seed["baseline"].mean(axis=0)
    return (interval(delta, two_level, 0.95, seeds), interval(delta, items_only, 0.95, 1),
            bootstrap_p(delta, two_level, seeds))


@pytest.mark.parametrize("seeds", [2, 3, 5])
def test_two_level_interval_covers_the_truth_and_items_only_falls_short(seeds):
    """500 simulations per seed count. Measured: the two-level interval covers 95-99 % (it is
    conservative with many items per seed); the items-only interval about half. The interval and the
    p-value share one reference, so 0 is outside the interval exactly when p < 0.05."""
    truth = _true_delta()
    rng = np.random.default_rng(seeds)
    covered = {"two_level": 0, "items_only": 0}
    for sim in range(SIMULATIONS):
        two_level, items_only, p = _intervals(_simulate(rng, seeds), sim)
        covered["two_level"] += two_level[0] <= truth <= two_level[1]
        covered["items_only"] += items_only[0] <= truth <= items_only[1]
        assert (two_level[0] > 0 or two_level[1] < 0) == (p < 0.05), (two_level, p)
    assert covered["two_level"] / SIMULATIONS >= 0.93, covered
    assert covered["items_only"] / SIMULATIONS < 0.90, covered


def test_p_value_is_uniform_enough_under_the_null():
    """No true difference: p < 0.05 in at most about 5 % of simulations (items-only gives far more)."""
    rng = np.random.default_rng(2)
    global LOGIT
    saved, LOGIT = LOGIT, {"arm": 0.6, "baseline": 0.6}
    try:
        ps = [_intervals(_simulate(rng), sim)[2] for sim in range(300)]
    finally:
        LOGIT = saved
    assert np.mean(np.array(ps) < 0.05) <= 0.08


def test_seed_draws_pair_arms_with_as_many_seeds_and_one_seed_is_itself():
    assert (seed_draws(5, 10, 13) == seed_draws(5, 10, 13)).all()
    assert seed_draws(5, 10, 13).shape == (10, 5) and seed_draws(5, 10, 13).max() < 5
    assert (seed_draws(1, 4, 13) == 0).all()
    per_seed = np.array([[1.0, 2.0], [3.0, 4.0]])  # (S=2, B=2)
    assert seed_mean(per_seed, np.array([[0, 0], [1, 0]])).tolist() == [1.0, 3.0]


def test_interval_widens_with_fewer_seeds_and_resolves_holm():
    reps = np.random.default_rng(0).normal(0.0, 0.01, 5000)
    widths = {s: np.subtract(*interval(0.0, reps, 0.95, s)[::-1]) for s in (2, 3, 5, 20)}
    assert widths[2] > widths[3] > widths[5] > widths[20] > 0
    assert np.isnan(interval(float("nan"), reps, 0.95, 5)[0]) and np.isnan(interval(0.0, reps[:1], 0.95, 5)[0])
    assert required_samples(14) >= 20 * 14 / 0.05


def test_sign_flip_test_is_exact():
    assert sign_flip_p([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx(2 / 32) == sign_flip_floor(5)  # all positive
    assert sign_flip_p(list(range(1, 21))) == pytest.approx(0.0, abs=1e-4)  # 20 seeds: Monte Carlo, no blow-up
    assert sign_flip_p([1.0, -1.0]) == 1.0
    assert np.isnan(sign_flip_p([1.0]))


def test_bootstrap_p_and_holm_and_format():
    reps = np.random.default_rng(0).normal(0.0, 0.01, 5000)
    assert bootstrap_p(0.0, reps, 1) == pytest.approx(1.0)
    assert bootstrap_p(0.05, reps, 1) < 1e-6
    assert bootstrap_p(0.05, reps, 5) > bootstrap_p(0.05, reps, 50)  # fewer seeds: heavier tails
    assert np.isnan(bootstrap_p(float("nan"), reps, 1))
    assert holm([0.01, float("nan"), 0.04]) == pytest.approx([0.02, float("nan"), 0.04], nan_ok=True)
    assert format_p(0.0004) == "< 0.001" and format_p(0.0123) == "0.012" and format_p(float("nan")) == "n/a"
