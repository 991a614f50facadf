"""What each training lever buys on its own, and what it costs in accuracy.

    python bench/levers.py --prepared data/prepared/pawsx                    # speed, ~3 min on 2 cores
    python bench/levers.py --no-speed --eval-model models/target/none-s13   # evaluation levers
    python bench/levers.py --prepared data/prepared/pawsx --accuracy --train-examples 4000 \\
        --learning-rate 3e-5 --test-examples 500 --json levers.json          # + accuracy (~30 min)

Levers are switched on one at a time, cumulatively, in one process, on the same model, rows, seed
and hyperparameters (`target.train` of params.yaml unless overridden). Every configuration runs the
real `xstilts.training.train_classifier`; the two levers that are not params (how batches are
padded, the AdamW implementation) are switched by replacing `_train_loader` / `_optimizer` for that
configuration only:

    fp32 padded       float32, every batch padded to max_length in random order, all weights
                      trainable, torch dropout, per-tensor AdamW (a plain fine-tuning loop)
    + dynamic padding length-grouped batches padded to their own longest pair
    + bf16            bfloat16 autocast (accelerate mixed_precision=bf16)
    + frozen emb.     word embeddings frozen (the 250k × 384 vocabulary: 96M of 118M parameters)
    + fast dropout    xstilts.kernels: dropout masks from 16-bit slices of 64-bit draws
    + fused AdamW     one optimizer kernel for all parameters  (= the xstilts default)
    + torch.compile   train.compile: inductor through accelerate (off by default: see the numbers)

Speed: examples/s of the training loop alone (xstilts' own `train_batches_per_s`: no load,
tokenisation, validation or saving) over the epoch, and in its second half alone (the first half
includes warm-up and, for torch.compile, compilation), the share of the measured matmul
peak for the dtype used (model FLOPs = 6 × non-embedding parameters × non-padding tokens), and the
ratio to the previous row and to the first. Evaluation (--eval-model): the padded float32 loop,
then length-sorted dynamic padding, bf16 and large batches, with argmax agreement.

Accuracy (--accuracy): the default, then one lever at a time switched back (fp32, trained word
embeddings, torch dropout with per-tensor AdamW), then the default with the next seed (the
yardstick for seed noise), each trained on --train-examples for --epochs and scored on the clean
test sets of every language (a fixed subsample of --test-examples items, the same in every
language). Padding is not among them: padded positions are masked, so it cannot change the model.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import click
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import (  # noqa: E402  (the sibling bench's helpers: one definition of each)
    LABELS, LANGUAGES, ROOT, fresh_accelerate_state, matmul_flops, non_embedding_params, predict_padded, read_rows,
)

import xstilts.training as training  # noqa: E402
from xstilts.config import TrainConfig  # noqa: E402
from xstilts.evaluation import load_eval_sets, predict_sets, reference_label  # noqa: E402
from xstilts.modeling import PairCollator, encode_pairs, load_classifier, load_tokenizer  # noqa: E402
from xstilts.params import read_params  # noqa: E402
from xstilts.schema import CLEAN  # noqa: E402
from xstilts.training import train_classifier  # noqa: E402


@dataclass(frozen=True)
class Lever:
    name: str
    padded: bool = False          # pad every batch to max_length, random order (no length grouping)
    mixed_precision: str = "bf16"
    freeze_word_embeddings: bool = True
    fast_dropout: bool = True
    fused_adamw: bool = True
    compile: bool = False


LEVERS = (
    Lever("fp32 padded", padded=True, mixed_precision="no", freeze_word_embeddings=False, fast_dropout=False,
          fused_adamw=False),
    Lever("+ dynamic padding", mixed_precision="no", freeze_word_embeddings=False, fast_dropout=False,
          fused_adamw=False),
    Lever("+ bf16", freeze_word_embeddings=False, fast_dropout=False, fused_adamw=False),
    Lever("+ frozen word embeddings", fast_dropout=False, fused_adamw=False),
    Lever("+ fast dropout", fused_adamw=False),
    Lever("+ fused AdamW (xstilts default)"),
    Lever("+ torch.compile (off by default)", compile=True),
)
DEFAULT = 5  # the row that is the xstilts default (accuracy's seed repeat uses it)


def _padded_loader(pairs, cfg: TrainConfig, pad_id: int, seed: int):
    """Random batches padded to max_length: what a loop without dynamic padding does."""
    generator = torch.Generator().manual_seed(seed)
    sampler = torch.utils.data.RandomSampler(training.IndexedPairs(pairs), generator=generator)
    collate = PairCollator(pad_id, pad_to_multiple_of=cfg.max_length)  # every width rounds up to max_length
    return torch.utils.data.DataLoader(training.IndexedPairs(pairs), batch_size=cfg.batch_size, sampler=sampler,
                                       collate_fn=collate)


@contextmanager
def switched(lever: Lever):
    """Replace the loader / optimizer builders of xstilts.training for one configuration."""
    saved = training._train_loader, training._optimizer
    if lever.padded:
        training._train_loader = _padded_loader
    if not lever.fused_adamw:
        training._optimizer = lambda model, cfg: saved[1](model, cfg, fused=False)
    try:
        yield
    finally:
        training._train_loader, training._optimizer = saved


def config_for(base: TrainConfig, lever: Lever) -> TrainConfig:
    return replace(base, mixed_precision=lever.mixed_precision, freeze_word_embeddings=lever.freeze_word_embeddings,
                   fast_dropout=lever.fast_dropout, compile=lever.compile)


def train_once(model_dir: Path, train_rows, val_rows, cfg: TrainConfig, lever: Lever, seed: int, out: Path):
    fresh_accelerate_state()
    with switched(lever):
        return train_classifier(model_dir, train_rows, val_rows, list(LABELS), config_for(cfg, lever), seed, out, False)


def loop_examples_per_s(result, cfg: TrainConfig) -> tuple[float, float]:
    """Training-loop examples/s over the whole run and in its last window between validation points
    (train_classifier times each window without its validation pass; the first window includes
    warm-up and, with torch.compile, compilation)."""
    seconds, done = 0.0, 0
    for point in result.history:
        seconds += (point["step"] - done) / point["train_batches_per_s"]
        done = point["step"]
    return done * cfg.batch_size / seconds, result.history[-1]["train_batches_per_s"] * cfg.batch_size


def speed(model_dir: Path, train_rows, val_rows, cfg: TrainConfig, seed: int, work: Path,
          levers: Sequence[Lever] = LEVERS, peak: dict[str, float] | None = None) -> list[dict]:
    nonemb = non_embedding_params(load_classifier(model_dir, labels=list(LABELS)))
    tokens = sum(encode_pairs(load_tokenizer(model_dir), train_rows, cfg.max_length).lengths) * cfg.epochs
    rows = []
    for i, lever in enumerate(levers):
        result = train_once(model_dir, train_rows, val_rows, cfg, lever, seed, work / f"speed-{i}")
        eps, last = loop_examples_per_s(result, cfg)
        flops = 6 * nonemb * tokens / (len(train_rows) * cfg.epochs) * eps
        dtype = "bf16" if lever.mixed_precision == "bf16" else "fp32"
        rows.append({"lever": lever.name, "examples_per_s": eps, "last_half_examples_per_s": last, "flops_per_s": flops, "peak_dtype": dtype,
                     "peak_fraction": flops / peak[dtype] if peak else float("nan"),
                     "vs_previous": eps / rows[-1]["examples_per_s"] if rows else 1.0,
                     "vs_first": eps / rows[0]["examples_per_s"] if rows else 1.0})
        print(f"  {lever.name:<34} {eps:7.1f} ex/s (second half {last:.1f})", flush=True)
    return rows


EVAL_LEVERS = (  # (name, mixed precision, batch size); the first row is the padded float32 loop
    ("fp32 padded, batch 16, no_grad", None, 16),
    ("+ length-sorted dynamic padding", "no", 16),
    ("+ bf16", "bf16", 16),
    ("+ batch 128 (xstilts default)", "bf16", 128),
)


def eval_speed(model_dir: Path, prepared: Path, test_examples: int, max_length: int, seed: int) -> list[dict]:
    """Inference levers on the clean test sets of every language: padding and sorting, bf16, batch
    size (all under inference_mode in xstilts' `predict_sets`), with argmax agreement to the first."""
    sets = load_eval_sets(prepared / "test", None, LANGUAGES, max_examples=test_examples, seed=seed,
                          variants=[CLEAN], sample_clean=True)
    rows = [r for s in sets for r in s.rows]
    out, first = [], None
    for name, precision, batch in EVAL_LEVERS:
        fresh_accelerate_state()
        t = time.perf_counter()
        if precision is None:
            probs = predict_padded(model_dir, rows, batch, max_length)
        else:
            probs = np.concatenate(predict_sets(model_dir, sets, batch, precision, max_length))
        eps = len(rows) / (time.perf_counter() - t)
        first = probs if first is None else first
        out.append({"lever": name, "examples_per_s": eps, "vs_previous": eps / out[-1]["examples_per_s"] if out else 1.0,
                    "vs_first": eps / out[0]["examples_per_s"] if out else 1.0,
                    "argmax_agreement": float(np.mean(probs.argmax(1) == first.argmax(1)))})
        print(f"  {name:<34} {eps:7.1f} ex/s", flush=True)
    return out


def accuracy_runs(seed: int) -> list[tuple[str, Lever, int]]:
    """One lever at a time away from the default (so each row's difference is that lever's), plus
    the default with the next seed: the yardstick for what seed noise alone changes."""
    default = LEVERS[DEFAULT]
    return [
        ("xstilts default", default, seed),
        ("default but fp32", replace(default, mixed_precision="no"), seed),
        ("default but word embeddings trained", replace(default, freeze_word_embeddings=False), seed),
        ("default but torch dropout, per-tensor AdamW", replace(default, fast_dropout=False, fused_adamw=False), seed),
        ("default, next seed", default, seed + 1),
    ]


def accuracy(model_dir: Path, prepared: Path, train_rows, val_rows, cfg: TrainConfig, seed: int, work: Path,
             test_examples: int, eval_batch_size: int) -> list[dict]:
    sets = load_eval_sets(prepared / "test", None, LANGUAGES, max_examples=test_examples, seed=seed,
                          variants=[CLEAN], sample_clean=True)
    labels = [np.array([reference_label(r) for r in s.rows]) for s in sets]
    out, reference = [], None
    for i, (name, lever, run_seed) in enumerate(accuracy_runs(seed)):
        ckpt = work / f"acc-{i}"
        result = train_once(model_dir, train_rows, val_rows, cfg, lever, run_seed, ckpt)
        fresh_accelerate_state()
        probs = predict_sets(ckpt, sets, eval_batch_size, "bf16", cfg.max_length)
        preds = np.concatenate([p.argmax(axis=1) for p in probs])
        per_lang = {s.lang: float((p.argmax(axis=1) == y).mean()) for s, p, y in zip(sets, probs, labels)}
        reference = preds if reference is None else reference
        out.append({"lever": name, "seed": run_seed, "validation_accuracy": result.best_validation_accuracy,
                    "test_accuracy": per_lang, "test_mean": float(np.mean(list(per_lang.values()))),
                    "changed_vs_first": int((preds != reference).sum()), "test_pairs": int(preds.size),
                    "seconds": result.seconds})
        print(f"  {name:<34} seed {run_seed}: en {per_lang['en']:.3f} mean {out[-1]['test_mean']:.3f}", flush=True)
    return out


def table(res: dict) -> str:
    lines = []
    m = res["matmul"]
    lines.append(f"matmul 2048x2048 peak: fp32 {m['fp32'] / 1e9:.0f} GFLOP/s, bf16 {m['bf16'] / 1e9:.0f} GFLOP/s")
    lines.append(f"training loop (no load, validation or saving), {res['train_examples']} pairs x "
                 f"{res['config']['epochs']} epoch(s), batch {res['config']['batch_size']}, "
                 f"max length {res['config']['max_length']}:")
    lines.append(f"  {'configuration':<34} {'ex/s':>7} {'GFLOP/s':>8} {'of peak':>12} {'x prev':>7} {'x first':>8}"
                 f" {'2nd half':>9}")
    for r in res["speed"]:
        lines.append(f"  {r['lever']:<34} {r['examples_per_s']:7.1f} {r['flops_per_s'] / 1e9:8.0f} "
                     f"{r['peak_fraction']:7.0%} {r['peak_dtype']:>4} {r['vs_previous']:7.2f} {r['vs_first']:8.2f}"
                     f" {r['last_half_examples_per_s']:9.1f}")
    if res.get("eval_speed"):
        lines.append(f"evaluation, {res['eval_examples']} clean test pairs ({res['eval_model']}):")
        lines.append(f"  {'configuration':<34} {'ex/s':>7} {'x prev':>7} {'x first':>8} {'agree':>7}")
        for r in res["eval_speed"]:
            lines.append(f"  {r['lever']:<34} {r['examples_per_s']:7.1f} {r['vs_previous']:7.2f} {r['vs_first']:8.2f} "
                         f"{r['argmax_agreement']:7.2%}")
    if res.get("accuracy"):
        langs = list(res["accuracy"][0]["test_accuracy"])
        lines.append(f"accuracy: clean test, {res['accuracy'][0]['test_pairs'] // len(langs)} items per language "
                     f"(changed = predictions that differ from the first row)")
        lines.append(f"  {'configuration':<34} {'seed':>4} {'val':>6} " + " ".join(f"{x:>5}" for x in langs)
                     + f" {'mean':>6} {'changed':>8}")
        for r in res["accuracy"]:
            lines.append(f"  {r['lever']:<34} {r['seed']:4d} {r['validation_accuracy']:6.3f} "
                         + " ".join(f"{r['test_accuracy'][x]:5.3f}" for x in langs)
                         + f" {r['test_mean']:6.3f} {r['changed_vs_first']:8d}")
    return "\n".join(lines)


@click.command()
@click.option("--prepared", type=click.Path(path_type=Path), default=ROOT / "data/prepared/pawsx",
              help="prepared PAWS-X directory (train/, validation/, test/ as the prepare stage writes them)")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=ROOT / "models/pretrained")
@click.option("--params", "params_path", type=click.Path(path_type=Path), default=ROOT / "params.yaml")
@click.option("--speed-examples", default=512, show_default=True, help="training pairs for each speed run")
@click.option("--train-examples", default=4000, show_default=True, help="training pairs for each --accuracy run")
@click.option("--val-examples", default=500, show_default=True, help="English validation pairs (selection)")
@click.option("--epochs", type=int, default=1, show_default=True)
@click.option("--learning-rate", type=float, default=None, help="default: target.train.learning_rate")
@click.option("--accuracy/--no-accuracy", "with_accuracy", default=False, show_default=True)
@click.option("--speed/--no-speed", "with_speed", default=True, show_default=True)
@click.option("--test-examples", default=500, show_default=True, help="test items per language for --accuracy")
@click.option("--eval-model", type=click.Path(path_type=Path), default=None,
              help="a trained checkpoint for the evaluation levers (agreement is meaningful only for one)")
@click.option("--eval-examples", default=200, show_default=True, help="test items per language, evaluation levers")
@click.option("--seed", default=13, show_default=True)
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
def main(prepared, model_dir, params_path, speed_examples, train_examples, val_examples, epochs, learning_rate,
         with_accuracy, with_speed, test_examples, eval_model, eval_examples, seed, json_path):
    cfg = read_params(params_path, ["target.train"]).target.train
    cfg = replace(cfg, epochs=epochs, evals_per_epoch=1,
                  learning_rate=learning_rate if learning_rate is not None else cfg.learning_rate)
    train_rows = read_rows(prepared / "train" / "en.jsonl", max(speed_examples, train_examples))
    val_rows = read_rows(prepared / "validation" / "en.jsonl", val_examples)
    res: dict = {"machine": {"torch": torch.__version__, "threads": torch.get_num_threads()},
                 "config": asdict(cfg), "train_examples": speed_examples, "matmul": matmul_flops()}
    with tempfile.TemporaryDirectory() as tmp:
        # The speed runs validate on a handful of pairs: validation is outside the timed loop anyway.
        res["speed"] = [] if not with_speed else speed(
            model_dir, train_rows[:speed_examples], val_rows[:32], replace(cfg, evals_per_epoch=2), seed, Path(tmp),
            peak=res["matmul"])
        if eval_model is not None:
            res["eval_model"], res["eval_examples"] = str(eval_model), eval_examples * len(LANGUAGES)
            res["eval_speed"] = eval_speed(eval_model, prepared, eval_examples, cfg.max_length, seed)
        if with_accuracy:
            res["accuracy_train_examples"] = len(train_rows[:train_examples])
            res["accuracy"] = accuracy(model_dir, prepared, train_rows[:train_examples], val_rows, cfg, seed,
                                       Path(tmp), test_examples, 128)
    print(table(res))
    if json_path:
        json_path.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
