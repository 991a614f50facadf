"""params.yaml parsing, named configurations, atomic writes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from xstilts.configs import exp_run_command, flatten, override_flags
from xstilts.errors import ParamsError, XstiltsError
from xstilts.evaluation import EvalConfig
from xstilts.io import atomic_dir, atomic_path, write_json
from xstilts.params import load_params, lookup, section
from xstilts.training import TrainConfig

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_params_parse_into_typed_sections():
    params = load_params(ROOT / "params.yaml")
    for key in ("intermediate.train", "target.train"):
        cfg = section(TrainConfig, params, key)
        assert cfg.learning_rate > 0 and cfg.mixed_precision in ("auto", "no", "bf16", "fp16")
    assert section(EvalConfig, params, "eval").batch_size > 0


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"batch_size": 0}, r"target.train.batch_size: must be > 0, got 0"),
        ({"learning_rate": "fast"}, r"target.train.learning_rate: expected a number, got 'fast'"),
        ({"mixed_precision": "fp8"}, r"target.train.mixed_precision: 'fp8' is not one of auto, no, fp16, bf16"),
        ({"epochs": 1.5}, r"target.train.epochs: expected an integer, got 1.5"),
        ({"freeze_word_embeddings": "yes"}, r"target.train.freeze_word_embeddings: expected true or false"),
        ({"warmup_ratio": -0.1}, r"target.train.warmup_ratio: must be in \[0, 1\)"),
        ({"batchsize": 3}, r"target.train.batchsize: unknown key; known keys: learning_rate"),
    ],
)
def test_bad_train_params_name_the_key(patch, message):
    params = {"target": {"train": {"learning_rate": 1e-5, **patch}}}
    with pytest.raises(ParamsError, match=message):
        section(TrainConfig, params, "target.train")


def test_yaml_exponent_strings_are_numbers():
    # PyYAML reads `2e-5` (no dot) as a string; a learning rate written that way must still work.
    params = yaml.safe_load("t: {learning_rate: 2e-5}")
    assert section(TrainConfig, params, "t").learning_rate == 2e-5


def test_lookup_and_load_errors(tmp_path):
    with pytest.raises(ParamsError, match="params.yaml: model.name: missing"):
        lookup({"model": {}}, "model.name")
    bad = tmp_path / "p.yaml"
    bad.write_text("a: [1, 2\nb: 3\n")
    with pytest.raises(XstiltsError, match=r"p.yaml:\d+: not valid YAML"):
        load_params(bad)


def test_configs_override_only_known_keys_and_add_new_ones_with_plus():
    params = load_params(ROOT / "params.yaml")
    flags = override_flags({"data": {"source": "local"}, "target": {"data": {"local": {"train": ["a/b/c"]}}}}, params)
    assert flags == ["-S", "data.source=local", "-S", '+target.data.local.train=["a/b/c"]']
    assert dict(flatten({"a": {"b": 1, "c": {}}})) == {"a.b": 1, "a.c": {}}


@pytest.mark.parametrize("config", sorted((ROOT / "configs").glob("*.yaml")))
def test_every_config_overrides_existing_sections(config):
    """A config may add leaves, but a typo in a section name would silently do nothing."""
    params = load_params(ROOT / "params.yaml")
    overrides = load_params(config)
    for key, _ in flatten(overrides):
        parent = key.rsplit(".", 1)[0]
        if "." in key and not key.startswith("target.data.local"):
            lookup(params, parent)
    command = exp_run_command(config, str(ROOT / "params.yaml"), None, queue=True)
    assert command[:6] == ["dvc", "exp", "run", "-n", config.stem, "--queue"]


def test_atomic_writes_leave_nothing_on_failure(tmp_path):
    target = tmp_path / "m.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError):
        with atomic_dir(tmp_path / "model") as d:
            (d / "weights").write_text("half")
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    write_json(target, {"b": 1, "a": 2})
    assert target.read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'


@pytest.mark.slow
def test_stage_errors_are_one_line_without_traceback(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"data": {"source": "web", "local_dir": ".", "seed": 1}, "target": {"data": {}}, "languages": ["en"]}))
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "stages/prepare.py"), "--task", "pawsx", "--role", "target", "--out", str(out), "--params", str(params)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: params.yaml: data.source: unknown source 'web'; choose one of fixture, local, hub"
    assert not out.exists()


def test_extra_overrides_come_after_the_config():
    command = exp_run_command(ROOT / "configs/real-cpu.yaml", str(ROOT / "params.yaml"), "smoke", False,
                              ("target.train.epochs=1",))
    assert command[:5] == ["dvc", "exp", "run", "-n", "smoke"]
    assert command[-2:] == ["-S", "target.train.epochs=1"]
    assert "data.source=local" in command


def test_a_task_override_applies_to_that_task_and_errors_name_the_override_key():
    params = {"intermediate": {"train": {"learning_rate": 1e-4, "epochs": 2},
                               "overrides": {"anli": {"train": {"epochs": 5}}, "none": {"train": {}}}}}
    anli = section(TrainConfig, params, "intermediate.train", "intermediate.overrides.anli.train")
    none = section(TrainConfig, params, "intermediate.train", "intermediate.overrides.none.train")
    assert (anli.learning_rate, anli.epochs) == (1e-4, 5) and (none.learning_rate, none.epochs) == (1e-4, 2)
    for bad, message in [({"epochs": 0}, r"intermediate.overrides.anli.train.epochs: must be > 0"),
                         ({"epoch": 3}, r"intermediate.overrides.anli.train.epoch: unknown key"),
                         ({"learning_rate": "x"}, r"intermediate.overrides.anli.train.learning_rate: expected a number")]:
        params["intermediate"]["overrides"]["anli"]["train"] = bad
        with pytest.raises(ParamsError, match=message):
            section(TrainConfig, params, "intermediate.train", "intermediate.overrides.anli.train")
    # A bad shared value is still blamed on the shared key.
    params["intermediate"]["overrides"]["anli"]["train"] = {}
    params["intermediate"]["train"]["epochs"] = 0
    with pytest.raises(ParamsError, match=r"params.yaml: intermediate.train.epochs: must be > 0"):
        section(TrainConfig, params, "intermediate.train", "intermediate.overrides.anli.train")


def test_every_registry_task_has_an_overrides_entry_in_params_yaml():
    """dvc.yaml's intermediate stages read intermediate.overrides.<task>.{data,train}: a task without
    its entry could not be selected in intermediate.tasks."""
    from xstilts.data.registry import intermediate_task_names

    params = load_params(ROOT / "params.yaml")
    overrides = lookup(params, "intermediate.overrides")
    for task in intermediate_task_names():
        assert set(overrides[task]) == {"data", "train"}, task
    assert set(params["intermediate"]["tasks"]) <= set(overrides)
