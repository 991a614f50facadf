"""Run a family over whole splits: records, the quality report, and the file layout.

`perturb_split` is pure (rows in, records and report out); `write_family` reads
`<prepared>/{test,validation}/<lang>.jsonl` and writes `<out>/<lang>.jsonl` + `<out>/quality.json`
(+ any family artifacts, e.g. code_mixing's lexicons) as one atomic directory.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xstilts.errors import ParamsError, XstiltsError
from xstilts.io import atomic_dir, write_json, write_jsonl
from xstilts.params import build
from xstilts.perturb.base import BaseParams, params_dict
from xstilts.perturb.family import Corpus, Family
from xstilts.perturb.registry import FAMILIES
from xstilts.schema import FLIPPING, check_prepared_row, prepared_file, read_prepared
from xstilts.text.edits import Edit, apply_edits
from xstilts.text.pairs import Example, is_marker, make_example
from xstilts.text.scripts import is_blank
from xstilts.text.stream import Stream

SPLITS = ("test", "validation")  # test is perturbed; validation only feeds lexicons / word lists


def get_family(name: str) -> Family:
    if name not in FAMILIES:
        # The name comes from a key of params perturb.families (through dvc.yaml's foreach).
        raise ParamsError("perturb.families", f"unknown perturbation family {name!r} (known: {', '.join(FAMILIES)})")
    return FAMILIES[name]


def family_params(family: Family, raw: Mapping[str, Any] | None) -> BaseParams:
    """`perturb.families.<name>` (`{}` or null: the defaults) as the family's own params class."""
    return build(family.params, raw, f"perturb.families.{family.name}")


def _examples(lang: str, rows: Sequence[Mapping[str, Any]], split: str) -> list[Example]:
    for i, row in enumerate(rows, start=1):
        check_prepared_row(row, f"<{split} {lang}>", i)
    return [make_example(lang, row) for row in rows]


def perturb_example(family: Family, params: BaseParams, example: Example, resources: Any) -> dict[str, Any]:
    """One variant record. The random stream is keyed on (family, seed, lang, id) only."""
    stream = Stream(family.name, params.seed, example.lang, example.id)
    found = (
        None
        if is_marker(example.sentence1) or is_marker(example.sentence2)
        else family.apply(params, example, resources, stream)
    )
    edits: list[Edit] = [e for e in found or [] if e.before != e.after]
    s1 = unicodedata.normalize("NFC", apply_edits(example.sentence1, [e for e in edits if e.sentence == 1]))
    s2 = unicodedata.normalize("NFC", apply_edits(example.sentence2, [e for e in edits if e.sentence == 2]))
    if is_blank(s1) or is_blank(s2):  # safety net: a variant is never an empty sentence
        edits, s1, s2 = [], example.sentence1, example.sentence2
    changed = (s1, s2) != (example.sentence1, example.sentence2)
    return {
        "id": example.id,
        "lang": example.lang,
        "family": family.name,
        "label": example.label,
        "expected_label": 0 if family.effect == FLIPPING and changed else example.label,
        "changed": changed,
        "eligible": found is not None,
        "edit_count": len(edits) if changed else 0,
        "sentence1": s1,
        "sentence2": s2,
        "edits": [e.to_dict() for e in edits] if changed else [],
        "params": params_dict(params),
    }


def _share(n: int, d: int) -> float:
    return round(n / d, 4) if d else 0.0


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def quality_stats(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Changed / eligible shares and edit sizes (means over changed examples)."""
    n = len(records)
    eligible = [r for r in records if r["eligible"]]
    changed = [r for r in records if r["changed"]]
    chars = [sum(max(len(e["before"]), len(e["after"])) for e in r["edits"]) for r in changed]
    return {
        "examples": n,
        "eligible": len(eligible),
        "changed": len(changed),
        "not_eligible": n - len(eligible),
        "unchanged_eligible": sum(1 for r in eligible if not r["changed"]),
        "share_changed": _share(len(changed), n),
        "share_changed_of_eligible": _share(sum(1 for r in eligible if r["changed"]), len(eligible)),
        "share_not_eligible": _share(n - len(eligible), n),
        "mean_edit_count": _mean([r["edit_count"] for r in changed]),
        "mean_edit_chars": _mean(chars),
        "label_counts": dict(sorted(Counter(str(r["label"]) for r in records).items())),
        "expected_label_counts": dict(sorted(Counter(str(r["expected_label"]) for r in records).items())),
    }


@dataclass(frozen=True)
class Run:
    records: dict[str, list[dict[str, Any]]]
    quality: dict[str, Any]
    artifacts: dict[str, Any]


def run_family(
    name: str,
    params: BaseParams,
    test_by_lang: Mapping[str, Sequence[Mapping[str, Any]]],
    validation_by_lang: Mapping[str, Sequence[Mapping[str, Any]]],
    languages: Iterable[str] | None = None,
) -> Run:
    """Perturb `languages` (default: every language of test_by_lang); others are parallel data."""
    family = get_family(name)
    languages = list(test_by_lang) if languages is None else list(languages)
    corpus = Corpus(
        {lang: _examples(lang, rows, "test") for lang, rows in test_by_lang.items()},
        {lang: _examples(lang, rows, "validation") for lang, rows in validation_by_lang.items()},
    )
    records: dict[str, list[dict[str, Any]]] = {}
    resources: dict[str, Any] = {}
    quality: dict[str, Any] = {
        "family": name,
        "effect": family.effect,
        "primary": family.primary,
        "params": params_dict(params),
    }
    per_lang: dict[str, Any] = {}
    for lang in languages:
        if lang not in corpus.test:
            raise XstiltsError(f"{name}: no test rows for language {lang!r}")
        resources[lang] = family.prepare(params, lang, corpus)
        records[lang] = [perturb_example(family, params, ex, resources[lang]) for ex in corpus.test[lang]]
        per_lang[lang] = quality_stats(records[lang]) | family.summary(resources[lang])
    quality["languages"] = per_lang
    quality["overall"] = quality_stats([r for rows in records.values() for r in rows])
    artifacts = family.artifacts(params, resources) if family.artifacts else {}
    return Run(records, quality, artifacts)


def perturb_split(
    family: str,
    params: Mapping[str, Any],
    test_by_lang: Mapping[str, list[dict[str, Any]]],
    validation_by_lang: Mapping[str, list[dict[str, Any]]],
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """Variant records per language (input order) and the quality report. No file I/O. `params`
    is the family's params as in params.yaml (checked here)."""
    run = run_family(family, family_params(get_family(family), params), test_by_lang, validation_by_lang)
    return run.records, run.quality


def languages_to_read(fam: Family, params: BaseParams, languages: list[str], prepared_dir: Path) -> list[str]:
    """`languages`, the other languages they need, and those they may use where prepared (both splits)."""
    needed = languages + [o for lang in languages for o in fam.needs_languages(params, lang)]
    optional = [o for lang in languages for o in fam.may_use_languages(params, lang)]
    needed += [o for o in optional if all((prepared_dir / s / f"{o}.jsonl").is_file() for s in SPLITS)]
    return list(dict.fromkeys(needed))


def write_family(
    family: str, params: BaseParams, prepared_dir: Path, out_dir: Path, languages: list[str]
) -> None:
    """Read the prepared splits, perturb `languages`, write the family directory atomically."""
    needed = languages_to_read(get_family(family), params, languages, Path(prepared_dir))
    data = {
        split: {lang: read_prepared(prepared_file(prepared_dir, split, lang)) for lang in needed} for split in SPLITS
    }
    run = run_family(family, params, data["test"], data["validation"], languages)
    with atomic_dir(out_dir) as tmp:
        for lang in languages:
            write_jsonl(tmp / f"{lang}.jsonl", run.records[lang])
        write_json(tmp / "quality.json", run.quality)
        for rel, obj in sorted(run.artifacts.items()):
            write_json(tmp / rel, obj)
