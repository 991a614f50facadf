"""Project-owned `evaluate` metric modules, loaded by local path.

`evaluate.load("accuracy")` downloads its script from the Hub; these modules live in this package
and load offline (`HF_HUB_OFFLINE=1`) and online alike. Each is the `evaluate` interface of
definitions in `xstilts.metrics.definitions`:

    accuracy      accuracy of predictions against references
    robustness    every paired metric of perturbed items and their clean pairs (`definitions.PAIRED`)
    crosslingual  cross-lingual consistency of items predicted in several languages

    pytest tests/test_robustness.py tests/test_evaluation.py
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

METRICS_DIR = Path(__file__).parent


def _import_evaluate():
    """`import evaluate`, without the `transformers` pipelines that only its `Evaluator` uses.

    evaluate's `__init__` imports `evaluate.evaluator`, which imports `transformers.pipelines` (and
    so torch) whenever it can: ~3 s of a score stage that otherwise takes a fraction of a second and
    never builds an Evaluator. While `transformers` is marked unimportable, evaluate takes its own
    "transformers not installed" path; the mark is removed at once, so a later `import transformers`
    works. If transformers is loaded already, it costs nothing and is used as is.

    Fragile by nature: in a process that imports `evaluate` this way first (a pytest session, say),
    `evaluate` and `datasets` keep believing transformers is absent, so their transformers-backed
    features (`evaluate.evaluator`) are unavailable there. Nothing in xstilts uses them.
    """
    if "evaluate" in sys.modules or "transformers" in sys.modules:
        import evaluate

        return evaluate
    sys.modules["transformers"] = None  # type: ignore[assignment]  # `import transformers` -> ImportError
    try:
        import evaluate
    finally:
        if sys.modules.get("transformers", "") is None:
            del sys.modules["transformers"]
    return evaluate


def metric_info(description: str, inputs_description: str, features: dict):
    """The `evaluate.MetricInfo` of one of this package's modules (`_info`), from its description, its
    inputs' description and its input features ({name: `datasets` feature})."""
    import datasets
    import evaluate  # imported already: this runs inside a module `load_metric` loads

    return evaluate.MetricInfo(description=description, citation="", inputs_description=inputs_description,
                               features=datasets.Features(features))


@cache
def load_metric(name: str):
    """The module `name` of this package, loaded once per process.

    In memory: a metric computed within one process needs no Arrow cache file per `compute` call
    (evaluate's default writes one under ~/.cache/huggingface/metrics, which doubles the per-call time)."""
    path = METRICS_DIR / name / f"{name}.py"
    if not path.is_file():
        known = sorted(p.name for p in METRICS_DIR.iterdir() if (p / f"{p.name}.py").is_file())
        raise ValueError(f"no metric module {name!r}; known: {', '.join(known)}")
    return _import_evaluate().load(str(path), keep_in_memory=True)
