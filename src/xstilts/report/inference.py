"""Inference over seeds and test items: the two-level bootstrap and the tests on top of it.

    pytest tests/test_inference.py      # includes the coverage simulation

Seeds are the unit of replication (`../shared/docs/statistics.md`). A statistic of an arm is the mean
over its seeds of a per-seed value computed on test items. One bootstrap replicate resamples both
levels: the seeds of each arm with replacement (the same draw of seed *positions* for every arm with
as many seeds, so arms that share their seeds stay paired by seed), and the test items (one draw of
item clusters shared by every run, language and family, made by the caller as weights).

With S ≥ 2 seeds, a percentile interval of the replicates is too short: the bootstrap variance of a
mean of S values is (S-1)/S of the unbiased one, and its tails are normal where a mean of few values
has Student tails (with 2-3 seeds the percentiles are just the range of the seed values). So the
interval and the p-value share one reference: se = sqrt(S/(S-1)) · sd(replicates), the interval is
Δ ± t_{S-1, 1-α/2} · se and the p-value two-sided Student t with S-1 degrees of freedom, so they never
disagree. With one seed only items are resampled: a percentile interval and the normal p-value, both
labelled "test-item sampling only". Beside them, for paired seeds, the exact sign-flip test over the
per-seed differences, whose smallest p with n seeds is 2/2^n (0.0625 at 5: the honest limit).
The two-level bootstrap counts item noise at both levels, so with many items per seed it is
conservative (5 seeds: 99 % coverage at nominal 95 % in the simulation).
`tests/test_inference.py` simulates known seed and item variance and checks the coverage.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from scipy import stats as st


def sign_flip_floor(seeds: int) -> float:
    """The smallest two-sided p the sign-flip test can give with `seeds` paired seeds: 2 / 2^n."""
    return 2.0 / 2 ** seeds


def seed_draws(seeds: int, samples: int, seed: int) -> np.ndarray:
    """Resampled seed positions, shape (samples, seeds); the same array for every arm with `seeds` seeds,
    so that arms sharing their seeds are resampled as pairs. One seed: always itself."""
    if seeds == 1:
        return np.zeros((samples, 1), dtype=np.int64)
    return np.random.default_rng([seed, seeds]).integers(0, seeds, size=(samples, seeds))


def seed_mean(per_seed: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Two-level replicates: `per_seed` has shape (S, B) (seed s on item resample b); replicate b is the
    mean over the seeds drawn for b. Seeds whose value is undefined on a resample stay NaN."""
    return np.take_along_axis(per_seed.T, draws, axis=1).mean(axis=1)


def expansion(seeds: int) -> float:
    """sqrt(S/(S-1)): the bootstrap's variance of a mean of S values is (S-1)/S of the unbiased one."""
    return math.sqrt(seeds / (seeds - 1)) if seeds > 1 else 1.0


def required_samples(tests: int, alpha: float = 0.05) -> int:
    """Replicates that resolve the smallest Holm threshold (alpha / tests): 20 · tests / alpha, the
    design note's rule (`../shared/docs/statistics.md`)."""
    return math.ceil(20 * max(tests, 1) / alpha)


def _standard_error(replicates: np.ndarray, seeds: int) -> float:
    return float(np.std(replicates, ddof=1)) * expansion(seeds)


def interval(value: float, replicates: np.ndarray, confidence: float, seeds: int) -> tuple[float, float]:
    """With S >= 2 seeds: value ± t_{S-1} · se (se from the finite two-level replicates, corrected);
    with one seed: the percentile interval of the item replicates. NaN, NaN when undefined."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size < 2 or not np.isfinite(value):
        return float("nan"), float("nan")
    if seeds <= 1:
        tail = 100 * (1 - confidence) / 2
        low, high = np.percentile(finite, [tail, 100 - tail])
        return float(low), float(high)
    half = float(st.t.ppf(1 - (1 - confidence) / 2, seeds - 1)) * _standard_error(finite, seeds)
    return value - half, value + half


def bootstrap_p(delta: float, replicates: np.ndarray, seeds: int) -> float:
    """Two-sided p of Δ = 0 from the bootstrap standard error: Student t with S-1 degrees of freedom
    after the (S-1)/S variance correction (normal with one seed). NaN where undefined."""
    finite = replicates[np.isfinite(replicates)]
    if not np.isfinite(delta) or finite.size < 2:
        return float("nan")
    se = _standard_error(finite, seeds)
    if se == 0:
        return 1.0 if delta == 0 else 0.0
    t = abs(delta) / se
    return float(2 * (st.t.sf(t, seeds - 1) if seeds > 1 else st.norm.sf(t)))


EXACT_SIGN_FLIP_MAX = 16  # 2^16 sign patterns; above that a seeded Monte Carlo sample of 2^16


def sign_flip_p(differences: Sequence[float]) -> float:
    """Two-sided sign-flip (permutation) test of mean(differences) = 0 over seed-paired differences:
    the share of sign patterns whose |mean| is at least the observed one; exact up to 16 seeds (all
    2^n patterns), a Monte Carlo sample above. NaN with fewer than two finite differences."""
    d = np.asarray([x for x in differences if np.isfinite(x)], dtype=float)
    if d.size < 2:
        return float("nan")
    observed = abs(d.mean())
    if d.size <= EXACT_SIGN_FLIP_MAX:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=d.size)))
    else:
        signs = np.random.default_rng(0).choice((1.0, -1.0), size=(2 ** EXACT_SIGN_FLIP_MAX, d.size))
    flipped = np.abs((signs * d).mean(axis=1))
    return float(np.mean(flipped >= observed - 1e-12))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (NaNs are left out of the family and stay NaN)."""
    finite = [(p, i) for i, p in enumerate(pvalues) if np.isfinite(p)]
    adjusted = [float("nan")] * len(pvalues)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(finite)):
        running = max(running, min(1.0, (len(finite) - rank) * p))
        adjusted[i] = running
    return adjusted


def format_p(p: float) -> str:
    """A p-value as printed: `< 0.001` below that (never a resolution floor shown as a value)."""
    if not np.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
