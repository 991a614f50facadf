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

`sample_audit` draws the sample (the verdicts start as null and are filled in by a reader) and
`carry_verdicts` keeps the verdicts of identical pairs when a sample is redrawn. Reading the verdicts
is `xstilts.validity` (pure and light, for the report stage), re-exported here: `read_audit` reads
and checks a file; `validity` turns verdicts into label-validity rates per family × language and per
family with a 95 % Wilson interval; `is_primary` / `primary_families` apply the rule that a family
whose label validity is under 90 % is not primary (exploratory only).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from xstilts.validity import (  # noqa: F401 - re-exported: the audit's reader lives in xstilts.validity
    THRESHOLD,
    VERDICT,
    is_primary,
    primary_families,
    read_audit,
    read_audits,
    table,
    validity,
    wilson,
)


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


