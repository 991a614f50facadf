"""The validity audit: does a perturbation keep (or, for contrast, flip) the gold label?

A committed audit file (`data/audit/<family>.jsonl`) holds, per family × language, a seeded sample
of changed variant pairs from the real PAWS-X test sets with a human verdict each:

    {"id", "lang", "family", "effect", "label", "expected_label",
     "clean": {"sentence1", "sentence2"}, "perturbed": {"sentence1", "sentence2"}, "edits": [...],
     "label_kept": true/false/null        (label-preserving families: the gold label still holds)
     "label_flipped": true/false/null     (label-flipping families: the pair is now a non-paraphrase)
     "fluent": true/false/null            (still a fluent sentence, apart from the family's intended
                                           surface change: typos, case, width, another language's words)
     "comment": str}

`sample_audit` draws the sample (the verdicts start as null and are filled in by a reader);
`read_audit` reads and checks a file; `validity` turns verdicts into label-validity rates per
family × language and per family with a 95 % Wilson interval; `primary_families` applies the rule
that a family whose label validity is under 90 % is not primary (exploratory only).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from xstilts.errors import DataError
from xstilts.io import read_jsonl

PRESERVING, FLIPPING = "preserving", "flipping"
VERDICT = {PRESERVING: "label_kept", FLIPPING: "label_flipped"}
THRESHOLD = 0.9  # a family below this label validity is not primary
Z95 = 1.959963984540054


def _order(seed: int, family: str, lang: str, item_id: str) -> str:
    return hashlib.sha256(f"audit\x1f{seed}\x1f{family}\x1f{lang}\x1f{item_id}".encode()).hexdigest()


def sample_audit(
    family: str,
    effect: str,
    records: Mapping[str, Sequence[Mapping[str, Any]]],
    clean: Mapping[str, Sequence[Mapping[str, Any]]],
    n: int,
    seed: int,
    token_changed: Mapping[str, Sequence[bool]] | None = None,
) -> list[dict[str, Any]]:
    """Per language (in the order of `records`), `n` changed variant records drawn by a seeded hash
    of (family, language, id): the sample of one id does not depend on the others, so a small change
    of the family keeps most of the sample. With `token_changed` (per language, per record), only
    records whose token ids changed are drawn (`xstilts.evaluation.token_changes`)."""
    if effect not in VERDICT:
        raise ValueError(f"effect must be one of {', '.join(VERDICT)}, got {effect!r}")
    out: list[dict[str, Any]] = []
    for lang, rows in records.items():
        by_id = {str(r["id"]): r for r in clean.get(lang, ())}
        flags = token_changed.get(lang) if token_changed is not None else None
        candidates = [
            r for i, r in enumerate(rows) if r.get("changed") and (flags is None or flags[i]) and str(r["id"]) in by_id
        ]
        chosen = sorted(candidates, key=lambda r: _order(seed, family, lang, str(r["id"])))[:n]
        for r in chosen:
            c = by_id[str(r["id"])]
            row: dict[str, Any] = {
                "id": str(r["id"]),
                "lang": lang,
                "family": family,
                "effect": effect,
                "label": int(r["label"]),
                "expected_label": int(r.get("expected_label", r["label"])),
                "clean": {"sentence1": c["sentence1"], "sentence2": c["sentence2"]},
                "perturbed": {"sentence1": r["sentence1"], "sentence2": r["sentence2"]},
                "edits": [
                    {k: e[k] for k in ("sentence", "op", "before", "after") if k in e} for e in r.get("edits", ())
                ],
                VERDICT[effect]: None,
                "fluent": None,
                "comment": "",
            }
            out.append(row)
    return out


def _key(row: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    p = row["perturbed"]
    return (row["family"], row["lang"], str(row["id"]), p["sentence1"], p["sentence2"])


def carry_verdicts(new: Sequence[dict[str, Any]], old: Iterable[Mapping[str, Any]]) -> int:
    """Copy the verdicts of `old` rows onto the `new` rows with the same family, language, id and
    perturbed pair (a re-drawn sample keeps what was judged); returns how many were copied."""
    judged = {_key(r): r for r in old}
    copied = 0
    for row in new:
        prev = judged.get(_key(row))
        if prev is None:
            continue
        verdict = VERDICT[row["effect"]]
        row[verdict], row["fluent"], row["comment"] = prev.get(verdict), prev.get("fluent"), prev.get("comment", "")
        copied += prev.get(verdict) is not None
    return copied


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


def is_primary(stats: Mapping[str, Any], threshold: float = THRESHOLD) -> bool:
    """The rule: a family is primary when its label validity (over all languages) is at least
    `threshold` (90 %); a family never judged is not primary."""
    rate = stats["overall"]["rate"]
    return stats["overall"]["n"] > 0 and not math.isnan(rate) and rate >= threshold


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
