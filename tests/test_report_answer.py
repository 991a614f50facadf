"""The report's answer: primary endpoints over seeds, the control, matched flips, the generated verdict.

    pytest tests/test_report_answer.py

Synthetic runs with known behaviour, several seeds each: the generated opening paragraph must call an
arm that is only more accurate "more accurate only" (a more accurate but equally fragile model is not
more robust), an arm that flips less on the same items "more robust", and compare every learned arm
with the baseline and with its shuffled-label control.
"""

import csv
import json

import numpy as np
import pytest

from xstilts.config import ReportConfig
from xstilts.report import MATCHED_FLIP, Comparison, Statistics, load_runs, verdict, write_report

LANGS = ("en", "de", "ja")
N = 400
SEEDS = (13, 14, 15, 16, 17)


def _write(path, accuracy: float, flip: float, rng) -> None:
    """Clean right with probability `accuracy`; a right item turns wrong under `noise` with `flip`."""
    gold = np.arange(N) % 2
    rows = []
    for lang in LANGS:
        right = rng.random(N) < accuracy
        clean = np.where(right, gold, 1 - gold)
        noisy = np.where(right & (rng.random(N) < flip), 1 - gold, clean)
        for variant, effect, pred in (("clean", "clean", clean), ("noise", "preserving", noisy)):
            rows += [{"id": str(i), "lang": lang, "variant": variant, "effect": effect, "changed": variant != "clean",
                      "edit_rate": 0.05 * (variant != "clean"), "label": int(gold[i]), "expected_label": int(gold[i]),
                      "predicted": int(pred[i])} for i in range(N)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def study(tmp_path):
    """none: 60 % accurate, 30 % flips; mnli: 85 %, 30 % flips (more accurate, equally fragile);
    xnli_en: 60 %, 5 % flips; each with its shuffled-label control behaving like the baseline."""
    rng = np.random.default_rng(0)
    pred = tmp_path / "predictions"
    pred.mkdir()
    arms = {"none": (0.6, 0.3), "mnli": (0.85, 0.3), "mnli_shuffled": (0.6, 0.3), "xnli_en": (0.6, 0.05),
            "xnli_en_shuffled": (0.6, 0.3)}
    for task, (accuracy, flip) in arms.items():
        for seed in SEEDS:
            _write(pred / f"{task}-s{seed}.jsonl", accuracy + rng.normal(0, 0.01), flip, rng)
    return pred


def test_primary_family_is_each_arm_against_baseline_and_control(study):
    stats = Statistics(load_runs(study), ReportConfig(bootstrap_samples=500))
    assert stats.arms == ["mnli", "xnli_en"] and stats.references("mnli") == ["none", "mnli_shuffled"]
    cells = stats.primary_cells()
    # 2 arms x 2 references x (clean accuracy, flip: noise, flip: pooled)
    assert len(cells) == 12 and {c[4] for c in cells} == {"none", "mnli_shuffled", "xnli_en_shuffled"}
    assert stats.samples >= 20 * 12 / 0.05  # Holm's smallest threshold is resolvable
    primary = stats.primary_comparisons()
    acc = primary[("mnli", "accuracy", "avg", "clean", "none")]
    assert acc.seeds == 5 and acc.p_holm < 0.05 and acc.low > 0.15
    assert acc.p_sign == pytest.approx(2 / 2 ** 5)  # every seed pair favours mnli: the sign-flip floor
    flip = primary[("xnli_en", "flip", "avg", "pooled", "none")]
    assert flip.delta < -0.2 and flip.p_holm < 0.05 and flip.high < 0


def test_matched_flip_removes_the_accuracy_advantage(study):
    stats = Statistics(load_runs(study), ReportConfig(bootstrap_samples=500))
    matched = stats.compare("mnli", MATCHED_FLIP, "avg", "pooled", "none")
    assert matched.low < 0 < matched.high  # same fragility on the items both get right
    assert stats.compare("xnli_en", MATCHED_FLIP, "avg", "pooled", "none").high < 0


def test_generated_answer_and_files(study, tmp_path):
    out = tmp_path / "reports"
    report = write_report(study, out, ReportConfig(bootstrap_samples=500)).read_text()
    answer = report.split("## The answer", 1)[1].split("## Primary endpoints", 1)[0]
    mnli = next(line for line in answer.splitlines() if line.startswith("- **`mnli` against the baseline"))
    assert "**more accurate only**" in mnli and "(5 seeds, seed-and-item intervals)" in mnli and "sign-flip p" in mnli
    robust = next(line for line in answer.splitlines() if line.startswith("- **`xnli_en` against the baseline"))
    assert "**more robust only**" in robust
    assert "- **`mnli` against its shuffled-label control `mnli_shuffled`**" in answer
    assert "test-item sampling only" not in answer
    primary = report.split("## Primary endpoints", 1)[1].split("## Setup", 1)[0]
    assert "sign-flip 0.062" in primary and "✓" in primary
    rows = list(csv.DictReader((out / "plots" / "primary_forest.csv").open()))
    assert len(rows) == 12 and {r["comparison"] for r in rows} >= {"mnli − none", "mnli − mnli_shuffled"}
    assert "mnli_shuffled (control)" in report


def test_verdict_rules():
    def c(delta, low, high, p_holm):
        return Comparison(delta, low, high, p_holm, p_holm=p_holm)

    assert verdict(c(0.1, 0.05, 0.15, 0.001), c(-0.1, -0.15, -0.05, 0.001), c(-0.1, -0.15, -0.05, 0.01)) == \
        ("more accurate", "more robust")
    # Fewer flips overall but not on the matched items: no robustness claim.
    accurate, robust = verdict(c(0.1, 0.05, 0.15, 0.001), c(-0.1, -0.15, -0.05, 0.001), c(0.0, -0.05, 0.05, 0.9))
    assert accurate == "more accurate" and "not shown to be more robust" in robust
    assert verdict(c(0.01, -0.02, 0.04, 0.4), None, None) == ("no accuracy difference resolved",
                                                               "robustness not measured")


def _audit_rows(family: str, valid: int, n: int) -> list[dict]:
    return [{"id": str(i), "lang": "de", "family": family, "effect": "preserving", "clean": {}, "perturbed": {},
             "edits": [], "label_kept": i < valid, "fluent": True, "comment": ""} for i in range(n)]


def test_a_family_under_90_percent_label_validity_leaves_the_primary_endpoints(study, tmp_path):
    """The audit decides: noise judged 80 % label-valid is exploratory only, so no primary cell uses it
    and the pooled flip has nothing to pool; the validity table shows the rate and its interval."""
    from xstilts.validity import validity

    out = tmp_path / "reports"
    report = write_report(study, out, ReportConfig(bootstrap_samples=200),
                          validity=validity(_audit_rows("noise", 20, 25))).read_text()
    table = report.split("## Perturbation validity", 1)[1].split("## Figures", 1)[0]
    assert "| noise | preserving | 80.0 [" in table and "exploratory: under 90 % label validity" in table
    primary = report.split("## Primary endpoints", 1)[1].split("## Setup", 1)[0]
    assert "Δ flip" not in primary and "Δ clean accuracy" in primary
    passing = write_report(study, out, ReportConfig(bootstrap_samples=200),
                           validity=validity(_audit_rows("noise", 25, 25))).read_text()
    assert "Δ flip: noise" in passing.split("## Primary endpoints", 1)[1].split("## Setup", 1)[0]
    assert "**No audit was found**" in write_report(study, out, ReportConfig(bootstrap_samples=200)).read_text()


def test_matched_flip_pairs_runs_on_the_seeds_both_arms_ran(study):
    for seed in (13, 14):
        (study / f"none-s{seed}.jsonl").unlink()  # none: 15, 16, 17; mnli: 13-17
    stats = Statistics(load_runs(study), ReportConfig(bootstrap_samples=200))
    points, _ = stats._matched_per_pair("mnli", "none", "avg", "pooled")
    assert len(points) == 3  # the shared seeds 15, 16, 17, never 13 with 15
    for seed in (15, 16, 17):
        (study / f"none-s{seed}.jsonl").rename(study / f"none-s{seed + 10}.jsonl")  # no seed in common
    stats = Statistics(load_runs(study), ReportConfig(bootstrap_samples=200))
    matched = stats.compare("mnli", MATCHED_FLIP, "avg", "pooled", "none")
    assert np.isnan(matched.delta) and "share no seed" in matched.note
    assert np.isnan(stats.compare("mnli", "accuracy", "avg", "clean").p_sign)  # unpaired: no sign-flip test


def test_a_control_that_learned_the_true_labels_is_no_reference(study, tmp_path):
    logs = tmp_path / "logs"
    for run in (p.stem for p in study.glob("*.jsonl")):
        for phase in ("intermediate", "target"):
            learned = not (phase == "intermediate" and run.startswith("mnli_shuffled") and run.endswith("13"))
            learned = learned if "shuffled" not in run or phase == "target" else not learned
            (logs / phase / run).mkdir(parents=True)
            (logs / phase / run / "metrics.json").write_text(json.dumps({
                "train_examples": 600, "best_validation_accuracy": 0.7, "seconds": 1, "learned": learned,
                "chance_accuracy": 0.5, "learning_p_value": 1e-6 if learned else 0.5}))
    report = write_report(study, tmp_path / "reports", ReportConfig(bootstrap_samples=200), logs_dir=logs).read_text()
    answer = report.split("## The answer", 1)[1].split("## Primary endpoints", 1)[0]
    # mnli_shuffled-s13 learned the true labels: not a control, so mnli is compared with the baseline only.
    assert "`mnli` is not compared with `mnli_shuffled`: its control learned the true labels" in answer
    assert "- **`mnli` against its shuffled-label control" not in answer
    assert "- **`xnli_en` against its shuffled-label control `xnli_en_shuffled`**" in answer
    assert "⚠ the control learned the true labels" in report
