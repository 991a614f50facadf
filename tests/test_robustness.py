"""Metric definitions against hand-computed cases; scoring and statistics from saved predictions."""

import json
import math

import numpy as np
import pytest

from xstilts.errors import DataError
from xstilts.metrics import definitions as d
from xstilts.metrics import load_metric
from xstilts.robustness import (
    METRICS,
    load_predictions,
    metric,
    resampling_weights,
    score_predictions,
    score_run,
    xtreme_accuracy,
)


def test_accuracy_plain_weighted_and_batched():
    pred, gold = np.array([1, 0, 1, 1]), np.array([1, 1, 1, 0])
    assert d.accuracy(pred, gold) == 0.5
    assert d.accuracy(pred, gold, np.array([1, 1, 0, 0])) == 0.5  # items 0 (right) and 1 (wrong)
    assert d.accuracy(pred, gold, np.array([1, 0, 1, 0])) == 1.0
    assert d.accuracy(pred, gold, np.array([0, 0, 0, 2])) == 0.0  # item 3 counted twice, wrong
    batched = d.accuracy(pred, gold, np.array([[1, 1, 1, 1], [2, 0, 2, 0], [0, 0, 0, 0]]))
    assert batched[:2].tolist() == [0.5, 1.0] and math.isnan(batched[2])  # nothing to score -> NaN
    with pytest.raises(ValueError, match="different shapes"):
        d.accuracy(pred, gold[:3])
    with pytest.raises(ValueError, match="zero items"):
        d.accuracy(np.array([]), np.array([]))


def test_paired_metrics_by_hand():
    # item:         0  1  2  3  4
    clean_gold = np.array([1, 1, 0, 0, 1])
    clean_pred = np.array([1, 1, 0, 1, 0])  # right, right, right, wrong, wrong
    gold = clean_gold  # a label-preserving perturbation
    pred = np.array([1, 0, 0, 1, 1])  # right, wrong, right, wrong, right
    assert d.robust_accuracy(pred, gold, clean_pred, clean_gold) == pytest.approx(2 / 5)  # items 0, 2
    assert d.consistency(pred, clean_pred) == pytest.approx(3 / 5)  # items 0, 2, 3 unchanged
    assert d.flip_rate(pred, clean_pred) == pytest.approx(2 / 5)
    # Right on the clean pair: items 0, 1, 2; of those item 1 turned wrong.
    assert d.conditional_flip_rate(pred, gold, clean_pred, clean_gold) == pytest.approx(1 / 3)
    # Per gold label among those: label 1 -> items 0 (kept), 1 (changed): 1/2; label 0 -> item 2 (kept): 1.
    assert d.balanced_consistency(pred, clean_pred, clean_gold) == pytest.approx(0.75)
    # A constant predictor: right on label-1 items only, so balanced consistency is undefined, not 1.
    ones = np.ones(5, int)
    assert d.consistency(ones, ones) == 1.0 and math.isnan(d.balanced_consistency(ones, ones, clean_gold))
    # Contrast: new label 0. Flips to it count only from a right clean prediction whose label changed
    # (items 0, 1; item 2 was already 0).
    new = np.zeros(5, int)
    assert d.directed_flip_rate(np.array([0, 1, 0, 0, 0]), new, clean_pred, clean_gold) == pytest.approx(1 / 2)
    # Weighted (bootstrap) replicates agree with the plain value at weights of 1.
    w = np.ones((2, 5), np.float32)
    assert d.conditional_flip_rate(pred, gold, clean_pred, clean_gold, w).tolist() == pytest.approx([1 / 3] * 2)
    clean_acc, acc = d.accuracy(clean_pred, clean_gold), d.accuracy(pred, gold)
    assert (clean_acc, acc) == (pytest.approx(0.6), pytest.approx(0.6))
    assert d.drop(0.8, 0.6) == pytest.approx(0.2)
    assert d.relative_drop(0.8, 0.6) == pytest.approx(0.25)
    assert math.isnan(d.relative_drop(0.0, 0.0))


def test_crosslingual_consistency_by_hand():
    preds = np.array([[1, 0, 1], [1, 1, 1], [1, 0, 0]])  # languages × items
    assert d.crosslingual_consistency(preds) == pytest.approx(1 / 3)  # only item 0 agrees everywhere
    assert d.crosslingual_consistency(preds, np.array([0, 1, 1])) == 0.0
    with pytest.raises(ValueError, match="at least two languages"):
        d.crosslingual_consistency(preds[:1])


def test_evaluate_modules_use_the_same_definitions(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = load_metric("robustness").compute(
        predictions=[1, 0, 0, 1, 1], references=[1, 1, 0, 0, 1],
        clean_predictions=[1, 1, 0, 1, 0], clean_references=[1, 1, 0, 0, 1])
    assert result["robust_accuracy"] == pytest.approx(0.4)
    assert result["consistency"] == pytest.approx(0.6) and result["flip_rate"] == pytest.approx(0.4)
    assert result["conditional_flip_rate"] == pytest.approx(1 / 3) and result["balanced_consistency"] == pytest.approx(0.75)
    assert result["drop"] == pytest.approx(0.0) and result["accuracy"] == pytest.approx(0.6)
    assert load_metric("accuracy").compute(predictions=[1, 0, 1, 1], references=[1, 1, 1, 0])["accuracy"] == 0.5
    # items predicted in three languages: only the first is predicted alike in all of them
    crosslingual = load_metric("crosslingual").compute(predictions=[[1, 1, 1], [0, 1, 0], [1, 1, 0]])
    assert crosslingual["consistency"] == pytest.approx(1 / 3)


def _row(id_, lang, variant, label, predicted, expected=None, changed=True, effect="preserving"):
    return {"id": id_, "lang": lang, "variant": variant, "effect": effect if variant != "clean" else "clean",
            "changed": changed if variant != "clean" else False, "edit_rate": 0.1 if variant != "clean" else 0.0,
            "label": label, "expected_label": label if expected is None else expected, "predicted": predicted,
            "probabilities": [1.0 - predicted, float(predicted)]}


def write_predictions(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def small_run(tmp_path):
    """Two languages, three items: clean, one preserving family, one contrast set."""
    rows = [
        # clean: en right, right, wrong; de right, wrong, wrong
        _row("1", "en", "clean", 1, 1), _row("2", "en", "clean", 0, 0), _row("3", "en", "clean", 1, 0),
        _row("1", "de", "clean", 1, 1), _row("2", "de", "clean", 0, 1), _row("3", "de", "clean", 1, 0),
        # noise (preserving): item 2 unchanged in en; en item 1 flips to wrong, item 3 flips to right
        _row("1", "en", "noise", 1, 0), _row("2", "en", "noise", 0, 0, changed=False), _row("3", "en", "noise", 1, 1),
        _row("1", "de", "noise", 1, 1), _row("2", "de", "noise", 0, 1), _row("3", "de", "noise", 1, 0),
        # contrast (flipping): only paraphrases (1, 3) are edited; expected label 0
        _row("1", "en", "contrast", 1, 0, expected=0, effect="flipping"),
        _row("2", "en", "contrast", 0, 0, changed=False, effect="flipping"),
        _row("3", "en", "contrast", 1, 0, expected=0, effect="flipping"),
        _row("1", "de", "contrast", 1, 1, expected=0, effect="flipping"),
        _row("2", "de", "contrast", 0, 1, changed=False, effect="flipping"),
        _row("3", "de", "contrast", 1, 0, expected=0, effect="flipping"),
    ]
    return write_predictions(tmp_path / "none-s13.jsonl", rows)


def test_score_run_by_hand(small_run):
    m = score_run(load_predictions(small_run))
    assert m["en.clean.accuracy"] == pytest.approx(2 / 3) and m["de.clean.accuracy"] == pytest.approx(1 / 3)
    assert m["avg.clean.accuracy"] == pytest.approx(0.5)
    assert m["en_gap.clean.accuracy"] == pytest.approx(1 / 3)
    # en noise, changed items 1 and 3: perturbed right on 3 only; clean right on 1 only
    assert m["en.noise.accuracy"] == 0.5 and m["en.noise.drop"] == 0.0
    assert m["en.noise.robust_accuracy"] == 0.0 and m["en.noise.consistency"] == 0.0
    assert m["en.noise.flip"] == 1.0  # right on the clean pair: item 1 only, and it turned wrong
    # de noise, all three changed, predictions identical to clean: right on clean only on item 1 (label 1)
    assert m["de.noise.flip"] == 0.0 and m["de.noise.robust_accuracy"] == pytest.approx(1 / 3)
    # label-balanced consistency: de is right on no label-0 item, so it is undefined (left out), not 1
    assert "de.noise.consistency" not in m
    # contrast en: items 1, 3 -> predicted 0 = expected: accuracy 1; clean right on 1 only
    assert m["en.contrast.accuracy"] == 1.0 and m["en.contrast.robust_accuracy"] == 0.5
    assert m["en.contrast.clean_accuracy"] == 0.5  # recall on the edited paraphrases before the edit
    # flips towards the new label, of the items right on the clean pair: en item 1 (1 -> 0); item 3
    # was already 0 on its clean pair (wrong), so its "0" is no flip
    assert m["en.contrast.flip_rate"] == 1.0
    assert m["de.contrast.flip_rate"] == 0.0 and m["de.contrast.accuracy"] == 0.5
    assert "en.contrast.consistency" not in m and "en.noise.flip_rate" not in m
    # clean: items 1 and 3 are predicted alike in en and de, item 2 is not
    assert m["crosslingual.clean.consistency"] == pytest.approx(2 / 3)
    # noise: items changed in both languages are 1 and 3: en (0, 1) vs de (1, 0)
    assert m["crosslingual.noise.consistency"] == 0.0


def test_score_run_takes_its_numbers_from_the_evaluate_modules(small_run):
    """Every metric of the score stage is what the project's evaluate module returns for the items of
    its language × variant (and the bootstrap's `metric` gives the same point value)."""
    run = load_predictions(small_run)
    m = score_run(run)
    robustness, checked = load_metric("robustness"), 0
    for v, variant in enumerate(run.variants):
        for l, lang in enumerate(run.langs):
            scored = run.mask[l, v]
            module = robustness.compute(predictions=run.pred[l, v][scored], references=run.gold[l, v][scored],
                                        clean_predictions=run.clean_pred[l, v][scored],
                                        clean_references=run.clean_gold[l, v][scored])
            for name, definition in METRICS[run.effects[v]].items():
                if f"{lang}.{variant}.{name}" in m:
                    assert m[f"{lang}.{variant}.{name}"] == round(module[definition], 6)
                    assert m[f"{lang}.{variant}.{name}"] == round(float(metric(run, name, lang, variant)), 6)
                    checked += 1
    assert checked == sum(k.split(".")[0] in run.langs for k in m)  # every per-language key
    everywhere = run.mask[:, 0].all(axis=0)
    module = load_metric("crosslingual").compute(predictions=run.pred[:, 0, everywhere].T)
    assert m["crosslingual.clean.consistency"] == round(module["consistency"], 6)


def test_a_definition_changed_in_one_place_changes_stage_and_bootstrap(small_run, monkeypatch):
    """`definitions.PAIRED` is the one definition: the evaluate module (hence the score stage) and the
    report's bootstrap both follow a change to it."""
    run = load_predictions(small_run)
    before, w = score_run(run), np.ones((2, len(run.ids)), np.float32)
    original = d.PAIRED["conditional_flip_rate"]
    monkeypatch.setitem(d.PAIRED, "conditional_flip_rate", lambda *args: 0.5 * original(*args) + 0.25)
    after = score_run(run)
    assert after["en.noise.flip"] == 0.5 * before["en.noise.flip"] + 0.25  # 1.0 -> 0.75
    assert after["en.noise.accuracy"] == before["en.noise.accuracy"]
    assert metric(run, "flip", "en", "noise", w).tolist() == [0.75, 0.75]


def test_score_stage_writes_metrics_and_xtreme_export(small_run, tmp_path):
    metrics = score_predictions(small_run, tmp_path / "m.json", tmp_path / "export")
    assert json.loads((tmp_path / "m.json").read_text()) == metrics
    assert (tmp_path / "export/pawsx/test-en.tsv").read_text() == "1\n0\n0\n"
    assert (tmp_path / "export/pawsx/test-de.tsv").read_text() == "1\n1\n0\n"
    # Scored by XTREME's rule against the gold labels, the export gives the metrics' clean accuracy.
    gold = [1, 0, 1]
    for lang in ("en", "de"):
        assert xtreme_accuracy(tmp_path / f"export/pawsx/test-{lang}.tsv", gold) == pytest.approx(
            metrics[f"{lang}.clean.accuracy"], abs=1e-6)
    with pytest.raises(DataError, match="3 predictions for 4 test items"):
        xtreme_accuracy(tmp_path / "export/pawsx/test-en.tsv", [*gold, 0])


def test_a_partial_clean_prediction_file_gets_no_xtreme_export(tmp_path):
    """A clean file lacking an item in one language would make a short export: refused."""
    rows = [_row("1", "en", "clean", 1, 1), _row("2", "en", "clean", 0, 0), _row("1", "de", "clean", 1, 1)]
    path = write_predictions(tmp_path / "none-s13.jsonl", rows)
    with pytest.raises(DataError, match="clean predictions for de miss 1 test items"):
        score_predictions(path, tmp_path / "m.json", tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_bad_prediction_line_names_file_and_line(tmp_path):
    path = write_predictions(tmp_path / "x-s1.jsonl", [_row("1", "en", "clean", 1, 1), {"id": "2", "lang": "en"}])
    with pytest.raises(DataError, match=r"x-s1.jsonl:2: missing"):
        load_predictions(path)


def test_bootstrap_weights_and_batched_metric(small_run):
    w = resampling_weights(3, 500, seed=1)
    assert w.shape == (500, 3) and (w.sum(axis=1) == 3).all()
    assert (resampling_weights(3, 500, seed=1) == w).all()
    run = load_predictions(small_run)
    reps = metric(run, "accuracy", "en", "clean", w)
    assert reps.shape == (500,)
    assert set(np.round(np.unique(reps), 6)) <= {0.0, round(1 / 3, 6), round(2 / 3, 6), 1.0}
    assert abs(np.mean(reps) - 2 / 3) < 0.05  # the resampling mean sits at the point estimate


def test_compact_predictions_load_exactly_as_the_json_lines(small_run, tmp_path):
    """A snapshot's predictions/<run>.parquet gives the same arrays, hence the same metrics and report."""
    from xstilts.robustness import write_compact

    compact = write_compact([small_run], tmp_path / "none-s13.parquet")
    a, b = load_predictions(small_run), load_predictions(compact)
    assert a.ids == b.ids and a.langs == b.langs and a.variants == b.variants and a.effects == b.effects
    for field in ("pred", "gold", "clean_pred", "clean_gold", "mask", "edit_rate"):
        assert (getattr(a, field) == getattr(b, field)).all(), field
    assert score_run(a) == score_run(b)
    assert compact.stat().st_size < small_run.stat().st_size * 5  # tiny file; real runs shrink ~20x
    compact.write_bytes(b"not parquet")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        load_predictions(compact)
