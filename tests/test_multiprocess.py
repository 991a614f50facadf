"""`accelerate launch` with two CPU processes trains the target stage like one process does.

    pytest tests/test_multiprocess.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tiny_model import make_tiny_encoder, toy_target_inputs

ROOT = Path(__file__).resolve().parents[1]


def _train(tmp: Path, processes: int, batch_size: int) -> dict:
    prepared, inter, params = toy_target_inputs(tmp, make_tiny_encoder(tmp / "encoder"), batch_size)
    out = tmp / "out"
    # Without GPUs, `--multi_gpu` starts torch.distributed processes and ACCELERATE_USE_CPU=1 makes
    # accelerate run them on the CPU with gloo (`--cpu` alone needs MPI for more than one process).
    launcher = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(processes),
                *(["--multi_gpu"] if processes > 1 else ["--cpu"]),
                "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    cmd = [*launcher, str(ROOT / "stages/target.py"), "--seed", "13", "--prepared", str(prepared),
           "--intermediate", str(inter), "--out", str(out), "--params", str(params)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "ACCELERATE_USE_CPU": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
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
