"""The report: bootstrap intervals, paired tests against the baseline, tables, figures, plot data.

    pytest tests/test_report.py
"""

import csv
import json

import numpy as np
import pytest

from xstilts.config import ReportConfig
from xstilts.errors import XstiltsError
from xstilts.report import Statistics, holm, load_runs, write_report

LANGS = ("en", "de", "fr")


def _predictions(path, correct: np.ndarray, noise_correct: np.ndarray) -> None:
    """Synthetic predictions: `correct[l, i]` on clean pairs, `noise_correct[l, i]` on perturbed ones."""
    rows = []
    n = correct.shape[1]
    gold = [i % 2 for i in range(n)]
    for l, lang in enumerate(LANGS):
        for i in range(n):
            pred = gold[i] if correct[l, i] else 1 - gold[i]
            rows.append({"id": str(i), "lang": lang, "variant": "clean", "effect": "clean", "changed": False,
                         "edit_rate": 0.0, "label": gold[i], "expected_label": gold[i], "predicted": pred})
        for i in range(n):
            pred = gold[i] if noise_correct[l, i] else 1 - gold[i]
            rows.append({"id": str(i), "lang": lang, "variant": "noise", "effect": "preserving", "changed": True,
                         "edit_rate": 0.05, "label": gold[i], "expected_label": gold[i], "predicted": pred})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def two_runs(tmp_path):
    """A baseline right on 60 % of 300 items and a task right on 90 % (clean), both halved by noise."""
    rng = np.random.default_rng(0)
    n = 300
    pred_dir = tmp_path / "predictions"
    pred_dir.mkdir()
    base = rng.random((len(LANGS), n)) < 0.6
    task = base | (rng.random((len(LANGS), n)) < 0.75)
    _predictions(pred_dir / "none-s13.jsonl", base, base & (rng.random(base.shape) < 0.5))
    _predictions(pred_dir / "anli-s13.jsonl", task, task & (rng.random(task.shape) < 0.5))
    return pred_dir


def test_holm_by_hand():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, float("nan")])[0] == 0.5


def test_interval_contains_estimate_and_a_clear_gain_is_significant(two_runs):
    stats = Statistics(load_runs(two_runs), ReportConfig(bootstrap_samples=500))
    e = stats.estimate("anli", "accuracy", "avg", "clean")
    assert e.low < e.value < e.high and e.high - e.low < 0.1
    c = stats.compare("anli", "accuracy", "avg", "clean")
    assert c.delta > 0.2 and c.low > 0 and c.p < 0.01


def test_a_run_against_itself_is_not_significant(two_runs, tmp_path):
    (two_runs / "anli-s13.jsonl").write_bytes((two_runs / "none-s13.jsonl").read_bytes())
    stats = Statistics(load_runs(two_runs), ReportConfig(bootstrap_samples=500))
    c = stats.compare("anli", "robust_accuracy", "de", "noise")
    assert c.delta == 0 and c.p == 1.0


def test_seeds_give_mean_and_std(two_runs):
    (two_runs / "none-s42.jsonl").write_bytes((two_runs / "anli-s13.jsonl").read_bytes())
    stats = Statistics(load_runs(two_runs), ReportConfig(bootstrap_samples=200))
    one = stats.estimate("none", "accuracy", "en", "clean")
    assert one.seeds == 2 and one.seed_std is not None and one.seed_std > 0.1


def test_report_files(two_runs, tmp_path):
    out = tmp_path / "reports"
    report = write_report(two_runs, out, ReportConfig(bootstrap_samples=300), setup={"encoder": "`tiny`"}).read_text()
    assert "## The answer" in report and "## Primary endpoints" in report
    assert "one seed: test-item sampling only" in report  # one seed: no claim about the method
    answer = report.split("## The answer", 1)[1].split("## Primary endpoints", 1)[0]
    assert "**more accurate only**" in answer  # +30 points clean; the noise halves both alike
    assert "| anli · 1 seed[^" in report and "| none (baseline) · 1 seed[^" in report  # one seed: labelled
    assert "Holm" in report.split("## Primary endpoints", 1)[1].split("## Setup", 1)[0]
    assert "### noise (preserving)" in report and "cross-lingual consistency" in report.lower()
    assert report.index("figures/primary_forest.png") < report.index("## Primary endpoints")  # the first figure
    for figure in ("primary_forest", "clean_by_language", "flip_by_family", "drop_vs_rate"):
        assert (out / "figures" / f"{figure}.png").stat().st_size > 1000
        assert f"figures/{figure}.png" in report
    rows = list(csv.DictReader((out / "plots" / "clean_by_language.csv").open()))
    assert {r["task"] for r in rows} == {"none", "anli"} and len(rows) == 2 * (len(LANGS) + 1)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["anli"]["clean_accuracy_delta"] > 0.2 and "clean_accuracy_delta" not in summary["none"]
    assert abs(summary["anli"]["flip_pooled_delta"]) < 0.1 and summary["anli"]["seeds"] == 1


def test_runs_on_different_items_are_refused(two_runs):
    lines = (two_runs / "anli-s13.jsonl").read_text().splitlines()
    (two_runs / "anli-s13.jsonl").write_text("\n".join(lines[1:]) + "\n")  # en item 0 lost
    with pytest.raises(XstiltsError, match="not the same test items"):
        load_runs(two_runs)


def test_runs_are_read_per_variant_file_and_only_those_params_select(tmp_path, two_runs):
    """predictions/<run>/<variant>.jsonl; a run or family no longer in params is not reported."""
    from xstilts.report import selected_runs

    split = tmp_path / "split"
    for path in two_runs.glob("*.jsonl"):
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        for variant in ("clean", "noise"):
            (split / path.stem).mkdir(parents=True, exist_ok=True)
            (split / path.stem / f"{variant}.jsonl").write_text(
                "".join(json.dumps(r) + "\n" for r in rows if r["variant"] == variant))
        (split / path.stem / "stale.jsonl").write_text("not json\n")  # a removed family's leftovers
    (split / "xnli_en-s13").mkdir()  # a removed task's leftovers
    runs = load_runs(split, selected_runs(["none", "anli"], [13]), ["clean", "noise"])
    assert [r.name for r in runs] == ["none-s13", "anli-s13"]
    whole = load_runs(two_runs)
    assert all((a.arrays.pred == b.arrays.pred).all() for a, b in zip(runs, whole))
    with pytest.raises(XstiltsError, match=r"anli-s13/orthography.jsonl: missing — run `dvc repro`"):
        load_runs(split, ["anli-s13"], ["clean", "orthography"])


def _attack_results(path, success_share: float, rng) -> None:
    """Synthetic attacks/<run>/results.jsonl: 100 items per language, 1 in 10 skipped (initially
    wrong), the others successful with probability `success_share`."""
    rows = []
    for lang in LANGS:
        for i in range(100):
            label = i % 2
            status = "skipped" if i % 10 == 0 else ("successful" if rng.random() < success_share else "failed")
            orig = 1 - label if status == "skipped" else label
            rows.append({"id": str(i), "lang": lang, "label": label, "status": status, "success": status == "successful",
                         "queries": 1 if status == "skipped" else 12, "units": 10,
                         "edited_share": 0.1 if status == "successful" else 0.0, "original_prediction": orig,
                         "new_prediction": 1 - label if status == "successful" else orig})
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_adaptive_attack_section_compares_tasks_with_the_baseline(two_runs, tmp_path):
    rng = np.random.default_rng(1)
    attacks = tmp_path / "attacks"
    _attack_results(attacks / "none-s13" / "results.jsonl", 0.8, rng)
    _attack_results(attacks / "anli-s13" / "results.jsonl", 0.3, rng)
    out = tmp_path / "reports"
    report = write_report(two_runs, out, ReportConfig(bootstrap_samples=300), attacks_dir=attacks).read_text()
    section = report.split("## Adaptive attack", 1)[1].split("## Seeds", 1)[0]
    assert "Attack success rate by language" in section and "Accuracy under attack by language" in section
    success_table = section.split("Attack success rate by language:", 1)[1].split("Accuracy under attack", 1)[0]
    anli = next(line for line in success_table.splitlines() if line.startswith("| anli · 1 seed"))
    assert "*)" in anli and "(-" in anli  # clearly fewer successes than the baseline (exploratory marker)
    assert "| none (baseline) · 1 seed[^1] | 2" in section  # effort table: counts pooled over languages
    summary = json.loads((out / "summary.json").read_text())
    assert summary["none"]["attack_success_rate"] > 0.7 and summary["anli"]["attack_delta"] < -0.3
    # The attack metrics of the report are those of the stage (the same definitions and arrays).
    from xstilts.attack.metrics import attack_metrics, read_results

    rows = read_results(attacks / "anli-s13" / "results.jsonl")
    assert summary["anli"]["attack_success_rate"] == pytest.approx(attack_metrics(rows)["avg.attack.success_rate"], abs=1e-6)
    lines = (attacks / "anli-s13" / "results.jsonl").read_text().splitlines()
    (attacks / "anli-s13" / "results.jsonl").write_text("\n".join(lines[1:]) + "\n")  # one pair not attacked
    with pytest.raises(XstiltsError, match="not the same attacked items"):
        write_report(two_runs, out, ReportConfig(bootstrap_samples=300), attacks_dir=attacks)
    (attacks / "anli-s13" / "results.jsonl").unlink()
    with pytest.raises(XstiltsError, match=r"anli-s13/results.jsonl: missing — run `dvc repro`"):
        write_report(two_runs, out, ReportConfig(bootstrap_samples=300), attacks_dir=attacks)
