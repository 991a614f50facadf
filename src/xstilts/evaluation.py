"""Zero-shot predictions of one target checkpoint on one variant, in every language.

    python stages/predict.py --model models/target/anli-s13 --clean data/prepared/pawsx/test \
        --variants data/variants --variant char_noise --predictions predictions/anli-s13/char_noise.jsonl

A variant is the clean PAWS-X test set (`clean`: `data/prepared/pawsx/test/<lang>.jsonl`) or one
perturbation family (`data/variants/<family>/<lang>.jsonl`, with the family's label effect in
`quality.json`). One stage per run × variant, so editing one family re-predicts that family only.
The reference label of a variant is its `expected_label` (a contrast-set edit turns a paraphrase
into a non-paraphrase). Every prediction is saved with its probabilities, so all metrics
(`xstilts.robustness`) are recomputed from these files without running the model again.

"Changed" means the *model input* changed: a variant row's `changed` is True when its token ids
under the checkpoint's tokenizer (truncated to `max_length`, as the model sees them) differ from
those of the clean pair with the same id and language (`token_changes`). The perturb stage's text
comparison is kept as `text_changed`: a text edit the tokenizer undoes (NFKC folds full-width
letters, for one) is `text_changed` but not `changed`, its reference label stays the gold label
(even for a label-flipping family), and no metric counts it. `token_change_counts` tallies both
per variant × language from saved prediction rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xstilts.config import EvalConfig
from xstilts.errors import DataError
from xstilts.io import read_jsonl, write_jsonl
from xstilts.modeling import (
    check_model_dir,
    load_classifier,
    load_tokenizer,
    make_accelerator,
    predict_logits,
    softmax,
    sorted_loader,
)
from xstilts.sampling import subsample
from xstilts.schema import CLEAN, EFFECTS, read_prepared
from xstilts.tokencache import encode_pairs_cached


@dataclass(frozen=True)
class EvalSet:
    lang: str
    variant: str
    effect: str  # "clean", "preserving" or "flipping"
    rows: list[dict]


def load_eval_sets(clean_dir: Path, variants_dir: Path | None, languages: Sequence[str], max_examples: int = 0,
                   seed: int = 13, variants: Sequence[str] | None = None, sample_clean: bool = False) -> list[EvalSet]:
    """Per language, the clean test set and each variant family (families in name order), or only
    `variants` (`clean` and/or family names); with `max_examples`, the families keep only the items
    of a seeded subsample of the first language's clean test ids (the same items for every family
    and language); the clean test set stays whole unless `sample_clean` (benches that score a
    sample of the clean test set)."""
    clean = {lang: read_prepared(clean_dir / f"{lang}.jsonl") for lang in languages}
    if variants is None:
        found = sorted(p.name for p in variants_dir.iterdir() if p.is_dir()) if variants_dir and variants_dir.is_dir() else []
        variants = [CLEAN, *found]
    sets = []
    for variant in variants:
        if variant == CLEAN:
            sets += [EvalSet(lang, CLEAN, CLEAN, clean[lang]) for lang in languages]
            continue
        family = (variants_dir or Path(".")) / variant
        if not family.is_dir():
            raise DataError(family, None, "no such perturbation family output — run its perturb stage (dvc repro)")
        effect = family_effect(family)
        for lang in languages:
            path = family / f"{lang}.jsonl"
            if path.is_file():
                sets.append(EvalSet(lang, variant, effect, [r for _, r in read_jsonl(path)]))
    if max_examples > 0 and languages:
        keep = {str(r["id"]) for r in subsample(clean[languages[0]], max_examples, seed)}
        sets = [s if s.variant == CLEAN and not sample_clean
                else EvalSet(s.lang, s.variant, s.effect, [r for r in s.rows if str(r["id"]) in keep]) for s in sets]
    return sets


def family_effect(family_dir: Path) -> str:
    """`preserving` or `flipping`, from the family's `quality.json` (written by the perturb stage)."""
    path = family_dir / "quality.json"
    try:
        effect = json.loads(path.read_text(encoding="utf-8")).get("effect")
    except (OSError, ValueError) as exc:
        raise DataError(path, None, f"cannot read the family's label effect ({exc})") from None
    if effect not in EFFECTS:
        raise DataError(path, None, f"'effect' must be one of {', '.join(EFFECTS)}, got {effect!r}")
    return effect


def reference_label(row: dict) -> int:
    return int(row.get("expected_label", row["label"]))


def token_changes(tokenizer, sets: Sequence[EvalSet], clean: Mapping[str, Sequence[dict]],
                  max_length: int) -> list[list[bool] | None]:
    """Per set, per row: do the pair's token ids (as the model gets them: `encode_pairs`, truncated
    to `max_length`) differ from the clean pair's with the same id in the same language? None for
    the clean sets. `clean` maps a language to its clean test rows."""
    out: list[list[bool] | None] = []
    for s in sets:
        if s.variant == CLEAN:
            out.append(None)
            continue
        by_id = {str(r["id"]): r for r in clean.get(s.lang, ())}
        missing = [str(r["id"]) for r in s.rows if str(r["id"]) not in by_id]
        if missing:
            raise DataError(f"<{s.variant} {s.lang}>", None,
                            f"id {missing[0]!r} is not in the clean test set of {s.lang!r}")
        twins = [dict(by_id[str(r["id"])], label=0) for r in s.rows]
        variant = encode_pairs_cached(tokenizer, [dict(r, label=0) for r in s.rows], max_length)
        original = encode_pairs_cached(tokenizer, twins, max_length)
        out.append([list(a) != list(b) for a, b in zip(variant.input_ids, original.input_ids, strict=True)])
    return out


def with_token_changes(sets: Sequence[EvalSet], changes: Sequence[list[bool] | None]) -> list[EvalSet]:
    """The sets with `changed` = the token-level change and `text_changed` = the perturb stage's
    text-level flag; a row whose edits the tokenizer undid keeps its gold label as reference."""
    out = []
    for s, flags in zip(sets, changes, strict=True):
        if flags is None:
            out.append(s)
            continue
        rows = []
        for r, changed in zip(s.rows, flags, strict=True):
            row = dict(r, text_changed=bool(r.get("changed", False)), changed=bool(changed))
            if not changed:
                row["expected_label"] = int(r["label"])  # nothing reached the model: the gold label stands
            rows.append(row)
        out.append(EvalSet(s.lang, s.variant, s.effect, rows))
    return out


def token_change_counts(rows: Sequence[Mapping]) -> dict[str, dict[str, dict[str, int]]]:
    """From prediction rows (or variant rows carrying both flags): per variant, per language, the
    items, the text-level changes (`text_changed`), the token-level changes (`changed`) and the text
    changes whose token ids equal the clean pair's (`token_identical`). Clean rows are skipped."""
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for r in rows:
        if r.get("variant") == CLEAN:
            continue
        c = counts.setdefault(str(r.get("variant", r.get("family"))), {}).setdefault(
            str(r["lang"]), {"items": 0, "text_changed": 0, "changed": 0, "token_identical": 0})
        text, token = bool(r.get("text_changed", r.get("changed"))), bool(r.get("changed"))
        c["items"] += 1
        c["text_changed"] += text
        c["changed"] += token
        c["token_identical"] += text and not token
    return {v: dict(sorted(by_lang.items())) for v, by_lang in sorted(counts.items())}


def predict_sets(model_dir: Path, sets: Sequence[EvalSet], batch_size: int, mixed_precision: str,
                 max_length: int, tokenizer=None) -> list[np.ndarray]:
    """Class probabilities per set: all sets tokenised and batched together, sorted by length."""
    accelerator = make_accelerator(mixed_precision)
    tokenizer = tokenizer if tokenizer is not None else load_tokenizer(model_dir)
    model = load_classifier(model_dir)
    rows = [dict(r, label=reference_label(r)) for s in sets for r in s.rows]
    pairs = encode_pairs_cached(tokenizer, rows, max_length)
    loader = sorted_loader(pairs, batch_size, tokenizer.pad_token_id)
    model, loader = accelerator.prepare(model, loader)
    probs = softmax(predict_logits(model, loader, accelerator, len(pairs)))
    out, start = [], 0
    for s in sets:
        out.append(probs[start : start + len(s.rows)])
        start += len(s.rows)
    return out


def edit_rate(row: dict) -> float:
    """Share of the pair's characters touched by the perturbation's edits (0 for clean rows)."""
    touched = sum(max(len(e.get("before", "")), len(e.get("after", ""))) for e in row.get("edits", ()))
    return round(touched / max(1, len(row["sentence1"]) + len(row["sentence2"])), 6)


def prediction_rows(sets: Sequence[EvalSet], probs: Sequence[np.ndarray]) -> list[dict]:
    return [
        {
            "id": r["id"],
            "lang": s.lang,
            "variant": s.variant,
            "effect": s.effect,
            "changed": bool(r.get("changed", False)),
            "text_changed": bool(r.get("text_changed", r.get("changed", False))),
            "edit_rate": edit_rate(r),
            "label": int(r["label"]),
            "expected_label": reference_label(r),
            "predicted": int(pr.argmax()),
            "probabilities": [round(float(x), 6) for x in pr],
        }
        for s, p in zip(sets, probs)
        for r, pr in zip(s.rows, p)
    ]


def predict_run(model_dir: Path, clean_dir: Path, variants_dir: Path | None, languages: Sequence[str],
                cfg: EvalConfig, max_length: int, predictions_path: Path, variants: Sequence[str] | None = None) -> int:
    """Predict every language × variant (or only `variants`) with one checkpoint; write one JSON line
    per prediction."""
    check_model_dir(model_dir, "the target checkpoint to evaluate")
    sets = load_eval_sets(clean_dir, variants_dir, languages, cfg.max_examples, cfg.seed, variants)
    tokenizer = load_tokenizer(model_dir)
    if any(s.variant != CLEAN for s in sets):
        clean = {s.lang: s.rows for s in load_eval_sets(clean_dir, None, languages, variants=[CLEAN])}
        sets = with_token_changes(sets, token_changes(tokenizer, sets, clean, max_length))
    probs = predict_sets(model_dir, sets, cfg.batch_size, cfg.mixed_precision, max_length, tokenizer)
    return write_jsonl(predictions_path, prediction_rows(sets, probs))
