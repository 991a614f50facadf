"""Scoring, the accuracy metric module, and the report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from xstilts.evaluation import EvalSet, prediction_rows, score
from xstilts.metrics import load_metric
from xstilts.report import load_runs, write_report


def test_accuracy_module_loads_by_local_path_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    metric = load_metric("accuracy")
    assert metric.compute(predictions=[1, 0, 1, 1], references=[1, 1, 1, 0])["accuracy"] == 0.5
    assert metric.compute(predictions=[1, 0], references=[1, 0], normalize=False)["accuracy"] == 2
    with pytest.raises(ValueError, match="no metric module 'bleu'"):
        load_metric("bleu")


def test_score_uses_expected_labels_for_contrast_variants():
    clean = EvalSet("de", "clean", [{"id": "1", "label": 1}, {"id": "2", "label": 0}])
    contrast = EvalSet("de", "contrast", [{"id": "1", "label": 1, "expected_label": 0}, {"id": "2", "label": 0, "expected_label": 0}])
    probs = [np.array([[0.2, 0.8], [0.9, 0.1]]), np.array([[0.3, 0.7], [0.6, 0.4]])]
    metrics = score([clean, contrast], probs)
    assert metrics == {"de.clean.accuracy": 1.0, "de.contrast.accuracy": 0.5,
                       "avg.clean.accuracy": 1.0, "avg.contrast.accuracy": 0.5}
    rows = prediction_rows([clean, contrast], probs)
    assert rows[2] == {"id": "1", "lang": "de", "variant": "contrast", "label": 1, "expected_label": 0,
                       "predicted": 1, "probabilities": [0.3, 0.7]}


def test_report_tables_show_deltas_to_the_same_seed_baseline(tmp_path):
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "none-s13.json").write_text(json.dumps({"en.clean.accuracy": 0.8, "de.clean.accuracy": 0.7}))
    (metrics / "anli-s13.json").write_text(json.dumps({"en.clean.accuracy": 0.85, "de.clean.accuracy": 0.65}))
    runs = load_runs(metrics)
    assert [r.run for r in runs] == ["none-s13", "anli-s13"]
    report = write_report(metrics, tmp_path / "reports").read_text()
    assert "| none-s13 (baseline) | 80.0 | 70.0 |" in report
    assert "| anli-s13 | 85.0 (+5.0) | 65.0 (-5.0) |" in report
    assert (tmp_path / "reports/figures/clean_by_language.png").read_bytes()[:4] == b"\x89PNG"
