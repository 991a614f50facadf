"""Every enum-like param survives what DVC does to params.yaml (issue 17, point 8).

`dvc exp run -S key=value` parses `value` as YAML 1.1, so `no` arrives as the boolean False, and
it writes params.yaml back without the quotes that kept `"no"` a string, so an unrelated `-S`
turns `mixed_precision: "no"` into `mixed_precision: no`. Here a one-stage DVC project whose
stage reads its params through the project's own validators runs `dvc exp run -S` with every
allowed value of every Literal-typed key, and an unrelated `-S` over quoted values.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import typing

import pytest

from workspace import ROOT, dvc, git, offline_env
from xstilts.config import AttackConfig, EvalConfig, TrainConfig

pytestmark = pytest.mark.slow

SECTIONS = {"intermediate.train": TrainConfig, "target.train": TrainConfig, "eval": EvalConfig,
            "attack": AttackConfig}

CHECK = '''
import json
from xstilts.params import load_params, read

SECTIONS = ("intermediate.train", "target.train", "eval", "attack")
params = load_params("params.yaml")
resolved = {key: vars(read(params, key)) for key in SECTIONS}
json.dump(resolved, open("resolved.json", "w"), default=str)
'''


def enum_keys() -> dict[str, tuple[str, ...]]:
    """Every Literal-typed params key -> its allowed values."""
    out = {}
    for key, cls in SECTIONS.items():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if typing.get_origin(hints[f.name]) is typing.Literal:
                out[f"{key}.{f.name}"] = typing.get_args(hints[f.name])
    return out


@pytest.fixture
def project(tmp_path):
    work = tmp_path / "p"
    work.mkdir()
    shutil.copy(ROOT / "params.yaml", work / "params.yaml")
    (work / "check.py").write_text(CHECK)
    keys = list(enum_keys())
    (work / "dvc.yaml").write_text(json.dumps({"stages": {"check": {
        "cmd": "python check.py", "deps": ["check.py"], "params": keys, "outs": ["resolved.json"]}}}))
    env = offline_env(ROOT)
    git("init", "-q", "-b", "main", cwd=work, env=env)
    dvc("init", "-q", cwd=work, env=env)
    git("add", "-A", cwd=work, env=env)
    git("commit", "-qm", "init", cwd=work, env=env)
    return work, env


def _resolved(work) -> dict:
    return json.loads((work / "resolved.json").read_text())


def test_every_allowed_value_of_every_enum_key_through_dvc_exp_run_set_param(project):
    work, env = project
    keys = enum_keys()
    assert "target.train.mixed_precision" in keys and "no" in keys["target.train.mixed_precision"]
    rounds = max(len(values) for values in keys.values())
    for i in range(rounds):  # every key gets its i-th value (cycling), so each value is tried at least once
        wanted = {key: values[i % len(values)] for key, values in keys.items()}
        dvc("exp", "run", *[a for key, value in wanted.items() for a in ("-S", f"{key}={value}")], cwd=work, env=env)
        resolved = _resolved(work)
        for key, value in wanted.items():
            section_key, name = key.rsplit(".", 1)
            assert resolved[section_key][name] == value, key


def test_an_unrelated_set_param_keeps_quoted_enum_values_valid(project):
    work, env = project
    text = (work / "params.yaml").read_text()
    text = text.replace("mixed_precision: auto", 'mixed_precision: "no"')
    (work / "params.yaml").write_text(text)
    dvc("exp", "run", "-S", "eval.batch_size=32", cwd=work, env=env)
    rewritten = (work / "params.yaml").read_text()
    resolved = _resolved(work)
    assert resolved["eval"]["batch_size"] == 32
    assert all(resolved[key]["mixed_precision"] == "no" for key in SECTIONS), rewritten
