"""The one definition of every metric, on numpy arrays.

Each function reduces over the last axis, so the same code scores one evaluation set (shape `(n,)`)
or thousands of bootstrap resamples at once (shape `(B, n)`). The `evaluate` modules next to this
file and the bootstrap in `xstilts.robustness` both call these functions.

Every function takes optional `weights` over items (same last axis, broadcastable): the bootstrap
passes resampling counts, and 0 marks an item outside the set being scored.

Vocabulary: for a perturbed item, `pred`/`gold` are the prediction and reference label of the
perturbed pair, `clean_pred`/`clean_gold` those of the same item's clean pair.
"""

from __future__ import annotations

import numpy as np


Weights = np.ndarray | None


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
    weights = np.asarray(weights, dtype=np.float64)
    total = weights.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, (hits * weights).sum(axis=-1) / total, np.nan)


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
    """Share of items whose prediction the perturbation left unchanged (label-preserving families:
    ideally 1, whether or not the prediction is right)."""
    _check(pred, clean_pred)
    return _mean(np.asarray(pred) == np.asarray(clean_pred), weights)


def flip_rate(pred: np.ndarray, clean_pred: np.ndarray, weights: Weights = None) -> np.ndarray:
    """Share of items whose prediction changed under a label-flipping edit (contrast sets: ideally 1).
    It measures sensitivity to the edit; `robust_accuracy` counts only flips from right to right."""
    return 1.0 - consistency(pred, clean_pred, weights)


def attack_success_rate(pred: np.ndarray, clean_pred: np.ndarray, clean_gold: np.ndarray,
                        weights: Weights = None) -> np.ndarray:
    """TextAttack's attack success rate: of the items the model got right before the attack (items
    it got wrong are skipped, not attacked), the share whose prediction the attack changed, i.e.
    successful / (successful + failed). `pred` is the prediction after the attack."""
    _check(pred, clean_pred, clean_gold)
    right = (np.asarray(clean_pred) == np.asarray(clean_gold)).astype(np.float64)
    return _mean(np.asarray(pred) != np.asarray(clean_pred), right if weights is None else np.asarray(weights) * right)


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
