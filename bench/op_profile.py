"""Where xstilts' training step and evaluation batch spend their time, by op class.

    python bench/op_profile.py --prepared data/prepared/pawsx --model models/pretrained
    python bench/op_profile.py --prepared <real-cpu prepared pawsx> --model models/pretrained \
        --batch-size 16 --json bench/results/profile-<machine kind>.json
    ONEDNN_VERBOSE=1 python bench/op_profile.py --steps 2 ... 2>&1 | grep -o 'brg[a-z_:0-9]*' | sort | uniq -c
        # which oneDNN kernels run (avx512_core_amx… where AMX does the bf16 matmuls)

The model, loader, optimizer, scheduler and step are training's own (`xstilts.training`:
`_fresh_classifier`, `_train_loader`, `_optimizer`, `_scheduler`, `_train_step`, under accelerate's
autocast with `target.train.mixed_precision`); evaluation is `xstilts.evaluation.predict_logits` over
length-sorted batches. After --warmup steps, --steps steps (and one pass over the evaluation
batches) are timed plainly, then as many more run under `torch.profiler`: each op's *self* CPU time
goes to one class (OP_CLASSES, first match), so the classes add up to the profiled time (the
profiler's own overhead inflates it; the shares are what it is for). Achieved FLOP/s count 6 (training) or 2 (evaluation) × the
non-embedding parameters × the non-padding tokens, against the best 2048² matmul of the same dtype
measured in the same run: the share of the machine's peak that issue 20 sets goals for.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import click
import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import cpu_facts, fresh_accelerate_state, matmul_flops, non_embedding_params, read_rows  # noqa: E402

from xstilts.config import TrainConfig  # noqa: E402
from xstilts.evaluation import predict_logits  # noqa: E402
from xstilts.modeling import make_accelerator, sorted_loader  # noqa: E402
from xstilts.params import read_params  # noqa: E402
from xstilts.schema import LANGUAGES  # noqa: E402
from xstilts.tokencache import encode_pairs_cached  # noqa: E402
from xstilts.training import (  # noqa: E402
    _fresh_classifier,
    _optimizer,
    _scheduler,
    _train_loader,
    _train_step,
)

LABELS = ("not_paraphrase", "paraphrase")
# Op name patterns per class, tried in order (aten names; `autograd::engine` rows carry no self time).
OP_CLASSES = (
    ("matmul", r"aten::(mm|addmm|bmm|matmul|linear|baddbmm)$|mkldnn.*(matmul|linear)"),
    ("attention", r"scaled_dot_product|flash_attention|_softmax|softmax_backward"),
    ("dropout", r"bernoulli|random_|masked_fill|native_dropout|xstilts"),
    ("norm+activation", r"layer_norm|gelu|tanh|silu|relu"),
    ("optimizer", r"adam|_foreach|clip_grad|zero_|Optimizer"),
    ("casts+copies", r"copy_|_to_copy|aten::to$|contiguous|clone"),
    ("elementwise", r"aten::(add|mul|div|sub|where|sum|mean|neg|exp|rsub|fill_|add_|mul_|div_)"),
    ("embedding+loss", r"embedding|index_select|nll_loss|cross_entropy|log_softmax"),
)


def op_class(name: str) -> str:
    return next((cls for cls, pattern in OP_CLASSES if re.search(pattern, name)), "other")


def by_class(prof, steps: int) -> dict[str, float]:
    """Self CPU milliseconds per step, per op class (largest first)."""
    totals: dict[str, float] = defaultdict(float)
    for event in prof.key_averages():
        totals[op_class(event.key)] += event.self_cpu_time_total / 1e3 / steps
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def profile_training(model_dir: Path, rows, cfg: TrainConfig, warmup: int, steps: int, seed: int) -> dict:
    fresh_accelerate_state()
    accelerator = make_accelerator(cfg.mixed_precision)
    torch.manual_seed(seed)
    tokenizer, model = _fresh_classifier(model_dir, LABELS, cfg)
    pairs = encode_pairs_cached(tokenizer, rows, cfg.max_length)
    loader = _train_loader(pairs, cfg, tokenizer.pad_token_id, seed)
    optimizer = _optimizer(model, cfg)
    scheduler = _scheduler(optimizer, len(loader), cfg)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)
    model.train()
    batches = iter(loader)
    for _ in range(warmup):
        _train_step(accelerator, model, optimizer, scheduler, next(batches), cfg.max_grad_norm)
    # The batches are drawn before timing: data time is measured on its own. The steps are timed
    # without the profiler (its per-op bookkeeping would slow them), then profiled for the shares.
    started = time.perf_counter()
    timed = [next(batches) for _ in range(2 * steps)]
    data_s = (time.perf_counter() - started) / 2
    tokens = sum(int(b["attention_mask"].sum()) for b in timed[:steps])
    started = time.perf_counter()
    for batch in timed[:steps]:
        _train_step(accelerator, model, optimizer, scheduler, batch, cfg.max_grad_norm)
    seconds = time.perf_counter() - started
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for batch in timed[steps:]:
            _train_step(accelerator, model, optimizer, scheduler, batch, cfg.max_grad_norm)
    flops = 6 * non_embedding_params(accelerator.unwrap_model(model)) * tokens
    return {"dtype": accelerator.mixed_precision, "steps": steps, "batch_size": cfg.batch_size,
            "tokens_per_step": tokens / steps, "ms_per_step": 1e3 * seconds / steps,
            "data_ms_per_step": 1e3 * data_s / steps, "flop_per_s": flops / seconds,
            "ms_per_step_by_class": by_class(prof, steps)}


def profile_evaluation(model_dir: Path, rows, mixed_precision: str, batch_size: int, max_length: int) -> dict:
    from xstilts.modeling import load_classifier, load_tokenizer

    fresh_accelerate_state()
    accelerator = make_accelerator(mixed_precision)
    tokenizer, model = load_tokenizer(model_dir), load_classifier(model_dir, labels=LABELS)
    pairs = encode_pairs_cached(tokenizer, rows, max_length)
    loader = sorted_loader(pairs, batch_size, tokenizer.pad_token_id)
    model, loader = accelerator.prepare(model, loader)
    predict_logits(model, loader, accelerator, len(pairs))  # warm-up: oneDNN primitives per shape
    tokens = sum(int(b["attention_mask"].sum()) for b in loader)
    started = time.perf_counter()
    predict_logits(model, loader, accelerator, len(pairs))
    seconds = time.perf_counter() - started
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        predict_logits(model, loader, accelerator, len(pairs))
    flops = 2 * non_embedding_params(accelerator.unwrap_model(model)) * tokens
    return {"dtype": accelerator.mixed_precision, "pairs": len(pairs), "batch_size": batch_size,
            "examples_per_s": len(pairs) / seconds, "flop_per_s": flops / seconds,
            "ms_total_by_class": by_class(prof, 1)}


def report(res: dict) -> str:
    peak = res["matmul_peak_flop_per_s"]
    lines = [f"{res['machine']['cpu']} ({', '.join(res['machine']['flags'])}), {res['machine']['threads']} threads; "
             f"2048² matmul: fp32 {peak['fp32'] / 1e9:.0f}, bf16 {peak['bf16'] / 1e9:.0f} GFLOP/s"]
    for phase, per in (("training", "ms_per_step_by_class"), ("evaluation", "ms_total_by_class")):
        r = res[phase]
        share = r["flop_per_s"] / peak["bf16" if r["dtype"] == "bf16" else "fp32"]
        lines.append(f"\n{phase} ({r['dtype']}): {r['flop_per_s'] / 1e9:.0f} GFLOP/s = {100 * share:.1f} % of peak"
                     + (f"; {r['ms_per_step']:.1f} ms/step, {r['tokens_per_step']:.0f} tokens/step, "
                        f"data {r['data_ms_per_step']:.1f} ms/step" if phase == "training" else
                        f"; {r['examples_per_s']:.0f} pairs/s"))
        total = sum(r[per].values())
        lines += [f"  {cls:<16} {ms:8.1f} ms  {100 * ms / total:5.1f} %" for cls, ms in r[per].items()]
    return "\n".join(lines)


@click.command()
@click.option("--prepared", type=click.Path(path_type=Path), default=Path("data/prepared/pawsx"), show_default=True)
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=Path("models/pretrained"),
              show_default=True, help="training starts here; evaluation runs it too (the head is untrained: speed only)")
@click.option("--params", "params_path", default="params.yaml", show_default=True, help="target.train is the recipe")
@click.option("--batch-size", type=int, default=None, help="default: target.train.batch_size")
@click.option("--warmup", type=int, default=5, show_default=True)
@click.option("--steps", type=int, default=20, show_default=True)
@click.option("--eval-examples", type=int, default=150, show_default=True, help="test pairs per language")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
def main(prepared, model_dir, params_path, batch_size, warmup, steps, eval_examples, json_path):
    cfg = read_params(params_path, ["target.train"]).target.train
    if batch_size:
        cfg = replace(cfg, batch_size=batch_size)
    train_rows = read_rows(prepared / "train" / "en.jsonl", 0)
    needed = (warmup + 2 * steps) * cfg.batch_size
    train_rows = (train_rows * (needed // len(train_rows) + 1))[: max(needed, len(train_rows))]
    test_rows = [r for lang in LANGUAGES
                 if (prepared / "test" / f"{lang}.jsonl").is_file()
                 for r in read_rows(prepared / "test" / f"{lang}.jsonl", eval_examples)]
    res = {"machine": cpu_facts(), "matmul_peak_flop_per_s": matmul_flops(),
           "training": profile_training(model_dir, train_rows, cfg, warmup, steps, seed=13),
           "evaluation": profile_evaluation(model_dir, test_rows, cfg.mixed_precision, 128, cfg.max_length)}
    click.echo(report(res))
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
