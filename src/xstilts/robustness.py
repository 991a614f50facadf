"""Robustness metrics of a run from its saved predictions, with bootstrap resampling.

    python stages/score.py --predictions predictions/anli-s13 --metrics metrics/anli-s13.json \
        --export exports/anli-s13

A run's predictions become dense arrays over (language, variant, item), items being the test ids
(parallel across languages). A family's metrics are over the items it changed, each paired with
its clean version. Flat keys, for `dvc metrics diff` and `dvc exp show`:

    <lang>.clean.accuracy
    <lang>.<family>.accuracy | drop | relative_drop | robust_accuracy
                     preserving families: flip (P(wrong | right on the clean pair)) | consistency
                                          (label-balanced, among items right on the clean pair)
                     contrast sets: flip_rate (towards the new label, of items right on the clean
                                    pair) | clean_accuracy (recall on the paraphrases edited)
    avg.<variant>.<metric>               mean over languages
    en_gap.<variant>.accuracy            English minus the mean of the other languages
    crosslingual.<variant>.consistency   share of items predicted alike in every language

Every number comes from `xstilts.metrics.definitions`, called with weights: the item mask for a
point estimate, the mask times multinomial resampling counts for a bootstrap replicate. The same
counts are used for every run, language and variant, so replicates are paired across runs (paired
bootstrap) and clustered by item across languages (the average's interval accounts for an item
being hard in every language).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xstilts.errors import DataError
from xstilts.io import atomic_dir, atomic_path, read_jsonl, write_json
from xstilts.metrics import definitions as d
from xstilts.schema import CLEAN, FLIPPING, LANGUAGES, PRESERVING

AVERAGE = "avg"
ATTACK = "attack"  # the adaptive attack (xstilts.attack): a variant of its own kind
REQUIRED = ("id", "lang", "variant", "effect", "changed", "expected_label", "label", "predicted")


@dataclass(frozen=True)
class RunArrays:
    """One run's predictions as arrays of shape (languages, variants, items)."""

    ids: list[str]
    langs: list[str]
    variants: list[str]  # "clean" first
    effects: list[str]  # "clean", "preserving" or "flipping", per variant
    pred: np.ndarray  # predicted label of the (perturbed) pair
    gold: np.ndarray  # its reference label (expected_label)
    clean_pred: np.ndarray  # predicted label of the same item's clean pair
    clean_gold: np.ndarray
    mask: np.ndarray  # bool: the item is scored for this language × variant
    edit_rate: np.ndarray  # share of characters edited (0 on clean pairs)
    # bool: the perturb stage changed the text; where the token ids did not change (the tokenizer
    # undid the edit: `changed` is token-level) the item is not scored. Older predictions: = changed.
    text_changed: np.ndarray | None = None

    def lang_index(self, lang: str) -> int:
        return self.langs.index(lang)

    def variant_index(self, variant: str) -> int:
        return self.variants.index(variant)

    def effect(self, variant: str) -> str:
        return self.effects[self.variant_index(variant)]


def _ordered(values: set[str], first: Sequence[str]) -> list[str]:
    return [v for v in first if v in values] + sorted(values - set(first))


# Compact predictions (results snapshots): one Parquet file per run with every column the metrics
# and the report read, and the positive-class probability; a fraction of the JSON Lines size.
COMPACT_SUFFIX = ".parquet"
COMPACT_COLUMNS = (*REQUIRED, "edit_rate", "text_changed")


def write_compact(files: Sequence[Path], out: Path) -> Path:
    """A run's prediction files as one compact Parquet file (zstd; ids and labels kept exactly)."""
    import pandas as pd

    rows = [row for file in files for _, row in read_jsonl(file)]
    defaults = {"edit_rate": lambda r: 0.0, "text_changed": lambda r: bool(r["changed"])}
    frame = pd.DataFrame({k: [r[k] if k in r else defaults[k](r) for r in rows] for k in COMPACT_COLUMNS})
    frame["id"] = frame["id"].astype(str)
    frame["probability"] = [round(float(r["probabilities"][-1]), 4) if r.get("probabilities") else float("nan")
                            for r in rows]
    for column in ("label", "expected_label", "predicted"):
        frame[column] = frame[column].astype("int8")
    with atomic_path(out) as tmp:
        frame.to_parquet(tmp, compression="zstd", index=False)
    return out


def _compact_rows(path: Path) -> list[dict]:
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises several kinds for a damaged file
        raise DataError(path, None, f"not a readable Parquet file ({type(error).__name__})") from None
    missing = [k for k in REQUIRED if k not in frame.columns]
    if missing:
        raise DataError(path, None, f"missing columns {', '.join(missing)}")
    return frame.to_dict("records")


def prediction_files(path: Path, variants: Sequence[str] | None = None) -> list[Path]:
    """A run's prediction files: `path` itself if it is a file; in a run folder
    (`predictions/<run>/<variant>.jsonl`) the files of `variants`, or all of them (clean first)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(path, None, "no such predictions file or folder — run `dvc repro`")
    if variants is None:
        variants = _ordered({p.stem for p in path.glob("*.jsonl")}, (CLEAN,))
    files = [path / f"{v}.jsonl" for v in variants]
    for f in files:
        if not f.is_file():
            raise DataError(f, None, "missing — run `dvc repro` to predict this variant")
    return files


def load_predictions(path: Path | Sequence[Path]) -> RunArrays:
    """Read a run's predictions (a file, a run folder, or a list of files); a malformed line stops
    with its file and line number."""
    paths = prediction_files(path) if isinstance(path, Path) else list(path)
    rows = []
    for file in paths:
        if file.suffix == COMPACT_SUFFIX:
            rows += _compact_rows(file)
            continue
        for line, row in read_jsonl(file):
            missing = [k for k in REQUIRED if k not in row]
            if missing:
                raise DataError(file, line, f"missing {', '.join(missing)}")
            rows.append(row)
    path = paths[0] if len(paths) == 1 else paths[0].parent
    if not rows:
        raise DataError(path, None, "no predictions")
    langs = _ordered({r["lang"] for r in rows}, LANGUAGES)
    variants = _ordered({r["variant"] for r in rows}, (CLEAN,))
    if variants[0] != CLEAN:
        raise DataError(path, None, "no clean predictions to compare the variants with")
    ids = list(dict.fromkeys(str(r["id"]) for r in rows if r["variant"] == CLEAN))  # test-set order
    shape = (len(langs), len(variants), len(ids))
    pred, gold, clean_label = (np.full(shape, -1, dtype=np.int8) for _ in range(3))
    changed = np.zeros(shape, dtype=bool)
    text_changed = np.zeros(shape, dtype=bool)
    present = np.zeros(shape, dtype=bool)
    edit_rate = np.zeros(shape, dtype=np.float32)
    effects = {CLEAN: CLEAN}
    li = {lang: i for i, lang in enumerate(langs)}
    vi = {v: i for i, v in enumerate(variants)}
    ii = {i: n for n, i in enumerate(ids)}
    for r in rows:
        item = ii.get(str(r["id"]))
        if item is None:
            continue  # a variant of an item with no clean prediction cannot be paired
        at = (li[r["lang"]], vi[r["variant"]], item)
        pred[at], gold[at], clean_label[at] = r["predicted"], r["expected_label"], r["label"]
        changed[at] = bool(r["changed"]) or r["variant"] == CLEAN
        text_changed[at] = bool(r.get("text_changed", r["changed"])) and r["variant"] != CLEAN
        present[at] = True
        edit_rate[at] = r.get("edit_rate", 0.0)
        effects.setdefault(r["variant"], r["effect"])
    clean_pred = np.broadcast_to(pred[:, :1, :], shape).copy()
    clean_gold = np.broadcast_to(gold[:, :1, :], shape).copy()
    mask = present & changed & present[:, :1, :]
    return RunArrays(ids, langs, variants, [effects[v] for v in variants], pred, gold, clean_pred, clean_gold,
                     mask, edit_rate, text_changed & present)


# --- metrics of one language × variant, weighted ------------------------------------------------

Metric = Callable[[RunArrays, int, int, np.ndarray], np.ndarray]


def _args(run: RunArrays, l: int, v: int) -> tuple[np.ndarray, ...]:
    return run.pred[l, v], run.gold[l, v], run.clean_pred[l, v], run.clean_gold[l, v]


def _accuracy(run: RunArrays, l: int, v: int, w: np.ndarray) -> np.ndarray:
    pred, gold, _, _ = _args(run, l, v)
    return d.accuracy(pred, gold, w)


def _clean_accuracy(run: RunArrays, l: int, v: int, w: np.ndarray) -> np.ndarray:
    _, _, clean_pred, clean_gold = _args(run, l, v)
    return d.accuracy(clean_pred, clean_gold, w)


def _drop(run: RunArrays, l: int, v: int, w: np.ndarray) -> np.ndarray:
    return d.drop(_clean_accuracy(run, l, v, w), _accuracy(run, l, v, w))


def _relative_drop(run: RunArrays, l: int, v: int, w: np.ndarray) -> np.ndarray:
    return d.relative_drop(_clean_accuracy(run, l, v, w), _accuracy(run, l, v, w))


def _robust_accuracy(run: RunArrays, l: int, v: int, w: np.ndarray) -> np.ndarray:
    return d.robust_accuracy(*_args(run, l, v), w)


def _consistency(run: RunArrays, l: int, v: int, w: np.ndarray) -> np.ndarray:
    pred, _, clean_pred, clean_gold = _args(run, l, v)
    return d.balanced_consistency(pred, clean_pred, clean_gold, w)


def _flip(run: RunArrays, l: int, v: int, w: np.ndarray) -> np.ndarray:
    return d.conditional_flip_rate(*_args(run, l, v), w)


def _flip_rate(run: RunArrays, l: int, v: int, w: np.ndarray) -> np.ndarray:
    return d.directed_flip_rate(*_args(run, l, v), w)


def _attack_success_rate(run: RunArrays, l: int, v: int, w: np.ndarray) -> np.ndarray:
    pred, _, clean_pred, clean_gold = _args(run, l, v)
    return d.attack_success_rate(pred, clean_pred, clean_gold, w)


# Which metrics each kind of variant gets; adding a metric is one entry here.
METRICS: dict[str, dict[str, Metric]] = {
    CLEAN: {"accuracy": _accuracy},
    PRESERVING: {"accuracy": _accuracy, "flip": _flip, "consistency": _consistency, "drop": _drop,
                 "relative_drop": _relative_drop, "robust_accuracy": _robust_accuracy},
    # Contrast sets: flip_rate counts flips towards the new label; clean_accuracy on the changed items
    # (all paraphrases) is the model's recall on the pairs the edits start from.
    FLIPPING: {"accuracy": _accuracy, "flip_rate": _flip_rate, "clean_accuracy": _clean_accuracy, "drop": _drop,
               "relative_drop": _relative_drop, "robust_accuracy": _robust_accuracy},
}
# The adaptive attack (arrays from xstilts.attack.metrics): `pred` is the prediction after the attack,
# so its accuracy is TextAttack's accuracy under attack (failed / all).
METRICS[ATTACK] = {"success_rate": _attack_success_rate, "accuracy_under_attack": _accuracy,
                   "clean_accuracy": _clean_accuracy}
# Robust accuracy of a clean pair is its accuracy; named so tables can put clean next to families.
METRICS[CLEAN]["robust_accuracy"] = _accuracy


def metric(run: RunArrays, name: str, lang: str, variant: str, weights: np.ndarray | None = None) -> np.ndarray:
    """`name` on `lang` (or `avg`: the mean over languages) × `variant`; with `weights` of shape
    (B, items), B bootstrap replicates."""
    v = run.variant_index(variant)
    fn = METRICS[run.effects[v]][name]
    langs = range(len(run.langs)) if lang == AVERAGE else [run.lang_index(lang)]
    values = []
    for l in langs:
        w = run.mask[l, v] if weights is None else weights * run.mask[l, v]
        values.append(fn(run, l, v, w))
    return np.mean(values, axis=0)


def crosslingual(run: RunArrays, variant: str, weights: np.ndarray | None = None) -> np.ndarray:
    """Cross-lingual consistency over the items scored in every language."""
    v = run.variant_index(variant)
    everywhere = run.mask[:, v].all(axis=0)
    w = everywhere if weights is None else weights * everywhere
    return d.crosslingual_consistency(run.pred[:, v], w)


def score_run(run: RunArrays) -> dict[str, float]:
    """The flat metrics of one run (see the module docstring)."""
    out: dict[str, float] = {}
    for v, variant in enumerate(run.variants):
        names = METRICS[run.effects[v]]
        if variant == CLEAN:
            names = {"accuracy": names["accuracy"]}
        scored = [lang for l, lang in enumerate(run.langs) if run.mask[l, v].any()]
        for name in names:
            for lang in scored:
                out[f"{lang}.{variant}.{name}"] = metric(run, name, lang, variant)
            if len(scored) == len(run.langs):
                out[f"{AVERAGE}.{variant}.{name}"] = metric(run, name, AVERAGE, variant)
        if "en" in scored and len(scored) > 1:
            others = [out[f"{lang}.{variant}.accuracy"] for lang in scored if lang != "en"]
            out[f"en_gap.{variant}.accuracy"] = out[f"en.{variant}.accuracy"] - float(np.mean(others))
        if len(run.langs) > 1 and run.mask[:, v].all(axis=0).any():
            out[f"crosslingual.{variant}.consistency"] = crosslingual(run, variant)
    return {k: round(float(x), 6) for k, x in out.items() if np.isfinite(x)}


def resampling_weights(n_items: int, samples: int, seed: int) -> np.ndarray:
    """Multinomial bootstrap counts, shape (samples, n_items): one replicate = one resample of items."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_items, np.full(n_items, 1.0 / n_items), size=samples).astype(np.float32)


def export_xtreme(run: RunArrays, out_dir: Path) -> list[Path]:
    """Clean test predictions in XTREME's submission layout: `pawsx/test-<lang>.tsv`, one predicted
    label per line, in the order of the prepared test files. Every language must have a prediction
    for every test item (the clean test set is always predicted whole): a partial file would look
    like a submission and score wrongly, so it is refused."""
    v = run.variant_index(CLEAN)
    for l, lang in enumerate(run.langs):
        if not run.mask[l, v].all():
            raise DataError(Path(out_dir), None, f"clean predictions for {lang} miss {int((~run.mask[l, v]).sum())} "
                            "test items: not a complete XTREME export")
    written = []
    with atomic_dir(out_dir) as tmp:
        (tmp / "pawsx").mkdir()
        for l, lang in enumerate(run.langs):
            labels = run.pred[l, v][run.mask[l, v]]
            path = tmp / "pawsx" / f"test-{lang}.tsv"
            path.write_text("".join(f"{int(x)}\n" for x in labels), encoding="utf-8")
            written.append(out_dir / "pawsx" / path.name)
    return written


def xtreme_accuracy(prediction_file: Path, gold_labels: Sequence[int | str]) -> float:
    """XTREME's own rule for PAWS-X (google-research/xtreme `evaluate.py`: `read_label` and
    `accuracy`): one label per line, stripped; the line count must equal the gold file's; accuracy
    is the share of lines equal to the gold label, in order."""
    predictions = [line.strip() for line in prediction_file.read_text(encoding="utf-8").splitlines()]
    if len(predictions) != len(gold_labels):
        raise DataError(prediction_file, None, f"{len(predictions)} predictions for {len(gold_labels)} test items")
    return sum(p == str(g) for p, g in zip(predictions, gold_labels)) / len(predictions)


def score_predictions(predictions: Path | Sequence[Path], metrics_path: Path,
                      export_dir: Path | None) -> dict[str, float]:
    """Stage `score`: metrics JSON (and the XTREME export) from one run's predictions."""
    run = load_predictions(predictions)
    metrics = score_run(run)
    if export_dir is not None:
        export_xtreme(run, export_dir)
    write_json(metrics_path, metrics)
    return metrics
