"""Throughput of xstilts's training, evaluation, perturbation and DVC calls against plain baselines.

    python bench/throughput.py --json /tmp/throughput.json
    python bench/throughput.py --eval-model models/target/none-s13 --skip training --skip perturbation --skip dvc

One process, one fixed seed, the same model, rows and hyperparameters on both sides:

(a) training: `xstilts.training.train_classifier` (dynamic padding, length-grouped batches, the
    `target.train` mixed precision and frozen word embeddings of params.yaml) against two
    `transformers.Trainer`s, all weights trainable: the naive one (float32, every pair padded to
    max_length, random batches) and a careful one (bf16 where the CPU computes it natively,
    train_sampling_strategy="group_by_length", DataCollatorWithPadding). All three start from the
    same weights (same seed before the fresh head). Wall
    time of the whole call: for xstilts model + tokenizer load, tokenisation, one epoch, ONE
    validation pass over a tiny validation set (--val-examples) and saving the checkpoint; for the
    Trainer model load, tokenisation, building the Trainer and `train()` (no evaluation, no saving).
    The loop-only rates (xstilts' own `train_batches_per_s`, the Trainer's `train_runtime`) are
    printed beside them. FLOPs ≈ 6 × non-embedding parameters × tokens (the word-embedding lookup
    does no matmul): non-padding tokens for xstilts and the careful Trainer, padded tokens
    (n × max_length) for the naive one.
(b) evaluation: `xstilts.evaluation.predict_sets` (length-sorted batches of eval.batch_size,
    inference mode, eval.mixed_precision) against a float32 `torch.no_grad` loop over batches padded
    to max_length, on the clean test rows of every language, with the checkpoint trained in (a) or
    --eval-model (a trained target checkpoint makes the argmax agreement meaningful: one epoch on
    256 pairs may leave a near-constant classifier, which agrees trivially).
(c) perturbation: `xstilts.perturb.pipeline.run_family` (what the perturb stage's `write_family`
    runs, minus file I/O) per family of params.yaml, on the prepared test rows: pairs/second.
(d) `dvc repro` (no-op: skipped unless `dvc status` says up to date) against `dvc status`.
(e) tokenisation: plain `xstilts.modeling.encode_pairs` against `xstilts.tokencache.encode_pairs_cached`
    with a cold and then a warm cache (a fresh temporary cache folder, so the user's cache is never
    read), on all prepared English train rows (--train-examples with --quick) and the clean test rows
    of every language (--eval-examples), with the --model tokenizer: pairs/second, warm/plain ratio.
Plus the CPU model and flags, the measured 2048×2048 matmul FLOP/s (fp32, bf16), the share of it
training and evaluation reach, and the peak resident memory.
"""

from __future__ import annotations

import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import click
import numpy as np
import torch

from xstilts.config import TrainConfig
from xstilts.evaluation import EvalSet, predict_sets
from xstilts.io import read_jsonl
from xstilts.modeling import encode_pairs, load_classifier, load_tokenizer, resolve_mixed_precision
from xstilts.params import read_params
from xstilts.schema import CLEAN, LANGUAGES
from xstilts.training import train_classifier

LABELS = ("not_paraphrase", "paraphrase")
ROOT = Path(__file__).resolve().parents[1]


def read_rows(path: Path, limit: int = 0) -> list[dict]:
    rows = [r for _, r in read_jsonl(path)]
    return rows[:limit] if limit else rows


def fresh_accelerate_state() -> None:
    """Forget accelerate's process-wide state: the first Accelerator fixes mixed precision for the
    whole process (a Trainer after xstilts would silently inherit bf16 autocast, and predict_sets
    after the Trainer would refuse bf16). Each pipeline stage is its own process; so is each side here."""
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=True)


def cpu_facts() -> dict:
    """The CPU model, the flags that decide the kernels (bf16/AMX/AVX-512/AVX2) and torch's threads."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    model = re.search(r"model name\s*:\s*(.*)", info)
    flags = set(m.group(1).split()) if (m := re.search(r"flags\s*:\s*(.*)", info)) else set()
    return {"cpu": model.group(1) if model else "unknown", "threads": torch.get_num_threads(),
            "flags": sorted(flags & {"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_vnni"})}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def non_embedding_params(model) -> int:
    emb = {id(p) for p in model.get_input_embeddings().parameters()}
    return sum(p.numel() for p in model.parameters() if id(p) not in emb)


# --- matmul peak -------------------------------------------------------------------------------

def matmul_flops(n: int = 2048, repeats: int = 5) -> dict[str, float]:
    """Best-of-`repeats` FLOP/s of an n×n matmul (2n³ FLOPs) in float32 and bfloat16."""
    out = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
        torch.matmul(a, b)  # warm-up
        best = math.inf
        for _ in range(repeats):
            t = time.perf_counter()
            torch.matmul(a, b)
            best = min(best, time.perf_counter() - t)
        out[name] = 2 * n**3 / best
    return out


# --- (a) training ------------------------------------------------------------------------------

def train_xstilts(model_dir: Path, train_rows, val_rows, cfg: TrainConfig, seed: int, out_dir: Path) -> dict:
    fresh_accelerate_state()
    t = time.perf_counter()
    result = train_classifier(model_dir, train_rows, val_rows, list(LABELS), cfg, seed, out_dir, False)
    seconds = time.perf_counter() - t
    tokens = sum(encode_pairs(load_tokenizer(model_dir), train_rows, cfg.max_length).lengths) * cfg.epochs
    n = len(train_rows) * cfg.epochs
    loop_batches_per_s = result.history[-1]["train_batches_per_s"] if len(result.history) == 1 else float("nan")
    return {"seconds": seconds, "examples": n, "examples_per_s": n / seconds, "tokens": tokens,
            "loop_examples_per_s": loop_batches_per_s * n / math.ceil(len(train_rows) / cfg.batch_size) / cfg.epochs
            if len(result.history) == 1 else float("nan"),
            "dtype": resolve_mixed_precision(cfg.mixed_precision), "frozen_word_embeddings": cfg.freeze_word_embeddings,
            "peak_rss_mb": peak_rss_mb()}


class _Pairs(torch.utils.data.Dataset):
    """Tokenised pairs and labels: padded to max_length (naive) or not (the collator pads each batch)."""

    def __init__(self, enc, labels):
        self.enc, self.labels = enc, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"input_ids": self.enc["input_ids"][i], "attention_mask": self.enc["attention_mask"][i],
                "labels": self.labels[i]}


def pad_to_max(tokenizer, rows, max_length: int):
    return tokenizer([r["sentence1"] for r in rows], [r["sentence2"] for r in rows], truncation="longest_first",
                     max_length=max_length, padding="max_length", return_token_type_ids=False)


def train_hf_trainer(model_dir: Path, train_rows, cfg: TrainConfig, seed: int, out_dir: Path,
                     careful: bool = False) -> dict:
    """A `transformers.Trainer`, every weight trainable.

    naive (careful=False): float32, every pair padded to max_length, random batches
    (train_sampling_strategy="random", transformers 5's replacement of group_by_length=False).
    careful: what a careful user sets up: bf16 autocast where the CPU computes it natively (float32
    elsewhere, as xstilts' `auto`), batches of similar length (train_sampling_strategy=
    "group_by_length") padded only to their longest pair (DataCollatorWithPadding)."""
    from accelerate.utils import set_seed
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments, default_data_collator

    fresh_accelerate_state()
    t = time.perf_counter()
    set_seed(seed)  # as train_classifier does before loading: the same fresh head
    tokenizer = load_tokenizer(model_dir)
    model = load_classifier(model_dir, labels=list(LABELS))
    labels = [int(r["label"]) for r in train_rows]
    bf16 = careful and resolve_mixed_precision("auto") == "bf16"
    if careful:
        enc = tokenizer([r["sentence1"] for r in train_rows], [r["sentence2"] for r in train_rows],
                        truncation="longest_first", max_length=cfg.max_length, return_token_type_ids=False)
        data, collator = _Pairs(enc, labels), DataCollatorWithPadding(tokenizer)
        tokens = sum(len(ids) for ids in enc["input_ids"]) * cfg.epochs  # non-padding, as xstilts counts
    else:
        data, collator = _Pairs(pad_to_max(tokenizer, train_rows, cfg.max_length), labels), default_data_collator
        tokens = len(train_rows) * cfg.max_length * cfg.epochs
    steps = math.ceil(len(train_rows) / cfg.batch_size) * cfg.epochs
    args = TrainingArguments(
        output_dir=str(out_dir), per_device_train_batch_size=cfg.batch_size, num_train_epochs=cfg.epochs,
        learning_rate=cfg.learning_rate, weight_decay=cfg.weight_decay, max_grad_norm=cfg.max_grad_norm,
        warmup_steps=round(cfg.warmup_ratio * steps), seed=seed, use_cpu=not torch.cuda.is_available(),
        eval_strategy="no", save_strategy="no", logging_strategy="no", report_to="none", disable_tqdm=True,
        dataloader_num_workers=0, train_sampling_strategy="group_by_length" if careful else "random",
        bf16=bf16, fp16=False,
    )
    trainer = Trainer(model=model, args=args, train_dataset=data, data_collator=collator)
    autocast = trainer.accelerator.mixed_precision
    if autocast != ("bf16" if bf16 else "no"):
        raise RuntimeError(f"the Trainer baseline must run in {'bf16' if bf16 else 'float32'}, its accelerator says {autocast!r}")
    metrics = trainer.train().metrics
    seconds = time.perf_counter() - t
    n = len(train_rows) * cfg.epochs
    return {"seconds": seconds, "examples": n, "examples_per_s": n / seconds, "tokens": tokens,
            "loop_examples_per_s": n / metrics["train_runtime"], "dtype": "bf16" if bf16 else "fp32",
            "frozen_word_embeddings": False, "peak_rss_mb": peak_rss_mb()}


def training_bench(model_dir: Path, train_rows, val_rows, cfg: TrainConfig, seed: int, work: Path,
                   peak: dict[str, float]) -> dict:
    nonemb = non_embedding_params(load_classifier(model_dir, labels=list(LABELS)))
    xs = train_xstilts(model_dir, train_rows, val_rows, cfg, seed, work / "xstilts")
    hf = train_hf_trainer(model_dir, train_rows, cfg, seed, work / "trainer")
    careful = train_hf_trainer(model_dir, train_rows, cfg, seed, work / "careful", careful=True)
    for r in (xs, hf, careful):
        r["model_flops"] = 6 * nonemb * r["tokens"]
        r["flops_per_s"] = r["model_flops"] / r["seconds"]
        key = "bf16" if r["dtype"] == "bf16" else "fp32"
        r["peak_fraction"] = r["flops_per_s"] / peak[key] if peak else float("nan")
        r["peak_dtype"] = key
    return {"xstilts": xs, "trainer": hf, "careful_trainer": careful,
            "ratio": ratio(xs["examples_per_s"], hf["examples_per_s"]),
            "loop_ratio": ratio(xs["loop_examples_per_s"], hf["loop_examples_per_s"]),
            "careful_ratio": ratio(xs["examples_per_s"], careful["examples_per_s"]),
            "careful_loop_ratio": ratio(xs["loop_examples_per_s"], careful["loop_examples_per_s"]),
            "non_embedding_params": nonemb, "checkpoint": str(work / "xstilts")}


# --- (b) evaluation ----------------------------------------------------------------------------

@torch.no_grad()
def predict_padded(model_dir: Path, rows, batch_size: int, max_length: int) -> np.ndarray:
    tokenizer = load_tokenizer(model_dir)
    model = load_classifier(model_dir).eval()
    enc = pad_to_max(tokenizer, rows, max_length)
    ids, mask = torch.tensor(enc["input_ids"]), torch.tensor(enc["attention_mask"])
    out = [model(input_ids=ids[i:i + batch_size], attention_mask=mask[i:i + batch_size]).logits.float()
           for i in range(0, len(rows), batch_size)]
    return torch.softmax(torch.cat(out), dim=1).numpy()


def eval_bench(model_dir: Path, sets: Sequence[EvalSet], batch_size: int, mixed_precision: str,
               baseline_batch: int, max_length: int, peak: dict[str, float] | None = None) -> dict:
    rows = [r for s in sets for r in s.rows]
    model = load_classifier(model_dir)
    flops = 2 * non_embedding_params(model) * sum(encode_pairs(load_tokenizer(model_dir), rows, max_length).lengths)
    del model
    fresh_accelerate_state()
    t = time.perf_counter()
    xs = np.concatenate(predict_sets(model_dir, sets, batch_size, mixed_precision, max_length))
    xs_s = time.perf_counter() - t
    t = time.perf_counter()
    base = predict_padded(model_dir, rows, baseline_batch, max_length)
    base_s = time.perf_counter() - t
    n = len(rows)
    return {"examples": n, "xstilts_seconds": xs_s, "baseline_seconds": base_s,
            "xstilts_examples_per_s": n / xs_s, "baseline_examples_per_s": n / base_s,
            "ratio": ratio(n / xs_s, n / base_s), "argmax_agreement": float(np.mean(xs.argmax(1) == base.argmax(1))),
            "max_prob_diff": float(np.abs(xs - base).max()), "xstilts_batch": batch_size,
            # A near-constant classifier agrees trivially: show how balanced its predictions are.
            "predicted_positive_share": float(np.mean(xs.argmax(1) == 1)), "model": str(model_dir),
            "xstilts_dtype": resolve_mixed_precision(mixed_precision), "baseline_batch": baseline_batch,
            # Model FLOPs (2 x non-embedding params x non-padding tokens) over the whole call (model
            # load and tokenisation included; bench/op_profile.py times the forward passes alone).
            "xstilts_flops_per_s": flops / xs_s,
            "xstilts_peak_fraction": flops / xs_s / peak["bf16" if resolve_mixed_precision(mixed_precision) == "bf16"
                                                          else "fp32"] if peak else float("nan")}


# --- (c) perturbation --------------------------------------------------------------------------

def perturb_bench(families: dict, prepared: Path | None, languages: Sequence[str],
                  test_by_lang: dict | None = None, validation_by_lang: dict | None = None) -> dict:
    """Pairs/second of `run_family` per family on the test rows of `languages` (input read beforehand)."""
    from xstilts.perturb.pipeline import SPLITS, family_params, get_family, run_family
    from xstilts.schema import prepared_file, read_prepared

    out = {}
    for name, raw in families.items():
        fam = get_family(name)
        parsed = family_params(fam, raw)
        needed = list(dict.fromkeys([*languages, *(o for lang in languages for o in fam.needs_languages(parsed, lang))]))
        if test_by_lang is None:
            data = {s: {lang: read_prepared(prepared_file(prepared, s, lang)) for lang in needed} for s in SPLITS}
            test, val = data["test"], data["validation"]
        else:
            test, val = test_by_lang, validation_by_lang
        t = time.perf_counter()
        run = run_family(name, parsed, test, val, languages)
        seconds = time.perf_counter() - t
        pairs = sum(len(v) for v in run.records.values())
        out[name] = {"pairs": pairs, "seconds": seconds, "pairs_per_s": pairs / seconds,
                     "changed": run.quality["overall"]["changed"]}
    return out


# --- (d) dvc -----------------------------------------------------------------------------------

def dvc_bench(project: Path) -> dict:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")

    def timed(*args):
        t = time.perf_counter()
        proc = subprocess.run(["dvc", *args], cwd=project, env=env, capture_output=True, text=True)
        return time.perf_counter() - t, proc

    status_s, status = timed("status")
    text = (status.stdout + status.stderr).strip()
    if status.returncode != 0 or "up to date" not in text:
        return {"status_seconds": status_s, "repro_seconds": None, "ratio": None,
                "skipped": f"dvc status is not clean, `dvc repro` would run stages: {text[:300]}"}
    repro_s, repro = timed("repro")
    if repro.returncode != 0:
        raise click.ClickException(f"dvc repro failed: {repro.stderr[-500:]}")
    return {"status_seconds": status_s, "repro_seconds": repro_s, "ratio": ratio(repro_s, status_s),
            "repro_output": repro.stdout.strip().splitlines()[-1:]}


# --- (e) tokenisation --------------------------------------------------------------------------

def tokenization_bench(model_dir: Path, row_sets: dict[str, list[dict]], max_length: int) -> dict:
    """Per row set: plain encode_pairs, then encode_pairs_cached cold (tokenise + hash + write) and
    warm (hash + read) in a fresh temporary cache; all three results must be identical."""
    from xstilts.tokencache import SUBDIR, encode_pairs_cached

    tokenizer = load_tokenizer(model_dir)
    first = next(iter(row_sets.values()))
    encode_pairs(tokenizer, first[:8], max_length)  # warm-up: the first call sets up the backend
    out: dict = {}
    with tempfile.TemporaryDirectory() as cache:
        for name, rows in row_sets.items():
            seconds, results = {}, {}
            for side in ("plain", "cold", "warm"):
                t = time.perf_counter()
                results[side] = (encode_pairs(tokenizer, rows, max_length) if side == "plain"
                                 else encode_pairs_cached(tokenizer, rows, max_length, cache_dir=cache))
                seconds[side] = time.perf_counter() - t
            if not results["plain"] == results["cold"] == results["warm"]:
                raise RuntimeError(f"tokenisation cache: {name}: cached pairs differ from encode_pairs")
            n = len(rows)
            out[name] = {"pairs": n, **{f"{k}_seconds": v for k, v in seconds.items()},
                         **{f"{k}_pairs_per_s": n / v for k, v in seconds.items()},
                         "warm_ratio": ratio(seconds["plain"], seconds["warm"]),
                         "cold_ratio": ratio(seconds["plain"], seconds["cold"])}
        out["cache_mb"] = sum(f.stat().st_size for f in (Path(cache) / SUBDIR).glob("*.npz")) / 1e6
    return out


# --- report ------------------------------------------------------------------------------------

def table(res: dict) -> str:
    lines = []
    if "machine" in res:
        m = res["machine"]
        lines.append(f"{m['cpu']} ({', '.join(m['flags'])}), {m['threads']} threads")
    if "matmul" in res:
        m = res["matmul"]
        lines.append(f"matmul 2048x2048 peak: fp32 {m['fp32'] / 1e9:.1f} GFLOP/s, bf16 {m['bf16'] / 1e9:.1f} GFLOP/s")
    if "training" in res:
        tr = res["training"]
        lines += ["", f"(a) training  {tr['xstilts']['examples']} pairs, non-embedding params {tr['non_embedding_params'] / 1e6:.1f}M",
                  f"  {'':15} {'dtype':5} {'ex/s':>7} {'loop ex/s':>9} {'seconds':>8} {'tokens':>8} {'GFLOP/s':>8} {'of peak':>8} {'peak RSS':>9}"]
        for name in ("xstilts", "trainer", "careful_trainer"):
            r = tr[name]
            lines.append(f"  {name:15} {r['dtype']:5} {r['examples_per_s']:7.2f} {r['loop_examples_per_s']:9.2f} "
                         f"{r['seconds']:8.1f} {r['tokens']:8d} {r['flops_per_s'] / 1e9:8.1f} "
                         f"{r['peak_fraction']:7.1%} {r['peak_rss_mb']:7.0f}MB")
        lines.append(f"  ratio xstilts/Trainer: {tr['ratio']:.2f}x whole call, {tr['loop_ratio']:.2f}x loop only; "
                     f"xstilts/careful Trainer: {tr['careful_ratio']:.2f}x, {tr['careful_loop_ratio']:.2f}x loop only")
    if "evaluation" in res:
        e = res["evaluation"]
        lines += ["", f"(b) evaluation  {e['examples']} pairs",
                  f"  xstilts predict_sets ({e['xstilts_dtype']}, batch {e['xstilts_batch']}, sorted): "
                  f"{e['xstilts_examples_per_s']:.1f} ex/s ({e['xstilts_seconds']:.1f} s), "
                  f"{e['xstilts_flops_per_s'] / 1e9:.1f} GFLOP/s = {e['xstilts_peak_fraction']:.1%} of peak (whole call)",
                  f"  plain loop (fp32, batch {e['baseline_batch']}, padded): "
                  f"{e['baseline_examples_per_s']:.1f} ex/s ({e['baseline_seconds']:.1f} s)",
                  f"  ratio {e['ratio']:.2f}x, argmax agreement {e['argmax_agreement']:.2%}, "
                  f"largest probability difference {e['max_prob_diff']:.4f}",
                  f"  model {e['model']}, predicts class 1 for {e['predicted_positive_share']:.1%} of pairs"]
    if "perturbation" in res:
        lines += ["", "(c) perturbation (run_family, test rows)", f"  {'family':15} {'pairs':>6} {'seconds':>8} {'pairs/s':>9} {'changed':>8}"]
        for name, r in res["perturbation"].items():
            lines.append(f"  {name:15} {r['pairs']:6d} {r['seconds']:8.2f} {r['pairs_per_s']:9.1f} {r['changed']:8d}")
    if "dvc" in res:
        d = res["dvc"]
        if d.get("skipped"):
            lines += ["", f"(d) dvc status {d['status_seconds']:.1f} s; repro skipped: {d['skipped']}"]
        else:
            lines += ["", f"(d) dvc: no-op repro {d['repro_seconds']:.1f} s, status {d['status_seconds']:.1f} s, "
                          f"ratio {d['ratio']:.2f}x"]
    if "tokenization" in res:
        tk = res["tokenization"]
        lines += ["", f"(e) tokenisation (pairs/s; cache files {tk['cache_mb']:.1f} MB)",
                  f"  {'rows':22} {'pairs':>6} {'plain':>9} {'cold':>9} {'warm':>9} {'warm/plain':>10} {'cold/plain':>10}"]
        for name, r in tk.items():
            if name != "cache_mb":
                lines.append(f"  {name:22} {r['pairs']:6d} {r['plain_pairs_per_s']:9.0f} {r['cold_pairs_per_s']:9.0f} "
                             f"{r['warm_pairs_per_s']:9.0f} {r['warm_ratio']:9.2f}x {r['cold_ratio']:9.2f}x")
    lines += ["", f"peak RSS of the process: {res['peak_rss_mb']:.0f} MB"]
    return "\n".join(lines)


@click.command()
@click.option("--prepared", type=click.Path(path_type=Path, exists=True), default=ROOT / "data/prepared/pawsx",
              show_default=True, help="prepared PAWS-X: {train,validation,test}/<lang>.jsonl")
@click.option("--model", "model_dir", type=click.Path(path_type=Path, exists=True), default=ROOT / "models/pretrained",
              show_default=True)
@click.option("--params", "params_path", type=click.Path(path_type=Path, exists=True), default=ROOT / "params.yaml",
              show_default=True, help="target.train, eval and perturb.families come from here")
@click.option("--train-examples", type=int, default=256, show_default=True)
@click.option("--val-examples", type=int, default=16, show_default=True, help="xstilts's one validation pass")
@click.option("--batch-size", type=int, default=16, show_default=True)
@click.option("--max-length", type=int, default=128, show_default=True)
@click.option("--epochs", type=int, default=1, show_default=True)
@click.option("--eval-examples", type=int, default=0, show_default=True, help="test pairs per language (0 = all)")
@click.option("--eval-model", type=click.Path(path_type=Path, exists=True), default=None,
              help="checkpoint for (b), e.g. models/target/none-s13 (default: the one trained in (a))")
@click.option("--eval-baseline-batch", type=int, default=32, show_default=True)
@click.option("--project", type=click.Path(path_type=Path, exists=True), default=ROOT, show_default=True,
              help="DVC project for (d)")
@click.option("--skip", multiple=True, type=click.Choice(["training", "evaluation", "perturbation", "dvc", "tokenization"]))
@click.option("--quick", is_flag=True, help="tiny sizes: 32 training pairs, 8 test pairs per language, max length 64")
@click.option("--seed", type=int, default=13, show_default=True)
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
def main(prepared, model_dir, params_path, train_examples, val_examples, batch_size, max_length, epochs,
         eval_examples, eval_model, eval_baseline_batch, project, skip, quick, seed, json_path) -> None:
    if quick:
        train_examples, val_examples, max_length, eval_examples = 32, 8, 64, 8
    torch.manual_seed(seed)
    params = read_params(params_path, ["languages", "target.train", "eval", "perturb.families"])
    cfg = replace(params.target.train, epochs=epochs, batch_size=batch_size,
                  max_length=max_length, evals_per_epoch=1, save_dtype="float32")
    res: dict = {"config": {**asdict(cfg), "seed": seed, "model": str(model_dir), "prepared": str(prepared),
                            "torch_threads": torch.get_num_threads()}}
    res["machine"] = cpu_facts()
    res["matmul"] = matmul_flops()
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = None
        if "training" not in skip:
            train_rows = read_rows(prepared / "train/en.jsonl", train_examples)
            val_rows = read_rows(prepared / "validation/en.jsonl", val_examples)
            res["training"] = training_bench(model_dir, train_rows, val_rows, cfg, seed, Path(tmp), res["matmul"])
            checkpoint = Path(res["training"]["checkpoint"])
        if "evaluation" not in skip:
            checkpoint = eval_model or checkpoint
            if checkpoint is None:
                raise click.UsageError("evaluation needs --eval-model or the checkpoint trained in (a)")
            sets = [EvalSet(lang, CLEAN, CLEAN, read_rows(prepared / "test" / f"{lang}.jsonl", eval_examples))
                    for lang in LANGUAGES]
            res["evaluation"] = eval_bench(checkpoint, sets, params.eval.batch_size, params.eval.mixed_precision,
                                           eval_baseline_batch, max_length, res["matmul"])
    if "perturbation" not in skip:
        res["perturbation"] = perturb_bench(params.perturb.families, prepared, params.languages)
    if "dvc" not in skip:
        res["dvc"] = dvc_bench(project)
    if "tokenization" not in skip:
        res["tokenization"] = tokenization_bench(model_dir, {
            "train en": read_rows(prepared / "train/en.jsonl", train_examples if quick else 0),
            f"test clean ({len(LANGUAGES)} langs)": [r for lang in LANGUAGES
                                                     for r in read_rows(prepared / "test" / f"{lang}.jsonl", eval_examples)],
        }, max_length)
    res["peak_rss_mb"] = peak_rss_mb()
    click.echo(table(res))
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
