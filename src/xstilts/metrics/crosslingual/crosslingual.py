"""Cross-lingual consistency as a Hugging Face `evaluate` metric module, owned by the project.

Loaded by local path (`xstilts.metrics.load_metric("crosslingual")`), offline or online alike. The
definition is `xstilts.metrics.definitions.crosslingual_consistency`; this module is its `evaluate`
interface, and the score stage's `crosslingual.<variant>.consistency` comes from it.

    metric = load_metric("crosslingual")
    metric.compute(predictions=[[1, 1, 1], [0, 1, 0]])  # one row per item, one column per language
"""

import datasets
import evaluate
import numpy as np

from xstilts.metrics import metric_info
from xstilts.metrics.definitions import crosslingual_consistency

_DESCRIPTION = "Cross-lingual consistency: the share of (parallel) items given the same prediction in every language."
_KWARGS = """
Args:
    predictions (list of list of int): per item, its predicted label in each language (the same
        languages, in the same order, for every item; at least two).
Returns:
    consistency (float)
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class Crosslingual(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        return metric_info(_DESCRIPTION, _KWARGS, {"predictions": datasets.Sequence(datasets.Value("int32"))})

    def _compute(self, predictions):
        # The definition wants languages × items; the rows here are items.
        return {"consistency": float(crosslingual_consistency(np.asarray(predictions).T))}
