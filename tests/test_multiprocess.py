"""`accelerate launch` with two CPU processes trains the target stage like one process does, and a
two-process run killed mid-training resumes to the checkpoint of an uninterrupted one.

    pytest tests/test_multiprocess.py
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil  # accelerate's own dependency
import pytest

from tiny_model import make_tiny_encoder, toy_target_inputs

pytestmark = pytest.mark.slow  # `accelerate launch` with two processes

ROOT = Path(__file__).resolve().parents[1]


def _command(tmp: Path, processes: int, batch_size: int) -> tuple[list[str], dict[str, str], Path]:
    """`accelerate launch ... stages/target.py` on the toy task under `tmp`: (command, env, out dir)."""
    prepared, inter, params = toy_target_inputs(tmp, make_tiny_encoder(tmp / "encoder"), batch_size)
    out = tmp / "out"
    # Without GPUs, `--multi_gpu` starts torch.distributed processes and ACCELERATE_USE_CPU=1 makes
    # accelerate run them on the CPU with gloo (`--cpu` alone needs MPI for more than one process).
    launcher = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(processes),
                *(["--multi_gpu"] if processes > 1 else ["--cpu"]),
                "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    cmd = [*launcher, str(ROOT / "stages/target.py"), "--seed", "13", "--prepared", str(prepared),
           "--intermediate", str(inter), "--out", str(out), "--params", str(params)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "ACCELERATE_USE_CPU": "1",
           "PYTHONUNBUFFERED": "1"}
    return cmd, env, out


def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _train(tmp: Path, processes: int, batch_size: int) -> dict:
    cmd, env, out = _command(tmp, processes, batch_size)
    _run(cmd, env)
    return json.loads((out / "training_log.json").read_text())


def test_two_cpu_processes_match_one_within_tolerance(tmp_path):
    # Same effective batch (8): one process × 8, or two processes × 4.
    one = _train(tmp_path / "one", processes=1, batch_size=8)
    two = _train(tmp_path / "two", processes=2, batch_size=4)
    assert two["processes"] == 2 and one["processes"] == 1
    # predict_logits raises unless every validation example got a prediction after gathering.
    assert one["validation_examples"] == two["validation_examples"] == 30
    # Tolerance: both learn the toy task; the selected accuracies differ by at most 0.1.
    assert one["best_validation_accuracy"] >= 0.9 and two["best_validation_accuracy"] >= 0.9
    assert abs(one["best_validation_accuracy"] - two["best_validation_accuracy"]) <= 0.1


def test_two_processes_killed_mid_training_resume_to_the_same_checkpoint(tmp_path):
    cmd, env, whole = _command(tmp_path / "whole", processes=2, batch_size=4)
    _run(cmd, env)
    cmd, env, out = _command(tmp_path / "killed", processes=2, batch_size=4)
    # Kill every process once the first epoch's state is saved: the launcher and both workers
    # (torch's launcher starts the workers in sessions of their own, so the whole tree, not the group).
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if "resume state saved" in line:
            break
    else:
        raise AssertionError("no resume state was saved:\n" + "".join(seen))
    tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    assert len(tree) >= 3, tree
    for process in tree:
        process.send_signal(signal.SIGKILL)
    psutil.wait_procs(tree, timeout=60)
    assert not out.exists()
    saved = json.loads((out.parent / ".out.resume/state.json").read_text())
    assert {p.name for p in (out.parent / ".out.resume").glob("rng-*.safetensors")} == {"rng-0.safetensors", "rng-1.safetensors"}

    rerun = _run(cmd, env)
    assert f"resuming at step {saved['loop']['step']}" in rerun.stdout + rerun.stderr, rerun.stdout[:1500]
    assert (out / "model.safetensors").read_bytes() == (whole / "model.safetensors").read_bytes()
    assert json.loads((out / "training_log.json").read_text())["resumed_at_step"] == saved["loop"]["step"]
    assert not (out.parent / ".out.resume").exists()
