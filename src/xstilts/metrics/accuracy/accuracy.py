"""Accuracy as a Hugging Face `evaluate` metric module, owned by the project.

`evaluate.load("accuracy")` fetches its script from the Hub, which is unreachable offline; this module
is loaded by local path instead (`xstilts.metrics.load_metric("accuracy")`) and gives the same result
where the Hub is reachable.
"""

import datasets
import evaluate
import numpy as np

from xstilts.metrics import metric_info
from xstilts.metrics.definitions import accuracy

_DESCRIPTION = "Accuracy: the share of predictions equal to the reference label."
_KWARGS = """
Args:
    predictions (list of int): predicted labels.
    references (list of int): gold labels.
    normalize (bool): return the share (default) or the count of correct predictions.
Returns:
    accuracy (float or int)
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class Accuracy(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        return metric_info(_DESCRIPTION, _KWARGS,
                           {"predictions": datasets.Value("int32"), "references": datasets.Value("int32")})

    def _compute(self, predictions, references, normalize: bool = True):
        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
        if not references:
            raise ValueError("accuracy of zero examples is undefined")
        share = float(accuracy(np.asarray(predictions), np.asarray(references)))
        return {"accuracy": share if normalize else int(round(share * len(references)))}
