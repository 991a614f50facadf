"""Resumable training: the loop's whole state at every validation point, so a killed run picks up there.

    dvc repro            # killed mid-training (SIGKILL, SIGTERM, a lost spot instance)...
    dvc repro            # ...resumes from the last validation point, to the same checkpoint

`train_classifier` saves, after each validation point, everything the rest of the run depends on
into `<out parent>/.<out name>.resume/` (next to the checkpoint it will produce; DVC removes a
stage's outputs before running it, so the state cannot live inside them): the model's weights, the
optimizer's moments, the learning-rate schedule, the best weights so far, the history, the random
states (torch's, and the batch sampler's at the start of the epoch) and the position in the epoch.
A rerun with the same inputs loads it, skips the batches already trained on, and continues; on CPU
the result is the uninterrupted run's, byte for byte (tests/test_interruption.py). The directory is
removed once the checkpoint is saved. `XSTILTS_RESUME=0` turns saving and resuming off.

Safe by construction: tensors go to safetensors, everything else to JSON — nothing is unpickled.
A state is used only if its fingerprint matches this run (config, seed, labels, training and
validation data, initial weights, the training code, torch and transformers versions, process
count); any other state is removed and the run starts from the beginning.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

STATE = "state.json"
FORMAT = 1
# The modules whose code decides what training computes: a state saved by other code is not reused.
CODE = ("training", "modeling", "kernels", "tokencache", "resume")


def enabled() -> bool:
    return os.environ.get("XSTILTS_RESUME", "1") != "0"


def resume_dir_for(out_dir: Path) -> Path:
    """Where the run that writes `out_dir` keeps its resume state: a hidden sibling."""
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.resume"


def _hash_file(h, path: Path) -> None:
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)


def fingerprint(init_dir: Path, train_rows: Sequence[dict], validation_rows: Sequence[dict],
                settings: Mapping[str, Any]) -> str:
    """sha256 of everything a resumed run must share with the interrupted one."""
    import transformers

    import xstilts

    h = hashlib.sha256()
    h.update(json.dumps({**settings, "torch": torch.__version__, "transformers": transformers.__version__},
                        sort_keys=True, default=str).encode())
    for rows in (train_rows, validation_rows):
        h.update(json.dumps(list(rows), sort_keys=True, ensure_ascii=False).encode())
    for path in sorted(Path(init_dir).glob("*.safetensors")):
        _hash_file(h, path)
    package = Path(xstilts.__file__).parent
    for module in CODE:
        _hash_file(h, package / f"{module}.py")
    return h.hexdigest()


@dataclass
class LoopState:
    """Where the loop stands after a validation point: `epoch` is the (0-based) epoch to continue,
    `batches_done` how many of its batches were already trained on (0 after a complete epoch)."""

    epoch: int
    batches_done: int
    step: int
    accelerator_step: int  # accelerate's gradient-accumulation counter
    best_acc: float
    best_step: int
    history: list[dict] = field(default_factory=list)


@dataclass
class Resumed:
    loop: LoopState
    best_state: dict[str, torch.Tensor] | None
    torch_rng: torch.Tensor
    cuda_rng: list[torch.Tensor]
    sampler_rng: torch.Tensor  # the batch sampler's generator at the start of `loop.epoch`

    def restore_rng(self) -> None:
        """Put torch's random state back where the interrupted run had it."""
        torch.set_rng_state(self.torch_rng)
        if self.cuda_rng:
            torch.cuda.set_rng_state_all(self.cuda_rng)


def _optimizer_tensors(optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    sd = optimizer.state_dict()
    tensors = {f"{pid}/{name}": value.contiguous() for pid, entries in sd["state"].items()
               for name, value in entries.items() if isinstance(value, torch.Tensor)}
    scalars = {str(pid): {name: value for name, value in entries.items() if not isinstance(value, torch.Tensor)}
               for pid, entries in sd["state"].items()}
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _optimizer_state(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state: dict[int, dict] = {int(pid): dict(values) for pid, values in meta["scalars"].items()}
    for key, value in tensors.items():
        pid, name = key.split("/", 1)
        state.setdefault(int(pid), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def _changing_tensors(model) -> dict[str, torch.Tensor]:
    """The model's state without its frozen parameters (e.g. the 96M frozen word embeddings of
    e5-small): they never leave their initial values, so writing them at every point is waste."""
    frozen = {name for name, param in model.named_parameters() if not param.requires_grad}
    return {k: v.detach().contiguous() for k, v in model.state_dict().items() if k not in frozen}


def _staged_rng(directory: Path, process_index: int | str) -> Path:
    return directory.parent / f"{directory.name}.rng-{process_index}.safetensors"


class ResumeState:
    """The resume state of one training run, in `directory`, for the processes of `accelerator`."""

    def __init__(self, directory: Path, fingerprint_: str, accelerator) -> None:
        self.directory, self.fingerprint, self.accelerator = Path(directory), fingerprint_, accelerator

    def save(self, loop: LoopState, model, optimizer, scheduler, best_state: Mapping[str, torch.Tensor] | None,
             sampler_rng: torch.Tensor) -> None:
        """Replace the saved state with this one, atomically: a kill while saving leaves the previous
        state whole. Every process contributes its random states; the main process the rest."""
        from safetensors.torch import save_file

        from xstilts.io import atomic_dir

        acc, directory = self.accelerator, self.directory
        rng = {"torch": torch.get_rng_state(), "sampler": sampler_rng}
        if torch.cuda.is_available():
            rng.update({f"cuda/{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
        directory.parent.mkdir(parents=True, exist_ok=True)
        save_file(rng, str(_staged_rng(directory, acc.process_index)))
        acc.wait_for_everyone()
        if acc.is_main_process:
            with atomic_dir(directory) as tmp:
                for staged in sorted(directory.parent.glob(_staged_rng(directory, "*").name)):
                    os.replace(staged, tmp / staged.name.removeprefix(f"{directory.name}."))
                save_file(_changing_tensors(model), str(tmp / "model.safetensors"))
                tensors, optimizer_meta = _optimizer_tensors(optimizer)
                save_file(tensors, str(tmp / "optimizer.safetensors"))
                if best_state is not None:
                    save_file({k: v.contiguous() for k, v in best_state.items()}, str(tmp / "best.safetensors"))
                scaler = getattr(acc, "scaler", None)
                (tmp / STATE).write_text(json.dumps({
                    "format": FORMAT,
                    "fingerprint": self.fingerprint,
                    "loop": asdict(loop),
                    "optimizer": optimizer_meta,
                    "scheduler": scheduler.state_dict(),
                    "scaler": scaler.state_dict() if scaler is not None else None,
                }, indent=1))
        acc.wait_for_everyone()
        acc.print(f"resume state saved at step {loop.step} -> {directory}")

    def load(self, model, optimizer, scheduler) -> Resumed | None:
        """If the directory holds this run's state, load it into model, optimizer and scheduler (and
        accelerate's gradient scaler) and return the rest; otherwise (none, another run's, unreadable)
        remove it and return None: start from the beginning."""
        resumed = self._read_and_apply(model, optimizer, scheduler)
        if resumed is None:
            self.accelerator.wait_for_everyone()  # every process has looked before it goes
            if self.accelerator.is_main_process:
                self.remove()
        return resumed

    def _read_and_apply(self, model, optimizer, scheduler) -> Resumed | None:
        from safetensors.torch import load_file

        acc, directory = self.accelerator, self.directory
        if not (directory / STATE).is_file():
            return None
        try:
            meta = json.loads((directory / STATE).read_text())
            if meta.get("format") != FORMAT or meta.get("fingerprint") != self.fingerprint:
                acc.print(f"{directory}: resume state of a different run (inputs, config or code changed); starting over")
                return None
            # Everything is read before anything is applied: an unreadable state changes nothing.
            rng = load_file(str(directory / f"rng-{acc.process_index}.safetensors"))
            weights = load_file(str(directory / "model.safetensors"))
            moments = _optimizer_state(load_file(str(directory / "optimizer.safetensors")), meta["optimizer"])
            best = directory / "best.safetensors"
            best_state = load_file(str(best)) if best.is_file() else None
            loop = LoopState(**meta["loop"])
        except Exception as err:  # noqa: BLE001 — safetensors' own error type included; nothing applied yet
            acc.print(f"{directory}: unreadable resume state ({type(err).__name__}: {err}); starting over")
            return None
        missing, unexpected = model.load_state_dict(weights, strict=False)
        # Only frozen parameters may be absent: they still hold the initial weights (fingerprinted).
        frozen = {name for name, param in model.named_parameters() if not param.requires_grad}
        if unexpected or not set(missing) <= frozen:
            raise RuntimeError(f"{directory}: resume state does not fit the model ({unexpected or missing})")
        optimizer.load_state_dict(moments)
        scheduler.load_state_dict(meta["scheduler"])
        scaler = getattr(acc, "scaler", None)
        if scaler is not None and meta["scaler"] is not None:
            scaler.load_state_dict(meta["scaler"])
        acc.step = loop.accelerator_step
        acc.print(f"resuming at step {loop.step} (epoch {loop.epoch + 1}, after batch {loop.batches_done}) from {directory}")
        return Resumed(
            loop=loop,
            best_state=best_state,
            torch_rng=rng["torch"],
            cuda_rng=[rng[k] for k in sorted((k for k in rng if k.startswith("cuda/")), key=lambda k: int(k[5:]))],
            sampler_rng=rng["sampler"],
        )

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        for staged in self.directory.parent.glob(_staged_rng(self.directory, "*").name):
            staged.unlink(missing_ok=True)
