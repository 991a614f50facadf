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
from dataclasses import dataclass, field
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
    value: float  # mean over seeds
    low: float
    high: float
    seed_std: float | None  # across seeds (None with one seed)
    seeds: int


@dataclass(frozen=True)
class Comparison:
    delta: float  # task minus baseline, mean over seeds
    low: float
    high: float
    p: float
    p_holm: float = float("nan")


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
    """Point estimates, bootstrap intervals and paired comparisons over a set of runs."""

    runs: Sequence[Run]
    cfg: ReportConfig
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

    def _one(self, run: Run, name: str, lang: str, variant: str, w: np.ndarray | None) -> np.ndarray:
        if name == "crosslingual_consistency":
            return crosslingual(run.arrays, variant, w)
        if variant == POOLED:
            return np.mean([self._one(run, name, lang, v, w) for v in self.preserving], axis=0)
        if lang == EN_GAP:
            others = [self._one(run, name, x, variant, w) for x in run.arrays.langs if x != "en"]
            return self._one(run, name, "en", variant, w) - np.mean(others, axis=0)
        return metric(run.arrays, name, lang, variant, w)

    def _per_seed(self, task: str, name: str, lang: str, variant: str) -> tuple[np.ndarray, np.ndarray]:
        """(point per seed, bootstrap replicates per seed): shapes (S,) and (S, B)."""
        key = (task, name, lang, variant)
        if key not in self._cache:
            runs = [r for r in self.runs if r.task == task]
            points = np.array([self._one(r, name, lang, variant, None) for r in runs], dtype=float)
            reps = np.array([self._one(r, name, lang, variant, self.weights) for r in runs], dtype=float)
            self._cache[key] = (points, reps)
        return self._cache[key]

    def _interval(self, replicates: np.ndarray) -> tuple[float, float]:
        tail = 100 * (1 - self.cfg.confidence) / 2
        low, high = np.nanpercentile(replicates, [tail, 100 - tail])
        return float(low), float(high)

    def estimate(self, task: str, name: str, lang: str, variant: str) -> Estimate:
        points, reps = self._per_seed(task, name, lang, variant)
        low, high = self._interval(reps.mean(axis=0))
        std = float(np.std(points, ddof=1)) if len(points) > 1 else None
        return Estimate(float(points.mean()), low, high, std, len(points))

    def compare(self, task: str, name: str, lang: str, variant: str) -> Comparison:
        """`task` minus the baseline, paired on items (same resamples) and averaged over seeds."""
        points, reps = self._per_seed(task, name, lang, variant)
        base_points, base_reps = self._per_seed(NO_INTERMEDIATE, name, lang, variant)
        diff = reps.mean(axis=0) - base_reps.mean(axis=0)
        diff = diff[np.isfinite(diff)]
        low, high = self._interval(diff)
        b = len(diff)
        p = min(1.0, 2 * min((np.sum(diff <= 0) + 1) / (b + 1), (np.sum(diff >= 0) + 1) / (b + 1)))
        return Comparison(float(points.mean() - base_points.mean()), low, high, float(p))

    def compare_all(self, cells: Sequence[tuple[str, str, str, str]]) -> dict[tuple, Comparison]:
        """Comparisons for a table's cells, with Holm-adjusted p-values over that table."""
        out = {cell: self.compare(*cell) for cell in cells}
        adjusted = holm([c.p for c in out.values()])
        return {cell: Comparison(c.delta, c.low, c.high, c.p, a) for (cell, c), a in zip(out.items(), adjusted)}

    def edit_rate(self, lang: str, variant: str) -> float:
        arrays = self.runs[0].arrays
        l, v = arrays.lang_index(lang), arrays.variant_index(variant)
        mask = arrays.mask[l, v]
        return float(arrays.edit_rate[l, v][mask].mean()) if mask.any() else float("nan")


# --- formatting ---------------------------------------------------------------------------------

def _pp(x: float) -> str:
    return "–" if not np.isfinite(x) else f"{100 * x:.1f}"


def _marker(c: Comparison) -> str:
    if np.isfinite(c.p_holm) and c.p_holm < 0.05:
        return "**"
    return "*" if c.p < 0.05 else ""


def _cell(e: Estimate, c: Comparison | None = None, interval: bool = True) -> str:
    text = _pp(e.value)
    if e.seed_std is not None:
        text += f" ± {100 * e.seed_std:.1f}"
    if interval:
        text += f" [{_pp(e.low)}, {_pp(e.high)}]"
    if c is not None:
        text += f" ({100 * c.delta:+.1f}{_marker(c)})"
    return text


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _task_label(task: str) -> str:
    return f"{task} (baseline)" if task == NO_INTERMEDIATE else task


def task_by_column_table(stats: Statistics, name: str, columns: Sequence[tuple[str, str]],
                         header: Sequence[str], interval: bool = True) -> str:
    """Rows: tasks; columns: (lang, variant) cells of metric `name`; Δ to the baseline with markers."""
    cells = [(task, name, lang, variant) for task in stats.tasks if task != NO_INTERMEDIATE
             for lang, variant in columns]
    comparisons = stats.compare_all(cells) if stats.has_baseline() else {}
    rows = []
    for task in stats.tasks:
        row = [_task_label(task)]
        for lang, variant in columns:
            row.append(_cell(stats.estimate(task, name, lang, variant), comparisons.get((task, name, lang, variant)),
                             interval))
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
        rows.append([_task_label(task)] + [_cell(stats.estimate(task, name, AVERAGE, family),
                                                 comparisons.get((task, name, AVERAGE, family)))
                                           for name in names])
    return _table(["intermediate task", *[n.replace("_", " ") for n in names]], rows)


def published_comparison(stats: Statistics) -> str:
    langs = [lang for lang in stats.langs if lang in PUBLISHED["mBERT (XTREME)"]]
    rows = []
    for task in stats.tasks:
        values = [stats.estimate(task, "accuracy", lang, CLEAN).value for lang in langs]
        rows.append([f"this pipeline: {task}", *[_pp(v) for v in values], _pp(float(np.mean(values)))])
    for model, scores in PUBLISHED.items():
        rows.append([model, *[f"{scores[lang]:.1f}" for lang in langs], f"{np.mean([scores[x] for x in langs]):.1f}"])
    return _table(["model", *langs, "avg"], rows)


def seeds_table(stats: Statistics) -> str:
    rows = []
    for task in stats.tasks:
        seeds = sorted(r.seed for r in stats.runs if r.task == task)
        row = [_task_label(task), ", ".join(map(str, seeds))]
        for name, variant in (("accuracy", CLEAN), ("robust_accuracy", POOLED)):
            points, _ = stats._per_seed(task, name, AVERAGE, variant)
            row.append(" / ".join(_pp(p) for p in points))
            row.append(_cell(stats.estimate(task, name, AVERAGE, variant), interval=False))
        rows.append(row)
    return _table(["intermediate task", "seeds", "clean avg per seed", "clean avg mean ± std",
                   "robust avg per seed", "robust avg mean ± std"], rows)


def attack_effort(stats: Statistics, attack: AttackRuns) -> str:
    """Per task, pooled over languages and seeds: counts, mean queries, mean share of units edited."""
    rows = []
    for task in stats.tasks:
        mine = [r for run in stats.runs if run.task == task for r in attack.rows[run.name]]
        attacked = [r for r in mine if r["status"] != SKIPPED]
        won = [r for r in mine if r["status"] == SUCCESSFUL]
        counts = f"{len(won)} / {len(attacked) - len(won)} / {len(mine) - len(attacked)}"
        queries = f"{np.mean([r['queries'] for r in attacked]):.1f}" if attacked else "–"
        share = _pp(float(np.mean([r["edited_share"] for r in won]))) if won else "–"
        rows.append([_task_label(task), counts, queries, share])
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

def training_facts(logs_dir: Path | None, runs: Sequence[Run]) -> str:
    if logs_dir is None or not logs_dir.is_dir():
        return "_No training logs found._"
    rows = []
    for run in runs:
        row = [run.name]
        for phase in ("intermediate", "target"):
            path = logs_dir / phase / run.name / "metrics.json"
            data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
            if not data.get("train_examples"):
                row += ["–", "–", "–"]
                continue
            row += [str(data["train_examples"]), _pp(data.get("best_validation_accuracy", float("nan"))),
                    f"{data.get('seconds', float('nan')):.0f}"]
        rows.append(row)
    return _table(["run", "intermediate train pairs", "intermediate best val acc", "intermediate s",
                   "target train pairs", "target best en val acc", "target s"], rows)


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
        err = [[100 * (e.value - e.low) for e in estimates], [100 * (e.high - e.value) for e in estimates]]
        ax.bar(xs, ys, width=width, yerr=err, capsize=2, label=_task_label(task))
        rows += [{"task": task, "group": g, "value": e.value, "low": e.low, "high": e.high}
                 for g, e in zip(groups, estimates)]
    ax.set_xticks([j + width * (len(stats.tasks) - 1) / 2 for j in range(len(groups))], groups, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    ax.set_ylim(bottom=max(0, min(r["low"] for r in rows) * 100 - 10) if rows else 0)
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
        ax.scatter(xs, ys, s=14, alpha=0.7, label=_task_label(task))
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
        out[task] = {k: v for k, v in entry.items() if np.isfinite(v)}
    return out


def render(stats: Statistics, figures: Mapping[str, str], setup: Mapping[str, str], facts: str, notes: str,
           attack: tuple[Statistics, AttackRuns] | None = None) -> str:
    seeds = sorted({r.seed for r in stats.runs})
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
        "## How to read this report",
        "",
        f"Numbers are percentages: the mean over seeds, then (± the standard deviation across seeds when there "
        f"are several) the {confidence} percentile-bootstrap interval over test items in brackets "
        f"({stats.cfg.bootstrap_samples} resamples, the same resamples for every run and language, so the "
        f"average over languages treats an item's 7 translations as one cluster). In parentheses: the difference "
        f"to the baseline `none` in points, from a paired bootstrap on the same items; `*` marks p < 0.05, `**` "
        f"p < 0.05 after Holm's correction over all comparisons in that table.",
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
    return "\n".join(lines)


def write_report(predictions_dir: Path, out_dir: Path, cfg: ReportConfig, logs_dir: Path | None = None,
                 setup: Mapping[str, str] | None = None, notes_path: Path | None = None,
                 runs: Sequence[str] | None = None, variants: Sequence[str] | None = None,
                 attacks_dir: Path | None = None) -> Path:
    """With `attacks_dir` (stage `attack`'s outputs), the report gains the adaptive-attack section."""
    stats = Statistics(load_runs(predictions_dir, runs, variants), cfg)
    attack = None
    if attacks_dir is not None:
        attack_runs = load_attack_runs(attacks_dir, stats.runs)
        attack = (Statistics(attack_runs.runs, cfg), attack_runs)
    notes = notes_path.read_text(encoding="utf-8") if notes_path else ""
    figures = figures_and_plots(stats, out_dir)
    text = render(stats, figures, setup or {}, training_facts(logs_dir, stats.runs), notes, attack)
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
        "evaluation": (f"{cap} test items per language (a fixed subsample, the same ids everywhere)"
                       if (cap := get("eval.max_examples", 0)) else "every test item"),
        "adaptive attack": (f"{get('attack.max_examples')} test items per language (0 = all), "
                            f"at most {get('attack.query_budget')} queries per pair and "
                            f"{get('attack.max_edit_share')} of its word units edited; candidate sources: "
                            + ", ".join(f"`{k}`" for k in (get("attack.sources", {}) or {}))
                            if isinstance(get("attack", None), Mapping) else "not run"),
    }

