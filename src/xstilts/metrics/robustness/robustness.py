"""Robustness of a classifier to a perturbation, as a Hugging Face `evaluate` metric module.

Loaded by local path (`xstilts.metrics.load_metric("robustness")`), offline or online alike. The
definitions live in `xstilts.metrics.definitions` (`PAIRED`); this module is their `evaluate`
interface, and the score stage's point estimates (`xstilts.robustness.score_run`) come from it.

    metric = load_metric("robustness")
    metric.compute(predictions=[...], references=[...], clean_predictions=[...], clean_references=[...])
"""

import datasets
import evaluate
import numpy as np

from xstilts.metrics import definitions as d
from xstilts.metrics import metric_info

_DESCRIPTION = """Accuracy on perturbed pairs, and how it relates to the same items' clean pairs:
drop, relative drop, robust accuracy (right on both), conditional flip rate (wrong on the perturbed
pair given right on the clean one), label-balanced consistency (among items right on the clean pair),
directed flip rate (to the reference label, given right on the clean pair: contrast sets), and the
label-blind consistency and flip rate (prediction unchanged / changed), and the attack success rate
(prediction changed, given right on the clean pair)."""
_KWARGS = """
Args:
    predictions (list of int): predicted labels of the perturbed pairs.
    references (list of int): reference labels of the perturbed pairs (a contrast edit changes it).
    clean_predictions (list of int): predicted labels of the same items' clean pairs.
    clean_references (list of int): reference labels of the clean pairs.
Returns:
    accuracy, clean_accuracy, drop, relative_drop, robust_accuracy, conditional_flip_rate,
    balanced_consistency, directed_flip_rate, consistency, flip_rate, attack_success_rate
    (float; NaN where undefined)
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class Robustness(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        columns = ("predictions", "references", "clean_predictions", "clean_references")
        return metric_info(_DESCRIPTION, _KWARGS, {name: datasets.Value("int32") for name in columns})

    def _compute(self, predictions, references, clean_predictions, clean_references):
        arrays = [np.asarray(x) for x in (predictions, references, clean_predictions, clean_references)]
        return {name: float(fn(*arrays)) for name, fn in d.PAIRED.items()}
