"""bench/throughput.py at tiny sizes on the tiny BERT: the numbers have the right shape and are sane.

No timing thresholds: speed goals are not tests. (d) runs against a one-stage DVC repo in tmp_path.
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tiny_model import make_tiny_encoder, toy_rows
from xstilts.config import TrainConfig
from xstilts.evaluation import EvalSet

pytestmark = pytest.mark.slow  # runs the benches' training and dvc measurements

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_throughput", ROOT / "bench/throughput.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    # accelerate keeps one process-wide state whose mixed precision the first Accelerator fixes: the
    # bench's bf16 must not leak into later tests in this process (they use mixed_precision "no").
    module.fresh_accelerate_state()


def test_training_evaluation_perturbation_and_table(bench, tmp_path):
    encoder = make_tiny_encoder(tmp_path / "encoder")
    peak = bench.matmul_flops(n=128, repeats=2)
    assert set(peak) == {"fp32", "bf16"} and all(v > 0 for v in peak.values())

    cfg = TrainConfig(learning_rate=1e-3, epochs=1, batch_size=8, warmup_ratio=0.0, mixed_precision="bf16",
                      freeze_word_embeddings=True, evals_per_epoch=1, max_length=32)
    tr = bench.training_bench(encoder, toy_rows(32, 1), toy_rows(8, 2), cfg, 13, tmp_path / "work", peak)
    for side in ("xstilts", "trainer", "careful_trainer"):
        r = tr[side]
        assert r["examples"] == 32 and r["seconds"] > 0 and r["tokens"] > 0 and r["peak_rss_mb"] > 0
        assert r["examples_per_s"] == pytest.approx(32 / r["seconds"])
        assert r["loop_examples_per_s"] > 0 and 0 < r["peak_fraction"] < math.inf
        assert r["model_flops"] == 6 * tr["non_embedding_params"] * r["tokens"]
    assert tr["xstilts"]["dtype"] == "bf16" and tr["trainer"]["dtype"] == "fp32"
    assert tr["trainer"]["tokens"] == 32 * 32  # padded to max_length
    assert tr["xstilts"]["tokens"] < tr["trainer"]["tokens"]  # only real tokens
    assert tr["ratio"] == pytest.approx(tr["xstilts"]["examples_per_s"] / tr["trainer"]["examples_per_s"])
    # The careful Trainer: bf16 where this CPU computes it natively, dynamic padding (only real tokens).
    careful = tr["careful_trainer"]
    assert careful["dtype"] == ("bf16" if bench.resolve_mixed_precision("auto") == "bf16" else "fp32")
    assert careful["tokens"] == tr["xstilts"]["tokens"]
    assert tr["careful_ratio"] == pytest.approx(tr["xstilts"]["examples_per_s"] / careful["examples_per_s"])

    sets = [EvalSet(lang, "clean", "clean", toy_rows(10, seed)) for seed, lang in enumerate(("en", "de"))]
    ev = bench.eval_bench(Path(tr["checkpoint"]), sets, 16, "bf16", 8, 32, peak)
    assert ev["xstilts_flops_per_s"] > 0 and 0 < ev["xstilts_peak_fraction"] < math.inf
    assert ev["examples"] == 20 and ev["xstilts_examples_per_s"] > 0 and ev["baseline_examples_per_s"] > 0
    assert ev["ratio"] == pytest.approx(ev["xstilts_examples_per_s"] / ev["baseline_examples_per_s"])
    assert 0 <= ev["argmax_agreement"] <= 1 and ev["max_prob_diff"] >= 0

    rows = toy_rows(12, 3)
    pert = bench.perturb_bench({"char_noise": {"seed": 1, "rate": 0.2}, "orthography": {}}, None, ["en"],
                               {"en": rows}, {"en": rows})
    assert set(pert) == {"char_noise", "orthography"}
    for r in pert.values():
        assert r["pairs"] == 12 and r["pairs_per_s"] > 0 and 0 <= r["changed"] <= 12

    machine = bench.cpu_facts()
    assert machine["cpu"] and machine["threads"] >= 1 and isinstance(machine["flags"], list)
    text = bench.table({"machine": machine, "matmul": peak, "training": tr, "evaluation": ev, "perturbation": pert,
                        "peak_rss_mb": bench.peak_rss_mb()})
    assert "(a) training" in text and "(b) evaluation" in text and "char_noise" in text
    assert "careful_trainer" in text and "of peak (whole call)" in text


def test_dvc_noop_repro_against_status(bench, tmp_path):
    run = lambda *args: subprocess.run([sys.executable, "-m", "dvc", *args], cwd=tmp_path, check=True,  # noqa: E731
                                       capture_output=True, text=True)
    run("init", "--no-scm", "-q")
    run("stage", "add", "-n", "touch", "-o", "out.txt", "echo hi > out.txt")
    run("repro", "-q")
    d = bench.dvc_bench(tmp_path)
    assert d.get("skipped") is None, d
    assert d["status_seconds"] > 0 and d["repro_seconds"] > 0
    assert d["ratio"] == pytest.approx(d["repro_seconds"] / d["status_seconds"])


@pytest.fixture(scope="module")
def levers():
    spec = importlib.util.spec_from_file_location("bench_levers", ROOT / "bench/levers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    module.fresh_accelerate_state()


def test_levers_switch_the_real_training_pieces_and_restore_them(levers, tmp_path):
    import xstilts.training as training
    from xstilts.modeling import encode_pairs, load_classifier, load_tokenizer

    encoder = make_tiny_encoder(tmp_path / "encoder")
    tokenizer, model = load_tokenizer(encoder), load_classifier(encoder, labels=["no", "yes"])
    pairs = encode_pairs(tokenizer, toy_rows(24, 1), 32)
    cfg = TrainConfig(batch_size=8, max_length=32)
    plain, padded = levers.LEVERS[-1], levers.LEVERS[0]
    widths = lambda: {b["input_ids"].shape[1] for b in training._train_loader(pairs, cfg, 0, 13)}  # noqa: E731
    assert widths() != {32}  # dynamic padding by default
    assert training._optimizer(model, cfg).defaults["fused"] is True
    with levers.switched(padded):
        assert widths() == {32}  # every batch padded to max_length
        assert not training._optimizer(model, cfg).defaults["fused"]
    assert widths() != {32} and training._optimizer(model, cfg).defaults["fused"] is True  # restored
    c = levers.config_for(cfg, padded)
    assert (c.mixed_precision, c.freeze_word_embeddings, c.fast_dropout) == ("no", False, False)
    c = levers.config_for(cfg, plain)
    assert (c.mixed_precision, c.freeze_word_embeddings, c.fast_dropout) == ("bf16", True, True)


def test_levers_speed_accuracy_and_eval_tables(levers, tmp_path):
    encoder = make_tiny_encoder(tmp_path / "encoder")
    prepared = tmp_path / "prepared"
    (prepared / "test").mkdir(parents=True)
    for lang in levers.LANGUAGES:
        (prepared / "test" / f"{lang}.jsonl").write_text("".join(
            __import__("json").dumps(r) + "\n" for r in toy_rows(12, 5)))
    cfg = TrainConfig(learning_rate=3e-3, epochs=1, batch_size=8, warmup_ratio=0.0, max_length=32)
    peak = {"fp32": 1e9, "bf16": 2e9}
    without_compile = [lv for lv in levers.LEVERS if not lv.compile]  # compiling takes minutes on CPU
    speed = levers.speed(encoder, toy_rows(32, 1), toy_rows(8, 2), replace(cfg, evals_per_epoch=2), 13,
                         tmp_path / "s", levers=without_compile, peak=peak)
    assert [r["lever"] for r in speed] == [lv.name for lv in without_compile]
    assert all(r["last_half_examples_per_s"] > 0 for r in speed)
    assert speed[0]["vs_first"] == 1.0 and all(r["examples_per_s"] > 0 for r in speed)
    for r in speed:
        assert r["peak_fraction"] == pytest.approx(r["flops_per_s"] / peak[r["peak_dtype"]])
    assert speed[0]["peak_dtype"] == "fp32" and speed[-1]["peak_dtype"] == "bf16"

    acc = levers.accuracy(encoder, prepared, toy_rows(32, 1), toy_rows(8, 2), cfg, 13, tmp_path / "a", 6, 16)
    runs = levers.accuracy_runs(13)
    assert [r["lever"] for r in acc] == [name for name, _, _ in runs]
    assert "default" in levers.LEVERS[levers.DEFAULT].name and runs[0][1] == levers.LEVERS[levers.DEFAULT]
    for _, lever, _ in runs[1:-1]:  # each differs from the default in one lever
        assert lever != runs[0][1] and lever.padded is False and lever.compile is False
    assert acc[-1]["seed"] == 14 and acc[0]["changed_vs_first"] == 0
    assert all(set(r["test_accuracy"]) == set(levers.LANGUAGES) and r["test_pairs"] == 42 for r in acc)

    ev = levers.eval_speed(tmp_path / "a" / "acc-0", prepared, 6, 32, 13)
    assert len(ev) == len(levers.EVAL_LEVERS) and ev[0]["argmax_agreement"] == 1.0
    text = levers.table({"matmul": peak, "config": {"epochs": 1, "batch_size": 8, "max_length": 32},
                         "train_examples": 32, "speed": speed, "accuracy": acc, "eval_speed": ev,
                         "eval_examples": 42, "eval_model": "tiny"})
    assert "+ fused AdamW" in text and "changed" in text and "+ batch 128" in text


def test_op_profile_classes_add_up_on_the_tiny_model(tmp_path):
    """bench/op_profile.py on the tiny BERT: every op lands in one class, the classes sum to the
    profiled time, and the JSON records the machine, the dtype and the share of peak inputs."""
    import json

    from click.testing import CliRunner

    spec = importlib.util.spec_from_file_location("bench_op_profile", ROOT / "bench/op_profile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.op_class("aten::addmm") == "matmul" and module.op_class("aten::native_layer_norm") == "norm+activation"
    assert module.op_class("aten::_fused_adamw_") == "optimizer" and module.op_class("aten::random_") == "dropout"
    assert module.op_class("aten::something_new") == "other"

    encoder = make_tiny_encoder(tmp_path / "encoder")
    prepared = tmp_path / "prepared"
    for split, langs in (("train", ["en"]), ("test", ["en", "de"])):
        (prepared / split).mkdir(parents=True)
        for lang in langs:
            rows = toy_rows(48, seed=len(lang))
            (prepared / split / f"{lang}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    params = tmp_path / "params.yaml"
    params.write_text("target:\n  train:\n    mixed_precision: 'no'\n    batch_size: 8\n    max_length: 32\n")
    out = tmp_path / "profile.json"
    try:
        result = CliRunner().invoke(module.main, ["--prepared", str(prepared), "--model", str(encoder), "--params",
                                                  str(params), "--steps", "2", "--warmup", "1", "--eval-examples", "16",
                                                  "--json", str(out)])
    finally:
        module.fresh_accelerate_state()
    assert result.exit_code == 0, result.output
    res = json.loads(out.read_text())
    assert res["training"]["dtype"] == "no" and res["training"]["flop_per_s"] > 0
    assert res["evaluation"]["pairs"] == 32 and res["machine"]["threads"] >= 1
    assert set(res["training"]["ms_per_step_by_class"]) <= {c for c, _ in module.OP_CLASSES} | {"other"}
    assert "matmul" in res["training"]["ms_per_step_by_class"] and "% of peak" in result.output
