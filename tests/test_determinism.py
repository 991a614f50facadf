"""Determinism and secrets over the whole offline default (issue 8, points 4 and 5).

A second complete `dvc repro` of the offline default (every stage: conversion, preparation, all
perturbation families, both training phases of both chains, every predict, score and attack stage,
the report), in its own clean clone, with fake tokens and keys in its environment, against the
session's shared run (tests/workspace.py): byte-identical perturbed variants, byte-identical
metrics JSON and report summary, and none of the secrets in anything the run wrote. About 18
minutes on a 2-core AVX2 CPU.

    pytest tests/test_determinism.py -s
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_security import FAKE_SECRETS, files_containing
from workspace import make_offline_run

pytestmark = pytest.mark.e2e


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_second_run_is_identical_and_writes_no_secret(offline_run, tmp_path, monkeypatch):
    for name, value in FAKE_SECRETS.items():
        monkeypatch.setenv(name, value)
    second = make_offline_run(tmp_path / "second")
    first = offline_run.path

    variants = _files(first / "data/variants")
    assert variants and any(name.endswith(".jsonl") for name in variants)
    assert _files(second.path / "data/variants") == variants  # byte for byte, every family and language
    metrics = _files(first / "metrics")
    assert {"none-s13.json", "anli-s13.json", "attack/none-s13.json", "attack/anli-s13.json"} <= set(metrics)
    assert _files(second.path / "metrics") == metrics  # every chain's scores and attack results
    assert (second.path / "reports/summary.json").read_bytes() == (first / "reports/summary.json").read_bytes()
    # And the trained weights of both phases and both chains.
    weights = {str(p.relative_to(first)): p.read_bytes() for p in sorted(first.glob("models/*/*/model.safetensors"))}
    assert len(weights) >= 3  # anli intermediate, none and anli target
    assert {name: (second.path / name).read_bytes() for name in weights} == weights

    # No secret in logs, metrics, reports, predictions, exports, params, dvc.lock or checkpoint metadata,
    # nor in what the run printed.
    work = second.path
    found = [hit for folder in ("logs", "metrics", "reports", "predictions", "exports")
             for hit in files_containing(work / folder, FAKE_SECRETS.values())]
    found += [f"{p}: {s}" for p in [work / "params.yaml", work / "dvc.lock", *sorted(work.glob("models/**/*.json"))]
              for s in FAKE_SECRETS.values() if s.encode() in p.read_bytes()]
    found += [s for s in FAKE_SECRETS.values() if s in second.first.stdout + second.first.stderr]
    assert found == []
