"""The report on degenerate runs: undefined statistics show as n/a with a footnote, never a crash.

Each case is a run the real pipeline can produce: a constant predictor (a target phase that stayed
at chance), an all-wrong predictor, a family that changed no item in one language, one run and no
baseline, and a run whose training log says it did not learn.
"""

import json

import numpy as np
import pytest

from xstilts.config import ReportConfig
from xstilts.report import Statistics, load_runs, write_report

LANGS = ("en", "de", "ja")
N = 60


def _rows(lang, variant, effect, gold, pred, changed=True):
    return [{"id": str(i), "lang": lang, "variant": variant, "effect": effect, "changed": changed and variant != "clean",
             "edit_rate": 0.0 if variant == "clean" else 0.05, "label": int(gold[i]),
             "expected_label": int(0 if effect == "flipping" else gold[i]), "predicted": int(pred[i])}
            for i in range(len(gold))]


def _write_run(path, predict, unchanged_langs=()):
    """A run: clean pairs, a preserving family `noise` and a contrast family (only paraphrases,
    flipped to label 0). `predict(lang, variant, gold)` gives the predictions."""
    gold = np.arange(N) % 2
    rows = []
    for lang in LANGS:
        rows += _rows(lang, "clean", "clean", gold, predict(lang, "clean", gold))
        rows += _rows(lang, "noise", "preserving", gold, predict(lang, "noise", gold),
                      changed=lang not in unchanged_langs)
        para = gold == 1
        rows += [r for r in _rows(lang, "contrast", "flipping", gold, predict(lang, "contrast", gold)) if para[int(r["id"])]]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _good(seed):
    rng = np.random.default_rng(seed)
    return lambda lang, variant, gold: np.where(rng.random(len(gold)) < 0.8, gold if variant != "contrast" else 0, 1 - gold)


def _constant(label):
    return lambda lang, variant, gold: np.full(len(gold), label)


def _report(pred_dir, tmp_path, logs=None):
    out = tmp_path / "reports"
    text = write_report(pred_dir, out, ReportConfig(bootstrap_samples=200), logs_dir=logs).read_text()
    return text, json.loads((out / "summary.json").read_text())


@pytest.fixture
def pred_dir(tmp_path):
    d = tmp_path / "predictions"
    d.mkdir()
    return d


@pytest.mark.parametrize("label", [0, 1])
def test_a_constant_predictor_gives_na_with_a_reason_not_a_crash(pred_dir, tmp_path, label):
    _write_run(pred_dir / "none-s13.jsonl", _good(0))
    _write_run(pred_dir / "anli-s13.jsonl", _constant(label))
    report, summary = _report(pred_dir, tmp_path)
    contrast = report.split("### contrast (flipping)", 1)[1].split("###", 1)[0]
    anli = next(line for line in contrast.splitlines() if line.startswith("| anli"))
    if label == 0:  # wrong on every paraphrase: no contrast item is right on its clean pair
        assert "n/a[^" in anli
        assert "is right on none of the changed items' clean pairs (the rate is conditional on them)" in report
    # Label-balanced consistency is undefined for a constant predictor (never a free 100 %).
    noise = report.split("### noise (preserving)", 1)[1].split("###", 1)[0]
    assert "n/a[^" in next(line for line in noise.splitlines() if line.startswith("| anli"))
    assert "label-balanced consistency is undefined for a constant predictor" in report
    assert "## Notes on undefined and partial values" in report or label == 1
    assert np.isfinite(summary["anli"]["clean_accuracy"])


def test_an_all_wrong_predictor(pred_dir, tmp_path):
    _write_run(pred_dir / "none-s13.jsonl", _good(0))
    _write_run(pred_dir / "anli-s13.jsonl", lambda lang, variant, gold: 1 - gold if variant != "contrast" else np.ones(len(gold), int))
    report, summary = _report(pred_dir, tmp_path)
    assert summary["anli"]["clean_accuracy"] == 0.0
    noise = report.split("### noise (preserving)", 1)[1].split("###", 1)[0]
    assert "n/a" in next(line for line in noise.splitlines() if line.startswith("| anli"))  # flip | right on clean
    # An undefined difference is not a test: it is left out of Holm's family (and the text says so).
    assert "left out of pooled values for every run alike and out of Holm's family" in report
    stats = Statistics(load_runs(pred_dir), ReportConfig(bootstrap_samples=200))
    cells = [("anli", name, "avg", "noise") for name in ("accuracy", "relative_drop")]
    out = stats.compare_all(cells, correct=True)
    undefined, defined = out[cells[1]], out[cells[0]]
    assert np.isnan(undefined.p) and np.isnan(undefined.p_holm) and undefined.note
    assert defined.p_holm == pytest.approx(defined.p)  # a family of one: Holm changes nothing


def test_a_family_that_changed_nothing_in_one_language_is_left_out_of_the_average(pred_dir, tmp_path):
    _write_run(pred_dir / "none-s13.jsonl", _good(0), unchanged_langs=("ja",))
    _write_run(pred_dir / "anli-s13.jsonl", _good(1), unchanged_langs=("ja",))
    report, _ = _report(pred_dir, tmp_path)
    robust = report.split("### noise", 1)[1].split("Flip rate given right on the clean pair, by language:", 1)[1].split("##", 1)[0]
    header, _, *rows = [line for line in robust.splitlines() if line.startswith("|")]
    ja, avg = header.split(" | ").index("ja"), header.split(" | ").index("avg |") if "avg |" in header else -1
    cells = rows[0].split(" | ")
    assert cells[ja].startswith("n/a[^")
    assert cells[-1].split(" ")[0].replace(".", "").isdigit()  # the average still has a value ...
    assert "pooled over the 2 of 3" in report and "noise changed no test item in ja" in report  # ... saying what it left out
    stats = Statistics(load_runs(pred_dir), ReportConfig(bootstrap_samples=200))
    avg_value = stats.estimate("anli", "flip", "avg", "noise").value
    parts = [stats.estimate("anli", "flip", lang, "noise").value for lang in ("en", "de")]
    assert avg_value == pytest.approx(np.mean(parts))
    assert not np.isnan(avg_value)


def test_one_run_without_a_baseline(pred_dir, tmp_path):
    _write_run(pred_dir / "anli-s13.jsonl", _good(2))
    report, summary = _report(pred_dir, tmp_path)
    assert "no baseline run" in report and "test-item sampling only" in report
    assert "(+" not in report and "(-" not in report  # no differences without a baseline
    assert "clean_accuracy_delta" not in summary["anli"]


def test_runs_with_different_families_are_refused(pred_dir, tmp_path):
    from xstilts.errors import XstiltsError

    _write_run(pred_dir / "none-s13.jsonl", _good(0))
    rows = [r for r in map(json.loads, (pred_dir / "none-s13.jsonl").read_text().splitlines()) if r["variant"] != "noise"]
    (pred_dir / "anli-s13.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(XstiltsError, match="none-s13: variants clean, contrast, noise, but anli-s13 has clean, contrast"):
        load_runs(pred_dir)


def test_a_run_that_did_not_learn_is_marked_everywhere(pred_dir, tmp_path):
    _write_run(pred_dir / "none-s13.jsonl", _good(0))
    _write_run(pred_dir / "anli-s13.jsonl", _good(1))
    logs = tmp_path / "logs"
    for phase, run, learned, acc, chance in (("intermediate", "anli-s13", False, 0.342, 0.333),
                                             ("target", "anli-s13", True, 0.75, 0.5),
                                             ("target", "none-s13", True, 0.74, 0.5)):
        (logs / phase / run).mkdir(parents=True)
        (logs / phase / run / "metrics.json").write_text(json.dumps({
            "train_examples": 600, "best_validation_accuracy": acc, "seconds": 10, "learned": learned,
            "chance_accuracy": chance, "learning_p_value": 0.3 if not learned else 1e-9}))
    report, _ = _report(pred_dir, tmp_path, logs)
    assert "## Runs that did not learn" in report
    assert "intermediate held-out 34.2 % vs 33.3 % chance" in report
    assert "not an effect of the intermediate task" in report
    assert "`anli` is left out of the answer" in report  # the learnability gate
    for table in report.split("## Exploratory: clean accuracy by language", 1)[1].split("\n\n"):
        rows = [line for line in table.splitlines() if line.startswith("| anli")]
        assert all("did not learn" in row for row in rows)
    setup = report.split("## Runs that did not learn", 1)[0]
    assert "34.2 (chance 33.3) ⚠ did not learn" in setup


def test_a_control_that_stays_at_chance_is_not_a_run_that_did_not_learn(pred_dir, tmp_path):
    """The shuffled-label control's intermediate phase is meant to stay at chance on the true labels:
    it is said so, and neither gated nor flagged; its target phase is gated like any other."""
    for name, seed in (("none-s13", 0), ("anli-s13", 1), ("anli_shuffled-s13", 2)):
        _write_run(pred_dir / f"{name}.jsonl", _good(seed))
    logs = tmp_path / "logs"
    for phase, run, learned, acc, chance in (("intermediate", "anli-s13", True, 0.6, 0.333),
                                             ("intermediate", "anli_shuffled-s13", False, 0.34, 0.333),
                                             *[("target", r, True, 0.75, 0.5)
                                               for r in ("none-s13", "anli-s13", "anli_shuffled-s13")]):
        (logs / phase / run).mkdir(parents=True)
        (logs / phase / run / "metrics.json").write_text(json.dumps({
            "train_examples": 600, "best_validation_accuracy": acc, "seconds": 10, "learned": learned,
            "chance_accuracy": chance, "learning_p_value": 0.3 if not learned else 1e-9}))
    report, _ = _report(pred_dir, tmp_path, logs)
    assert "did not learn" not in report and "(control: at chance, as meant)" in report
    assert "- **`anli` against its shuffled-label control `anli_shuffled`**" in report
