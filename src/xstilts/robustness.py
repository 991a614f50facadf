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

Every number comes from `xstilts.metrics.definitions`. The point estimates (`score_run`, the score
stage) go through the project's `evaluate` modules (`xstilts.metrics.load_metric`: `robustness` per
language × variant, `crosslingual` per variant), on the items a cell scores; the report's bootstrap
(`metric`, `crosslingual`) calls the same definitions with weights: the item mask times multinomial
resampling counts for a replicate. The same counts are used for every run, language and variant, so
replicates are paired across runs (paired bootstrap) and clustered by item across languages (the
average's interval accounts for an item being hard in every language).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xstilts.errors import DataError
from xstilts.io import atomic_dir, atomic_path, read_jsonl, write_json
from xstilts.metrics import definitions as d
from xstilts.metrics import load_metric
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


# --- metrics of one language × variant ----------------------------------------------------------

# Which metrics each kind of variant gets, as the names of their definitions (`definitions.PAIRED`,
# the keys the `robustness` evaluate module returns); adding a metric is one entry here.
METRICS: dict[str, dict[str, str]] = {
    CLEAN: {"accuracy": "accuracy"},
    PRESERVING: {"accuracy": "accuracy", "flip": "conditional_flip_rate", "consistency": "balanced_consistency",
                 "drop": "drop", "relative_drop": "relative_drop", "robust_accuracy": "robust_accuracy"},
    # Contrast sets: flip_rate counts flips towards the new label; clean_accuracy on the changed items
    # (all paraphrases) is the model's recall on the pairs the edits start from.
    FLIPPING: {"accuracy": "accuracy", "flip_rate": "directed_flip_rate", "clean_accuracy": "clean_accuracy",
               "drop": "drop", "relative_drop": "relative_drop", "robust_accuracy": "robust_accuracy"},
}
# The adaptive attack (arrays from xstilts.attack.metrics): `pred` is the prediction after the attack,
# so its accuracy is TextAttack's accuracy under attack (failed / all).
METRICS[ATTACK] = {"success_rate": "attack_success_rate", "accuracy_under_attack": "accuracy",
                   "clean_accuracy": "clean_accuracy"}
# Robust accuracy of a clean pair is its accuracy; named so tables can put clean next to families.
METRICS[CLEAN]["robust_accuracy"] = "accuracy"


def _args(run: RunArrays, l: int, v: int) -> tuple[np.ndarray, ...]:
    return run.pred[l, v], run.gold[l, v], run.clean_pred[l, v], run.clean_gold[l, v]


def _language_mean(values: Sequence) -> np.ndarray:
    """The `avg` pseudo-language: the plain mean over languages (of values or of replicates)."""
    return np.mean(values, axis=0)


def metric(run: RunArrays, name: str, lang: str, variant: str, weights: np.ndarray | None = None) -> np.ndarray:
    """`name` on `lang` (or `avg`: the mean over languages) × `variant`; with `weights` of shape
    (B, items), B bootstrap replicates (the report's; the score stage's point estimates come from
    the `robustness` evaluate module, by the same definitions)."""
    v = run.variant_index(variant)
    fn = d.PAIRED[METRICS[run.effects[v]][name]]
    langs = range(len(run.langs)) if lang == AVERAGE else [run.lang_index(lang)]
    values = []
    for l in langs:
        w = run.mask[l, v] if weights is None else weights * run.mask[l, v]
        values.append(fn(*_args(run, l, v), w))
    return _language_mean(values)


def _everywhere(run: RunArrays, v: int) -> np.ndarray:
    """The items scored in every language (of variant `v`): those cross-lingual consistency is over."""
    return run.mask[:, v].all(axis=0)


def crosslingual(run: RunArrays, variant: str, weights: np.ndarray | None = None) -> np.ndarray:
    """Cross-lingual consistency over the items scored in every language."""
    v = run.variant_index(variant)
    everywhere = _everywhere(run, v)
    w = everywhere if weights is None else weights * everywhere
    return d.crosslingual_consistency(run.pred[:, v], w)


# --- point estimates, through the project's `evaluate` modules ------------------------------------

def _cell_metrics(run: RunArrays, l: int, v: int) -> dict[str, float]:
    """Every `definitions.PAIRED` metric of one language × variant over its scored items: one
    `compute` call: evaluate's overhead is per call (a few ms), so not one call per metric."""
    scored = run.mask[l, v]
    pred, gold, clean_pred, clean_gold = (a[scored] for a in _args(run, l, v))
    return load_metric("robustness").compute(predictions=pred, references=gold, clean_predictions=clean_pred,
                                             clean_references=clean_gold)


def _crosslingual_metric(run: RunArrays, v: int) -> float:
    """`crosslingual` without weights, through the `crosslingual` evaluate module: items × languages."""
    return load_metric("crosslingual").compute(predictions=run.pred[:, v, _everywhere(run, v)].T)["consistency"]


def _variant_metrics(run: RunArrays, v: int) -> dict[str, float]:
    """The flat metrics of one variant (unrounded, NaN kept), in the order of `METRICS`."""
    variant, out = run.variants[v], {}
    names = METRICS[run.effects[v]]
    if variant == CLEAN:
        names = {"accuracy": names["accuracy"]}
    cells = {lang: _cell_metrics(run, l, v) for l, lang in enumerate(run.langs) if run.mask[l, v].any()}
    for name, definition in names.items():
        for lang, values in cells.items():
            out[f"{lang}.{variant}.{name}"] = values[definition]
        if len(cells) == len(run.langs):
            out[f"{AVERAGE}.{variant}.{name}"] = _language_mean([values[definition] for values in cells.values()])
    if "en" in cells and len(cells) > 1:
        others = [out[f"{lang}.{variant}.accuracy"] for lang in cells if lang != "en"]
        out[f"en_gap.{variant}.accuracy"] = out[f"en.{variant}.accuracy"] - float(np.mean(others))
    if len(run.langs) > 1 and _everywhere(run, v).any():
        out[f"crosslingual.{variant}.consistency"] = _crosslingual_metric(run, v)
    return out


def score_run(run: RunArrays) -> dict[str, float]:
    """The flat metrics of one run (see the module docstring), from the `evaluate` modules of
    `xstilts.metrics`: one `robustness` call per language × variant, one `crosslingual` per variant."""
    out: dict[str, float] = {}
    for v in range(len(run.variants)):
        out.update(_variant_metrics(run, v))
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
