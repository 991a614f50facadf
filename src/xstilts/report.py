"""The report: does each intermediate task make zero-shot transfer more robust than the baseline?

    python stages/report.py --predictions predictions --logs logs --out reports

Reads every run's predictions (`predictions/<task>-s<seed>/<variant>.jsonl`; `none` is the baseline) and
writes `reports/robustness.md` with figures (`reports/figures/`), the data behind `dvc plots`
(`reports/plots/`) and a small metrics file for `dvc exp show` (`reports/summary.json`).

Statistics: a value is the mean over seeds of the per-seed metric; its interval is a percentile
bootstrap over test items (the seed-mean recomputed on each resample). A Δ compares a task with the
baseline on the same items and resamples (paired bootstrap); its p-value is two-sided, read off the
same replicates, and the marker uses Holm's correction over the comparisons of one table.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from xstilts.attack.metrics import SKIPPED, SUCCESSFUL, attack_arrays, read_results
from xstilts.configs import flatten
from xstilts.data.registry import NO_INTERMEDIATE
from xstilts.errors import ParamsError, XstiltsError
from xstilts.io import atomic_path, write_json
from xstilts.params import lookup
from xstilts.robustness import (
    ATTACK,
    AVERAGE,
    CLEAN,
    PRESERVING,
    RunArrays,
    crosslingual,
    load_predictions,
    metric,
    prediction_files,
    resampling_weights,
)

RUN_NAME = re.compile(r"^(?P<task>.+)-s(?P<seed>\d+)$")
EN_GAP = "en_gap"  # pseudo-language: English minus the mean of the other languages
POOLED = "preserving families"  # pseudo-variant: the mean over label-preserving families

# Published zero-shot PAWS-X test accuracy (XTREME, Hu et al. 2020, table 11), for the sanity check.
PUBLISHED = {
    "XLM-R Large (XTREME)": {"en": 94.7, "de": 89.7, "es": 90.1, "fr": 90.4, "ja": 78.7, "ko": 79.0, "zh": 82.3},
    "mBERT (XTREME)": {"en": 94.0, "de": 85.7, "es": 87.4, "fr": 87.0, "ja": 73.0, "ko": 69.6, "zh": 77.0},
}


@dataclass(frozen=True)
class ReportConfig:
    """`report` in params.yaml."""

    bootstrap_samples: int = 2000
    confidence: float = 0.95
    seed: int = 13
    notes: str = ""  # a committed Markdown file (e.g. the discussion of a real run) to include

    def check(self, key: str) -> None:
        if self.bootstrap_samples < 100:
            raise ParamsError(f"{key}.bootstrap_samples", f"must be >= 100, got {self.bootstrap_samples!r}")
        if not 0.5 <= self.confidence < 1:
            raise ParamsError(f"{key}.confidence", f"must be in [0.5, 1), got {self.confidence!r}")


@dataclass(frozen=True)
class Run:
    name: str
    task: str
    seed: int
    arrays: RunArrays


@dataclass(frozen=True)
class Estimate:
    value: float  # mean over seeds (NaN: undefined, `note` says why)
    low: float
    high: float
    seed_std: float | None  # across seeds (None with one seed)
    seeds: int
    note: str | None = None  # why the value is undefined, or what an average or interval left out


@dataclass(frozen=True)
class Comparison:
    delta: float  # task minus baseline, mean over seeds
    low: float
    high: float
    p: float  # NaN where the difference is undefined: such a cell is not in Holm's family
    p_holm: float = float("nan")
    note: str | None = None


class Footnotes:
    """The report's footnotes: each distinct reason gets one number, in order of first use."""

    def __init__(self) -> None:
        self.texts: dict[str, int] = {}

    def mark(self, text: str | None) -> str:
        if not text:
            return ""
        number = self.texts.setdefault(text, len(self.texts) + 1)
        return f"[^{number}]"

    def render(self) -> list[str]:
        if not self.texts:
            return []
        return ["## Notes on undefined and partial values", "",
                *[f"[^{n}]: {text}" for text, n in self.texts.items()], ""]


def selected_runs(params: Mapping) -> list[str]:
    """The run names params select: `<task>-s<seed>` for every intermediate task × seed."""
    tasks, seeds = lookup(params, "intermediate.tasks"), lookup(params, "seeds")
    if not isinstance(tasks, list) or not tasks or not all(isinstance(t, str) for t in tasks):
        raise ParamsError("intermediate.tasks", f"expected a non-empty list of task names, got {tasks!r}")
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ParamsError("seeds", f"expected a non-empty list of integers, got {seeds!r}")
    return [f"{task}-s{seed}" for task in tasks for seed in seeds]


def load_runs(predictions_dir: Path, names: Sequence[str] | None = None,
              variants: Sequence[str] | None = None) -> list[Run]:
    """The runs `names` (`<task>-s<seed>`, default: every run found) from `predictions_dir`, each a
    folder of per-variant files (only `variants` read, default all) or a single `<run>.jsonl`."""
    if names is None and predictions_dir.is_dir():
        found = {p.name.removesuffix(".jsonl") for p in predictions_dir.iterdir()}
        names = sorted(n for n in found if RUN_NAME.match(n))
    runs = []
    for name in names or ():
        match = RUN_NAME.match(name)
        if not match:
            raise XstiltsError(f"{name}: not a run name <task>-s<seed>")
        path = predictions_dir / name
        path = path if path.is_dir() else predictions_dir / f"{name}.jsonl"
        runs.append(Run(name, match["task"], int(match["seed"]), load_predictions(prediction_files(path, variants))))
    if not runs:
        raise XstiltsError(f"{predictions_dir}: no predictions of runs named <task>-s<seed>")
    first = runs[0]
    for run in runs[1:]:
        if run.arrays.ids != first.arrays.ids or run.arrays.langs != first.arrays.langs:
            raise XstiltsError(f"{predictions_dir / run.name}: not the same test items and languages "
                               f"as {first.name} — rerun `dvc repro` so every run sees the same data")
        if run.arrays.variants != first.arrays.variants:
            raise XstiltsError(f"{predictions_dir / run.name}: variants {', '.join(run.arrays.variants)}, but "
                               f"{first.name} has {', '.join(first.arrays.variants)} — rerun `dvc repro`")
    # Baseline first, then the intermediate tasks in name order.
    return sorted(runs, key=lambda r: (r.task != NO_INTERMEDIATE, r.task, r.seed))


@dataclass(frozen=True)
class AttackRuns:
    """The adaptive attack's results of the same runs: arrays on the runs' item and language axes
    (so the bootstrap resamples the same items as everywhere else) and the raw rows."""

    runs: list[Run]
    rows: dict[str, list[dict]]  # run name -> results.jsonl rows


def load_attack_runs(attacks_dir: Path, runs: Sequence[Run]) -> AttackRuns:
    """`attacks/<run>/results.jsonl` of every run (stage `attack`)."""
    out, rows = [], {}
    for run in runs:
        path = attacks_dir / run.name / "results.jsonl"
        if not path.is_file():
            raise XstiltsError(f"{path}: missing — run `dvc repro` to attack this run")
        rows[run.name] = read_results(path)
        # The test ids, then any attacked item the (differently subsampled) predictions lack.
        ids = list(dict.fromkeys([*run.arrays.ids, *(str(r["id"]) for r in rows[run.name])]))
        out.append(Run(run.name, run.task, run.seed, attack_arrays(rows[run.name], ids, run.arrays.langs)))
    first = out[0].arrays
    for run in out[1:]:
        if run.arrays.ids != first.ids or not (run.arrays.mask == first.mask).all():
            raise XstiltsError(f"{attacks_dir / run.name}: not the same attacked items as {out[0].name} — "
                               "rerun `dvc repro` so every run is attacked on the same pairs")
    return AttackRuns(out, rows)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (NaNs are left out of the family and stay NaN)."""
    finite = [(p, i) for i, p in enumerate(pvalues) if np.isfinite(p)]
    adjusted = [float("nan")] * len(pvalues)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(finite)):
        running = max(running, min(1.0, (len(finite) - rank) * p))
        adjusted[i] = running
    return adjusted


@dataclass
class Statistics:
    """Point estimates, bootstrap intervals and paired comparisons over a set of runs.

    A metric can be undefined (NaN): a family that changed no item in a language, a zero
    denominator (relative drop at clean accuracy 0; attack success with no item right before the
    attack). Such a cell shows `n/a` with its reason as a footnote, and pooled values (the average
    over languages, the mean over label-preserving families, the English gap) leave it out, for
    every run alike, so that paired differences always compare the same cells."""

    runs: Sequence[Run]
    cfg: ReportConfig
    footnotes: Footnotes = field(default_factory=Footnotes)
    unlearned: Mapping[str, str] = field(default_factory=dict)  # run name -> why it did not learn
    _cache: dict = field(default_factory=dict)

    @cached_property
    def weights(self) -> np.ndarray:
        return resampling_weights(len(self.runs[0].arrays.ids), self.cfg.bootstrap_samples, self.cfg.seed)

    @cached_property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(r.task for r in self.runs))

    @cached_property
    def langs(self) -> list[str]:
        return self.runs[0].arrays.langs

    @cached_property
    def variants(self) -> list[str]:
        return list(dict.fromkeys(v for r in self.runs for v in r.arrays.variants))

    def effect(self, variant: str) -> str:
        return next(r.arrays.effect(variant) for r in self.runs if variant in r.arrays.variants)

    @property
    def families(self) -> list[str]:
        return [v for v in self.variants if v != CLEAN]

    @property
    def preserving(self) -> list[str]:
        return [v for v in self.families if self.effect(v) == PRESERVING]

    def has_baseline(self) -> bool:
        return NO_INTERMEDIATE in self.tasks

    # -- which cells are defined -------------------------------------------------------------------

    def _leaf_reason(self, name: str, lang: str, variant: str) -> str | None:
        """Why `name` on one language × variant is undefined for some run (None: defined for all)."""
        key = ("reason", name, lang, variant)
        if key not in self._cache:
            self._cache[key] = next((why for r in self.runs
                                     if (why := self._undefined_because(r, name, lang, variant))), None)
        return self._cache[key]

    @staticmethod
    def _undefined_because(run: Run, name: str, lang: str, variant: str) -> str | None:
        arrays = run.arrays
        if not arrays.mask[arrays.lang_index(lang), arrays.variant_index(variant)].any():
            return (f"no attacked pair in {lang}" if variant == ATTACK
                    else f"{variant} changed no test item in {lang}")
        if np.isfinite(metric(arrays, name, lang, variant)):
            return None
        if name == "relative_drop":
            return (f"relative drop in {lang} under {variant}: run {run.name} is right on none of the changed "
                    "items' clean pairs (clean accuracy 0 is its denominator)")
        if name == "success_rate":
            return f"attack success rate in {lang}: run {run.name} got no attacked item right before the attack"
        return f"{name.replace('_', ' ')} in {lang} under {variant} is undefined for run {run.name}"

    def _leaves(self, name: str, lang: str, variant: str) -> list[tuple[str, str]]:
        if lang == EN_GAP and variant == POOLED:
            raise ValueError("the English gap is defined per variant, not over pooled families")
        langs = [x for x in self.langs if x != "en"] if lang == EN_GAP else (
            self.langs if lang == AVERAGE else [lang])
        variants = self.preserving if variant == POOLED else [variant]
        return [(x, v) for v in variants for x in langs]

    def _split(self, name: str, lang: str, variant: str) -> tuple[list[tuple[str, str]], list[str]]:
        """(the defined leaf cells of a pooled cell, the reasons of those left out)."""
        kept, dropped = [], []
        for leaf in self._leaves(name, lang, variant):
            why = self._leaf_reason(name, *leaf)
            (dropped.append(why) if why else kept.append(leaf))
        return kept, dropped

    def _pooled(self, run: Run, name: str, lang: str, variant: str, w: np.ndarray | None) -> np.ndarray:
        kept, _ = self._split(name, lang, variant)
        if not kept:
            shape = () if w is None else (len(w),)
            return np.full(shape, np.nan)
        value = np.mean([metric(run.arrays, name, x, v, w) for x, v in kept], axis=0)
        if lang == EN_GAP:  # English minus the mean of the other languages (of one variant)
            english = np.nan if self._leaf_reason(name, "en", variant) else metric(run.arrays, name, "en", variant, w)
            value = english - value
        return value

    def _one(self, run: Run, name: str, lang: str, variant: str, w: np.ndarray | None) -> np.ndarray:
        if name == "crosslingual_consistency":
            return crosslingual(run.arrays, variant, w)
        return self._pooled(run, name, lang, variant, w)

    def _note(self, name: str, lang: str, variant: str) -> str | None:
        """What a cell leaves out: every part (then it is n/a) or some parts of a pooled value."""
        if name == "crosslingual_consistency":
            return None
        kept, dropped = self._split(name, lang, variant)
        if lang == EN_GAP and (why := self._leaf_reason(name, "en", variant)):
            return f"n/a: {why}."
        if not kept and not dropped:  # nothing to pool at all
            return ("n/a: there is no label-preserving family." if variant == POOLED
                    else "n/a: there is no language besides English.")
        if not dropped:
            return None
        reasons = "; ".join(dict.fromkeys(dropped))
        if not kept:
            return f"n/a: {reasons}."
        total = len(kept) + len(dropped)
        return (f"pooled over the {len(kept)} of {total} language × family cells where it is defined, the same "
                f"cells for every run; left out: {reasons}.")

    def _per_seed(self, task: str, name: str, lang: str, variant: str) -> tuple[np.ndarray, np.ndarray]:
        """(point per seed, bootstrap replicates per seed): shapes (S,) and (S, B)."""
        key = (task, name, lang, variant)
        if key not in self._cache:
            runs = [r for r in self.runs if r.task == task]
            with np.errstate(invalid="ignore", divide="ignore"):
                points = np.array([self._one(r, name, lang, variant, None) for r in runs], dtype=float)
                reps = np.array([self._one(r, name, lang, variant, self.weights) for r in runs], dtype=float)
            self._cache[key] = (points, reps)
        return self._cache[key]

    def _interval(self, replicates: np.ndarray) -> tuple[float, float, str | None]:
        """Percentile interval over the replicates where the statistic is defined; NaN where it is
        defined in none, and a note where some resamples left it undefined."""
        finite = replicates[np.isfinite(replicates)]
        if finite.size == 0:
            return float("nan"), float("nan"), "interval n/a: the statistic is undefined in every bootstrap resample."
        tail = 100 * (1 - self.cfg.confidence) / 2
        low, high = np.percentile(finite, [tail, 100 - tail])
        # Conditional on the resamples in which the statistic exists (those that drew a scored item).
        note = ("interval over the bootstrap resamples in which the statistic is defined (some drew none of the "
                "items it needs), so it is conditional on those items being drawn."
                if finite.size < replicates.size else None)
        return float(low), float(high), note

    def estimate(self, task: str, name: str, lang: str, variant: str) -> Estimate:
        points, reps = self._per_seed(task, name, lang, variant)
        note = self._note(name, lang, variant)
        value = float(points.mean())
        if not np.isfinite(value):
            if name == "crosslingual_consistency":
                note = f"n/a: no test item is scored under {variant} in every language (a family must change it in all)."
            return Estimate(float("nan"), float("nan"), float("nan"), None, len(points),
                            note or f"n/a: {name.replace('_', ' ')} is undefined for some run of {task}.")
        low, high, interval_note = self._interval(reps.mean(axis=0))
        std = float(np.std(points, ddof=1)) if len(points) > 1 else None
        return Estimate(value, low, high, std, len(points), " ".join(filter(None, [note, interval_note])) or None)

    def compare(self, task: str, name: str, lang: str, variant: str) -> Comparison:
        """`task` minus the baseline, paired on items (same resamples) and averaged over seeds."""
        points, reps = self._per_seed(task, name, lang, variant)
        base_points, base_reps = self._per_seed(NO_INTERMEDIATE, name, lang, variant)
        delta = float(points.mean() - base_points.mean())
        if not np.isfinite(delta):
            return Comparison(float("nan"), float("nan"), float("nan"), float("nan"),
                              note="no difference: the value is undefined (n/a) for this task or the baseline, "
                                   "so the cell is left out of Holm's family.")
        diff = reps.mean(axis=0) - base_reps.mean(axis=0)
        low, high, note = self._interval(diff)
        diff = diff[np.isfinite(diff)]
        b = len(diff)
        p = (min(1.0, 2 * min((np.sum(diff <= 0) + 1) / (b + 1), (np.sum(diff >= 0) + 1) / (b + 1)))
             if b else float("nan"))
        return Comparison(delta, low, high, float(p), note=note)

    def compare_all(self, cells: Sequence[tuple[str, str, str, str]]) -> dict[tuple, Comparison]:
        """Comparisons for a table's cells, with Holm-adjusted p-values over that table (cells whose
        p-value is undefined are not in the family)."""
        out = {cell: self.compare(*cell) for cell in cells}
        adjusted = holm([c.p for c in out.values()])
        return {cell: replace(c, p_holm=a) for (cell, c), a in zip(out.items(), adjusted)}

    def edit_rate(self, lang: str, variant: str) -> float:
        arrays = self.runs[0].arrays
        l, v = arrays.lang_index(lang), arrays.variant_index(variant)
        mask = arrays.mask[l, v]
        return float(arrays.edit_rate[l, v][mask].mean()) if mask.any() else float("nan")

    def task_label(self, task: str, mark: bool = True) -> str:
        """The task's row label; with `mark`, a task with a run that did not learn is marked, with the
        reason as a footnote."""
        label = f"{task} (baseline)" if task == NO_INTERMEDIATE else task
        failed = [r.name for r in self.runs if r.task == task and r.name in self.unlearned]
        if not failed or not mark:
            return label
        why = ("; ".join(f"run {name}: {self.unlearned[name]}" for name in failed)
               + (f". This task's values include {len(failed)} run(s) whose training did not beat chance, so its Δ "
                  "to the baseline mixes that failure with any effect of the intermediate task."
                  if task != NO_INTERMEDIATE else
                  f". The baseline's values include {len(failed)} run(s) whose training did not beat chance, so "
                  "every Δ to the baseline mixes that failure with any effect of the intermediate tasks."))
        return f"{label} ⚠ did not learn{self.footnotes.mark(why)}"


# --- formatting ---------------------------------------------------------------------------------

NA = "n/a"


def _pp(x: float) -> str:
    return NA if not np.isfinite(x) else f"{100 * x:.1f}"


def _marker(c: Comparison) -> str:
    if np.isfinite(c.p_holm) and c.p_holm < 0.05:
        return "**"
    return "*" if c.p < 0.05 else ""


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


def family_summary(stats: Statistics, family: str) -> str:
    """One family, averaged over languages: every metric of its kind, with intervals and Δ."""
    effect = stats.effect(family)
    names = ["accuracy", "drop", "relative_drop", "robust_accuracy",
             "consistency" if effect == PRESERVING else "flip_rate"]
    cells = [(task, name, AVERAGE, family) for task in stats.tasks if task != NO_INTERMEDIATE for name in names]
    comparisons = stats.compare_all(cells) if stats.has_baseline() else {}
    rows = []
    for task in stats.tasks:
        rows.append([stats.task_label(task)] + [_cell(stats.footnotes, stats.estimate(task, name, AVERAGE, family),
                                                      comparisons.get((task, name, AVERAGE, family)))
                                                for name in names])
    return _table(["intermediate task", *[n.replace("_", " ") for n in names]], rows)


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
    rows = []
    for task in stats.tasks:
        seeds = sorted(r.seed for r in stats.runs if r.task == task)
        row = [stats.task_label(task), ", ".join(map(str, seeds))]
        for name, variant in (("accuracy", CLEAN), ("robust_accuracy", POOLED))[:2 if stats.preserving else 1]:
            points, _ = stats._per_seed(task, name, AVERAGE, variant)
            row.append(" / ".join(_pp(p) for p in points))
            row.append(_cell(stats.footnotes, stats.estimate(task, name, AVERAGE, variant), interval=False))
        rows.append(row)
    return _table(["intermediate task", "seeds", "clean avg per seed", "clean avg mean ± std",
                   *(["robust avg per seed", "robust avg mean ± std"] if stats.preserving else [])], rows)


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

PHASES = ("intermediate", "target")


def phase_logs(logs_dir: Path | None, runs: Sequence[Run]) -> dict[tuple[str, str], dict]:
    """(run name, phase) -> that phase's dvclive metrics.json (empty where the phase trained nothing)."""
    out = {}
    for run in runs:
        for phase in PHASES:
            path = logs_dir / phase / run.name / "metrics.json" if logs_dir is not None else None
            data = json.loads(path.read_text(encoding="utf-8")) if path is not None and path.is_file() else {}
            out[(run.name, phase)] = data if data.get("train_examples") else {}
    return out


def _learning_text(data: Mapping) -> str:
    return (f"{data.get('phase', 'held-out')} {_pp(data['best_validation_accuracy'])} % vs "
            f"{_pp(data['chance_accuracy'])} % chance, p = {data['learning_p_value']:.2g}")


def unlearned_runs(logs: Mapping[tuple[str, str], dict]) -> dict[str, str]:
    """Run name -> "intermediate held-out 34.2 % vs 33.3 % chance, p = 0.3" for every run with a
    phase whose best held-out accuracy did not beat chance (xstilts.learning)."""
    out: dict[str, list[str]] = {}
    for (name, phase), data in logs.items():
        if data and data.get("learned") is False:
            out.setdefault(name, []).append(_learning_text({**data, "phase": f"{phase} held-out"}))
    return {name: "; ".join(texts) for name, texts in out.items()}


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

def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    with atomic_path(path) as tmp:  # no half-written figure if the stage is interrupted
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})  # no version stamp: stable bytes
    _pyplot().close(fig)


def _grouped_bars(stats: Statistics, groups: Sequence[str], value: Callable[[str, str], Estimate], title: str,
                  ylabel: str, path: Path) -> list[dict]:
    """Bars per group (x) and task (colour) with interval whiskers; returns the plotted rows."""
    plt = _pyplot()
    width = 0.8 / max(len(stats.tasks), 1)
    fig, ax = plt.subplots(figsize=(1.1 * len(groups) + 2.5, 3.8))
    rows = []
    for i, task in enumerate(stats.tasks):
        estimates = [value(task, g) for g in groups]
        xs = [j + i * width for j in range(len(groups))]
        ys = [100 * e.value for e in estimates]
        err = np.nan_to_num([[100 * (e.value - e.low) for e in estimates], [100 * (e.high - e.value) for e in estimates]])
        ax.bar(xs, ys, width=width, yerr=err, capsize=2, label=stats.task_label(task, mark=False))
        rows += [{"task": task, "group": g, "value": e.value, "low": e.low, "high": e.high}
                 for g, e in zip(groups, estimates)]
    ax.set_xticks([j + width * (len(stats.tasks) - 1) / 2 for j in range(len(groups))], groups, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    lows = [r["low"] for r in rows if np.isfinite(r["low"])]  # undefined cells draw no bar
    ax.set_ylim(bottom=max(0, min(lows) * 100 - 10) if lows else 0)
    ax.legend(fontsize=7, loc="lower right")
    _save(fig, path)
    return rows


def _scatter_drop(stats: Statistics, path: Path) -> list[dict]:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    rows = []
    for task in stats.tasks:
        xs, ys = [], []
        for family in stats.preserving:
            for lang in stats.langs:
                rate = stats.edit_rate(lang, family)
                drop = stats.estimate(task, "drop", lang, family).value
                rows.append({"task": task, "family": family, "lang": lang, "edit_rate": rate, "drop": drop})
                xs.append(100 * rate)
                ys.append(100 * drop)
        ax.scatter(xs, ys, s=14, alpha=0.7, label=stats.task_label(task, mark=False))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("characters edited (% of the pair), mean per family × language")
    ax.set_ylabel("accuracy drop (points)")
    ax.set_title("Drop versus perturbation rate (label-preserving families)", fontsize=10)
    ax.legend(fontsize=7)
    _save(fig, path)
    return rows


def _write_csv(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    with atomic_path(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["empty"])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()})


def figures_and_plots(stats: Statistics, out_dir: Path) -> dict[str, str]:
    """Write the PNG figures and the CSV files behind `dvc plots`; returns {title: relative path}."""
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    (out_dir / "plots").mkdir(parents=True, exist_ok=True)
    figures = {
        "Clean accuracy by language": "figures/clean_by_language.png",
        "Robust accuracy by perturbation family (average over languages)": "figures/robust_by_family.png",
        "Accuracy drop versus perturbation rate": "figures/drop_vs_rate.png",
    }
    clean = _grouped_bars(stats, [*stats.langs, AVERAGE], lambda t, g: stats.estimate(t, "accuracy", g, CLEAN),
                          "Clean zero-shot accuracy (bootstrap interval)", "accuracy (%)",
                          out_dir / figures["Clean accuracy by language"])
    _write_csv(out_dir / "plots" / "clean_by_language.csv",
               [{"cell": f"{r['task']} · {r['group']}", "task": r["task"], "lang": r["group"],
                 "accuracy": r["value"], "low": r["low"], "high": r["high"]} for r in clean])
    families = [CLEAN, *stats.families]
    robust = _grouped_bars(stats, families, lambda t, g: stats.estimate(t, "robust_accuracy", AVERAGE, g),
                           "Robust accuracy: right on the clean and the perturbed pair", "robust accuracy (%)",
                           out_dir / figures["Robust accuracy by perturbation family (average over languages)"])
    _write_csv(out_dir / "plots" / "robust_by_family.csv",
               [{"cell": f"{r['task']} · {r['group']}", "task": r["task"], "family": r["group"],
                 "robust_accuracy": r["value"], "low": r["low"], "high": r["high"]} for r in robust])
    drops = _scatter_drop(stats, out_dir / figures["Accuracy drop versus perturbation rate"])
    _write_csv(out_dir / "plots" / "drop_vs_rate.csv", drops)
    return figures


# --- the document -------------------------------------------------------------------------------

def summary(stats: Statistics, attack: Statistics | None = None) -> dict[str, dict[str, float]]:
    """`reports/summary.json`: per task, the headline numbers (for `dvc exp show`/`metrics diff`)."""
    out: dict[str, dict[str, float]] = {}
    for task in stats.tasks:
        entry: dict[str, float] = {}
        for short, name, variant in (("clean", "accuracy", CLEAN), ("robust", "robust_accuracy", POOLED)):
            if variant == POOLED and not stats.preserving:
                continue
            e = stats.estimate(task, name, AVERAGE, variant)
            entry[f"{short}_accuracy"] = round(e.value, 6)
            if task != NO_INTERMEDIATE and stats.has_baseline():
                c = stats.compare(task, name, AVERAGE, variant)
                entry[f"{short}_delta"] = round(c.delta, 6)
                entry[f"{short}_p_value"] = round(c.p, 6)
        if attack is not None:
            e = attack.estimate(task, "success_rate", AVERAGE, ATTACK)
            entry["attack_success_rate"] = round(e.value, 6)
            if task != NO_INTERMEDIATE and attack.has_baseline():
                c = attack.compare(task, "success_rate", AVERAGE, ATTACK)
                entry["attack_delta"] = round(c.delta, 6)
                entry["attack_p_value"] = round(c.p, 6)
        # How many of the task's runs have a phase that did not beat chance (0 = every run learned).
        entry["runs_not_learned"] = sum(r.name in stats.unlearned for r in stats.runs if r.task == task)
        out[task] = {k: v for k, v in entry.items() if np.isfinite(v)}
    return out


def render(stats: Statistics, figures: Mapping[str, str], setup: Mapping[str, str], facts: str, notes: str,
           attack: tuple[Statistics, AttackRuns] | None = None) -> str:
    seeds = sorted({r.seed for r in stats.runs})
    single = [f"`{t}`" for t in stats.tasks if len({r.seed for r in stats.runs if r.task == t}) == 1]
    confidence = f"{100 * stats.cfg.confidence:g} %"
    has_families = bool(stats.families)
    lines = [
        "# Does English NLI intermediate training make zero-shot PAWS-X transfer more robust?",
        "",
        "Generated by the `report` stage (`dvc repro report`) from `predictions/`; do not edit by hand.",
        "",
        "## Setup",
        "",
        *[f"- **{k}**: {v}" for k, v in setup.items()],
        f"- **runs**: {len(stats.runs)} ({', '.join(r.name for r in stats.runs)}); seeds: {', '.join(map(str, seeds))}",
        "",
        facts,
        "",
        *learning_section(stats),
        "## How to read this report",
        "",
        f"Numbers are percentages: the mean over seeds, then (± the standard deviation across seeds when there "
        f"are several) the {confidence} percentile-bootstrap interval over test items in brackets "
        f"({stats.cfg.bootstrap_samples} resamples, the same resamples for every run and language, so the "
        f"average over languages treats an item's 7 translations as one cluster). In parentheses: the difference "
        f"to the baseline `none` in points, from a paired bootstrap on the same items; `*` marks p < 0.05, `**` "
        f"p < 0.05 after Holm's correction over all comparisons in that table. `n/a` marks a value that is "
        f"undefined (its footnote says why); it is left out of pooled averages (for every run alike) and of "
        f"Holm's family."
        + " **Every interval and p-value here is test-item sampling only**: the bootstrap resamples test items "
          "with the trained checkpoints fixed, so it says nothing about how other training seeds would do; the "
          "± seed standard deviation is the only measure of seed variation."
        + (f" Tasks with a single seed ({', '.join(single)}) have none, so no difference of theirs is a claim "
           "about the method." if single else "")
        + ("" if stats.has_baseline() else " There is no baseline run (`none`), so no differences are shown."),
        "",
        "- **accuracy** of a family: on the test pairs that the family changed (the reference label of a "
        "contrast edit is 0, not a paraphrase).",
        "- **drop**: clean accuracy minus perturbed accuracy on those same items; **relative drop**: drop / clean.",
        "- **robust accuracy**: right on the clean pair *and* on its perturbed version.",
        "- **consistency** (label-preserving families): prediction unchanged by the perturbation; "
        "**flip rate** (contrast sets): prediction changed by a label-flipping edit.",
        "- **cross-lingual consistency**: the same prediction for an item in all languages.",
        "- **en gap**: English accuracy minus the mean of the other languages (the transfer gap).",
        "",
        "## Headline: clean accuracy by language",
        "",
        by_language(stats, "accuracy", CLEAN),
        "",
    ]
    if stats.preserving:
        lines += [
            f"## Headline: robust accuracy by language (mean over the {len(stats.preserving)} label-preserving "
            f"families: {', '.join(stats.preserving)})",
            "",
            by_language(stats, "robust_accuracy", POOLED),
            "",
        ]
    lines += ["## Figures", "", *[f"![{title}]({path})\n" for title, path in figures.items()], ""]
    if has_families:
        lines += ["## Per perturbation family", ""]
        for family in stats.families:
            effect = stats.effect(family)
            lines += [
                f"### {family} ({effect})",
                "",
                "Average over languages:",
                "",
                family_summary(stats, family),
                "",
                "Robust accuracy by language:",
                "",
                by_language(stats, "robust_accuracy", family),
                "",
            ]
    columns = [(CLEAN, CLEAN), *[(f, f) for f in stats.families]]
    lines += [
        "## Cross-lingual consistency",
        "",
        task_by_column_table(stats, "crosslingual_consistency", [(AVERAGE, v) for _, v in columns],
                             [v for _, v in columns]),
        "",
        "## English minus the other languages (accuracy gap)",
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
        lines += [notes.strip(), ""]
    return "\n".join(lines + stats.footnotes.render())


def write_report(predictions_dir: Path, out_dir: Path, cfg: ReportConfig, logs_dir: Path | None = None,
                 setup: Mapping[str, str] | None = None, notes_path: Path | None = None,
                 runs: Sequence[str] | None = None, variants: Sequence[str] | None = None,
                 attacks_dir: Path | None = None) -> Path:
    """With `attacks_dir` (stage `attack`'s outputs), the report gains the adaptive-attack section."""
    loaded = load_runs(predictions_dir, runs, variants)
    logs = phase_logs(logs_dir, loaded)
    # One set of footnotes and one list of runs that did not learn for every table of the report.
    stats = Statistics(loaded, cfg, Footnotes(), unlearned_runs(logs))
    attack = None
    if attacks_dir is not None:
        attack_runs = load_attack_runs(attacks_dir, stats.runs)
        attack = (Statistics(attack_runs.runs, cfg, stats.footnotes, stats.unlearned), attack_runs)
    notes = notes_path.read_text(encoding="utf-8") if notes_path else ""
    figures = figures_and_plots(stats, out_dir)
    text = render(stats, figures, setup or {}, training_facts(logs, stats.runs), notes, attack)
    write_json(out_dir / "summary.json", summary(stats, attack[0] if attack else None))
    report = out_dir / "robustness.md"
    with atomic_path(report) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return report


def describe_setup(params: Mapping) -> dict[str, str]:
    """The run's configuration in a few lines, from params.yaml (what was trained on what, how)."""

    def get(path: str, default: object = "–") -> object:
        try:
            return lookup(params, path)
        except ParamsError:
            return default

    def train(phase: str) -> str:
        keys = ("learning_rate", "epochs", "batch_size", "max_length", "mixed_precision", "freeze_word_embeddings",
                "fast_dropout")
        return ", ".join(f"{k} {get(f'{phase}.train.{k}')}" for k in keys)

    def sizes(phase: str) -> str:
        caps = get(f"{phase}.data.max_examples", {})
        shown = {k: v for k, v in caps.items() if v} if isinstance(caps, Mapping) else {}
        return ", ".join(f"{k} ≤ {v}" for k, v in shown.items()) or "all examples"

    def overrides() -> str:
        """Each task's own settings (intermediate.overrides.<task>), where it has any."""
        per_task = get("intermediate.overrides", {})
        shown = []
        for task in get("intermediate.tasks", []):
            tree = (per_task.get(task) or {}) if isinstance(per_task, Mapping) else {}
            flat = {k: v for k, v in flatten(tree) if v != {}}  # an empty mapping sets nothing
            if flat:
                shown.append(f"`{task}`: " + ", ".join(f"{k} {v}" for k, v in flat.items()))
        return "; ".join(shown) or "none (every task uses the settings above)"

    source = get("data.source")
    return {
        "encoder": f"`{get('model.name')}`",
        "data source": f"`{source}`" + (f" (`{get('data.local_dir')}`)" if source == "local" else ""),
        "intermediate tasks": ", ".join(f"`{t}`" for t in get("intermediate.tasks", [])),
        "intermediate training": f"{train('intermediate')}; data: {sizes('intermediate')}",
        "per-task intermediate settings": overrides(),
        "target training (English PAWS-X)": f"{train('target')}; data: {sizes('target')}"
                                            + (f" from `{files}`" if (files := get("target.data.local.train", None)) else ""),
        "perturbation families": ", ".join(f"`{f}`" for f in get("perturb.families", {})),
        "evaluation": ("clean: every test item; perturbation families: "
                       + (f"{cap} test items per language (a fixed subsample, the same ids in every language and "
                          "family)" if (cap := get("eval.max_examples", 0)) else "every test item")),
        "adaptive attack": (f"{get('attack.max_examples')} test items per language (0 = all), "
                            f"at most {get('attack.query_budget')} queries per pair and "
                            f"{get('attack.max_edit_share')} of its word units edited; candidate sources: "
                            + ", ".join(f"`{k}`" for k in (get("attack.sources", {}) or {}))
                            if isinstance(get("attack", None), Mapping) else "not run"),
    }

