"""Determinism and secrets (issue 8, points 4 and 5), on a second, smaller but complete chain.

A second `dvc repro` in its own clean clone, with fake tokens and keys in its environment: the
`anli` chain alone (conversion, preparation, intermediate and target training, clean predictions,
one label-preserving and one label-flipping family, the adaptive attack, scoring, the report). Its
stages have the same params and inputs as the same stages of the session's shared full run
(tests/workspace.py), so DVC must produce the same bytes: the perturbed variants, both trained
checkpoints, every prediction file and the attack results; and none of the secrets may appear in
anything the run wrote.

    pytest tests/test_determinism.py -s
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from test_security import FAKE_SECRETS, files_containing
from workspace import make_offline_run

pytestmark = pytest.mark.e2e

FAMILIES = ("char_noise", "contrast")  # one label-preserving, one label-flipping family
RUN = "anli-s13"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_second_chain_is_identical_and_writes_no_secret(offline_run, tmp_path, monkeypatch):
    for name, value in FAKE_SECRETS.items():
        monkeypatch.setenv(name, value)
    first = offline_run.path
    families = yaml.safe_load((first / "params.yaml").read_text())["perturb"]["families"]
    assert set(FAMILIES) <= set(families)
    second = make_offline_run(tmp_path / "second", params={
        "intermediate.tasks": ["anli"], "perturb.families": {f: families[f] for f in FAMILIES}})
    work = second.path
    ran = {line.split("'")[1] for line in second.first.stdout.splitlines() if line.startswith("Running stage")}
    assert {"intermediate@anli-13", "target@anli-13", "attack@anli-13", "report"} <= ran

    for family in FAMILIES:  # byte for byte, every language
        variants = _files(first / "data/variants" / family)
        assert variants and _files(work / "data/variants" / family) == variants
    for name in ("clean", *FAMILIES):
        path = f"predictions/{RUN}/{name}.jsonl"
        assert (work / path).read_bytes() == (first / path).read_bytes(), path
    for path in (f"metrics/attack/{RUN}.json", f"attacks/{RUN}/results.jsonl"):
        assert (work / path).read_bytes() == (first / path).read_bytes(), path
    weights = {str(p.relative_to(first)): p.read_bytes() for p in sorted(first.glob(f"models/*/{RUN}/model.safetensors"))}
    assert len(weights) == 2  # the anli intermediate encoder and its target checkpoint
    assert {name: (work / name).read_bytes() for name in weights} == weights

    # No secret in logs, metrics, reports, predictions, exports, params, dvc.lock or checkpoint metadata,
    # nor in what the run printed.
    found = [hit for folder in ("logs", "metrics", "reports", "predictions", "exports")
             for hit in files_containing(work / folder, FAKE_SECRETS.values())]
    found += [f"{p}: {s}" for p in [work / "params.yaml", work / "dvc.lock", *sorted(work.glob("models/**/*.json"))]
              for s in FAKE_SECRETS.values() if s.encode() in p.read_bytes()]
    found += [s for s in FAKE_SECRETS.values() if s in second.first.stdout + second.first.stderr]
    assert found == []
