"""Project-owned `evaluate` metric modules, loaded by local path.

`evaluate.load("accuracy")` downloads its script from the Hub; these modules live in this package
and load offline (`HF_HUB_OFFLINE=1`) and online alike.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

METRICS_DIR = Path(__file__).parent


@cache
def load_metric(name: str):
    import evaluate

    path = METRICS_DIR / name / f"{name}.py"
    if not path.is_file():
        known = sorted(p.name for p in METRICS_DIR.iterdir() if (p / f"{p.name}.py").is_file())
        raise ValueError(f"no metric module {name!r}; known: {', '.join(known)}")
    return evaluate.load(str(path))
