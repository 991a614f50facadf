"""The shared training loop and prediction, on a tiny BERT (seconds on CPU)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from safetensors import safe_open

from tiny_model import make_tiny_encoder, toy_rows
from xstilts.config import TrainConfig
from xstilts.errors import ParamsError, XstiltsError
from xstilts.modeling import encode_pairs, load_classifier, load_tokenizer, make_accelerator, predict_logits, sorted_loader
from xstilts.params import read_params
from xstilts.phases import ENCODER_POINTER, resolve_encoder, run_intermediate
from xstilts.training import TRAINING_LOG, train_classifier

FAST = TrainConfig(learning_rate=3e-3, epochs=3, batch_size=8, warmup_ratio=0.0, evals_per_epoch=2, max_length=32)


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    return make_tiny_encoder(tmp_path_factory.mktemp("tiny") / "encoder")


def test_training_learns_selects_on_validation_and_saves_safetensors(encoder, tmp_path):
    out = tmp_path / "target"
    logs = tmp_path / "logs"
    result = train_classifier(encoder, toy_rows(96, 1), toy_rows(32, 2), ["no", "yes"], FAST, 13, out, False,
                              log_dir=logs)
    assert result.best_validation_accuracy >= 0.9
    # dvclive curves: one row per validation point; the summary names the selected checkpoint.
    curve = (logs / "plots/metrics/validation_accuracy.tsv").read_text().splitlines()
    assert curve[0] == "step\tvalidation_accuracy" and len(curve) == 1 + len(result.history)
    assert [float(line.split("\t")[1]) for line in curve[1:]] == pytest.approx(
        [h["validation_accuracy"] for h in result.history])
    summary = json.loads((logs / "metrics.json").read_text())
    assert summary["best_validation_accuracy"] == result.best_validation_accuracy
    assert summary["best_step"] == result.best_step and summary["train_examples"] == 96
    assert not (logs / "dvc.yaml").exists() and not (logs / "report.html").exists()
    assert result.best_validation_accuracy == max(h["validation_accuracy"] for h in result.history)
    assert len(result.history) == FAST.epochs * FAST.evals_per_epoch
    assert (out / "model.safetensors").is_file() and not list(out.glob("*.bin"))
    log = json.loads((out / TRAINING_LOG).read_text())
    assert log["seed"] == 13 and log["config"]["batch_size"] == 8 and log["labels"] == ["no", "yes"]
    # The saved checkpoint is the selected one: it reproduces the best validation accuracy.
    model = load_classifier(out)
    tok = load_tokenizer(out)
    pairs = encode_pairs(tok, toy_rows(32, 2), 32)
    acc = make_accelerator("no")
    logits = predict_logits(model, sorted_loader(pairs, 7, tok.pad_token_id), acc, len(pairs))
    assert np.mean(logits.argmax(1) == np.array(pairs.labels)) == pytest.approx(result.best_validation_accuracy)


def test_same_seed_same_model(encoder, tmp_path):
    cfg = TrainConfig(learning_rate=1e-3, epochs=1, batch_size=8, max_length=32)
    a = train_classifier(encoder, toy_rows(40, 1), toy_rows(16, 2), ["no", "yes"], cfg, 7, tmp_path / "a", False)
    b = train_classifier(encoder, toy_rows(40, 1), toy_rows(16, 2), ["no", "yes"], cfg, 7, tmp_path / "b", False)
    assert a.history[-1]["train_loss"] == b.history[-1]["train_loss"]
    assert (tmp_path / "a/model.safetensors").read_bytes() == (tmp_path / "b/model.safetensors").read_bytes()


def test_intermediate_saves_the_encoder_and_target_gets_a_fresh_head(encoder, tmp_path):
    prepared = tmp_path / "prepared"
    for split, rows in (("train", toy_rows(40, 3)), ("validation", toy_rows(12, 4))):
        (prepared / split).mkdir(parents=True)
        (prepared / split / "en.jsonl").write_text("".join(json.dumps({**r, "label": int(r["label"]) * 2}) + "\n" for r in rows))
    (prepared / "manifest.json").write_text(json.dumps({"task": "toy", "labels": ["e", "n", "c"], "splits": {"train": {}}}))
    out = tmp_path / "inter"
    run_intermediate(prepared, encoder, TrainConfig(epochs=1, batch_size=8, max_length=32), 1, out)
    assert resolve_encoder(out) == out
    with safe_open(str(out / "model.safetensors"), "pt") as f:
        keys = list(f.keys())
    assert not any("classifier" in k for k in keys), "the intermediate head must not be carried over"
    model = load_classifier(out, labels=["no", "yes"])
    assert model.config.num_labels == 2


def test_baseline_points_at_the_pretrained_encoder(encoder, tmp_path):
    prepared = tmp_path / "none"
    prepared.mkdir()
    (prepared / "manifest.json").write_text(json.dumps({"task": "none"}))
    out = tmp_path / "inter-none"
    assert run_intermediate(prepared, encoder, FAST, 1, out, tmp_path / "logs") is None
    assert json.loads((tmp_path / "logs/metrics.json").read_text()) == {"trained": False}
    assert (tmp_path / "logs/plots/metrics/train_loss.tsv").read_text() == "step\ttrain_loss\n"
    assert [p.name for p in out.iterdir()] == [ENCODER_POINTER]
    assert resolve_encoder(out) == encoder


def test_sorted_prediction_returns_dataset_order(encoder):
    tok = load_tokenizer(encoder)
    rows = toy_rows(23, 5)
    pairs = encode_pairs(tok, rows, 32)
    model = load_classifier(encoder, labels=["a", "b"])
    acc = make_accelerator("no")
    batched = predict_logits(model, sorted_loader(pairs, 4, tok.pad_token_id), acc, len(pairs))
    single = np.concatenate([predict_logits(model, sorted_loader(encode_pairs(tok, [r], 32), 1, tok.pad_token_id), acc, 1) for r in rows])
    np.testing.assert_allclose(batched, single, atol=1e-5)


def test_fp16_on_cpu_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(XstiltsError, match="fp16 needs a GPU"):
        make_accelerator("fp16")


SMALL = TrainConfig(learning_rate=3e-3, epochs=1, batch_size=8, warmup_ratio=0.0, max_length=32)


@pytest.fixture(scope="module")
def float32_checkpoint(encoder, tmp_path_factory):
    out = tmp_path_factory.mktemp("save-dtype") / "float32"
    train_classifier(encoder, toy_rows(40, 1), toy_rows(16, 2), ["no", "yes"], SMALL, 5, out, False)
    return out


def _tensors(path):
    with safe_open(str(path / "model.safetensors"), "pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def _logits(model_dir):
    model = load_classifier(model_dir)
    assert {p.dtype for p in model.parameters()} == {torch.float32}, "checkpoints always load as float32"
    tok = load_tokenizer(model_dir)
    pairs = encode_pairs(tok, toy_rows(12, 3), 32)
    return predict_logits(model, sorted_loader(pairs, 4, tok.pad_token_id), make_accelerator("no"), len(pairs))


@pytest.mark.parametrize("save_dtype", ["bfloat16", "float16"])
def test_save_dtype_halves_the_checkpoint_and_loads_as_float32(encoder, float32_checkpoint, tmp_path, save_dtype):
    out = tmp_path / save_dtype
    cfg = dataclasses.replace(SMALL, save_dtype=save_dtype)
    train_classifier(encoder, toy_rows(40, 1), toy_rows(16, 2), ["no", "yes"], cfg, 5, out, False)
    dtype = getattr(torch, save_dtype)
    full, half = _tensors(float32_checkpoint), _tensors(out)
    assert {t.dtype for t in full.values()} == {torch.float32}
    assert {t.dtype for t in half.values()} == {dtype}
    # Same seed, same training: the file holds the same selected weights, only rounded.
    assert full.keys() == half.keys()
    for k, t in full.items():
        assert torch.equal(t.to(dtype), half[k]), k
    ratio = (out / "model.safetensors").stat().st_size / (float32_checkpoint / "model.safetensors").stat().st_size
    assert 0.45 < ratio < 0.6  # half the bytes, plus the (same-size) JSON header
    # Loaded as float32, the rounded weights give nearly the same logits (bf16 keeps 8 mantissa bits).
    expected = _logits(float32_checkpoint)
    np.testing.assert_allclose(_logits(out), expected, atol=1e-2 if save_dtype == "bfloat16" else 1e-3)


def test_bad_save_dtype_names_the_key():
    with pytest.raises(ParamsError, match=r"target.train.save_dtype: 'int8' is not one of float32, float16, bfloat16"):
        read_params({"target": {"train": {"save_dtype": "int8"}}}, ["target.train"])


def test_compile_option_asks_accelerate_for_inductor_with_dynamic_shapes():
    # Compiling takes minutes on CPU, so this checks the request, not a compiled run.
    from accelerate.state import AcceleratorState
    from accelerate.utils import DynamoBackend

    AcceleratorState._reset_state(reset_partial_state=True)  # the first Accelerator fixes the process state
    try:
        plugin = make_accelerator("no", compile=True).state.dynamo_plugin
        assert plugin.backend == DynamoBackend.INDUCTOR and plugin.dynamic and plugin.use_regional_compilation
        AcceleratorState._reset_state(reset_partial_state=True)
        assert make_accelerator("no").state.dynamo_plugin.backend == DynamoBackend.NO
    finally:
        AcceleratorState._reset_state(reset_partial_state=True)


def test_auto_mixed_precision_is_bf16_only_where_native(monkeypatch):
    """`auto` must not pick bf16 on a CPU that emulates it (several times slower than float32)."""
    from xstilts import modeling

    monkeypatch.setattr(modeling, "native_bf16", lambda: False)
    assert modeling.resolve_mixed_precision("auto") == "no"
    monkeypatch.setattr(modeling, "native_bf16", lambda: True)
    assert modeling.resolve_mixed_precision("auto") == "bf16"
    assert modeling.resolve_mixed_precision("no") == "no" and modeling.resolve_mixed_precision("bf16") == "bf16"
