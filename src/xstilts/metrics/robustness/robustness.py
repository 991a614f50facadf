"""Robustness of a classifier to a perturbation, as a Hugging Face `evaluate` metric module.

Loaded by local path (`xstilts.metrics.load_metric("robustness")`), offline or online alike. The
definitions live in `xstilts.metrics.definitions`; this module is their `evaluate` interface.

    metric = load_metric("robustness")
    metric.compute(predictions=[...], references=[...], clean_predictions=[...], clean_references=[...])
"""

import datasets
import evaluate
import numpy as np

from xstilts.metrics import definitions as d

_DESCRIPTION = """Accuracy on perturbed pairs, and how it relates to the same items' clean pairs:
drop, relative drop, robust accuracy (right on both), conditional flip rate (wrong on the perturbed
pair given right on the clean one), label-balanced consistency (among items right on the clean pair),
directed flip rate (to the reference label, given right on the clean pair: contrast sets), and the
label-blind consistency and flip rate (prediction unchanged / changed)."""
_CITATION = ""
_KWARGS = """
Args:
    predictions (list of int): predicted labels of the perturbed pairs.
    references (list of int): reference labels of the perturbed pairs (a contrast edit changes it).
    clean_predictions (list of int): predicted labels of the same items' clean pairs.
    clean_references (list of int): reference labels of the clean pairs.
Returns:
    accuracy, clean_accuracy, drop, relative_drop, robust_accuracy, conditional_flip_rate,
    balanced_consistency, directed_flip_rate, consistency, flip_rate (float; NaN where undefined)
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class Robustness(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS,
            features=datasets.Features({
                "predictions": datasets.Value("int32"),
                "references": datasets.Value("int32"),
                "clean_predictions": datasets.Value("int32"),
                "clean_references": datasets.Value("int32"),
            }),
        )

    def _compute(self, predictions, references, clean_predictions, clean_references):
        pred, gold = np.asarray(predictions), np.asarray(references)
        clean_pred, clean_gold = np.asarray(clean_predictions), np.asarray(clean_references)
        acc, clean_acc = d.accuracy(pred, gold), d.accuracy(clean_pred, clean_gold)
        return {
            "accuracy": float(acc),
            "clean_accuracy": float(clean_acc),
            "drop": float(d.drop(clean_acc, acc)),
            "relative_drop": float(d.relative_drop(clean_acc, acc)),
            "robust_accuracy": float(d.robust_accuracy(pred, gold, clean_pred, clean_gold)),
            "conditional_flip_rate": float(d.conditional_flip_rate(pred, gold, clean_pred, clean_gold)),
            "balanced_consistency": float(d.balanced_consistency(pred, clean_pred, clean_gold)),
            "directed_flip_rate": float(d.directed_flip_rate(pred, gold, clean_pred, clean_gold)),
            "consistency": float(d.consistency(pred, clean_pred)),
            "flip_rate": float(d.flip_rate(pred, clean_pred)),
        }
