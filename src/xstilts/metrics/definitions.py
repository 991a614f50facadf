"""The one definition of every metric, on numpy arrays.

Each function reduces over the last axis, so the same code scores one evaluation set (shape `(n,)`)
or thousands of bootstrap resamples at once (shape `(B, n)`). The `evaluate` modules next to this
file and the bootstrap in `xstilts.robustness` both call these functions.

Every function takes optional `weights` over items (same last axis, broadcastable): the bootstrap
passes resampling counts, and 0 marks an item outside the set being scored.

`PAIRED` names every metric of a set of perturbed items paired with their clean versions, in one
signature: the `robustness` evaluate module returns all of them (the score stage's point estimates),
and `xstilts.robustness.metric` picks from it for the report's bootstrap.

Vocabulary: for a perturbed item, `pred`/`gold` are the prediction and reference label of the
perturbed pair, `clean_pred`/`clean_gold` those of the same item's clean pair.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class Resampled:
    """Bootstrap resampling counts `counts` (B, n) times a per-item factor (n,).

    Multiplying by an item vector (a mask, "right on the clean pair") only updates the factor, so a
    weighted mean is two matrix-vector products (counts @ (factor * hits), counts @ factor) and no
    (B, n) temporary is ever made: the report's thousands of cells stay cheap at B ~ 10^4."""

    __array_ufunc__ = None  # `ndarray * Resampled` defers to __rmul__

    def __init__(self, counts: np.ndarray, factor: np.ndarray | None = None) -> None:
        self.counts = counts
        self.factor = np.ones(counts.shape[-1], np.float32) if factor is None else factor

    def __mul__(self, other: np.ndarray) -> Resampled:
        return Resampled(self.counts, self.factor * np.asarray(other, dtype=np.float32))

    __rmul__ = __mul__

    def __len__(self) -> int:
        return len(self.counts)

    def weighted_sums(self, hits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Σ weight · hit, Σ weight) per replicate."""
        return (self.counts @ (self.factor * np.asarray(hits, dtype=np.float32)),
                self.counts @ self.factor)


Weights = np.ndarray | Resampled | None


def _check(*arrays: np.ndarray) -> None:
    shapes = {np.shape(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"arrays of different shapes: {sorted(shapes)}")
    if np.shape(arrays[0])[-1] == 0:
        raise ValueError("a metric over zero items is undefined")


def _mean(hits: np.ndarray, weights: Weights) -> np.ndarray:
    """Mean over the last axis, weighted; NaN where the weights sum to 0 (nothing to score)."""
    if weights is None:
        return np.mean(hits, axis=-1)
    if isinstance(weights, Resampled):
        hit_sum, total = weights.weighted_sums(hits)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, hit_sum.astype(np.float64) / total, np.nan)
    weights = np.asarray(weights)
    if not np.issubdtype(weights.dtype, np.floating):
        weights = weights.astype(np.float64)
    total = weights.sum(axis=-1, dtype=np.float64)
    hits = np.asarray(hits)
    # Bootstrap replicates (B, n) of one set of items (n,): a matrix-vector product, not a (B, n) temporary.
    hit_sum = (weights @ hits.astype(weights.dtype) if weights.ndim == 2 and hits.ndim == 1
               else (hits * weights).sum(axis=-1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, hit_sum / total, np.nan)


def accuracy(pred: np.ndarray, gold: np.ndarray, weights: Weights = None) -> np.ndarray:
    """Share of items predicted as their reference label."""
    _check(pred, gold)
    return _mean(np.asarray(pred) == np.asarray(gold), weights)


def robust_accuracy(pred: np.ndarray, gold: np.ndarray, clean_pred: np.ndarray, clean_gold: np.ndarray,
                    weights: Weights = None) -> np.ndarray:
    """Share of items right on the clean pair *and* on its perturbed version (for a contrast set:
    Gardner et al.'s contrast consistency)."""
    _check(pred, gold, clean_pred, clean_gold)
    both = (np.asarray(pred) == np.asarray(gold)) & (np.asarray(clean_pred) == np.asarray(clean_gold))
    return _mean(both, weights)


def consistency(pred: np.ndarray, clean_pred: np.ndarray, weights: Weights = None) -> np.ndarray:
    """Share of items whose prediction the perturbation left unchanged, right or wrong. A constant
    predictor scores 1: the report uses `balanced_consistency`; this stays for the attack's bookkeeping."""
    _check(pred, clean_pred)
    return _mean(np.asarray(pred) == np.asarray(clean_pred), weights)


def _right_on_clean(clean_pred: np.ndarray, clean_gold: np.ndarray, weights: Weights) -> np.ndarray:
    right = (np.asarray(clean_pred) == np.asarray(clean_gold)).astype(np.float64)
    return right if weights is None else weights * right


def conditional_flip_rate(pred: np.ndarray, gold: np.ndarray, clean_pred: np.ndarray, clean_gold: np.ndarray,
                          weights: Weights = None) -> np.ndarray:
    """P(wrong on the perturbed pair | right on the clean pair): the robustness endpoint. Conditioning on
    the clean pair being right keeps a more accurate model from winning by having more items to lose
    (NaN where no item is right on its clean pair)."""
    _check(pred, gold, clean_pred, clean_gold)
    return _mean(np.asarray(pred) != np.asarray(gold), _right_on_clean(clean_pred, clean_gold, weights))


def balanced_consistency(pred: np.ndarray, clean_pred: np.ndarray, clean_gold: np.ndarray,
                         weights: Weights = None) -> np.ndarray:
    """Label-aware consistency: for each gold label, the share of items right on the clean pair whose
    prediction the perturbation kept; then the mean over labels. A constant predictor is right on no
    item of the other label, so its value is undefined (NaN) rather than 1."""
    _check(pred, clean_pred, clean_gold)
    kept = np.asarray(pred) == np.asarray(clean_pred)
    right = _right_on_clean(clean_pred, clean_gold, weights)
    gold = np.asarray(clean_gold)
    # The labels among the items being scored (in any replicate): a label absent from the set is no failure.
    if weights is None:
        scored = np.ones(gold.shape[-1], bool)
    elif isinstance(weights, Resampled):
        scored = weights.factor > 0
    else:
        scored = np.asarray(weights).reshape(-1, gold.shape[-1]).any(axis=0)
    labels = np.unique(gold[..., scored])
    rates = [_mean(kept, right * (gold == label)) for label in labels]
    return np.mean(rates, axis=0)


def directed_flip_rate(pred: np.ndarray, gold: np.ndarray, clean_pred: np.ndarray, clean_gold: np.ndarray,
                       weights: Weights = None) -> np.ndarray:
    """Contrast sets: of the items right on the clean pair whose label the edit changed, the share whose
    prediction moved to the new label (a flip from a wrong clean prediction is no credit)."""
    _check(pred, gold, clean_pred, clean_gold)
    flipped_label = (np.asarray(gold) != np.asarray(clean_gold)).astype(np.float64)
    return _mean(np.asarray(pred) == np.asarray(gold), _right_on_clean(clean_pred, clean_gold, weights) * flipped_label)


def flip_rate(pred: np.ndarray, clean_pred: np.ndarray, weights: Weights = None) -> np.ndarray:
    """Share of items whose prediction changed, in any direction (kept for comparison with older
    reports; the report uses `directed_flip_rate`)."""
    return 1.0 - consistency(pred, clean_pred, weights)


def attack_success_rate(pred: np.ndarray, clean_pred: np.ndarray, clean_gold: np.ndarray,
                        weights: Weights = None) -> np.ndarray:
    """TextAttack's attack success rate: of the items the model got right before the attack (items
    it got wrong are skipped, not attacked), the share whose prediction the attack changed, i.e.
    successful / (successful + failed). `pred` is the prediction after the attack."""
    _check(pred, clean_pred, clean_gold)
    right = (np.asarray(clean_pred) == np.asarray(clean_gold)).astype(np.float64)
    return _mean(np.asarray(pred) != np.asarray(clean_pred), right if weights is None else weights * right)


def drop(accuracy_clean: np.ndarray, accuracy_perturbed: np.ndarray) -> np.ndarray:
    """Absolute accuracy drop from the clean pairs to their perturbed versions (same items)."""
    return np.asarray(accuracy_clean) - np.asarray(accuracy_perturbed)


def relative_drop(accuracy_clean: np.ndarray, accuracy_perturbed: np.ndarray) -> np.ndarray:
    """The drop as a share of clean accuracy (NaN where clean accuracy is 0)."""
    clean = np.asarray(accuracy_clean, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(clean > 0, drop(clean, accuracy_perturbed) / clean, np.nan)


def crosslingual_consistency(preds_by_language: np.ndarray, weights: Weights = None) -> np.ndarray:
    """Share of items given the same prediction in every language; `preds_by_language` has the
    languages on the second-to-last axis and the (parallel) items on the last."""
    preds = np.asarray(preds_by_language)
    if preds.ndim < 2 or preds.shape[-2] < 2:
        raise ValueError("cross-lingual consistency needs predictions in at least two languages")
    if preds.shape[-1] == 0:
        raise ValueError("a metric over zero items is undefined")
    return _mean(np.all(preds == preds[..., :1, :], axis=-2), weights)


# (pred, gold, clean_pred, clean_gold, weights) -> value; see the module docstring.
Paired = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Weights], np.ndarray]


def clean_accuracy(pred: np.ndarray, gold: np.ndarray, clean_pred: np.ndarray, clean_gold: np.ndarray,
                   weights: Weights = None) -> np.ndarray:
    """Accuracy on the clean pairs of the items scored (for a contrast set: recall on the pairs edited)."""
    return accuracy(clean_pred, clean_gold, weights)


def accuracy_drop(pred: np.ndarray, gold: np.ndarray, clean_pred: np.ndarray, clean_gold: np.ndarray,
                  weights: Weights = None) -> np.ndarray:
    """`drop` from the same items' clean accuracy to their perturbed accuracy."""
    return drop(accuracy(clean_pred, clean_gold, weights), accuracy(pred, gold, weights))


def relative_accuracy_drop(pred: np.ndarray, gold: np.ndarray, clean_pred: np.ndarray, clean_gold: np.ndarray,
                           weights: Weights = None) -> np.ndarray:
    """`relative_drop` from the same items' clean accuracy to their perturbed accuracy."""
    return relative_drop(accuracy(clean_pred, clean_gold, weights), accuracy(pred, gold, weights))


# The definitions above in the `Paired` signature (the lambdas only drop arguments a metric ignores).
PAIRED: dict[str, Paired] = {
    "accuracy": lambda pred, gold, clean_pred, clean_gold, w=None: accuracy(pred, gold, w),
    "clean_accuracy": clean_accuracy,
    "drop": accuracy_drop,
    "relative_drop": relative_accuracy_drop,
    "robust_accuracy": robust_accuracy,
    "conditional_flip_rate": conditional_flip_rate,
    "balanced_consistency": lambda pred, gold, clean_pred, clean_gold, w=None: balanced_consistency(
        pred, clean_pred, clean_gold, w),
    "directed_flip_rate": directed_flip_rate,
    "consistency": lambda pred, gold, clean_pred, clean_gold, w=None: consistency(pred, clean_pred, w),
    "flip_rate": lambda pred, gold, clean_pred, clean_gold, w=None: flip_rate(pred, clean_pred, w),
    "attack_success_rate": lambda pred, gold, clean_pred, clean_gold, w=None: attack_success_rate(
        pred, clean_pred, clean_gold, w),
}
