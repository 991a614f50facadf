"""Perturbation validity: the committed audit verdicts as rates with intervals, and the primary rule.

    python -m xstilts.perturb audit summary data/audit/*.jsonl   # the table (the audit CLI)

An audit file (`data/audit/<family>.jsonl`, drawn by `xstilts.perturb.audit`) holds, per family ×
language, a seeded sample of changed variant pairs of the real PAWS-X test sets with a verdict each:
`label_kept` (label-preserving families) or `label_flipped` (contrast sets), `fluent`, `comment`.
`validity` turns verdicts into label-validity rates per family and per family × language with a 95 %
Wilson interval; `is_primary` applies the rule that a family under 90 % label validity is left out
of the primary endpoints (`../shared/docs/statistics.md`). Pure and light: the report stage imports
it without loading the perturbation families.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from xstilts.errors import DataError
from xstilts.io import read_jsonl
from xstilts.schema import FLIPPING, PRESERVING

VERDICT = {PRESERVING: "label_kept", FLIPPING: "label_flipped"}
THRESHOLD = 0.9  # a family below this label validity is not primary
Z95 = 1.959963984540054


def _check(row: Any, path: Path, line: int) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise DataError(path, line, "expected a JSON object")
    for key in ("id", "lang", "family", "effect", "clean", "perturbed", "edits"):
        if key not in row:
            raise DataError(path, line, f"missing {key!r}")
    if row["effect"] not in VERDICT:
        raise DataError(path, line, f"'effect' must be one of {', '.join(VERDICT)}, got {row['effect']!r}")
    for key in (VERDICT[row["effect"]], "fluent"):
        if row.get(key) not in (True, False, None):
            raise DataError(path, line, f"{key!r} must be true, false or null, got {row.get(key)!r}")
    return row


def read_audit(path: str | Path) -> list[dict[str, Any]]:
    """An audit file's rows, checked (verdicts true, false or null)."""
    path = Path(path)
    return [_check(row, path, line) for line, row in read_jsonl(path)]


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of k successes in n trials (nan, nan for n = 0)."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _rates(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    judged = [r for r in rows if r.get(VERDICT[r["effect"]]) is not None]
    valid = sum(1 for r in judged if r[VERDICT[r["effect"]]])
    fluent_judged = [r for r in rows if r.get("fluent") is not None]
    fluent = sum(1 for r in fluent_judged if r["fluent"])
    both = sum(1 for r in judged if r[VERDICT[r["effect"]]] and r.get("fluent"))
    low, high = wilson(valid, len(judged))
    f_low, f_high = wilson(fluent, len(fluent_judged))
    return {
        "n": len(judged),
        "valid": valid,
        "rate": valid / len(judged) if judged else math.nan,
        "low": low,
        "high": high,
        "unjudged": len(rows) - len(judged),
        "fluent_n": len(fluent_judged),
        "fluent": fluent,
        "fluent_rate": fluent / len(fluent_judged) if fluent_judged else math.nan,
        "fluent_low": f_low,
        "fluent_high": f_high,
        "valid_and_fluent": both,
    }


def validity(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Label validity per family: {family: {"effect", "overall": rates, "languages": {lang: rates}}}.

    rates: n (judged), valid (label kept; for a flipping family: label flipped), rate = valid / n,
    its 95 % Wilson interval (low, high), unjudged, and the same for `fluent` (fluent_n, fluent,
    fluent_rate, fluent_low, fluent_high) and valid_and_fluent. Pure: no file I/O.
    """
    by_family: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        by_family.setdefault(r["family"], []).append(r)
    out: dict[str, dict[str, Any]] = {}
    for family, fam_rows in sorted(by_family.items()):
        effects = {r["effect"] for r in fam_rows}
        if len(effects) != 1:
            raise ValueError(f"family {family!r} has rows of several label effects: {sorted(effects)}")
        langs: dict[str, list[Mapping[str, Any]]] = {}
        for r in fam_rows:
            langs.setdefault(r["lang"], []).append(r)
        out[family] = {
            "effect": effects.pop(),
            "overall": _rates(fam_rows),
            "languages": {lang: _rates(lr) for lang, lr in sorted(langs.items())},
        }
    return out


MIN_JUDGED = 25  # judged pairs per audited language before a family can be primary


def is_primary(stats: Mapping[str, Any], threshold: float = THRESHOLD) -> bool:
    """The rule: a family is primary when its label validity (over all languages) is at least
    `threshold` (90 %) and every audited language has at least MIN_JUDGED judged pairs; a family
    judged on fewer (one valid pair of one is no evidence) is not primary."""
    rate = stats["overall"]["rate"]
    enough = bool(stats["languages"]) and all(r["n"] >= MIN_JUDGED for r in stats["languages"].values())
    return enough and not math.isnan(rate) and rate >= threshold


def primary_families(stats: Mapping[str, Mapping[str, Any]], threshold: float = THRESHOLD) -> dict[str, bool]:
    return {family: is_primary(s, threshold) for family, s in stats.items()}


def read_audits(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    return [row for p in paths for row in read_audit(p)]


def table(stats: Mapping[str, Mapping[str, Any]]) -> str:
    """A Markdown table: per family and language, label validity with its interval, and fluency."""
    lines = [
        "| family | lang | n | label valid | 95 % CI | fluent | primary |",
        "|---|---|---|---|---|---|---|",
    ]

    def cell(r: Mapping[str, Any]) -> str:
        if not r["n"]:
            return "| 0 | – | – | – |"
        fl = f"{r['fluent_rate']:.0%}" if r["fluent_n"] else "–"
        return f"| {r['n']} | {r['rate']:.1%} | {r['low']:.1%}–{r['high']:.1%} | {fl} |"

    for family, s in stats.items():
        lines.append(f"| **{family}** | all {cell(s['overall'])} {'yes' if is_primary(s) else 'no'} |")
        for lang, r in s["languages"].items():
            lines.append(f"| {family} | {lang} {cell(r)} |")
    return "\n".join(lines)
