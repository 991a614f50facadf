"""Fine-tune a sequence-pair classifier with accelerate: one loop for both X-STILTs phases.

The intermediate phase (English NLI) and the target phase (English PAWS-X) differ only in data,
labels and hyperparameters. Checkpoint selection uses English validation data only (zero-shot
transfer: target-language data is never looked at during training).

Runs on one CPU, one GPU, or many through `accelerate launch` (see README, "Scaling out").
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import DataLoader

from xstilts.errors import ParamsError
from xstilts.kernels import use_fast_dropout
from xstilts.learning import describe, learning_check
from xstilts.modeling import (
    EncodedPairs,
    IndexedPairs,
    cpu_description,
    PairCollator,
    load_classifier,
    load_tokenizer,
    make_accelerator,
    predict_logits,
    sorted_loader,
)
from xstilts.resume import LoopState, ResumeState, fingerprint, resume_dir_for
from xstilts.resume import enabled as resume_enabled
from xstilts.tokencache import encode_pairs_cached


TRAINING_LOG = "training_log.json"
CURVES = ("train_loss", "validation_accuracy", "learning_rate")  # logged at every validation point


@dataclass(frozen=True)
class TrainConfig:
    """One phase's hyperparameters (`intermediate.train` / `target.train` in params.yaml)."""

    learning_rate: float = 2e-5
    epochs: int = 3
    batch_size: int = 16  # per process; effective batch = batch_size × accumulation × processes
    gradient_accumulation_steps: int = 1
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    mixed_precision: Literal["auto", "no", "fp16", "bf16"] = "no"
    freeze_word_embeddings: bool = False
    # Dropout masks from a cheaper random stream on CPU (same p; xstilts.kernels): 3x faster masks.
    fast_dropout: bool = True
    # torch.compile through accelerate: on 2 CPU cores compiling took 1-3.5 min and the compiled
    # model then trained no faster (bench/levers.py), so it is off; worth measuring on a GPU.
    compile: bool = False
    evals_per_epoch: int = 1  # validation points per epoch; the best one is kept
    eval_batch_size: int = 64
    max_length: int = 128
    # Dtype of the saved checkpoint's weights (half precision halves its size); training and
    # loading stay float32 (`load_classifier`), so this affects only the file.
    save_dtype: Literal["float32", "float16", "bfloat16"] = "float32"

    def check(self, key: str) -> None:
        positive = ("learning_rate", "epochs", "batch_size", "gradient_accumulation_steps",
                    "evals_per_epoch", "eval_batch_size", "max_length")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ParamsError(f"{key}.{name}", f"must be > 0, got {getattr(self, name)!r}")
        if not 0 <= self.warmup_ratio < 1:
            raise ParamsError(f"{key}.warmup_ratio", f"must be in [0, 1), got {self.warmup_ratio!r}")
        for name in ("weight_decay", "max_grad_norm"):
            if getattr(self, name) < 0:
                raise ParamsError(f"{key}.{name}", f"must be >= 0, got {getattr(self, name)!r}")


@dataclass
class TrainResult:
    best_validation_accuracy: float
    best_step: int
    history: list[dict]
    train_examples: int
    validation_examples: int
    seconds: float
    resumed_at_step: int | None = None  # where a rerun picked up an interrupted run (xstilts.resume)
    # Did the best held-out accuracy beat the majority-class rate? (xstilts.learning)
    learning: dict = field(default_factory=dict)


def _train_loader(pairs: EncodedPairs, cfg: TrainConfig, pad_id: int, seed: int) -> DataLoader:
    """Length-grouped shuffled batches: similar lengths share a batch, so dynamic padding wastes
    little, while the order stays random from epoch to epoch."""
    from transformers.trainer_pt_utils import LengthGroupedSampler

    generator = torch.Generator().manual_seed(seed)
    sampler = LengthGroupedSampler(cfg.batch_size, lengths=pairs.lengths, generator=generator)
    return DataLoader(
        IndexedPairs(pairs),
        batch_size=cfg.batch_size,
        sampler=sampler,
        collate_fn=PairCollator(pad_id, 8 if torch.cuda.is_available() else None),
        drop_last=False,
    )


def _optimizer(model, cfg: TrainConfig, fused: bool = True) -> torch.optim.Optimizer:
    # No weight decay on biases and LayerNorm weights (BERT's recipe).
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if param.ndim < 2 or "LayerNorm" in name or "layer_norm" in name else decay).append(param)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    # fused: one kernel for all parameters instead of ~10 small ops per tensor per step (on CPU the
    # step of e5-small's 21M trainable parameters drops from ~35 ms to ~11 ms; bench/levers.py).
    return torch.optim.AdamW(groups, lr=cfg.learning_rate, fused=fused)


def _accuracy(model, loader, accelerator, labels: Sequence[int]) -> float:
    logits = predict_logits(model, loader, accelerator, len(labels))
    return float((logits.argmax(axis=1) == np.asarray(labels)).mean())


def _sharded(accelerator) -> bool:
    """FSDP or DeepSpeed: each process holds only shards of the parameters, so weights are read
    through `Accelerator.get_state_dict` (gathered in full) instead of `named_parameters()`."""
    from accelerate.utils import DistributedType

    return accelerator.distributed_type in (DistributedType.FSDP, DistributedType.DEEPSPEED)


def save_full_state_dict(model, out_dir: Path, state_dict: dict, encoder_only: bool,
                         save_dtype: str = "float32") -> None:
    """`save_pretrained` with the weights taken from `state_dict`, the model's full state dict (as
    `Accelerator.get_state_dict` gathers it under FSDP): the same files as saving the unsharded
    model. `model` supplies the class and config only; with `encoder_only`, the base model is saved
    from the keys under its prefix (`base_model_prefix`), with the prefix stripped."""
    target = model.base_model if encoder_only else model
    if target is not model:
        prefix = model.base_model_prefix + "."
        state_dict = {k.removeprefix(prefix): v for k, v in state_dict.items() if k.startswith(prefix)}
        if not state_dict:
            raise RuntimeError(f"no {prefix}* keys in the state dict: cannot save the encoder alone")
    dtype = getattr(torch, save_dtype)
    state_dict = {k: v.to(dtype) if v.is_floating_point() else v for k, v in state_dict.items()}
    # transformers 5 writes safetensors only (no `safe_serialization` argument any more).
    target.save_pretrained(out_dir, state_dict=state_dict)
    if save_dtype != "float32":
        # save_pretrained records the dtype of the module's own (float32) parameters; record the
        # saved one instead, as saving a cast copy of an unsharded model does.
        config = copy.deepcopy(target.config)
        config.dtype = dtype
        config.save_pretrained(out_dir)


def train_classifier(
    init_dir: Path,
    train_rows: Sequence[dict],
    validation_rows: Sequence[dict],
    labels: Sequence[str],
    cfg: TrainConfig,
    seed: int,
    out_dir: Path,
    save_encoder_only: bool,
    log_dir: Path | None = None,
    extra_files: Mapping[str, Any] | None = None,
    resume: bool = True,
) -> TrainResult:
    """Fine-tune the encoder in `init_dir` with a fresh `len(labels)`-way head; keep the checkpoint
    with the best validation accuracy and save it to `out_dir` (encoder only for the intermediate
    phase: the target phase always starts with a fresh head), with `extra_files` (name -> JSON) in it.
    With `log_dir`, the curves (loss, validation accuracy, learning rate) go there through
    accelerate's dvclive tracker, for `dvc plots show` and `dvc exp show`.

    An interrupted run leaves neither `out_dir` nor `log_dir` (both are written to temporary paths
    and renamed when complete); the rerun resumes from the last validation point's saved state
    (`xstilts.resume`), unless `resume` is False or XSTILTS_RESUME=0."""
    from xstilts.io import atomic_dir
    from xstilts.modeling import check_model_dir

    check_model_dir(Path(init_dir), "the encoder to fine-tune")
    started = time.perf_counter()
    accelerator = make_accelerator(cfg.mixed_precision, cfg.gradient_accumulation_steps,
                                   log_with="dvclive" if log_dir is not None else None, compile=cfg.compile)
    with contextlib.ExitStack() as stack:
        # dvclive writes its curves and metrics.json as training goes: into a temporary directory
        # (main process only; trackers live there), renamed to `log_dir` only after the checkpoint.
        if log_dir is not None and accelerator.is_main_process:
            log_dir = stack.enter_context(atomic_dir(log_dir))
        return _train(accelerator, started, init_dir, train_rows, validation_rows, labels, cfg, seed, out_dir,
                      save_encoder_only, log_dir, extra_files or {}, resume and resume_enabled())


def _train(accelerator, started: float, init_dir: Path, train_rows: Sequence[dict], validation_rows: Sequence[dict],
           labels: Sequence[str], cfg: TrainConfig, seed: int, out_dir: Path, save_encoder_only: bool,
           log_dir: Path | None, extra_files: Mapping[str, Any], resume: bool) -> TrainResult:
    from accelerate.utils import set_seed
    from transformers import get_linear_schedule_with_warmup

    from xstilts.io import atomic_dir, write_json

    if log_dir is not None:
        # Inside `dvc repro` the stage owns the outputs: no dvclive experiment, dvc.yaml or report.
        accelerator.init_trackers("xstilts", init_kwargs={"dvclive": {
            "dir": str(log_dir), "save_dvc_exp": False, "dvcyaml": None, "report": None}})
    set_seed(seed)  # before the model exists, so the fresh head is the same every run
    tokenizer = load_tokenizer(init_dir)
    model = load_classifier(init_dir, labels=labels)
    if cfg.freeze_word_embeddings:
        # The 250k-row multilingual vocabulary is most of the parameters; freezing it also keeps
        # the embeddings of words never seen in English training where pretraining put them.
        model.get_input_embeddings().weight.requires_grad_(False)
    if cfg.fast_dropout:
        use_fast_dropout(model)

    train = encode_pairs_cached(tokenizer, train_rows, cfg.max_length)
    validation = encode_pairs_cached(tokenizer, validation_rows, cfg.max_length)
    train_loader = _train_loader(train, cfg, tokenizer.pad_token_id, seed)
    sampler_rng = train_loader.sampler.generator  # draws each epoch's batch order
    val_loader = sorted_loader(validation, cfg.eval_batch_size, tokenizer.pad_token_id)

    optimizer = _optimizer(model, cfg)
    # Steps counted on the un-sharded loader; accelerate's scheduler wrapper steps once per process.
    steps_per_epoch = math.ceil(len(train_loader) / cfg.gradient_accumulation_steps)
    total_steps = steps_per_epoch * cfg.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, round(cfg.warmup_ratio * total_steps), total_steps)
    model, optimizer, train_loader, val_loader, scheduler = accelerator.prepare(
        model, optimizer, train_loader, val_loader, scheduler
    )

    eval_every = max(1, len(train_loader) // cfg.evals_per_epoch)
    history: list[dict] = []
    best_acc, best_step, best_state = -1.0, 0, None
    sharded = _sharded(accelerator)
    step = start_epoch = skip = 0
    resumed = saved = None
    # Sharded weights would need accelerate's own (pickled) checkpoints: no resuming there.
    if resume and not sharded:
        saved = ResumeState(resume_dir_for(out_dir), fingerprint(init_dir, train_rows, validation_rows, {
            "config": asdict(cfg), "seed": seed, "labels": list(labels), "encoder_only": save_encoder_only,
            "processes": accelerator.num_processes, "mixed_precision": str(accelerator.mixed_precision)}), accelerator)
        resumed = saved.load(accelerator.unwrap_model(model), optimizer, scheduler)
    if resumed is not None:
        loop = resumed.loop
        step, start_epoch, skip, history = loop.step, loop.epoch, loop.batches_done, loop.history
        best_acc, best_step, best_state = loop.best_acc, loop.best_step, resumed.best_state
        sampler_rng.set_state(resumed.sampler_rng)
        for point in history:  # the curves so far, into this run's fresh dvclive directory
            accelerator.log({k: point[k] for k in CURVES}, step=point["step"])
    pending_rng = resumed  # torch's random state is put back just before the next batch trains

    running_loss, running_n, window_start = 0.0, 0, time.perf_counter()
    for epoch in range(start_epoch, cfg.epochs):
        if pending_rng is not None and skip == 0:
            pending_rng.restore_rng()  # before the epoch's iterator draws its seed
            pending_rng = None
        epoch_start_rng = sampler_rng.get_state()
        model.train()
        for i, batch in enumerate(train_loader, start=1):
            if i <= skip:
                continue  # trained on before the interruption
            if pending_rng is not None:
                pending_rng.restore_rng()  # after this epoch's iterator drew its seed, as before
                pending_rng = None
            batch.pop("index")
            with accelerator.accumulate(model):
                loss = model(**batch).loss
                accelerator.backward(loss)
                if accelerator.sync_gradients and cfg.max_grad_norm > 0:
                    accelerator.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            running_loss += loss.item()
            running_n += 1
            step += 1
            if i % eval_every == 0 or i == len(train_loader):
                if i != len(train_loader) and len(train_loader) - i < eval_every // 2:
                    continue  # the epoch-end evaluation is close: skip this one
                elapsed = time.perf_counter() - window_start  # training time only
                acc = _accuracy(model, val_loader, accelerator, validation.labels)
                history.append({
                    "epoch": round(epoch + i / len(train_loader), 3),
                    "step": step,
                    "train_loss": running_loss / max(running_n, 1),
                    "validation_accuracy": acc,
                    "learning_rate": scheduler.get_last_lr()[0],
                    "train_batches_per_s": running_n / elapsed if elapsed > 0 else 0.0,
                })
                accelerator.log({k: history[-1][k] for k in CURVES}, step=step)
                accelerator.print(
                    f"epoch {history[-1]['epoch']:.2f} step {step} loss {history[-1]['train_loss']:.4f} "
                    f"val_acc {acc:.4f}"
                )
                if acc > best_acc:
                    best_acc, best_step = acc, step
                    if sharded:
                        # Gathering is collective (every process gets here: `acc` is gathered, the
                        # same everywhere); the full weights stay on the main process's CPU only. The
                        # copy guards against tensors that alias the live parameters (one process).
                        full = accelerator.get_state_dict(model)
                        best_state = ({k: v.detach().to("cpu", copy=True) for k, v in full.items()}
                                      if accelerator.is_main_process else {})
                        del full
                    else:
                        # Only trainable tensors change; copying them alone keeps this cheap.
                        unwrapped = accelerator.unwrap_model(model)
                        best_state = {k: v.detach().to("cpu", copy=True) for k, v in unwrapped.named_parameters() if v.requires_grad}
                epoch_done = i == len(train_loader)
                if saved is not None and not (epoch_done and epoch == cfg.epochs - 1):
                    saved.save(LoopState(epoch=epoch + epoch_done, batches_done=0 if epoch_done else i, step=step,
                                         accelerator_step=accelerator.step, best_acc=best_acc, best_step=best_step,
                                         history=history),
                               accelerator.unwrap_model(model), optimizer, scheduler, best_state,
                               sampler_rng.get_state() if epoch_done else epoch_start_rng)
                model.train()
                running_loss, running_n, window_start = 0.0, 0, time.perf_counter()
        skip = 0

    unwrapped = accelerator.unwrap_model(model)
    if sharded:
        # Sharded: the best full state dict is saved as it is; the live model is not restored.
        if best_state is None:
            best_state = accelerator.get_state_dict(model)  # collective, like the snapshots
    elif best_state is not None:
        with torch.no_grad():
            params = dict(unwrapped.named_parameters())
            for k, v in best_state.items():
                params[k].copy_(v)
    accelerator.wait_for_everyone()
    result = TrainResult(
        best_validation_accuracy=best_acc,
        best_step=best_step,
        history=history,
        train_examples=len(train),
        validation_examples=len(validation),
        seconds=time.perf_counter() - started,
        resumed_at_step=resumed.loop.step if resumed is not None else None,
        learning=learning_check(best_acc, validation.labels, len(history)),
    )
    accelerator.print(describe(result.learning))
    if log_dir is not None:
        if accelerator.is_main_process:
            live = accelerator.get_tracker("dvclive", unwrap=True)
            live.summary.update(best_validation_accuracy=best_acc, best_step=best_step, seconds=round(result.seconds, 1),
                                train_examples=len(train), validation_examples=len(validation),
                                processes=accelerator.num_processes, learned=result.learning["learned"],
                                chance_accuracy=result.learning["chance"],
                                learning_p_value=result.learning["p_value"])
        accelerator.end_training()
    if accelerator.is_main_process:
        with atomic_dir(out_dir) as tmp:
            if sharded:
                save_full_state_dict(unwrapped, tmp, best_state, save_encoder_only, cfg.save_dtype)
            else:
                to_save = unwrapped.base_model if save_encoder_only else unwrapped
                if cfg.save_dtype != "float32":
                    # Cast a copy: casting in place would leave the trained float32 model rounded.
                    to_save = copy.deepcopy(to_save).to(getattr(torch, cfg.save_dtype))
                to_save.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            write_json(tmp / TRAINING_LOG, {
                **asdict(result),
                "config": asdict(cfg),
                "seed": seed,
                "labels": list(labels),
                "processes": accelerator.num_processes,
                # What `mixed_precision: auto` became on this machine (bf16 only where it is native).
                "mixed_precision": str(accelerator.mixed_precision),
                "encoder_only": save_encoder_only,
                "machine": cpu_description(),
            })
            for name, content in extra_files.items():
                write_json(tmp / name, content)
        if saved is not None:
            saved.remove()  # the checkpoint exists now
    accelerator.wait_for_everyone()
    return result


