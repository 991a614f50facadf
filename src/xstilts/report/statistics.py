"""Point estimates, two-level bootstrap intervals and paired comparisons over a set of runs.

    pytest tests/test_report.py tests/test_report_undefined.py tests/test_inference.py

A value is the mean over an arm's seeds of a per-seed metric. Its interval and every Δ's interval
and p-value come from the two-level bootstrap of `xstilts.report.inference` (seeds, then test items
clustered over an item's languages; paired across arms by item and, where arms share their seeds, by
seed). With one seed only items are resampled: such a number is labelled "test-item sampling only".

Pre-declared endpoints (`../shared/docs/statistics.md`): clean accuracy and the conditional flip rate
P(wrong on the perturbed pair | right on the clean pair) per label-preserving primary family and
pooled over them; the primary contrasts are each learned arm against the baseline and against its
shuffled-label control. Holm's correction runs over exactly that family (`primary_cells`); every
other number is exploratory. The matched flip rate (on items both compared runs get right on the
clean pair) separates "more robust" from "more accurate, so fewer items to lose".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from xstilts.config import ReportConfig
from xstilts.metrics import definitions as d
from xstilts.metrics.definitions import Resampled
from xstilts.report.inference import (
    bootstrap_p,
    holm,
    interval,
    required_samples,
    seed_draws,
    seed_mean,
    sign_flip_p,
)
from xstilts.report.runs import Run
from xstilts.robustness import ATTACK, AVERAGE, crosslingual, metric, resampling_weights
from xstilts.schema import CLEAN, NO_INTERMEDIATE, PRESERVING, control_name, is_control

EN_GAP = "en_gap"  # pseudo-language: English minus the mean of the other languages
POOLED = "pooled"  # pseudo-variant: the mean over the primary label-preserving families
ALPHA = 0.05  # the level of every test and of Holm's family
FLIP = "flip"  # the robustness endpoint (xstilts.metrics.definitions.conditional_flip_rate)
MATCHED_FLIP = "matched_flip"  # the flip rate on items both compared runs get right on the clean pair
# Metrics bounded by 0 and 1 (a Student interval is clipped to them).
RATES = frozenset({"accuracy", FLIP, "consistency", "flip_rate", "clean_accuracy", "robust_accuracy", "success_rate",
                   "accuracy_under_attack", "crosslingual_consistency"})


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
    delta: float  # task minus the reference (baseline or control), mean over seeds
    low: float
    high: float
    p: float  # two-level bootstrap, Student t over seeds; NaN where the difference is undefined
    p_holm: float = float("nan")  # only for the primary family
    note: str | None = None
    seeds: int = 1  # seeds behind the interval (the smaller arm's); 1: test-item sampling only
    p_sign: float = float("nan")  # exact sign-flip test over seed-paired differences (paired seeds >= 2)
    reference: str = NO_INTERMEDIATE


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



@dataclass
class Statistics:
    """Point estimates, two-level bootstrap intervals and paired comparisons over a set of runs.

    A metric can be undefined (NaN): a family that changed no item in a language, a zero
    denominator (relative drop at clean accuracy 0; a flip rate with no item right on its clean pair).
    Such a cell shows `n/a` with its reason as a footnote, and pooled values (the average over
    languages, the mean over the primary families, the English gap) leave it out, for every run
    alike, so that paired differences always compare the same cells.

    `unlearned`: run name -> why a phase of it did not learn (a control's intermediate phase is
    expected not to and is not listed). `primary_families`: the label-preserving families whose
    validity holds (None: every label-preserving family)."""

    runs: Sequence[Run]
    cfg: ReportConfig
    footnotes: Footnotes = field(default_factory=Footnotes)
    unlearned: Mapping[str, str] = field(default_factory=dict)
    primary_families: Sequence[str] | None = None
    controls_that_learned: Sequence[str] = ()  # controls whose intermediate phase learned the true labels
    unchecked: Sequence[str] = ()  # runs without a training log: learning not verified
    _cache: dict = field(default_factory=dict)

    # -- the runs ----------------------------------------------------------------------------------

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

    @property
    def primary(self) -> list[str]:
        """The label-preserving families in the primary endpoints (and in the pooled value)."""
        chosen = self.preserving if self.primary_families is None else self.primary_families
        return [f for f in self.preserving if f in chosen]

    def has_baseline(self) -> bool:
        return NO_INTERMEDIATE in self.tasks

    def runs_of(self, task: str) -> list[Run]:
        return sorted((r for r in self.runs if r.task == task), key=lambda r: r.seed)

    def seeds(self, task: str) -> list[int]:
        return [r.seed for r in self.runs_of(task)]

    def learned(self, task: str) -> bool:
        return not any(r.name in self.unlearned for r in self.runs_of(task))

    @property
    def arms(self) -> list[str]:
        """The intermediate tasks under test: not the baseline, not a control."""
        return [t for t in self.tasks if t != NO_INTERMEDIATE and not is_control(t)]

    def references(self, task: str) -> list[str]:
        """What `task` is compared with: the baseline, and its control where that ran."""
        refs = [NO_INTERMEDIATE] if self.has_baseline() and task != NO_INTERMEDIATE else []
        control = control_name(task)
        return refs + ([control] if control in self.tasks else [])

    def valid_references(self, task: str) -> list[str]:
        """The references a primary comparison may use: each gated on its own (a baseline or control
        with a run that did not learn is no reference; a control that learned the true labels of its
        intermediate task was not shuffled)."""
        return [r for r in self.references(task) if self.learned(r) and r not in self.controls_that_learned]

    def headline_arms(self) -> list[str]:
        """Arms in the primary family: every run of the arm learned (an arm that did not learn is not an
        NLI arm) and at least one reference is valid."""
        return [a for a in self.arms if self.learned(a) and self.valid_references(a)]

    # -- the bootstrap -----------------------------------------------------------------------------

    def primary_cells(self) -> list[tuple[str, str, str, str, str]]:
        """The primary family (task, metric, lang, variant, reference), the only one Holm corrects."""
        endpoints = [("accuracy", CLEAN)] + [(FLIP, f) for f in self.primary] + ([(FLIP, POOLED)] if self.primary else [])
        return [(arm, name, AVERAGE, variant, ref) for arm in self.headline_arms() for ref in self.valid_references(arm)
                for name, variant in endpoints]

    @cached_property
    def samples(self) -> int:
        """Replicates: at least `report.bootstrap_samples`, and enough to resolve the smallest Holm
        threshold of the primary family."""
        return max(self.cfg.bootstrap_samples, required_samples(len(self.primary_cells()), ALPHA))

    @cached_property
    def weights(self) -> Resampled:
        return Resampled(resampling_weights(len(self.runs[0].arrays.ids), self.samples, self.cfg.seed))

    def draws(self, seeds: int) -> np.ndarray:
        key = ("draws", seeds)
        if key not in self._cache:
            self._cache[key] = seed_draws(seeds, self.samples, self.cfg.seed)
        return self._cache[key]

    # -- which cells are defined -------------------------------------------------------------------

    def _leaf_reason(self, name: str, lang: str, variant: str) -> str | None:
        """Why `name` on one language × variant is undefined for some run (None: defined for all)."""
        key = ("undefined", name, lang, variant)
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
        if name in (FLIP, "flip_rate"):
            return (f"{name.replace('_', ' ')} in {lang} under {variant}: run {run.name} is right on none of the "
                    "changed items' clean pairs (the rate is conditional on them)")
        if name == "consistency":
            return (f"consistency in {lang} under {variant}: run {run.name} is right on no changed item of some "
                    "label (label-balanced consistency is undefined for a constant predictor)")
        if name == "success_rate":
            return f"attack success rate in {lang}: run {run.name} got no attacked item right before the attack"
        return f"{name.replace('_', ' ')} in {lang} under {variant} is undefined for run {run.name}"

    def _leaves(self, lang: str, variant: str) -> list[tuple[str, str]]:
        if lang == EN_GAP and variant == POOLED:
            raise ValueError("the English gap is defined per variant, not over pooled families")
        langs = [x for x in self.langs if x != "en"] if lang == EN_GAP else (
            self.langs if lang == AVERAGE else [lang])
        variants = self.primary if variant == POOLED else [variant]
        return [(x, v) for v in variants for x in langs]

    def _split(self, name: str, lang: str, variant: str) -> tuple[list[tuple[str, str]], list[str]]:
        """(the defined leaf cells of a pooled cell, the reasons of those left out)."""
        kept, dropped = [], []
        leaf_name = FLIP if name == MATCHED_FLIP else name
        for leaf in self._leaves(lang, variant):
            why = self._leaf_reason(leaf_name, *leaf)
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
            return ("n/a: there is no primary label-preserving family." if variant == POOLED
                    else "n/a: there is no language besides English.")
        if not dropped:
            return None
        reasons = "; ".join(dict.fromkeys(dropped))
        if not kept:
            return f"n/a: {reasons}."
        total = len(kept) + len(dropped)
        return (f"pooled over the {len(kept)} of {total} language × family cells where it is defined, the same "
                f"cells for every run; left out: {reasons}.")

    # -- per-seed values and their replicates ------------------------------------------------------

    def _per_seed(self, task: str, name: str, lang: str, variant: str) -> tuple[np.ndarray, np.ndarray]:
        """(point per seed, item-bootstrap replicates per seed): shapes (S,) and (S, B), seeds in order."""
        key = (task, name, lang, variant)
        if key not in self._cache:
            runs = self.runs_of(task)
            with np.errstate(invalid="ignore", divide="ignore"):
                points = np.array([self._one(r, name, lang, variant, None) for r in runs], dtype=float)
                reps = np.array([self._one(r, name, lang, variant, self.weights) for r in runs], dtype=float)
            self._cache[key] = (points, reps)
        return self._cache[key]

    def _matched_per_pair(self, task: str, reference: str, lang: str, variant: str) -> tuple[np.ndarray, np.ndarray]:
        """Matched flip Δ per seed pair: on the items both runs get right on the clean pair, the task's
        flip rate minus the reference's. Pairs by seed where both arms share their seeds, else by rank."""
        key = (MATCHED_FLIP, task, reference, lang, variant)
        if key not in self._cache:
            kept, _ = self._split(MATCHED_FLIP, lang, variant)
            points, reps = [], []
            # Paired on the seeds both arms ran (a seed of one arm alone has no partner).
            shared = sorted(set(self.seeds(task)) & set(self.seeds(reference)))
            by_seed = {(r.task, r.seed): r for r in self.runs}
            for a, b in ((by_seed[(task, s)], by_seed[(reference, s)]) for s in shared):
                with np.errstate(invalid="ignore", divide="ignore"):
                    points.append(self._matched(a, b, kept, None))
                    reps.append(self._matched(a, b, kept, self.weights))
            if not shared:
                shape = (1, len(self.weights))
                points, reps = [np.nan], np.full(shape, np.nan)
            self._cache[key] = (np.array(points, dtype=float), np.array(reps, dtype=float))
        return self._cache[key]

    @staticmethod
    def _matched(a: Run, b: Run, leaves: Sequence[tuple[str, str]], w: np.ndarray | None) -> np.ndarray:
        if not leaves:
            return np.full(() if w is None else (len(w),), np.nan)
        deltas = []
        for lang, variant in leaves:
            l, v = a.arrays.lang_index(lang), a.arrays.variant_index(variant)
            both = (a.arrays.mask[l, v] & (a.arrays.clean_pred[l, v] == a.arrays.clean_gold[l, v])
                    & (b.arrays.clean_pred[l, v] == b.arrays.clean_gold[l, v])).astype(np.float32)
            weights = both if w is None else w * both
            rates = [d.conditional_flip_rate(r.arrays.pred[l, v], r.arrays.gold[l, v], r.arrays.clean_pred[l, v],
                                             r.arrays.clean_gold[l, v], weights) for r in (a, b)]
            deltas.append(rates[0] - rates[1])
        return np.mean(deltas, axis=0)

    # -- estimates and comparisons -----------------------------------------------------------------

    def _interval(self, value: float, replicates: np.ndarray, seeds: int) -> tuple[float, float, str | None]:
        """The interval over the replicates where the statistic is defined (`inference.interval`); NaN
        where it is defined in none, and a note where some resamples left it undefined."""
        finite = replicates[np.isfinite(replicates)]
        if finite.size < 2:
            return float("nan"), float("nan"), "interval n/a: the statistic is undefined in every bootstrap resample."
        low, high = interval(value, finite, self.cfg.confidence, seeds)
        note = ("interval over the bootstrap resamples in which the statistic is defined (some drew none of the "
                "items it needs), so it is conditional on those items being drawn."
                if finite.size < replicates.size else None)
        return low, high, note

    def estimate(self, task: str, name: str, lang: str, variant: str) -> Estimate:
        points, reps = self._per_seed(task, name, lang, variant)
        note = self._note(name, lang, variant)
        value = float(points.mean())
        if not np.isfinite(value):
            if name == "crosslingual_consistency":
                note = f"n/a: no test item is scored under {variant} in every language (a family must change it in all)."
            return Estimate(float("nan"), float("nan"), float("nan"), None, len(points),
                            note or f"n/a: {name.replace('_', ' ')} is undefined for some run of {task}.")
        low, high, interval_note = self._interval(value, seed_mean(reps, self.draws(len(points))), len(points))
        if name in RATES:  # a rate's Student interval can reach past 0 or 1
            low, high = max(low, 0.0), min(high, 1.0)
        std = float(np.std(points, ddof=1)) if len(points) > 1 else None
        return Estimate(value, low, high, std, len(points), " ".join(filter(None, [note, interval_note])) or None)

    def _difference(self, per_seed: tuple[np.ndarray, np.ndarray], reference: tuple[np.ndarray, np.ndarray] | None,
                    paired: bool, reference_name: str) -> Comparison:
        """Δ of two arms' seed means (or the mean of per-pair differences when `reference` is None),
        with its two-level interval, p-value and, for paired seeds, the sign-flip p."""
        points, reps = per_seed
        if reference is None:  # already per-pair differences (matched flip, on the shared seeds)
            delta, seeds = float(points.mean()), len(points)
            diff = seed_mean(reps, self.draws(seeds))
            pair_diffs = points if paired else np.array([])
        else:
            base_points, base_reps = reference
            delta, seeds = float(points.mean() - base_points.mean()), min(len(points), len(base_points))
            diff = seed_mean(reps, self.draws(len(points))) - seed_mean(base_reps, self.draws(len(base_points)))
            pair_diffs = points - base_points if paired else np.array([])
        if not np.isfinite(delta):
            return Comparison(float("nan"), float("nan"), float("nan"), float("nan"), reference=reference_name,
                              note="no difference: the value is undefined (n/a) for this task or its reference, "
                                   "so the cell is left out of Holm's family.")
        low, high, note = self._interval(delta, diff, seeds)
        p_sign = sign_flip_p(pair_diffs) if len(pair_diffs) >= 2 else float("nan")
        return Comparison(delta, low, high, bootstrap_p(delta, diff, seeds), note=note, seeds=seeds, p_sign=p_sign,
                          reference=reference_name)

    def compare(self, task: str, name: str, lang: str, variant: str, reference: str = NO_INTERMEDIATE) -> Comparison:
        """`task` minus `reference` (the baseline or a control): paired on items (the same resamples),
        and on seeds where both share their seeds (then also the exact sign-flip test)."""
        if name == MATCHED_FLIP:
            shared = set(self.seeds(task)) & set(self.seeds(reference))
            comparison = self._difference(self._matched_per_pair(task, reference, lang, variant), None,
                                          len(shared) >= 2, reference)
            if not shared:
                return replace(comparison, note=f"n/a: {task} and {reference} share no seed, so no run pair can be "
                                                "matched on the items both get right.")
            return comparison
        return self._difference(self._per_seed(task, name, lang, variant),
                                self._per_seed(reference, name, lang, variant),
                                self.seeds(task) == self.seeds(reference), reference)

    def compare_all(self, cells: Sequence[tuple[str, ...]], correct: bool = False) -> dict[tuple, Comparison]:
        """Comparisons of (task, metric, lang, variant[, reference]) cells; with `correct`, Holm-adjusted
        p-values over exactly these cells (cells whose p-value is undefined are not in the family)."""
        out = {cell: self.compare(*cell) for cell in cells}
        if not correct:
            return out
        adjusted = holm([c.p for c in out.values()])
        return {cell: replace(c, p_holm=a) for (cell, c), a in zip(out.items(), adjusted)}

    def primary_comparisons(self) -> dict[tuple, Comparison]:
        key = ("primary",)
        if key not in self._cache:
            self._cache[key] = self.compare_all(self.primary_cells(), correct=True)
        return self._cache[key]

    def edit_rate(self, lang: str, variant: str) -> float:
        arrays = self.runs[0].arrays
        l, v = arrays.lang_index(lang), arrays.variant_index(variant)
        mask = arrays.mask[l, v]
        return float(arrays.edit_rate[l, v][mask].mean()) if mask.any() else float("nan")

    def task_label(self, task: str, mark: bool = True) -> str:
        """The task's row label; with `mark`, a task with a run that did not learn is marked, with the
        reason as a footnote."""
        label = (f"{task} (baseline)" if task == NO_INTERMEDIATE else
                 f"{task} (control)" if is_control(task) else task)
        if mark and len(self.seeds(task)) == 1:
            label += " · 1 seed" + self.footnotes.mark(
                "one seed: this task's intervals and p-values resample test items only (test-item sampling only), "
                "so they say nothing about another training seed and are no claim about the method.")
        failed = [r.name for r in self.runs_of(task) if r.name in self.unlearned]
        if not failed or not mark:
            return label
        why = ("; ".join(f"run {name}: {self.unlearned[name]}" for name in failed)
               + (f". This task's values include {len(failed)} run(s) whose training did not beat chance, so its Δ "
                  "to the baseline mixes that failure with any effect of the intermediate task; it is left out of "
                  "the primary endpoints."
                  if task != NO_INTERMEDIATE else
                  f". The baseline's values include {len(failed)} run(s) whose training did not beat chance, so "
                  "every Δ to the baseline mixes that failure with any effect of the intermediate tasks."))
        return f"{label} ⚠ did not learn{self.footnotes.mark(why)}"
