"""Committed result snapshots (results/<config>/) match the lock file and params of their run."""

import hashlib
from pathlib import Path

import pytest
import yaml

from xstilts.configs import flatten

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = sorted(p for p in (ROOT / "results").glob("*") if (p / "dvc.lock").is_file())


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _locked_outs(lock: dict) -> dict[str, str]:
    """Output path -> md5 for every stage in a dvc.lock."""
    outs = {}
    for stage in lock["stages"].values():
        for out in stage.get("outs", []):
            outs[out["path"]] = out["md5"]
    return outs


def _plain(value):
    """`dvc exp run -S` writes 2e-05 (YAML 1.2 float), which PyYAML reads as a string; the
    pipeline's params reader accepts it as a float (xstilts.params), and so does this comparison."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def test_there_is_a_real_data_snapshot():
    assert any(p.name == "real-cpu" for p in SNAPSHOTS), "results/real-cpu is missing"


@pytest.mark.parametrize("snapshot", SNAPSHOTS, ids=lambda p: p.name)
def test_snapshot_files_hash_to_their_lock(snapshot: Path):
    outs = _locked_outs(yaml.safe_load((snapshot / "dvc.lock").read_text()))
    metrics = sorted((snapshot / "metrics").glob("*.json"))
    assert metrics, f"{snapshot}: no metrics"
    for path in metrics:
        assert outs[f"metrics/{path.name}"] == _md5(path), path
    for name in ("robustness.md", "summary.json"):
        assert outs[f"reports/{name}"] == _md5(snapshot / name), name


@pytest.mark.parametrize("snapshot", SNAPSHOTS, ids=lambda p: p.name)
def test_snapshot_params_are_the_default_plus_the_config(snapshot: Path):
    config = ROOT / "configs" / f"{snapshot.name}.yaml"
    assert config.is_file(), f"no configs/{snapshot.name}.yaml for {snapshot}"
    used = {k: _plain(v) for k, v in flatten(yaml.safe_load((snapshot / "params.yaml").read_text()))}
    default = dict(flatten(yaml.safe_load((ROOT / "params.yaml").read_text())))
    expected = {**default, **dict(flatten(yaml.safe_load(config.read_text())))}
    # Keys added to params.yaml after the run (absent from the snapshot) do not invalidate it;
    # a changed value of a key the run used does.
    assert {k: expected.get(k, "<not in params.yaml + config>") for k in used} == used
