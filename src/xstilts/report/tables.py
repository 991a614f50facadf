"""The report's Markdown tables: cells with intervals, Δ and markers; one function per table.

Only `primary_table` carries Holm-corrected p-values (the pre-declared primary family); the markers
elsewhere are uncorrected and the report labels those tables exploratory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from xstilts.attack.metrics import SKIPPED, SUCCESSFUL
from xstilts.report.inference import format_p
from xstilts.report.runs import PHASES, RUN_NAME, AttackRuns, Run
from xstilts.report.statistics import (
    ALPHA,
    FLIP,
    MATCHED_FLIP,
    POOLED,
    Comparison,
    Estimate,
    Footnotes,
    Statistics,
)
from xstilts.robustness import ATTACK, AVERAGE
from xstilts.schema import CLEAN, FLIPPING, NO_INTERMEDIATE, PRESERVING, is_control

# Published zero-shot PAWS-X test accuracy (XTREME, Hu et al. 2020, table 11), for the sanity check.
PUBLISHED = {
    "XLM-R Large (XTREME)": {"en": 94.7, "de": 89.7, "es": 90.1, "fr": 90.4, "ja": 78.7, "ko": 79.0, "zh": 82.3},
    "mBERT (XTREME)": {"en": 94.0, "de": 85.7, "es": 87.4, "fr": 87.0, "ja": 73.0, "ko": 69.6, "zh": 77.0},
}


# --- formatting ---------------------------------------------------------------------------------

NA = "n/a"


def _pp(x: float) -> str:
    return NA if not np.isfinite(x) else f"{100 * x:.1f}"


def _marker(c: Comparison) -> str:
    """`*`: p < 0.05 uncorrected (exploratory tables)."""
    return "*" if np.isfinite(c.p) and c.p < ALPHA else ""


def _cell(notes: Footnotes, e: Estimate, c: Comparison | None = None, interval: bool = True) -> str:
    """`value ± seed std [interval] (Δ marker)`; `n/a` and footnote marks where something is undefined."""
    if not np.isfinite(e.value):
        return NA + notes.mark(e.note)
    text = _pp(e.value)
    if e.seed_std is not None:
        text += f" ± {100 * e.seed_std:.1f}"
    if interval:
        text += f" [{_pp(e.low)}, {_pp(e.high)}]"
    text += notes.mark(e.note)
    if c is not None:
        delta = NA if not np.isfinite(c.delta) else f"{100 * c.delta:+.1f}{_marker(c)}"
        text += f" ({delta}{notes.mark(c.note)})"
    return text


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def task_by_column_table(stats: Statistics, name: str, columns: Sequence[tuple[str, str]],
                         header: Sequence[str], interval: bool = True) -> str:
    """Rows: tasks; columns: (lang, variant) cells of metric `name`; Δ to the baseline with markers."""
    cells = [(task, name, lang, variant) for task in stats.tasks if task != NO_INTERMEDIATE
             for lang, variant in columns]
    comparisons = stats.compare_all(cells) if stats.has_baseline() else {}
    rows = []
    for task in stats.tasks:
        row = [stats.task_label(task)]
        for lang, variant in columns:
            row.append(_cell(stats.footnotes, stats.estimate(task, name, lang, variant),
                             comparisons.get((task, name, lang, variant)), interval))
        rows.append(row)
    return _table(["intermediate task", *header], rows)


def by_language(stats: Statistics, name: str, variant: str) -> str:
    langs = [*stats.langs, AVERAGE]
    return task_by_column_table(stats, name, [(lang, variant) for lang in langs], langs)


# The metrics shown for a family of each kind, in column order.
FAMILY_METRICS = {
    PRESERVING: ["accuracy", FLIP, "consistency", "drop", "robust_accuracy"],
    FLIPPING: ["clean_accuracy", "accuracy", "flip_rate", "robust_accuracy"],
}
METRIC_TITLES = {"accuracy": "accuracy", FLIP: "flip | right on clean", "consistency": "consistency (balanced)",
                 "drop": "drop", "robust_accuracy": "robust accuracy", "clean_accuracy": "clean recall (same items)",
                 "flip_rate": "flip to new label | right", MATCHED_FLIP: "matched flip"}


def family_summary(stats: Statistics, family: str) -> str:
    """One family, averaged over languages: every metric of its kind, with intervals and Δ (exploratory)."""
    names = FAMILY_METRICS[stats.effect(family)]
    cells = [(task, name, AVERAGE, family) for task in stats.tasks if task != NO_INTERMEDIATE for name in names]
    comparisons = stats.compare_all(cells) if stats.has_baseline() else {}
    rows = []
    for task in stats.tasks:
        rows.append([stats.task_label(task)] + [_cell(stats.footnotes, stats.estimate(task, name, AVERAGE, family),
                                                      comparisons.get((task, name, AVERAGE, family)))
                                                for name in names])
    return _table(["intermediate task", *[METRIC_TITLES[n] for n in names]], rows)


def _delta_cell(notes: Footnotes, c: Comparison, holm: bool) -> str:
    """`Δ [interval] p` (and Holm's p, and the sign-flip p over seeds where seeds are paired)."""
    if not np.isfinite(c.delta):
        return NA + notes.mark(c.note)
    text = f"{100 * c.delta:+.1f} [{100 * c.low:+.1f}, {100 * c.high:+.1f}]{notes.mark(c.note)}"
    parts = [f"p {format_p(c.p)}"]
    if holm:
        parts.append(f"Holm {format_p(c.p_holm)}" + (" ✓" if np.isfinite(c.p_holm) and c.p_holm < ALPHA else ""))
    if np.isfinite(c.p_sign):
        parts.append(f"sign-flip {format_p(c.p_sign)}")
    return text + "<br>" + ", ".join(parts)


def endpoint_columns(stats: Statistics) -> list[tuple[str, str, str]]:
    """(metric, variant, header) of the primary endpoints, in column order."""
    return ([("accuracy", CLEAN, "Δ clean accuracy")] + [(FLIP, f, f"Δ flip: {f}") for f in stats.primary]
            + ([(FLIP, POOLED, "Δ flip: pooled")] if stats.primary else []))


def primary_table(stats: Statistics) -> str:
    """The primary family: each learned arm against the baseline and its control, averaged over
    languages; Holm over exactly these cells."""
    comparisons = stats.primary_comparisons()
    columns = endpoint_columns(stats)
    rows = []
    for arm in stats.headline_arms():
        for ref in stats.valid_references(arm):
            rows.append([f"{stats.task_label(arm)} − {stats.task_label(ref, mark=False)}"]
                        + [_delta_cell(stats.footnotes, comparisons[(arm, name, AVERAGE, variant, ref)], holm=True)
                           for name, variant, _ in columns])
    return _table(["comparison", *[h for _, _, h in columns]], rows)


def matched_table(stats: Statistics) -> str:
    """Matched flip Δ: on the items both runs get right on the clean pair (secondary, not in Holm's family)."""
    families = [*stats.primary, *([POOLED] if stats.primary else [])]
    rows = []
    for arm in [*stats.arms, *[t for t in stats.tasks if t not in stats.arms and t != NO_INTERMEDIATE]]:
        for ref in stats.references(arm):
            rows.append([f"{stats.task_label(arm)} − {stats.task_label(ref, mark=False)}"]
                        + [_delta_cell(stats.footnotes, stats.compare(arm, MATCHED_FLIP, AVERAGE, f, ref), holm=False)
                           for f in families])
    return _table(["comparison", *[f"Δ matched flip: {f}" for f in families]], rows)


def exploratory_comparisons(stats: Statistics) -> str:
    """Arms left out of the primary family (did not learn) and the controls against the baseline."""
    columns = endpoint_columns(stats)
    rows = []
    for task in stats.tasks:
        if task == NO_INTERMEDIATE or task in stats.headline_arms() or not stats.has_baseline():
            continue
        rows.append([f"{stats.task_label(task)} − {stats.task_label(NO_INTERMEDIATE, mark=False)}"]
                    + [_delta_cell(stats.footnotes, stats.compare(task, name, AVERAGE, variant), holm=False)
                       for name, variant, _ in columns])
    return _table(["comparison", *[h for _, _, h in columns]], rows) if rows else ""


def token_identical(stats: Statistics, family: str) -> tuple[int, int]:
    """(text changes the tokenizer undid, text changes) of a family over every language, from the
    predictions (the same test items and tokenizer for every run): those items are not scored."""
    arrays = stats.runs[0].arrays
    if arrays.text_changed is None:
        return 0, 0
    v = arrays.variant_index(family)
    text = arrays.text_changed[:, v]
    return int((text & ~arrays.mask[:, v]).sum()), int(text.sum())


def validity_table(stats: Statistics, audit: Mapping[str, Mapping] | None) -> str:
    """Per family: the audited label validity [95 % Wilson interval], fluency, the share of text edits
    the tokenizer undid (not scored), and whether the family is in the primary endpoints."""
    rows = []
    for family in stats.families:
        undone, text = token_identical(stats, family)
        undone_cell = f"{undone} of {text} ({100 * undone / text:.1f} %)" if text else NA
        overall = (audit or {}).get(family, {}).get("overall")
        if overall and overall["n"]:
            valid = (f"{100 * overall['rate']:.1f} [{100 * overall['low']:.1f}, {100 * overall['high']:.1f}] "
                     f"(n = {overall['n']})")
            fluent = f"{100 * overall['fluent_rate']:.1f}" if overall["fluent_n"] else NA
        else:
            valid, fluent = "not audited", NA
        role = ("primary" if family in stats.primary else
                "contrast set (own endpoints, exploratory)" if stats.effect(family) != PRESERVING else
                "exploratory: under 90 % label validity" if overall and overall["n"] else "exploratory: not audited")
        rows.append([family, stats.effect(family), valid, fluent, undone_cell, role])
    return _table(["family", "effect", "label valid (%) [95 % CI]", "fluent (%)",
                   "text edits the tokenizer undid (not scored)", "role"], rows)


def published_comparison(stats: Statistics) -> str:
    langs = [lang for lang in stats.langs if lang in PUBLISHED["mBERT (XTREME)"]]
    rows = []
    for task in stats.tasks:
        values = [stats.estimate(task, "accuracy", lang, CLEAN).value for lang in langs]
        rows.append([f"this pipeline: {stats.task_label(task)}", *[_pp(v) for v in values],
                     _pp(float(np.mean(values)))])
    for model, scores in PUBLISHED.items():
        rows.append([model, *[f"{scores[lang]:.1f}" for lang in langs], f"{np.mean([scores[x] for x in langs]):.1f}"])
    return _table(["model", *langs, "avg"], rows)


def seeds_table(stats: Statistics) -> str:
    """Per task: its seeds, and clean accuracy and the pooled flip rate per seed (the spread the
    two-level bootstrap resamples)."""
    endpoints = [("accuracy", CLEAN)] + ([(FLIP, POOLED)] if stats.primary else [])
    rows = []
    for task in stats.tasks:
        row = [stats.task_label(task), ", ".join(map(str, stats.seeds(task)))]
        for name, variant in endpoints:
            points, _ = stats._per_seed(task, name, AVERAGE, variant)
            row.append(" / ".join(_pp(p) for p in points))
            row.append(_cell(stats.footnotes, stats.estimate(task, name, AVERAGE, variant), interval=False))
        rows.append(row)
    return _table(["intermediate task", "seeds", "clean avg per seed", "clean avg mean ± std",
                   *(["pooled flip per seed", "pooled flip mean ± std"] if stats.primary else [])], rows)


def attack_effort(stats: Statistics, attack: AttackRuns) -> str:
    """Per task, pooled over languages and seeds: counts, mean queries, mean share of units edited."""
    rows = []
    for task in stats.tasks:
        mine = [r for run in stats.runs if run.task == task for r in attack.rows[run.name]]
        attacked = [r for r in mine if r["status"] != SKIPPED]
        won = [r for r in mine if r["status"] == SUCCESSFUL]
        counts = f"{len(won)} / {len(attacked) - len(won)} / {len(mine) - len(attacked)}"
        queries = f"{np.mean([r['queries'] for r in attacked]):.1f}" if attacked else NA
        share = _pp(float(np.mean([r["edited_share"] for r in won]))) if won else NA
        rows.append([stats.task_label(task), counts, queries, share])
    return _table(["intermediate task", "successful / failed / skipped", "mean queries", "units edited (%)"], rows)


def attack_section(stats: Statistics, attack: AttackRuns) -> list[str]:
    return [
        "## Adaptive attack",
        "",
        "A query-bounded greedy attack (TextFooler/BAE family, `xstilts.attack`) searches each attacked test "
        "pair for the smallest label-preserving word edit that flips this checkpoint's prediction: lexicon "
        "translations, same-script input-embedding neighbours and typos, never a name or number both "
        "sentences share. Pairs the model gets wrong before any edit are skipped. **Success rate** = "
        "successful / (successful + failed): lower is more robust. **Accuracy under attack** = failed / all "
        "attacked pairs: higher is more robust. Intervals and Δ as above (the attacked pairs are a subsample, "
        "`attack.max_examples` per language); the adversarial pairs are in `attacks/<run>/results.jsonl`.",
        "",
        "Attack success rate by language:",
        "",
        by_language(stats, "success_rate", ATTACK),
        "",
        "Accuracy under attack by language:",
        "",
        by_language(stats, "accuracy_under_attack", ATTACK),
        "",
        "Effort (pooled over languages and seeds; queries over successful and failed attacks, units edited "
        "over successful ones):",
        "",
        attack_effort(stats, attack),
        "",
    ]


# --- training facts from the dvclive logs -------------------------------------------------------


def training_facts(logs: Mapping[tuple[str, str], dict], runs: Sequence[Run]) -> str:
    if not any(logs.values()):
        return "_No training logs found._"
    rows = []
    for run in runs:
        row = [run.name]
        for phase in PHASES:
            data = logs[(run.name, phase)]
            if not data:
                row += ["–", "–", "–"]
                continue
            if phase == "intermediate" and is_control(run.task):
                # A shuffled-label control should stay at chance on the true labels; learning would
                # mean the labels were not shuffled.
                verdict = {True: " ⚠ the control learned the true labels", False: " (control: at chance, as meant)"}.get(
                    data.get("learned"), " (not checked)")
            else:
                verdict = {True: "", False: " ⚠ did not learn"}.get(data.get("learned"), " (not checked)")
            chance = f" (chance {_pp(data['chance_accuracy'])})" if "chance_accuracy" in data else ""
            row += [str(data["train_examples"]), _pp(data.get("best_validation_accuracy", float("nan"))) + chance + verdict,
                    f"{data.get('seconds', float('nan')):.0f}"]
        rows.append(row)
    return _table(["run", "intermediate train pairs", "intermediate best val acc", "intermediate s",
                   "target train pairs", "target best en val acc", "target s"], rows)


def learning_section(stats: Statistics) -> list[str]:
    """Every run whose training did not beat chance, and what that means for its numbers."""
    if not stats.unlearned:
        return []
    lines = ["## Runs that did not learn", "",
             "A phase learned when its best held-out accuracy beats the majority-class rate (one-sided exact "
             "binomial test, p < 0.01, Bonferroni over its validation points). These did not:", ""]
    for name, why in stats.unlearned.items():
        task = RUN_NAME.match(name)["task"]
        meaning = ("every Δ to the baseline mixes this failure with any effect of intermediate training"
                   if task == NO_INTERMEDIATE else
                   f"the {task} values include this run, so their Δ to the baseline is not an effect of the "
                   "intermediate task alone")
        lines.append(f"- **{name}**: did not learn ({why}); {meaning}.")
    return [*lines, ""]


# --- figures and plot data ----------------------------------------------------------------------
