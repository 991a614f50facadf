"""The report as a document: the generated answer, the Markdown, the summary for `dvc exp show`.

    python stages/report.py --predictions predictions --logs logs --attacks attacks --out reports

The opening paragraph is generated from the primary comparisons (`answer`): for each learned arm
against the baseline and against its control, "more accurate", "more robust", both or neither, with
the intervals. Hand-written notes (`report.notes`) are appended below and may not claim more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from xstilts.config import REPORT_NOTES_DIR, Params, ReportConfig, TaskData, TaskOverrides, TrainConfig
from xstilts.configs import flatten
from xstilts.data.registry import unmatched_controls
from xstilts.errors import ParamsError
from xstilts.io import atomic_path, write_json
from xstilts.report.figures import figures_and_plots
from xstilts.report.inference import format_p, sign_flip_floor
from xstilts.report.runs import (
    AttackRuns,
    controls_that_learned,
    load_attack_runs,
    load_runs,
    phase_logs,
    unchecked_runs,
    unlearned_runs,
)
from xstilts.report.statistics import (
    ALPHA,
    EN_GAP,
    FLIP,
    MATCHED_FLIP,
    POOLED,
    Comparison,
    Footnotes,
    Statistics,
)
from xstilts.report.tables import (
    attack_section,
    by_language,
    exploratory_comparisons,
    family_summary,
    learning_section,
    matched_table,
    primary_table,
    published_comparison,
    seeds_table,
    task_by_column_table,
    training_facts,
    validity_table,
)
from xstilts.robustness import ATTACK, AVERAGE
from xstilts.schema import CLEAN, NO_INTERMEDIATE, PRESERVING, is_control
from xstilts.validity import is_primary


def _points(c: Comparison) -> str:
    text = f"{100 * c.delta:+.1f} points [{100 * c.low:+.1f}, {100 * c.high:+.1f}], Holm p {format_p(c.p_holm)}"
    if np.isfinite(c.p_sign):  # the exact test over the seed pairs, and the floor n seeds allow
        text += f", sign-flip p {format_p(c.p_sign)} (its floor with {c.seeds} seeds: {sign_flip_floor(c.seeds):.3g})"
    return text


def _matched_text(c: Comparison | None) -> str:
    if c is None or not np.isfinite(c.delta):
        return "n/a" + (f" ({c.note.removeprefix('n/a: ').rstrip('.')})" if c is not None and c.note else "")
    return f"{100 * c.delta:+.1f} points [{100 * c.low:+.1f}, {100 * c.high:+.1f}]"


def _significant(c: Comparison) -> bool:
    return bool(np.isfinite(c.p_holm) and c.p_holm < ALPHA)


def verdict(accuracy: Comparison, flip: Comparison | None, matched: Comparison | None) -> tuple[str, str]:
    """(accuracy finding, robustness finding) of one primary comparison. More robust needs fewer flips
    given right on the clean pair (Holm) *and* fewer on the items both runs get right (matched interval
    below zero): a more accurate model that is equally fragile wins neither."""
    accurate = ("more accurate" if _significant(accuracy) and accuracy.delta > 0 else
                "less accurate" if _significant(accuracy) and accuracy.delta < 0 else "no accuracy difference resolved")
    if flip is None or not np.isfinite(flip.delta):
        return accurate, "robustness not measured"
    matched_ok = matched is not None and np.isfinite(matched.high)
    if _significant(flip) and flip.delta < 0:
        robust = ("more robust" if matched_ok and matched.high < 0 else
                  "fewer flips, but not on the items both get right (matched): not shown to be more robust")
    elif _significant(flip) and flip.delta > 0:
        robust = ("less robust" if matched_ok and matched.low > 0 else
                  "more flips, but not on the items both get right (matched): not shown to be less robust")
    else:
        robust = "no robustness difference resolved"
    return accurate, robust


def _summary_word(accurate: str, robust: str) -> str:
    up = (accurate == "more accurate", robust == "more robust")
    down = (accurate == "less accurate", robust == "less robust")
    if all(up):
        return "more accurate and more robust"
    if any(down):
        return " and ".join(w for w, hit in zip(("less accurate", "less robust"), down) if hit)
    return {(True, False): "more accurate only", (False, True): "more robust only"}.get(up, "neither")


def answer(stats: Statistics) -> list[str]:
    """The opening paragraphs, generated from the primary comparisons only."""
    if not stats.has_baseline():
        return ["There is no baseline run (`none`), so this report cannot answer the question."]
    comparisons = stats.primary_comparisons()
    lines = []
    for arm in stats.headline_arms():
        for ref in stats.valid_references(arm):
            acc = comparisons[(arm, "accuracy", AVERAGE, CLEAN, ref)]
            flip = comparisons.get((arm, FLIP, AVERAGE, POOLED, ref))
            matched = stats.compare(arm, MATCHED_FLIP, AVERAGE, POOLED, ref) if flip is not None else None
            accurate, robust = verdict(acc, flip, matched)
            against = "the baseline `none`" if ref == NO_INTERMEDIATE else f"its shuffled-label control `{ref}`"
            seeds = acc.seeds
            scope = (f"{seeds} seeds, seed-and-item intervals" if seeds > 1 else
                     "**one seed: test-item sampling only, so this is no claim about the method**, only about these "
                     "checkpoints")
            text = (f"- **`{arm}` against {against}** ({scope}): **{_summary_word(accurate, robust)}** at this scale. "
                    f"Clean accuracy: {accurate} ({_points(acc)}).")
            if flip is not None:
                text += (f" Flip rate given right on the clean pair, pooled over {', '.join(stats.primary)}: {robust} "
                         f"({_points(flip)}; on the items both get right: {_matched_text(matched)}).")
            lines.append(text)
    for task in stats.arms:
        dropped = [r for r in stats.references(task) if r not in stats.valid_references(task)]
        if task not in stats.headline_arms():
            lines.append(f"- `{task}` is left out of the answer: " + (
                "a run of it did not learn (see \"Runs that did not learn\")" if not stats.learned(task) else
                "it has no valid reference") + "; its numbers below are exploratory.")
        elif dropped:
            lines.append(f"- `{task}` is not compared with {', '.join(f'`{r}`' for r in dropped)}: "
                         + "; ".join("its control learned the true labels (not a control)" if r in stats.controls_that_learned
                                     else "a run of it did not learn" for r in dropped) + ".")
    if stats.unchecked:
        lines.append(f"- Learning was not checked for {', '.join(f'`{n}`' for n in stats.unchecked)} (no training "
                     "log): they count as learned here, unverified.")
    if not lines:
        lines.append("- No intermediate arm ran besides the baseline and controls, so there is no comparison to make.")
    controls = [t for t in stats.tasks if is_control(t)]
    lead = ("Does English NLI intermediate training make zero-shot transfer more accurate, more robust, both or "
            "neither? Generated from the primary endpoints below (Holm over "
            f"{sum(np.isfinite(c.p) for c in comparisons.values())} primary tests at α = {ALPHA:g}):")
    tail = [] if controls else ["", "No shuffled-label control ran, so no difference can be told apart from "
                                    "\"one more English fine-tuning phase\"."]
    return [lead, "", *lines, *tail]


def summary(stats: Statistics, attack: Statistics | None = None) -> dict[str, dict[str, float]]:
    """`reports/summary.json`: per task, the headline numbers (for `dvc exp show`/`metrics diff`)."""
    out: dict[str, dict[str, float]] = {}
    for task in stats.tasks:
        entry: dict[str, float] = {}
        for short, name, variant in (("clean_accuracy", "accuracy", CLEAN), ("flip_pooled", FLIP, POOLED)):
            if variant == POOLED and not stats.primary:
                continue
            entry[short] = round(stats.estimate(task, name, AVERAGE, variant).value, 6)
            if task != NO_INTERMEDIATE and stats.has_baseline():
                c = stats.compare(task, name, AVERAGE, variant)
                entry[f"{short}_delta"] = round(c.delta, 6)
                entry[f"{short}_p_value"] = round(c.p, 6)
        if attack is not None:
            entry["attack_success_rate"] = round(attack.estimate(task, "success_rate", AVERAGE, ATTACK).value, 6)
            if task != NO_INTERMEDIATE and attack.has_baseline():
                c = attack.compare(task, "success_rate", AVERAGE, ATTACK)
                entry["attack_delta"] = round(c.delta, 6)
                entry["attack_p_value"] = round(c.p, 6)
        entry["seeds"] = len(stats.seeds(task))
        # How many of the task's runs have a phase that did not beat chance (0 = every run learned).
        entry["runs_not_learned"] = sum(r.name in stats.unlearned for r in stats.runs_of(task))
        out[task] = {k: v for k, v in entry.items() if np.isfinite(v)}
    return out


def how_to_read(stats: Statistics) -> list[str]:
    single = [f"`{t}`" for t in stats.tasks if len(stats.seeds(t)) == 1]
    confidence = f"{100 * stats.cfg.confidence:g} %"
    return [
        "## How to read this report",
        "",
        f"Numbers are percentages: the mean over seeds, ± the standard deviation across seeds (when there are "
        f"several), and the {confidence} interval in brackets. Intervals and p-values come from a **two-level "
        f"bootstrap** ({stats.samples} resamples, enough to resolve Holm's smallest threshold): each resample draws "
        "the seeds of every arm with replacement (paired by seed where arms share their seeds), then the test "
        "items, one draw shared by every run, language and family (an item's translations are one cluster; "
        "comparisons are paired on items). With several seeds the interval is value ± t(seeds − 1) × the "
        "bootstrap standard error (corrected by √(S/(S−1))), and the p-value is the same Student t test, so the two "
        "always agree; where both arms share ≥ 2 seeds the exact sign-flip test over the seed-paired differences "
        "is shown too (its smallest possible p with n seeds is 2/2ⁿ: 0.0625 at 5, the honest limit of 5 seeds). "
        + (f"**Tasks with a single seed ({', '.join(single)}, marked · 1 seed): their intervals are a percentile "
           "bootstrap over test items only (test-item sampling only)**, so no difference of theirs is a claim about "
           "the method. " if single else "")
        + "Only the primary table is corrected (Holm over exactly its cells; ✓ marks Holm p < 0.05); every other "
          "Δ is **exploratory**, its `*` an uncorrected p < 0.05. `n/a` marks an undefined value (its footnote "
          "says why); it is left out of pooled values for every run alike and out of Holm's family.",
        "",
        "- **accuracy** (clean): share of test pairs right. Of a family: on the pairs it changed (the reference "
        "label of a contrast edit is 0, not a paraphrase).",
        "- **flip | right on clean** (primary robustness endpoint): P(wrong on the perturbed pair | right on the "
        "clean pair), over the items a family changed; **pooled**: the mean over the primary label-preserving "
        f"families ({', '.join(stats.primary) or 'none'}).",
        "- **matched flip**: the same rate on the items *both* compared runs get right on the clean pair; a model "
        "that is only more accurate does not win it.",
        "- **consistency (balanced)**: among items right on the clean pair, the share whose prediction the "
        "perturbation kept, averaged over the two gold labels (a constant predictor gets n/a, not 100 %).",
        "- **contrast sets**: **flip to new label | right**: of the items right on the clean pair, the share "
        "moved to the edit's new label; **clean recall**: accuracy on the same (paraphrase) items before the edit.",
        "- **robust accuracy** (secondary): right on the clean *and* the perturbed pair = accuracy × (1 − flip); it "
        "mixes accuracy and robustness and is never evidence of robustness alone. **drop**: clean minus perturbed "
        "accuracy on the same items.",
        "- **cross-lingual consistency**: the same prediction for an item in all languages; **en gap**: English "
        "accuracy minus the mean of the other languages.",
        "",
    ]


def render(stats: Statistics, figures: Mapping[str, str], setup: Mapping[str, str], facts: str, notes: str,
           attack: tuple[Statistics, AttackRuns] | None = None, validity: Mapping[str, Mapping] | None = None) -> str:
    seeds = sorted({r.seed for r in stats.runs})
    columns = [(CLEAN, CLEAN), *[(f, f) for f in stats.families]]
    first, *other_figures = list(figures.items())
    lines = [
        "# Does English NLI intermediate training make zero-shot PAWS-X transfer more robust?",
        "",
        "Generated by the `report` stage (`dvc repro report`) from `predictions/`; do not edit by hand.",
        "",
        "## The answer",
        "",
        *answer(stats),
        "",
        f"![{first[0]}]({first[1]})",
        "",
        "## Primary endpoints",
        "",
        "Each learned arm against the baseline and against its shuffled-label control, averaged over languages: "
        "Δ in points [interval], p, Holm's p over this table only, and the sign-flip p over seeds. Flip rates: "
        "lower is more robust.",
        "",
        primary_table(stats) if stats.primary_cells() else "_No primary comparison: no learned arm with a baseline._",
        "",
        "Matched flip rate (secondary, not in Holm's family): the same Δ on the items both runs get right on the "
        "clean pair.",
        "",
        matched_table(stats),
        "",
    ]
    exploratory = exploratory_comparisons(stats)
    if exploratory:
        lines += ["Exploratory: arms left out of the primary family and the controls against the baseline.", "",
                  exploratory, ""]
    lines += [
        "## Setup",
        "",
        *[f"- **{k}**: {v}" for k, v in setup.items()],
        f"- **runs**: {len(stats.runs)} ({', '.join(r.name for r in stats.runs)}); seeds: {', '.join(map(str, seeds))}",
        f"- **primary families**: {', '.join(stats.primary) or 'none'}"
        + (f"; exploratory only: {', '.join(f for f in stats.families if f not in stats.primary)}"
           if any(f not in stats.primary for f in stats.families) else ""),
        "",
        facts,
        "",
        *learning_section(stats),
        *how_to_read(stats),
        "## Exploratory: clean accuracy by language",
        "",
        by_language(stats, "accuracy", CLEAN),
        "",
    ]
    if stats.primary:
        lines += ["## Exploratory: flip rate given right on the clean pair, by language (pooled families)", "",
                  by_language(stats, FLIP, POOLED), "",
                  "## Secondary: robust accuracy by language (pooled families)", "",
                  by_language(stats, "robust_accuracy", POOLED), ""]
    lines += [
        "## Perturbation validity",
        "",
        "A perturbation is valid only if it changes the model's input and keeps the label (contrast sets: "
        "flips it). **Changed** means the token ids changed: text edits the tokenizer undoes (NFKC folds "
        "full-width letters, for one) are not scored. **Label valid**: the share of a committed, seeded "
        "audit sample (`data/audit/<family>.jsonl`, pairs of the real PAWS-X test sets, each read and judged) "
        "whose gold label still holds (contrast: whose label flipped), with a 95 % Wilson interval; a "
        "label-preserving family under 90 % is left out of the primary endpoints."
        + ("" if validity else " **No audit was found**, so every label-preserving family counts as primary "
                               "here: the validity of these perturbations is unmeasured."),
        "",
        validity_table(stats, validity),
        "",
        "## Figures", "", *[f"![{title}]({path})\n" for title, path in other_figures], ""]
    if stats.families:
        lines += ["## Per perturbation family (exploratory)", ""]
        for family in stats.families:
            kind = stats.effect(family) + ("" if family in stats.primary or stats.effect(family) != PRESERVING
                                           else ", not primary")
            lines += [f"### {family} ({kind})", "", "Average over languages:", "", family_summary(stats, family), "",
                      "Flip rate given right on the clean pair, by language:" if stats.effect(family) == PRESERVING
                      else "Flip to the new label given right on the clean pair, by language:", "",
                      by_language(stats, FLIP if stats.effect(family) == PRESERVING else "flip_rate", family), ""]
    lines += [
        "## Cross-lingual consistency (exploratory)",
        "",
        task_by_column_table(stats, "crosslingual_consistency", [(AVERAGE, v) for _, v in columns],
                             [v for _, v in columns]),
        "",
        "## English minus the other languages (accuracy gap, exploratory)",
        "",
        task_by_column_table(stats, "accuracy", [(EN_GAP, v) for _, v in columns], [v for _, v in columns]),
        "",
        *(attack_section(*attack) if attack else []),
        "## Seeds",
        "",
        seeds_table(stats),
        "",
        "## Reference: published zero-shot PAWS-X test accuracy",
        "",
        published_comparison(stats),
        "",
    ]
    if notes:
        lines += ["## Notes (hand-written; they may discuss but not claim more than the generated text above)", "",
                  notes.strip(), ""]
    return "\n".join(lines + stats.footnotes.render())


def write_report(predictions_dir: Path, out_dir: Path, cfg: ReportConfig, logs_dir: Path | None = None,
                 setup: Mapping[str, str] | None = None, notes_path: Path | None = None,
                 runs: Sequence[str] | None = None, variants: Sequence[str] | None = None,
                 attacks_dir: Path | None = None, validity: Mapping[str, Mapping] | None = None) -> Path:
    """With `attacks_dir` (stage `attack`'s outputs), the report gains the adaptive-attack section.
    `validity` (`xstilts.validity.validity` of the audit files) decides the primary families: a
    label-preserving family with at least 90 % label validity; without an audit, every one."""
    primary_families = None if not validity else [f for f, v in validity.items() if is_primary(v)]
    loaded = load_runs(predictions_dir, runs, variants)
    logs = phase_logs(logs_dir, loaded)
    # One set of footnotes and one list of runs that did not learn for every table of the report.
    stats = Statistics(loaded, cfg, Footnotes(), unlearned_runs(logs), primary_families,
                       controls_that_learned(logs), unchecked_runs(logs))
    attack = None
    if attacks_dir is not None:
        attack_runs = load_attack_runs(attacks_dir, stats.runs)
        attack = (Statistics(attack_runs.runs, cfg, stats.footnotes, stats.unlearned, primary_families,
                             stats.controls_that_learned, stats.unchecked), attack_runs)
    if notes_path and not notes_path.is_file():
        raise ParamsError("report.notes", f"{notes_path}: expected a file in {REPORT_NOTES_DIR}/ (a dependency of the stage)")
    notes = notes_path.read_text(encoding="utf-8") if notes_path else ""
    figures = figures_and_plots(stats, out_dir)
    text = render(stats, figures, setup or {}, training_facts(logs, stats.runs), notes, attack, validity)
    write_json(out_dir / "summary.json", summary(stats, attack[0] if attack else None))
    report = out_dir / "robustness.md"
    with atomic_path(report) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return report


def describe_setup(params: Params) -> dict[str, str]:
    """The run's configuration in a few lines (what was trained on what, how), from the keys the
    report stage reads."""
    inter, target, attack = params.intermediate, params.target, params.attack

    def train(cfg: TrainConfig) -> str:
        keys = ("learning_rate", "epochs", "batch_size", "max_length", "mixed_precision", "freeze_word_embeddings",
                "fast_dropout")
        return ", ".join(f"{k} {getattr(cfg, k)}" for k in keys)

    def sizes(data: TaskData) -> str:
        return ", ".join(f"{k} ≤ {v}" for k, v in data.max_examples.items() if v) or "all examples"

    def overrides() -> str:
        """Each task's own settings (intermediate.overrides.<task>), where it has any."""
        shown = []
        for task in inter.tasks:
            own = inter.overrides.get(task, TaskOverrides())
            flat = {k: v for k, v in flatten({"data": own.data, "train": own.train}) if v != {}}  # {} sets nothing
            if flat:
                shown.append(f"`{task}`: " + ", ".join(f"{k} {v}" for k, v in flat.items()))
        return "; ".join(shown) or "none (every task uses the settings above)"

    source = params.data.source
    return {
        "encoder": f"`{params.model.name}`",
        "data source": f"`{source}`" + (f" (`{params.data.local_dir}`)" if source == "local" else ""),
        "intermediate tasks": ", ".join(f"`{t}`" for t in inter.tasks)
                              + "".join(f"; ⚠ {line}" for line in unmatched_controls(inter.tasks, inter.overrides)),
        "intermediate training": f"{train(inter.train)}; data: {sizes(inter.data)}",
        "per-task intermediate settings": overrides(),
        "target training (English PAWS-X)": f"{train(target.train)}; data: {sizes(target.data)}"
                                            + (f" from `{files}`" if (files := target.data.local.get("train")) else ""),
        "perturbation families": ", ".join(f"`{f}`" for f in params.perturb.families),
        "evaluation": ("clean: every test item; perturbation families: "
                       + (f"{cap} test items per language (a fixed subsample, the same ids in every language and "
                          "family)" if (cap := params.eval.max_examples) else "every test item")),
        "adaptive attack": (f"{attack.max_examples} test items per language (0 = all), "
                            f"at most {attack.query_budget} queries per pair and "
                            f"{attack.max_edit_share} of its word units edited; candidate sources: "
                            + ", ".join(f"`{k}`" for k in attack.sources)),
    }
