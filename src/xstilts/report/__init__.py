"""The report: does each intermediate task make zero-shot transfer more accurate, more robust, both or neither?

    python stages/report.py --predictions predictions --logs logs --attacks attacks --out reports

Reads every run's predictions (`predictions/<task>-s<seed>/<variant>.jsonl`; `none` is the baseline,
`<task>_shuffled` a task's shuffled-label control) and writes `reports/robustness.md` with figures
(`reports/figures/`), the data behind `dvc plots` (`reports/plots/`) and `reports/summary.json`.

Modules: `inference` (the two-level bootstrap and tests, pure), `statistics` (estimates and
comparisons over runs), `tables`, `figures`, `document` (the generated text), `runs` (loading).
"""

from xstilts.report.document import answer, describe_setup, render, summary, verdict, write_report
from xstilts.report.inference import holm
from xstilts.report.runs import (
    RUN_NAME,
    AttackRuns,
    Run,
    load_attack_runs,
    load_runs,
    phase_logs,
    selected_runs,
    unlearned_runs,
)
from xstilts.report.statistics import (
    EN_GAP,
    FLIP,
    MATCHED_FLIP,
    POOLED,
    Comparison,
    Estimate,
    Footnotes,
    Statistics,
)
from xstilts.report.tables import learning_section, training_facts

__all__ = ["EN_GAP", "FLIP", "MATCHED_FLIP", "POOLED", "RUN_NAME", "AttackRuns", "Comparison", "Estimate",
           "Footnotes", "Run", "Statistics", "answer", "describe_setup", "holm", "learning_section",
           "load_attack_runs", "load_runs", "phase_logs", "render", "selected_runs", "summary", "training_facts",
           "unlearned_runs", "verdict", "write_report"]
