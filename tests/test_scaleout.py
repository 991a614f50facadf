"""Scaling out: the accelerate launch configurations in configs/accelerate and training under FSDP.

    pytest tests/test_scaleout.py

Nothing here needs a GPU, and nothing here shows that the configs work on GPUs: the configs are
checked statically (accelerate's own loader and FSDP plugin), the saving path used under sharding
against the ordinary one, and the FSDP2 code path of `train_classifier` on two CPU processes (gloo)
through the shim in tests/fsdp_cpu.py (accelerate enables FSDP only on accelerators).
"""

from __future__ import annotations

import copy
import json
import os
import re
import runpy
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from tiny_model import make_tiny_encoder, toy_rows, toy_target_inputs
from xstilts.modeling import load_classifier, load_tokenizer
from xstilts.training import TRAINING_LOG, save_full_state_dict

pytestmark = pytest.mark.slow  # DDP/FSDP launches with two processes

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs" / "accelerate").glob("*.yaml"))
LABELS = ["no", "yes"]


def _stage_options(script: Path) -> set[str]:
    """The --options that a stage script's click command accepts."""
    main = runpy.run_path(str(script))["main"]
    return {opt for param in main.params for opt in param.opts}


def _dvc_options(stage: str) -> set[str]:
    cmd = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"][stage]["cmd"]
    return set(re.findall(r"--\w+", cmd))


def _launch_commands(text: str) -> list[list[str]]:
    """`accelerate launch ...` command lines in `text` (comment markers and line continuations removed)."""
    text = re.sub(r"^\s*#\s?", "", text, flags=re.M)
    text = re.sub(r"\\\n\s*", " ", text)
    return [shlex.split(line[line.index("accelerate launch"):]) for line in text.splitlines()
            if "accelerate launch --config_file" in line]


def _check_launch_command(tokens: list[str]) -> Path:
    """The command parses with accelerate's own launcher parser; its config and stage script exist;
    the stage arguments are the stage's options, the same as in its dvc.yaml command."""
    from accelerate.commands.launch import launch_command_parser

    args = launch_command_parser().parse_args(tokens[2:])
    config = ROOT / args.config_file
    script = ROOT / args.training_script
    assert config.is_file(), f"{args.config_file}: no such config"
    assert script.is_file() and script.parent.name == "stages", f"{args.training_script}: no such stage"
    given = {t for t in args.training_script_args if t.startswith("--")}
    assert given <= _stage_options(script), f"{given - _stage_options(script)}: not options of {script.name}"
    assert given == _dvc_options(script.stem), f"{script.name}: arguments differ from dvc.yaml's command"
    return config


def test_the_expected_configs_exist():
    assert {p.name for p in CONFIGS} >= {"ddp-1node.yaml", "ddp-2node.yaml", "fsdp-xlmr-large.yaml"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_parses_with_accelerate_and_uses_bf16(path):
    from accelerate.commands.config.config_args import ClusterConfig, load_config_from_file
    from accelerate.utils import DistributedType

    config = load_config_from_file(str(path))  # raises on keys this accelerate does not know
    assert isinstance(config, ClusterConfig)
    assert config.mixed_precision == "bf16"
    assert config.distributed_type in (DistributedType.MULTI_GPU, DistributedType.FSDP)
    assert config.num_processes >= 2 * config.num_machines
    if config.num_machines > 1:
        assert config.main_process_ip and config.main_process_port and config.machine_rank == 0


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_opens_with_its_launch_command(path):
    text = path.read_text()
    header = text[: re.search(r"^[^#\n]", text, flags=re.M).start()]  # the leading comment block
    commands = _launch_commands(header)
    assert commands, f"{path.name}: no `accelerate launch --config_file ...` command in its opening comment"
    for tokens in commands:
        assert _check_launch_command(tokens) == path
    assert "effective batch" in header


def test_readme_launch_commands_point_at_existing_files():
    readme = (ROOT / "README.md").read_text()
    commands = _launch_commands(readme)
    assert {_check_launch_command(tokens).name for tokens in commands} >= {"ddp-1node.yaml", "fsdp-xlmr-large.yaml"}
    for path in CONFIGS:  # every config is documented, every documented one exists
        assert f"`{path.name}`" in readme
    for name in re.findall(r"configs/accelerate/([\w.-]+\.yaml)", readme):
        assert (ROOT / "configs" / "accelerate" / name).is_file(), name


def test_fsdp_config_builds_a_plugin_that_wraps_xlmr_layers(monkeypatch):
    """The environment `accelerate launch` exports for the FSDP config builds accelerate's FSDP2 plugin,
    which finds the wrap class in an XLM-R model (a tiny one, same classes as xlm-roberta-large)."""
    import transformers.models.xlm_roberta.modeling_xlm_roberta as xlmr
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils import FullyShardedDataParallelPlugin
    from accelerate.utils.launch import prepare_multi_gpu_env
    from torch.distributed.fsdp import CPUOffloadPolicy
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

    path = ROOT / "configs/accelerate/fsdp-xlmr-large.yaml"
    fsdp = yaml.safe_load(path.read_text())["fsdp_config"]
    names = fsdp["fsdp_transformer_layer_cls_to_wrap"].split(",")
    assert names == ["XLMRobertaLayer"] and all(hasattr(xlmr, n) for n in names)

    args = launch_command_parser().parse_args(["--config_file", str(path), "stages/target.py"])
    args, _, _ = _validate_launch_command(args)
    assert args.use_fsdp and args.mixed_precision == "bf16"
    for key, value in prepare_multi_gpu_env(args).items():
        if key.startswith(("FSDP_", "ACCELERATE_")):
            monkeypatch.setenv(key, value)
    plugin = FullyShardedDataParallelPlugin()
    assert plugin.fsdp_version == 2 and plugin.reshard_after_forward is True
    assert plugin.state_dict_type.name == "FULL_STATE_DICT"
    assert plugin.transformer_cls_names_to_wrap == ["XLMRobertaLayer"]
    assert not isinstance(plugin.cpu_offload, CPUOffloadPolicy)  # FSDP2: OffloadPolicy() is "no offload"

    tiny = XLMRobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=32, max_position_embeddings=40, num_labels=2)
    model = XLMRobertaForSequenceClassification(tiny)
    assert model.base_model_prefix == "roberta"
    plugin.set_auto_wrap_policy(model)  # raises if the class is not in the model
    layers = [m for m in model.modules() if plugin.auto_wrap_policy(m, recurse=False, nonwrapped_numel=0)]
    assert len(layers) == 2 and all(type(m).__name__ == "XLMRobertaLayer" for m in layers)
    with pytest.raises(ValueError, match="Could not find the transformer layer class"):
        FullyShardedDataParallelPlugin(fsdp_version=2, auto_wrap_policy="transformer_based_wrap",
                                       transformer_cls_names_to_wrap=["BertLayer"]).set_auto_wrap_policy(model)


# -- saving from a full state dict (the path under FSDP) against the ordinary save ------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny classifier whose weights all differ from their initial values, and its tokenizer dir."""
    encoder = make_tiny_encoder(tmp_path_factory.mktemp("tiny") / "encoder")
    model = load_classifier(encoder, labels=LABELS)
    torch.manual_seed(3)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    return model, encoder


def _plain_save(model, out: Path, encoder_only: bool, save_dtype: str) -> None:
    """What train_classifier does on one process or under DDP."""
    to_save = model.base_model if encoder_only else model
    if save_dtype != "float32":
        to_save = copy.deepcopy(to_save).to(getattr(torch, save_dtype))
    to_save.save_pretrained(out)


@pytest.mark.parametrize("save_dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("encoder_only", [False, True], ids=["classifier", "encoder"])
def test_save_from_full_state_dict_writes_the_same_checkpoint(trained, tmp_path, encoder_only, save_dtype):
    model, encoder = trained
    before = {k: v.clone() for k, v in model.state_dict().items()}
    plain, full = tmp_path / "plain", tmp_path / "full"
    _plain_save(model, plain, encoder_only, save_dtype)
    save_full_state_dict(model, full, model.state_dict(), encoder_only, save_dtype)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # the model is untouched

    assert json.loads((full / "config.json").read_text()) == json.loads((plain / "config.json").read_text())
    a, b = load_file(plain / "model.safetensors"), load_file(full / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a)
    assert {v.dtype for v in b.values() if v.is_floating_point()} == {getattr(torch, save_dtype)}
    if encoder_only:  # the base model alone: prefix stripped, no head
        assert not any(k.startswith("bert.") or k.startswith("classifier.") for k in b)
        assert b.keys() == model.base_model.state_dict().keys()
    else:  # loads with xstilts' loader and predicts like the model that was saved
        loaded = load_classifier(full)
        assert loaded.config.id2label == {0: "no", 1: "yes"}
        batch = _batch(load_tokenizer(encoder), toy_rows(12, 5))
        model.eval()
        with torch.no_grad():
            ref = model(**batch).logits
            got = loaded(**batch).logits
        tol = 0 if save_dtype == "float32" else 0.05
        assert torch.allclose(got, ref, atol=tol, rtol=0) and torch.equal(got.argmax(1), ref.argmax(1))


def test_save_from_full_state_dict_needs_the_base_model_keys(trained, tmp_path):
    model, _ = trained
    headless = {k: v for k, v in model.state_dict().items() if k.startswith("classifier.")}
    with pytest.raises(RuntimeError, match="bert"):
        save_full_state_dict(model, tmp_path / "out", headless, encoder_only=True)


def _batch(tokenizer, rows):
    return tokenizer([r["sentence1"] for r in rows], [r["sentence2"] for r in rows], padding=True,
                     truncation=True, max_length=32, return_tensors="pt", return_token_type_ids=False)


def _accuracy(checkpoint: Path, rows: list[dict]) -> float:
    model = load_classifier(checkpoint).eval()
    with torch.no_grad():
        predicted = model(**_batch(load_tokenizer(checkpoint), rows)).logits.argmax(1)
    return float((predicted == torch.tensor([r["label"] for r in rows])).float().mean())


# -- the FSDP2 path of train_classifier on two CPU processes ---------------------------------------

def _launch(stage_args: list[str], processes: int, fsdp: bool, tmp: Path) -> subprocess.CompletedProcess:
    if fsdp:
        # The repository's FSDP config, with the tiny BERT's layer class; float32 as in params.
        launcher = ["--config_file", str(ROOT / "configs/accelerate/fsdp-xlmr-large.yaml"),
                    "--num_processes", str(processes), "--fsdp_transformer_layer_cls_to_wrap", "BertLayer",
                    str(ROOT / "tests/fsdp_cpu.py")]
    else:
        launcher = ["--num_processes", "1", "--cpu", "--num_machines", "1", "--dynamo_backend", "no"]
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--mixed_precision", "no", *launcher, *stage_args]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "ACCELERATE_USE_CPU": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    if fsdp:  # every process trained a sharded model: DTensor parameters, each holding part of them
        reports = re.findall(r"fsdp_cpu: rank (\d) fsdp2=True dtensors=True local=(\d+) full=(\d+)", proc.stdout)
        assert sorted(r[0] for r in reports) == [str(i) for i in range(processes)], proc.stdout[-2000:]
        assert all(int(local) < int(full) for _, local, full in reports)
    return proc


def _target(tmp: Path, encoder: Path, processes: int, batch_size: int, fsdp: bool) -> Path:
    tmp.mkdir()
    prepared, inter, params = toy_target_inputs(tmp, encoder, batch_size)
    out = tmp / "out"
    _launch([str(ROOT / "stages/target.py"), "--seed", "13", "--prepared", str(prepared),
             "--intermediate", str(inter), "--out", str(out), "--params", str(params)], processes, fsdp, tmp)
    return out


def test_target_phase_under_fsdp_on_two_cpu_processes_matches_one_process(tmp_path):
    encoder = make_tiny_encoder(tmp_path / "encoder")
    # Same effective batch (8): one process × 8, or two FSDP processes × 4.
    one = _target(tmp_path / "one", encoder, processes=1, batch_size=8, fsdp=False)
    two = _target(tmp_path / "fsdp", encoder, processes=2, batch_size=4, fsdp=True)
    log_one = json.loads((one / TRAINING_LOG).read_text())
    log_two = json.loads((two / TRAINING_LOG).read_text())
    assert log_one["processes"] == 1 and log_two["processes"] == 2
    assert log_one["validation_examples"] == log_two["validation_examples"] == 30
    # test_multiprocess.py's tolerance: both learn the toy task; the selected accuracies differ by ≤ 0.1.
    assert log_one["best_validation_accuracy"] >= 0.9 and log_two["best_validation_accuracy"] >= 0.9
    assert abs(log_one["best_validation_accuracy"] - log_two["best_validation_accuracy"]) <= 0.1
    # The checkpoints load with xstilts' loader and predict: the FSDP one reproduces its selected accuracy
    # (the gathered best state was saved), and the two agree within the same tolerance.
    validation = toy_rows(30, 2)
    acc_one, acc_two = _accuracy(one, validation), _accuracy(two, validation)
    assert acc_two == pytest.approx(log_two["best_validation_accuracy"])
    assert abs(acc_one - acc_two) <= 0.1
    assert sorted(p.name for p in two.iterdir()) == sorted(p.name for p in one.iterdir())


def test_intermediate_phase_under_fsdp_saves_the_encoder_alone(tmp_path):
    """Encoder-only saving from the gathered state dict, with frozen word embeddings (mixed
    requires_grad inside an FSDP unit), a half-precision checkpoint and a best point before the end."""
    encoder = make_tiny_encoder(tmp_path / "encoder")
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"intermediate": {"overrides": {"toy": {"train": {}}}, "train": {
        "learning_rate": 3e-3, "epochs": 2, "batch_size": 4, "warmup_ratio": 0.0, "max_length": 32,
        "evals_per_epoch": 2, "eval_batch_size": 7, "freeze_word_embeddings": True, "save_dtype": "bfloat16"}}}))
    out = tmp_path / "out"
    _launch([str(ROOT / "stages/intermediate.py"), "--task", "toy", "--seed", "13", "--prepared", str(toy_target_inputs(tmp_path / "toy", encoder, 8)[0]),
             "--pretrained", str(encoder), "--out", str(out), "--params", str(params)], 2, True, tmp_path)
    log = json.loads((out / TRAINING_LOG).read_text())
    assert log["encoder_only"] and log["processes"] == 2
    saved, pretrained = load_file(out / "model.safetensors"), load_file(encoder / "model.safetensors")
    assert saved.keys() == pretrained.keys()  # the base model's keys: no "bert." prefix, no head
    assert {v.dtype for v in saved.values()} == {torch.bfloat16}
    assert json.loads((out / "config.json").read_text())["dtype"] == "bfloat16"
    word = "embeddings.word_embeddings.weight"
    assert torch.equal(saved[word], pretrained[word].to(torch.bfloat16))  # frozen: unchanged
    assert not torch.equal(saved["encoder.layer.0.output.dense.weight"],
                           pretrained["encoder.layer.0.output.dense.weight"].to(torch.bfloat16))
    model = load_classifier(out, labels=LABELS)  # what the target phase does: float32, fresh head
    assert model.dtype == torch.float32 and model.config.num_labels == 2
