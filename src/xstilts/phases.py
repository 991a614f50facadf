"""The two X-STILTs training phases on top of `training.train_classifier`.

    intermediate:  pretrained encoder --English NLI task--> encoder   (task `none`: unchanged)
    target:        encoder --English PAWS-X--> paraphrase classifier

Every intermediate output directory holds `encoder.json`, which names the encoder the target phase
starts from: itself after intermediate training, or the pretrained encoder for the baseline — so the
baseline is trained straight from the pretrained weights without copying them.
"""

from __future__ import annotations

import json
from pathlib import Path

from xstilts.config import TrainConfig
from xstilts.errors import XstiltsError
from xstilts.io import atomic_dir, write_json
from xstilts.schema import prepared_file, read_prepared
from xstilts.training import CURVES, TrainResult, train_classifier

ENCODER_POINTER = "encoder.json"


def _read_manifest(prepared_dir: Path) -> dict:
    path = prepared_dir / "manifest.json"
    if not path.is_file():
        raise XstiltsError(f"{path}: missing — run the prepare stage first (dvc repro)")
    return json.loads(path.read_text(encoding="utf-8"))


def _train_on(prepared_dir: Path, manifest: dict, init_dir: Path, cfg: TrainConfig, seed: int, out_dir: Path,
              encoder_only: bool, log_dir: Path | None, extra_files: dict | None = None) -> TrainResult:
    """One phase: the prepared English train/validation splits, the task's labels."""
    labels = range(len(manifest["labels"]))
    return train_classifier(
        init_dir=init_dir,
        train_rows=read_prepared(prepared_file(prepared_dir, "train"), labels),
        validation_rows=read_prepared(prepared_file(prepared_dir, "validation"), labels),
        labels=manifest["labels"],
        cfg=cfg,
        seed=seed,
        out_dir=out_dir,
        save_encoder_only=encoder_only,
        log_dir=log_dir,
        extra_files=extra_files,
    )


def run_intermediate(prepared_dir: Path, pretrained_dir: Path, cfg: TrainConfig, seed: int,
                     out_dir: Path, log_dir: Path | None = None) -> TrainResult | None:
    """Train the pretrained encoder on an intermediate task; `none` (no splits) trains nothing
    (its log directory then holds an empty curve and `{"trained": false}`, so every run has one)."""
    manifest = _read_manifest(prepared_dir)
    if not manifest.get("splits"):
        with atomic_dir(out_dir) as tmp:
            write_json(tmp / ENCODER_POINTER, {"task": manifest["task"], "encoder": str(pretrained_dir)})
        if log_dir is not None:
            write_untrained_log(log_dir)
        return None
    # The pointer is saved inside the checkpoint directory, before it gets its final name.
    return _train_on(prepared_dir, manifest, pretrained_dir, cfg, seed, out_dir, encoder_only=True, log_dir=log_dir,
                     extra_files={ENCODER_POINTER: {"task": manifest["task"], "encoder": str(out_dir)}})


def resolve_encoder(intermediate_dir: Path) -> Path:
    """The encoder the target phase starts from, as named by `<intermediate_dir>/encoder.json`."""
    pointer = intermediate_dir / ENCODER_POINTER
    if not pointer.is_file():
        raise XstiltsError(f"{pointer}: missing — not an intermediate-phase output")
    return Path(json.loads(pointer.read_text(encoding="utf-8"))["encoder"])


def run_target(prepared_dir: Path, intermediate_dir: Path, cfg: TrainConfig, seed: int, out_dir: Path,
               log_dir: Path | None = None) -> TrainResult:
    """Fine-tune on English PAWS-X, selecting on English validation only (zero-shot)."""
    manifest = _read_manifest(prepared_dir)
    return _train_on(prepared_dir, manifest, resolve_encoder(intermediate_dir), cfg, seed, out_dir,
                     encoder_only=False, log_dir=log_dir)


def write_untrained_log(log_dir: Path) -> None:
    """The log directory of a phase that trained nothing: the same files as dvclive's, no points."""
    with atomic_dir(log_dir) as tmp:
        write_json(tmp / "metrics.json", {"trained": False})
        curves = tmp / "plots" / "metrics"
        curves.mkdir(parents=True)
        for name in CURVES:
            (curves / f"{name}.tsv").write_text(f"step\t{name}\n", encoding="utf-8")
