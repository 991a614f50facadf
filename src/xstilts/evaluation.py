"""Zero-shot evaluation of one target checkpoint on every language × variant.

    python stages/evaluate_run.py --model models/target/anli-s13 --clean data/prepared/pawsx/test ...

Variants are the clean PAWS-X test set (`data/prepared/pawsx/test/<lang>.jsonl`) and every
perturbation family's files (`data/variants/<family>/<lang>.jsonl`). The reference label of a
variant is its `expected_label` (a contrast-set edit turns a paraphrase into a non-paraphrase).
Metrics are flat keys, `<lang>.<variant>.accuracy`, so `dvc metrics diff` compares runs key by key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from xstilts.errors import ParamsError
from xstilts.io import read_jsonl, write_json, write_jsonl
from xstilts.metrics import load_metric
from xstilts.modeling import (
    encode_pairs,
    load_classifier,
    load_tokenizer,
    make_accelerator,
    predict_logits,
    softmax,
    sorted_loader,
)

@dataclass(frozen=True)
class EvalConfig:
    """`eval` in params.yaml."""

    batch_size: int = 128
    mixed_precision: Literal["no", "fp16", "bf16"] = "no"

    def check(self, key: str) -> None:
        if self.batch_size <= 0:
            raise ParamsError(f"{key}.batch_size", f"must be > 0, got {self.batch_size!r}")


CLEAN = "clean"
AVERAGE = "avg"


@dataclass(frozen=True)
class EvalSet:
    lang: str
    variant: str
    rows: list[dict]


def load_eval_sets(clean_dir: Path, variants_dir: Path | None, languages: Sequence[str]) -> list[EvalSet]:
    """The clean test set and each variant family, per language (families in name order)."""
    sets = [EvalSet(lang, CLEAN, [r for _, r in read_jsonl(clean_dir / f"{lang}.jsonl")]) for lang in languages]
    families = sorted(p for p in variants_dir.iterdir() if p.is_dir()) if variants_dir and variants_dir.is_dir() else []
    for family in families:
        for lang in languages:
            path = family / f"{lang}.jsonl"
            if path.is_file():
                sets.append(EvalSet(lang, family.name, [r for _, r in read_jsonl(path)]))
    return sets


def reference_label(row: dict) -> int:
    return int(row.get("expected_label", row["label"]))


def predict_sets(model_dir: Path, sets: Sequence[EvalSet], batch_size: int, mixed_precision: str,
                 max_length: int) -> list[np.ndarray]:
    """Class probabilities per set: all sets tokenised and batched together, sorted by length."""
    accelerator = make_accelerator(mixed_precision)
    tokenizer = load_tokenizer(model_dir)
    model = load_classifier(model_dir)
    rows = [dict(r, label=reference_label(r)) for s in sets for r in s.rows]
    pairs = encode_pairs(tokenizer, rows, max_length)
    loader = sorted_loader(pairs, batch_size, tokenizer.pad_token_id)
    model, loader = accelerator.prepare(model, loader)
    probs = softmax(predict_logits(model, loader, accelerator, len(pairs)))
    out, start = [], 0
    for s in sets:
        out.append(probs[start : start + len(s.rows)])
        start += len(s.rows)
    return out


def score(sets: Sequence[EvalSet], probs: Sequence[np.ndarray]) -> dict[str, float]:
    """Flat metrics: per language × variant accuracy, and the average over languages per variant."""
    accuracy = load_metric("accuracy")
    metrics: dict[str, float] = {}
    per_variant: dict[str, list[float]] = {}
    for s, p in zip(sets, probs):
        refs = [reference_label(r) for r in s.rows]
        acc = accuracy.compute(predictions=p.argmax(axis=1).tolist(), references=refs)["accuracy"]
        metrics[f"{s.lang}.{s.variant}.accuracy"] = round(float(acc), 6)
        per_variant.setdefault(s.variant, []).append(float(acc))
    for variant, accs in per_variant.items():
        metrics[f"{AVERAGE}.{variant}.accuracy"] = round(float(np.mean(accs)), 6)
    return metrics


def prediction_rows(sets: Sequence[EvalSet], probs: Sequence[np.ndarray]) -> list[dict]:
    return [
        {
            "id": r["id"],
            "lang": s.lang,
            "variant": s.variant,
            "label": int(r["label"]),
            "expected_label": reference_label(r),
            "predicted": int(pr.argmax()),
            "probabilities": [round(float(x), 6) for x in pr],
        }
        for s, p in zip(sets, probs)
        for r, pr in zip(s.rows, p)
    ]


def evaluate_run(model_dir: Path, clean_dir: Path, variants_dir: Path | None, languages: Sequence[str],
                 cfg: EvalConfig, max_length: int, metrics_path: Path, predictions_path: Path) -> dict[str, float]:
    """Predict every language × variant with one checkpoint; write metrics JSON and predictions."""
    from xstilts.modeling import check_model_dir

    check_model_dir(model_dir, "the target checkpoint to evaluate")
    sets = load_eval_sets(clean_dir, variants_dir, languages)
    probs = predict_sets(model_dir, sets, cfg.batch_size, cfg.mixed_precision, max_length)
    metrics = score(sets, probs)
    write_jsonl(predictions_path, prediction_rows(sets, probs))
    write_json(metrics_path, metrics)
    return metrics
