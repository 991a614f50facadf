"""Interrupted training (issue 8, points 2 and 3): kill `dvc repro` mid-training with SIGTERM or
SIGKILL, find no checkpoint or metrics file, rerun `dvc repro`, and get the run an uninterrupted one
gives.

The rerun resumes from the state saved at the last validation point (`xstilts.resume`, next to the
output as `.model.resume`) and ends with the uninterrupted run's checkpoint, byte for byte, and the
same metrics and curves; tests/test_resume.py covers resuming in more places.

    pytest tests/test_interruption.py
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tiny_model import make_tiny_encoder, toy_rows, toy_target_inputs
from workspace import GIT_USER

pytestmark = pytest.mark.slow  # kills and reruns `dvc repro` mid-training

ROOT = Path(__file__).resolve().parents[1]
# Long enough to be caught mid-training (hundreds of steps), short enough for a test.
TRAIN = {"epochs": 4, "evals_per_epoch": 4, "batch_size": 8, "learning_rate": 3e-3, "max_length": 32}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def _toy_project(work: Path, encoder: Path) -> Path:
    """A DVC project with one stage: `stages/target.py` on the toy task (400 training pairs)."""
    work.mkdir()
    prepared, _, params = toy_target_inputs(work, encoder, batch_size=8)
    (prepared / "train/en.jsonl").write_text("".join(json.dumps(r) + "\n" for r in toy_rows(400, 1)))
    p = yaml.safe_load(params.read_text())
    p["target"]["train"].update(TRAIN)
    params.write_text(yaml.safe_dump(p))
    (work / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"target": {
        "cmd": f"python {ROOT / 'stages/target.py'} --seed 1 --prepared prepared --intermediate inter "
               "--out model --logs logs --params params.yaml",
        "deps": ["prepared", "inter"],
        "params": ["target.train"],
        "outs": ["model"],
        "metrics": [{"logs/metrics.json": {"cache": False}}],
    }}}))
    for cmd in (["git", "init", "-q"], [sys.executable, "-m", "dvc", "init", "-q"], ["git", "add", "-A"],
                ["git", *GIT_USER, "commit", "-qm", "toy project"]):  # dvclive wants a commit
        subprocess.run(cmd, cwd=work, check=True, env=_env())
    return work


def _repro(work: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dvc", "repro"], cwd=work, env=_env(), capture_output=True,
                          text=True, timeout=900)


def _kill_mid_training(work: Path, sig: signal.Signals) -> str:
    """Start `dvc repro`, wait until the second validation point's resume state is saved, send `sig`
    to DVC and the stage (the whole process group, as a terminal or a job scheduler does), wait until
    every process is gone."""
    proc = subprocess.Popen([sys.executable, "-m", "dvc", "repro"], cwd=work, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if sum("resume state saved" in s for s in seen) == 2:
            break
    else:
        raise AssertionError("training never reached a validation point:\n" + "".join(seen))
    os.killpg(proc.pid, sig)
    seen.append(proc.stdout.read())
    proc.wait(timeout=120)
    deadline = time.monotonic() + 120
    while True:  # the stage is DVC's child: wait for it too (SIGTERM: its cleanup)
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the stage process outlived the signal"
        time.sleep(0.2)
    return "".join(seen)


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> Path:
    return make_tiny_encoder(tmp_path_factory.mktemp("tiny") / "encoder")


@pytest.fixture(scope="module")
def uninterrupted(encoder, tmp_path_factory) -> Path:
    work = _toy_project(tmp_path_factory.mktemp("uninterrupted") / "work", encoder)
    proc = _repro(work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return work


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_training_leaves_no_output_and_dvc_repro_completes_it(sig, encoder, uninterrupted, tmp_path):
    work = _toy_project(tmp_path / "work", encoder)
    output = _kill_mid_training(work, sig)

    # Nothing under an output's name: no plausible checkpoint or metrics file for DVC to cache.
    assert not (work / "model").exists() and not (work / "logs").exists(), output
    assert "target" not in (yaml.safe_load((work / "dvc.lock").read_text()) if (work / "dvc.lock").exists() else {}).get("stages", {})
    leftovers = sorted(p.name for p in work.iterdir() if p.name.startswith("."))
    kept = [".dvc", ".dvcignore", ".git", ".model.resume"]  # the state to resume from stays
    if sig == signal.SIGTERM:
        # The stage caught it: one line, its temporary directories removed.
        assert "error: interrupted by SIGTERM; unfinished outputs were removed" in output, output
        assert "Traceback" not in output
        assert leftovers == kept, leftovers
    else:
        # SIGKILL cannot be caught: temporary directories may stay, under names no stage reads.
        assert ".model.resume" in leftovers
        assert all(name.startswith((".model.", ".logs.")) and name.endswith(".tmp")
                   for name in leftovers if name not in kept), leftovers
    saved_step = json.loads((work / ".model.resume/state.json").read_text())["loop"]["step"]

    proc = _repro(work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Running stage 'target'" in proc.stdout
    assert f"resuming at step {saved_step}" in proc.stdout, proc.stdout[-3000:]
    assert not (work / ".model.resume").exists()
    status = subprocess.run([sys.executable, "-m", "dvc", "status", "--json"], cwd=work, env=_env(),
                            capture_output=True, text=True, check=True)
    assert json.loads(status.stdout or "{}") == {}
    # The restarted run is the uninterrupted run: same weights, same metrics, same curves.
    assert (work / "model/model.safetensors").read_bytes() == (uninterrupted / "model/model.safetensors").read_bytes()
    ours, theirs = (json.loads((w / "logs/metrics.json").read_text()) for w in (work, uninterrupted))
    assert {k: v for k, v in ours.items() if k != "seconds"} == {k: v for k, v in theirs.items() if k != "seconds"}
    for curve in ("train_loss", "validation_accuracy"):
        path = f"logs/plots/metrics/{curve}.tsv"
        assert (work / path).read_text() == (uninterrupted / path).read_text()
    log = json.loads((work / "model/training_log.json").read_text())
    ref = json.loads((uninterrupted / "model/training_log.json").read_text())
    assert [h["validation_accuracy"] for h in log["history"]] == [h["validation_accuracy"] for h in ref["history"]]
