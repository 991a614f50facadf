"""Did a training phase learn? Its best held-out accuracy against the majority-class rate.

A phase that stays at chance (a near-constant predictor) still writes a checkpoint, and the
numbers of its chain then mix that failure with whatever the intermediate task did. Each phase records this check in `training_log.json` and its dvclive
`metrics.json`; the report marks every run whose phase failed it.

The test is exact and one-sided: H0 = the held-out predictions are right with the probability of
always predicting the majority class; the best accuracy is the maximum over the run's validation
points, so its p-value is Bonferroni-corrected for that selection (× the number of points).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

ALPHA = 0.01  # a phase "learned" when p < ALPHA


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), exactly (log-space terms; no scipy needed for one tail)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_terms = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
                 for i in range(k, n + 1)]
    top = max(log_terms)
    return min(1.0, math.exp(top) * math.fsum(math.exp(t - top) for t in log_terms))


def chance_rate(labels: Sequence[int]) -> float:
    """The majority-class rate: the accuracy of always predicting the most frequent label."""
    if not labels:
        return float("nan")
    return Counter(labels).most_common(1)[0][1] / len(labels)


def learning_check(best_accuracy: float, labels: Sequence[int], validation_points: int = 1) -> dict:
    """`{"chance", "correct", "n", "p_value", "learned"}` for a best held-out accuracy on `labels`,
    selected as the best of `validation_points` evaluations.
    `learned` is None (not checked) without held-out data, or where even a perfect score could not
    reach p < ALPHA (too few held-out examples to tell)."""
    n = len(labels)
    chance = chance_rate(labels)
    points = max(1, validation_points)
    if n == 0 or not math.isfinite(best_accuracy):
        return {"chance": chance, "correct": 0, "n": n, "p_value": float("nan"), "learned": None}
    correct = round(best_accuracy * n)
    p = min(1.0, binomial_sf(correct, n, chance) * points)
    testable = binomial_sf(n, n, chance) * points < ALPHA
    return {"chance": round(chance, 6), "correct": correct, "n": n, "p_value": p,
            "learned": (p < ALPHA) if testable else None}


def describe(check: dict) -> str:
    """One line for logs and reports: "learned: held-out 76.0 % vs 50.0 % chance (p = 1e-09)"."""
    if check["n"] == 0:
        return "not checked: no held-out data"
    verdict = {True: "learned", False: "did not learn"}.get(check["learned"], "not checked (too little held-out data)")
    accuracy = check["correct"] / check["n"]
    return (f"{verdict}: held-out {100 * accuracy:.1f} % vs {100 * check['chance']:.1f} % chance "
            f"(p = {check['p_value']:.2g}, n = {check['n']})")
