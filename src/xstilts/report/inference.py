"""Inference over seeds and test items: the two-level bootstrap and the tests on top of it.

    pytest tests/test_inference.py      # includes the coverage simulation

Seeds are the unit of replication (`../shared/docs/statistics.md`). A statistic of an arm is the mean
over its seeds of a per-seed value computed on test items. One bootstrap replicate resamples both
levels: the seeds of each arm with replacement (the same draw of seed *positions* for every arm with
as many seeds, so arms that share their seeds stay paired by seed), and the test items (one draw of
item clusters shared by every run, language and family, made by the caller as weights).

With S seeds the percentile interval of a resampled mean is too short: the bootstrap variance of a
mean of S values is (S-1)/S of the plug-in one, and its tails are normal where a mean of few values
has Student tails. So the interval is Hesterberg's *expanded percentile interval* (Hesterberg 2015,
"What teachers should know about the bootstrap", §3.2): the percentiles are taken at the level α'
whose normal quantile equals sqrt(S/(S-1)) · t_{S-1, 1-α/2}. The p-value uses the same reference:
t = Δ / (sqrt(S/(S-1)) · bootstrap standard error), two-sided against Student t with S-1 degrees of
freedom (normal with one seed, where only items are resampled). Beside it, for paired seeds, the exact
sign-flip test over the per-seed differences, whose smallest p with n seeds is 2/2^n.
`tests/test_inference.py` simulates known seed and item variance and checks the coverage.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from scipy import stats as st


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


def expanded_alpha(alpha: float, seeds: int) -> float:
    """The level α' of the expanded percentile interval (α itself with one seed: items only)."""
    if seeds <= 1:
        return alpha
    z = expansion(seeds) * st.t.ppf(1 - alpha / 2, seeds - 1)
    return float(2 * st.norm.sf(z))


def required_samples(tests: int, alpha: float = 0.05, seeds: int = 1) -> int:
    """Replicates that resolve the smallest Holm threshold (alpha / tests): 20 · tests / alpha by the
    design note's rule, and at least 10 replicates in each tail of the expanded interval."""
    by_holm = math.ceil(20 * max(tests, 1) / alpha)
    by_tails = math.ceil(2 * 10 / expanded_alpha(alpha, seeds))
    return max(by_holm, min(by_tails, 200_000))


def percentile_interval(replicates: np.ndarray, confidence: float, seeds: int) -> tuple[float, float]:
    """Expanded percentile interval over the finite replicates (NaN, NaN when there are none)."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = 100 * expanded_alpha(1 - confidence, seeds) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_p(delta: float, replicates: np.ndarray, seeds: int) -> float:
    """Two-sided p of Δ = 0 from the bootstrap standard error: Student t with S-1 degrees of freedom
    after the (S-1)/S variance correction (normal with one seed). NaN where undefined."""
    finite = replicates[np.isfinite(replicates)]
    if not np.isfinite(delta) or finite.size < 2:
        return float("nan")
    se = float(np.std(finite, ddof=1)) * expansion(seeds)
    if se == 0:
        return 1.0 if delta == 0 else 0.0
    t = abs(delta) / se
    return float(2 * (st.t.sf(t, seeds - 1) if seeds > 1 else st.norm.sf(t)))


def sign_flip_p(differences: Sequence[float]) -> float:
    """Exact two-sided sign-flip (permutation) test of mean(differences) = 0 over seed-paired
    differences: the share of the 2^n sign patterns whose |mean| is at least the observed one.
    NaN with fewer than two finite differences."""
    d = np.asarray([x for x in differences if np.isfinite(x)], dtype=float)
    if d.size < 2:
        return float("nan")
    observed = abs(d.mean())
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=d.size)))
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
