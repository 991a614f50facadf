"""Fine-tune a sequence-pair classifier with accelerate: one loop for both X-STILTs phases.

    python stages/intermediate.py --task anli --seed 13 ...   # intermediate phase (full command: the stage)
    python stages/target.py --seed 13 ...                     # target phase
    accelerate launch --config_file configs/accelerate/ddp-1node.yaml stages/target.py ...   # many GPUs

The intermediate phase (English NLI) and the target phase (English PAWS-X) differ only in data,
labels and hyperparameters. Checkpoint selection uses English validation data only (zero-shot
transfer: target-language data is never looked at during training).

Runs on one CPU, one GPU, or many through `accelerate launch` (see README, "Scaling out").

`train_classifier` gathers its arguments into a `TrainingJob`; `_train` is the loop, in one screen:
build the model, data and optimizer; pick up an interrupted run's state (`_Resume`, over
`xstilts.resume`); train, validating `evals_per_epoch` times an epoch and keeping the best point's
weights (`_BestCheckpoint`); save that point (`_save_checkpoint`). Its helpers follow it in the
order it calls them.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from xstilts.config import TrainConfig
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
from xstilts.resume import LoopState, Resumed, ResumeState, fingerprint, resume_dir_for
from xstilts.resume import enabled as resume_enabled
from xstilts.tokencache import encode_pairs_cached


TRAINING_LOG = "training_log.json"
CURVES = ("train_loss", "validation_accuracy", "learning_rate")  # logged at every validation point


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


@dataclass(frozen=True)
class TrainingJob:
    """One `train_classifier` call's inputs and destinations (see there)."""

    init_dir: Path
    train_rows: Sequence[dict]
    validation_rows: Sequence[dict]
    labels: Sequence[str]
    cfg: TrainConfig
    seed: int
    out_dir: Path
    save_encoder_only: bool
    log_dir: Path | None  # on the main process: the temporary directory renamed to it at the end
    extra_files: Mapping[str, Any]
    resume: bool


def _fresh_classifier(init_dir: Path, labels: Sequence[str], cfg: TrainConfig):
    """The tokenizer and the encoder in `init_dir` with a fresh `len(labels)`-way head."""
    tokenizer = load_tokenizer(init_dir)
    model = load_classifier(init_dir, labels=labels)
    if cfg.freeze_word_embeddings:
        # The 250k-row multilingual vocabulary is most of the parameters; freezing it also keeps
        # the embeddings of words never seen in English training where pretraining put them.
        model.get_input_embeddings().weight.requires_grad_(False)
    if cfg.fast_dropout:
        use_fast_dropout(model)
    return tokenizer, model


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


def _scheduler(optimizer, batches_per_epoch: int, cfg: TrainConfig):
    """Linear warmup over `warmup_ratio` of the optimizer steps, then linear decay to zero."""
    from transformers import get_linear_schedule_with_warmup

    # Steps counted on the un-sharded loader; accelerate's scheduler wrapper steps once per process.
    steps_per_epoch = math.ceil(batches_per_epoch / cfg.gradient_accumulation_steps)
    total_steps = steps_per_epoch * cfg.epochs
    return get_linear_schedule_with_warmup(optimizer, round(cfg.warmup_ratio * total_steps), total_steps)


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
    job = TrainingJob(init_dir=init_dir, train_rows=train_rows, validation_rows=validation_rows, labels=labels,
                      cfg=cfg, seed=seed, out_dir=out_dir, save_encoder_only=save_encoder_only, log_dir=log_dir,
                      extra_files=extra_files or {}, resume=resume and resume_enabled())
    with contextlib.ExitStack() as stack:
        # dvclive writes its curves and metrics.json as training goes: into a temporary directory
        # (main process only; trackers live there), renamed to `log_dir` only after the checkpoint.
        if log_dir is not None and accelerator.is_main_process:
            job = replace(job, log_dir=stack.enter_context(atomic_dir(log_dir)))
        return _train(accelerator, job, started)


def _train(accelerator, job: TrainingJob, started: float) -> TrainResult:
    from accelerate.utils import set_seed

    cfg = job.cfg
    if job.log_dir is not None:
        _start_logging(accelerator, job.log_dir)
    set_seed(job.seed)  # before the model exists, so the fresh head is the same every run
    tokenizer, model = _fresh_classifier(job.init_dir, job.labels, cfg)
    train = encode_pairs_cached(tokenizer, job.train_rows, cfg.max_length)
    validation = encode_pairs_cached(tokenizer, job.validation_rows, cfg.max_length)
    train_loader = _train_loader(train, cfg, tokenizer.pad_token_id, job.seed)
    sampler_rng = train_loader.sampler.generator  # draws each epoch's batch order
    val_loader = sorted_loader(validation, cfg.eval_batch_size, tokenizer.pad_token_id)
    optimizer = _optimizer(model, cfg)
    scheduler = _scheduler(optimizer, len(train_loader), cfg)
    model, optimizer, train_loader, val_loader, scheduler = accelerator.prepare(
        model, optimizer, train_loader, val_loader, scheduler
    )

    batches = len(train_loader)
    eval_every = max(1, batches // cfg.evals_per_epoch)
    best = _BestCheckpoint(accelerator, _sharded(accelerator))
    resume = _Resume(job, accelerator, best, model=model, optimizer=optimizer, scheduler=scheduler,
                     sampler_rng=sampler_rng, batches=batches)
    start = resume.load()
    step, history, window = start.step, start.history, _Window()
    for epoch in range(start.epoch, cfg.epochs):
        skip = start.batches_done if epoch == start.epoch else 0
        if skip == 0:
            resume.restore_rng()  # before the epoch's iterator draws its seed
        epoch_start_rng = sampler_rng.get_state()
        model.train()
        for i, batch in enumerate(train_loader, start=1):
            if i <= skip:
                continue  # trained on before the interruption
            resume.restore_rng()  # after this epoch's iterator drew its seed, as before
            window.add(_train_step(accelerator, model, optimizer, scheduler, batch, cfg.max_grad_norm))
            step += 1
            if not _is_validation_point(i, batches, eval_every):
                continue
            history.append(_validate(accelerator, model, val_loader, validation.labels, scheduler, window,
                                     epoch=round(epoch + i / batches, 3), step=step))
            best.update(history[-1]["validation_accuracy"], step, model)
            resume.save(epoch, i, step, history, epoch_start_rng)
            model.train()  # validation left it in eval mode
            window = _Window()

    full_state = best.restore(model)
    accelerator.wait_for_everyone()
    result = TrainResult(best_validation_accuracy=best.acc, best_step=best.step, history=history,
                         train_examples=len(train), validation_examples=len(validation),
                         seconds=time.perf_counter() - started, resumed_at_step=resume.resumed_at_step,
                         learning=learning_check(best.acc, validation.labels, len(history)))
    accelerator.print(describe(result.learning))
    if job.log_dir is not None:
        _end_logging(accelerator, result)
    if accelerator.is_main_process:
        _save_checkpoint(accelerator, job, accelerator.unwrap_model(model), full_state, tokenizer, result)
        resume.remove()  # the checkpoint exists now
    accelerator.wait_for_everyone()
    return result


def _train_step(accelerator, model, optimizer, scheduler, batch: dict, max_grad_norm: float) -> float:
    """One batch forward and backward; the optimizer steps at the end of each accumulation window."""
    batch.pop("index")  # the collator's example index is for evaluation, not a model input
    with accelerator.accumulate(model):
        loss = model(**batch).loss
        accelerator.backward(loss)
        if accelerator.sync_gradients and max_grad_norm > 0:
            accelerator.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
    return loss.item()


def _is_validation_point(batch: int, batches: int, eval_every: int) -> bool:
    """Validate after every `eval_every` batches and at the epoch's end (batches counted from 1)."""
    if batch == batches:
        return True
    # Close to the epoch-end evaluation: skip this one.
    return batch % eval_every == 0 and batches - batch >= eval_every // 2


class _Window:
    """The training batches since the last validation point: their summed loss and when they began."""

    def __init__(self) -> None:
        self.loss, self.batches, self.started = 0.0, 0, time.perf_counter()

    def add(self, loss: float) -> None:
        self.loss += loss
        self.batches += 1


def _validate(accelerator, model, val_loader, labels: Sequence[int], scheduler, window: _Window, *,
              epoch: float, step: int) -> dict:
    """One validation point: validation accuracy and the window's training loss and speed, logged
    and printed; returns the history row."""
    elapsed = time.perf_counter() - window.started  # training time only
    acc = _accuracy(model, val_loader, accelerator, labels)
    point = {
        "epoch": epoch,
        "step": step,
        "train_loss": window.loss / max(window.batches, 1),
        "validation_accuracy": acc,
        "learning_rate": scheduler.get_last_lr()[0],
        "train_batches_per_s": window.batches / elapsed if elapsed > 0 else 0.0,
    }
    accelerator.log({k: point[k] for k in CURVES}, step=step)
    accelerator.print(f"epoch {epoch:.2f} step {step} loss {point['train_loss']:.4f} val_acc {acc:.4f}")
    return point


class _BestCheckpoint:
    """The best validation point so far: its accuracy, step and weights, copied to the CPU."""

    def __init__(self, accelerator, sharded: bool) -> None:
        self.accelerator, self.sharded = accelerator, sharded
        self.acc, self.step = -1.0, 0
        self.state: dict[str, torch.Tensor] | None = None

    def update(self, acc: float, step: int, model) -> None:
        """Keep this point's weights if it beats the best so far (the first point always does)."""
        if not acc > self.acc:  # not `<=`: a NaN accuracy (no validation data) is never kept
            return
        self.acc, self.step = acc, step
        if self.sharded:
            # Gathering is collective (every process gets here: `acc` is gathered, the same
            # everywhere); the full weights stay on the main process's CPU only. The copy guards
            # against tensors that alias the live parameters (one process).
            full = self.accelerator.get_state_dict(model)
            self.state = ({k: v.detach().to("cpu", copy=True) for k, v in full.items()}
                          if self.accelerator.is_main_process else {})
        else:
            # Only trainable tensors change; copying them alone keeps this cheap.
            unwrapped = self.accelerator.unwrap_model(model)
            self.state = {k: v.detach().to("cpu", copy=True) for k, v in unwrapped.named_parameters() if v.requires_grad}

    def restore(self, model) -> dict[str, torch.Tensor] | None:
        """Make the best weights the ones to save. Unsharded: they are copied back into the live model
        (returns None). Sharded: the best full state dict is returned, to be saved as it is; the live
        model is not restored."""
        if self.sharded:
            if self.state is None:
                self.state = self.accelerator.get_state_dict(model)  # collective, like the snapshots
            return self.state
        if self.state is not None:
            with torch.no_grad():
                params = dict(self.accelerator.unwrap_model(model).named_parameters())
                for k, v in self.state.items():
                    params[k].copy_(v)
        return None


class _Resume:
    """This run's resume state (`xstilts.resume.ResumeState`), or none where resuming is off: loaded
    into the model, optimizer, scheduler, best point and batch sampler before the loop, saved from
    them at validation points, removed once the checkpoint exists."""

    def __init__(self, job: TrainingJob, accelerator, best: _BestCheckpoint, *, model, optimizer, scheduler,
                 sampler_rng: torch.Generator, batches: int) -> None:
        self.accelerator, self.best, self.epochs, self.batches = accelerator, best, job.cfg.epochs, batches
        self.model, self.optimizer, self.scheduler, self.sampler_rng = model, optimizer, scheduler, sampler_rng
        self.saved: ResumeState | None = None
        self.pending: Resumed | None = None  # loaded, its torch random state not yet put back
        self.resumed_at_step: int | None = None
        # Sharded weights would need accelerate's own (pickled) checkpoints: no resuming there.
        if job.resume and not best.sharded:
            self.saved = ResumeState(resume_dir_for(job.out_dir), fingerprint(
                job.init_dir, job.train_rows, job.validation_rows, _settings(job, accelerator)), accelerator)

    def load(self) -> LoopState:
        """Where the loop starts: an interrupted run's last validation point, with everything loaded
        (torch's random state comes back with `restore_rng`, just before the next batch trains), or
        the beginning."""
        resumed = None
        if self.saved is not None:
            resumed = self.saved.load(self.accelerator.unwrap_model(self.model), self.optimizer, self.scheduler)
        if resumed is None:
            return LoopState(epoch=0, batches_done=0, step=0, accelerator_step=self.accelerator.step,
                             best_acc=self.best.acc, best_step=self.best.step)
        loop = resumed.loop
        self.best.acc, self.best.step, self.best.state = loop.best_acc, loop.best_step, resumed.best_state
        self.sampler_rng.set_state(resumed.sampler_rng)
        for point in loop.history:  # the curves so far, into this run's fresh dvclive directory
            self.accelerator.log({k: point[k] for k in CURVES}, step=point["step"])
        self.pending, self.resumed_at_step = resumed, loop.step
        return loop

    def restore_rng(self) -> None:
        if self.pending is not None:
            self.pending.restore_rng()
            self.pending = None

    def save(self, epoch: int, batch: int, step: int, history: list[dict], epoch_start_rng: torch.Tensor) -> None:
        """The loop's state after `batch` (counted from 1) of `epoch` (from 0); `epoch_start_rng` is
        the batch sampler's state when the epoch began, from which a rerun draws the same order."""
        epoch_done = batch == self.batches
        if self.saved is None or (epoch_done and epoch == self.epochs - 1):
            return  # after the last point comes the checkpoint itself
        loop = LoopState(epoch=epoch + epoch_done, batches_done=0 if epoch_done else batch, step=step,
                         accelerator_step=self.accelerator.step, best_acc=self.best.acc, best_step=self.best.step,
                         history=history)
        self.saved.save(loop, self.accelerator.unwrap_model(self.model), self.optimizer, self.scheduler,
                        self.best.state, self.sampler_rng.get_state() if epoch_done else epoch_start_rng)

    def remove(self) -> None:
        if self.saved is not None:
            self.saved.remove()


def _settings(job: TrainingJob, accelerator) -> dict:
    """What decides the run besides its data and initial weights: in the resume fingerprint and the
    training log."""
    return {
        "config": asdict(job.cfg),
        "seed": job.seed,
        "labels": list(job.labels),
        "processes": accelerator.num_processes,
        # What `mixed_precision: auto` became on this machine (bf16 only where it is native).
        "mixed_precision": str(accelerator.mixed_precision),
        "encoder_only": job.save_encoder_only,
    }


def _start_logging(accelerator, log_dir: Path) -> None:
    # Inside `dvc repro` the stage owns the outputs: no dvclive experiment, dvc.yaml or report.
    accelerator.init_trackers("xstilts", init_kwargs={"dvclive": {
        "dir": str(log_dir), "save_dvc_exp": False, "dvcyaml": None, "report": None}})


def _end_logging(accelerator, result: TrainResult) -> None:
    """The run's summary into dvclive's metrics.json; then the trackers close."""
    if accelerator.is_main_process:
        live = accelerator.get_tracker("dvclive", unwrap=True)
        live.summary.update(best_validation_accuracy=result.best_validation_accuracy, best_step=result.best_step,
                            seconds=round(result.seconds, 1), train_examples=result.train_examples,
                            validation_examples=result.validation_examples, processes=accelerator.num_processes,
                            learned=result.learning["learned"], chance_accuracy=result.learning["chance"],
                            learning_p_value=result.learning["p_value"])
    accelerator.end_training()


def _save_checkpoint(accelerator, job: TrainingJob, model, full_state: dict | None, tokenizer,
                     result: TrainResult) -> None:
    """The selected weights (from `full_state` where the live model holds only shards), the tokenizer,
    the training log and the extra files, into `job.out_dir` once complete (main process only)."""
    from xstilts.io import atomic_dir, write_json

    cfg = job.cfg
    with atomic_dir(job.out_dir) as tmp:
        if full_state is not None:
            save_full_state_dict(model, tmp, full_state, job.save_encoder_only, cfg.save_dtype)
        else:
            to_save = model.base_model if job.save_encoder_only else model
            if cfg.save_dtype != "float32":
                # Cast a copy: casting in place would leave the trained float32 model rounded.
                to_save = copy.deepcopy(to_save).to(getattr(torch, cfg.save_dtype))
            to_save.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_json(tmp / TRAINING_LOG, {**asdict(result), **_settings(job, accelerator), "machine": cpu_description()})
        for name, content in job.extra_files.items():
            write_json(tmp / name, content)
