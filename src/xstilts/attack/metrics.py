"""Attack metrics from `attacks/<run>/results.jsonl`, by the same definitions and arrays as the rest.

An attack's results become a `RunArrays` with two variants: `clean` (the prediction before any
edit) and `attack` (the prediction after the attack: the adversarial pair's for a success, the
original one otherwise). Then `xstilts.robustness.metric` computes, with or without bootstrap
weights (the report's intervals and paired comparisons reuse this):

    success_rate           successful / (successful + failed)     (TextAttack; skipped = wrong before)
    accuracy_under_attack  failed / all attacked pairs
    clean_accuracy         (successful + failed) / all attacked pairs

and plain means give `mean_queries` (over successful and failed attacks: skipped pairs cost one
query) and `mean_edited_share` (share of the pair's word units edited, over successful attacks).
Flat keys `<lang>.attack.<metric>` and `avg.attack.<metric>` (mean over languages), plus the counts
`<lang>.attack.{examples,successful,failed,skipped}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xstilts.errors import DataError
from xstilts.io import read_jsonl
from xstilts.robustness import ATTACK, AVERAGE, RunArrays, metric
from xstilts.schema import CLEAN, LANGUAGES

# What became of an attacked pair: skipped = the model got it wrong before any edit (not attacked).
SUCCESSFUL, FAILED, SKIPPED = "successful", "failed", "skipped"
STATUSES = (SUCCESSFUL, FAILED, SKIPPED)
REQUIRED = ("id", "lang", "label", "status", "queries", "edited_share", "original_prediction", "new_prediction")
BOOTSTRAPPED = ("success_rate", "accuracy_under_attack", "clean_accuracy")


def read_results(path: Path) -> list[dict[str, Any]]:
    """The rows of one run's results.jsonl; a malformed row stops with its file and line."""
    rows = []
    for line, row in read_jsonl(path):
        missing = [k for k in REQUIRED if k not in row]
        if missing:
            raise DataError(path, line, f"missing {', '.join(missing)}")
        if row["status"] not in STATUSES:
            raise DataError(path, line, f"'status' must be one of {', '.join(STATUSES)}, got {row['status']!r}")
        rows.append(row)
    return rows


def attack_arrays(rows: Sequence[dict[str, Any]], ids: Sequence[str] | None = None,
                  langs: Sequence[str] | None = None) -> RunArrays:
    """Arrays over (language, [clean, attack], item); `ids`/`langs` fix the item and language axes
    (the report passes its runs' test ids so that the bootstrap resamples line up), otherwise
    those of `rows` in order. Items not attacked are masked out."""
    if ids is None:
        ids = list(dict.fromkeys(str(r["id"]) for r in rows))
    if langs is None:
        found = {r["lang"] for r in rows}
        langs = [x for x in LANGUAGES if x in found] + sorted(found - set(LANGUAGES))
    ids, langs = list(ids), list(langs)
    shape = (len(langs), 2, len(ids))
    pred, gold = np.full(shape, -1, dtype=np.int8), np.full(shape, -1, dtype=np.int8)
    mask = np.zeros(shape, dtype=bool)
    share = np.zeros(shape, dtype=np.float32)
    li, ii = {x: i for i, x in enumerate(langs)}, {x: i for i, x in enumerate(ids)}
    for r in rows:
        l, i = li.get(r["lang"]), ii.get(str(r["id"]))
        if l is None or i is None:
            continue
        pred[l, 0, i], pred[l, 1, i] = r["original_prediction"], r["new_prediction"]
        gold[l, :, i] = r["label"]
        mask[l, :, i] = True
        share[l, 1, i] = r["edited_share"]
    clean_pred = np.broadcast_to(pred[:, :1, :], shape).copy()
    clean_gold = np.broadcast_to(gold[:, :1, :], shape).copy()
    return RunArrays(ids, langs, [CLEAN, ATTACK], [CLEAN, ATTACK], pred, gold, clean_pred, clean_gold, mask, share)


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def attack_metrics(rows: Sequence[dict[str, Any]], langs: Sequence[str] | None = None) -> dict[str, float]:
    """Flat metrics of one run's attack (see the module docstring); NaNs (e.g. no success in a
    language, so no edited share) are left out."""
    arrays = attack_arrays(rows, langs=langs)
    out: dict[str, float] = {}
    per_lang: dict[str, dict[str, float]] = {}
    for lang in arrays.langs:
        mine = [r for r in rows if r["lang"] == lang]
        if not mine:
            continue
        counts = {s: sum(r["status"] == s for r in mine) for s in STATUSES}
        values = {name: float(metric(arrays, name, lang, ATTACK)) for name in BOOTSTRAPPED}
        values["mean_queries"] = _mean([r["queries"] for r in mine if r["status"] != SKIPPED])
        values["mean_edited_share"] = _mean([r["edited_share"] for r in mine if r["status"] == SUCCESSFUL])
        per_lang[lang] = values
        for name, value in values.items():
            out[f"{lang}.{ATTACK}.{name}"] = value
        out[f"{lang}.{ATTACK}.examples"] = len(mine)
        for status in (SUCCESSFUL, FAILED, SKIPPED):
            out[f"{lang}.{ATTACK}.{status}"] = counts[status]
    if per_lang and len(per_lang) == len(arrays.langs):
        for name in BOOTSTRAPPED:
            out[f"{AVERAGE}.{ATTACK}.{name}"] = float(metric(arrays, name, AVERAGE, ATTACK))
        for name in ("mean_queries", "mean_edited_share"):
            finite = [v[name] for v in per_lang.values() if np.isfinite(v[name])]
            out[f"{AVERAGE}.{ATTACK}.{name}"] = _mean(finite)
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in out.items()
            if not isinstance(v, float) or np.isfinite(v)}
