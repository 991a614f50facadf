"""params.yaml parsing, named configurations, atomic writes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from xstilts.config import Params
from xstilts.configs import exp_run_command, flatten, override_flags
from xstilts.errors import ParamsError, XstiltsError
from xstilts.io import atomic_dir, atomic_path, write_json
from xstilts.params import deep_merge, load_params, lookup, read, read_params

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_params_parse_into_typed_sections():
    params = read_params(ROOT / "params.yaml", ["intermediate.train", "target.train", "eval"])
    for cfg in (params.intermediate.train, params.target.train):
        assert cfg.learning_rate > 0 and cfg.mixed_precision in ("auto", "no", "bf16", "fp16")
    assert params.eval.batch_size > 0


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
        read(params, "target.train")


def test_yaml_exponent_strings_are_numbers():
    # PyYAML reads `2e-5` (no dot) as a string; a number written that way must still work, in every
    # section and in a family's or an attack source's own params.
    from xstilts.attack.sources import parse_sources
    from xstilts.perturb.pipeline import family_params, get_family

    params = yaml.safe_load("target: {train: {learning_rate: 2e-5}}\n"
                            "perturb: {families: {char_noise: {rate: 1e-1}}}\n"
                            "attack: {max_edit_share: 2e-1, sources: {lexicon: {min_dice: 4e-1}}}")
    assert isinstance(params["target"]["train"]["learning_rate"], str)
    p = read_params(params, ["target.train", "perturb.families", "attack"])
    assert p.target.train.learning_rate == 2e-5 and p.attack.max_edit_share == 0.2
    assert family_params(get_family("char_noise"), p.perturb.families["char_noise"]).rate == 0.1
    assert parse_sources(p.attack.sources, "attack.sources")["lexicon"].min_dice == 0.4


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
    def train_for(task: str):
        keys = ["intermediate.train", f"intermediate.overrides.{task}.train"]  # the intermediate stage's
        return read_params(params, keys).intermediate.train_for(task)

    anli, none = train_for("anli"), train_for("none")
    assert (anli.learning_rate, anli.epochs) == (1e-4, 5) and (none.learning_rate, none.epochs) == (1e-4, 2)
    for bad, message in [({"epochs": 0}, r"intermediate.overrides.anli.train.epochs: must be > 0"),
                         ({"epoch": 3}, r"intermediate.overrides.anli.train.epoch: unknown key"),
                         ({"learning_rate": "x"}, r"intermediate.overrides.anli.train.learning_rate: expected a number")]:
        params["intermediate"]["overrides"]["anli"]["train"] = bad
        with pytest.raises(ParamsError, match=message):
            train_for("anli")
    # A bad shared value is still blamed on the shared key.
    params["intermediate"]["overrides"]["anli"]["train"] = {}
    params["intermediate"]["train"]["epochs"] = 0
    with pytest.raises(ParamsError, match=r"params.yaml: intermediate.train.epochs: must be > 0"):
        train_for("anli")


def test_a_task_data_override_merges_its_caps_key_by_key():
    params = {"intermediate": {"data": {"max_examples": {"train": 10, "validation": 5}, "holdout": 0.2},
                               "overrides": {"anli": {"data": {"max_examples": {"train": 4}}}}}}
    data = read_params(params, ["intermediate.data", "intermediate.overrides.anli.data"]).intermediate.data_for("anli")
    assert (data.max_examples, data.holdout) == ({"train": 4, "validation": 5}, 0.2)


def test_every_registry_task_has_an_overrides_entry_in_params_yaml():
    """dvc.yaml's intermediate stages read intermediate.overrides.<task>.{data,train}: a task without
    its entry could not be selected in intermediate.tasks."""
    from xstilts.data.registry import intermediate_task_names

    params = load_params(ROOT / "params.yaml")
    overrides = lookup(params, "intermediate.overrides")
    for task in intermediate_task_names():
        assert set(overrides[task]) == {"data", "train"}, task
    assert set(params["intermediate"]["tasks"]) <= set(overrides)


def _whole_tree(raw: dict) -> Params:
    """Every key of `raw` checked: the tree, then what the owning packages type (each family's and
    each attack source's params) and each intermediate task's merged settings."""
    from xstilts.attack.sources import parse_sources
    from xstilts.data.prepare import check_task
    from xstilts.perturb.pipeline import family_params, get_family

    tree = read(raw, "")
    for name, family in tree.perturb.families.items():
        family_params(get_family(name), family)
    parse_sources(tree.attack.sources, "attack.sources")
    for task in tree.intermediate.tasks:
        check_task(task)
        tree.intermediate.data_for(task), tree.intermediate.train_for(task)
    return tree


@pytest.mark.parametrize("config", [None, *sorted((ROOT / "configs").glob("*.yaml"))],
                         ids=lambda c: "params.yaml" if c is None else c.name)
def test_params_and_every_config_validate_as_a_whole_tree(config):
    raw = load_params(ROOT / "params.yaml")
    if config is not None:  # a configuration is its overrides of params.yaml
        raw = deep_merge(raw, load_params(config))
    tree = _whole_tree(raw)
    assert tree.languages and tree.seeds and tree.perturb.families and tree.attack.sources


def test_a_stage_checks_only_the_keys_it_reads():
    """An invalid value under a key a stage does not list fails neither that stage nor its reading."""
    raw = {"languages": ["en"], "target": {"train": {"epochs": 0, "max_length": 64}}, "eval": {"batch_szie": 1}}
    p = read_params(raw, ["languages", "target.train.max_length"])
    assert p.languages == ["en"] and p.target.train.max_length == 64
    assert p.eval == Params().eval  # unread: the default
    with pytest.raises(ParamsError, match=r"params.yaml: target.train.epochs: must be > 0, got 0"):
        read_params(raw, ["target.train"])
    with pytest.raises(ParamsError, match=r"params.yaml: eval.batch_szie: unknown key; known keys: batch_size, "):
        read_params(raw, ["eval"])


@pytest.mark.parametrize(
    ("raw", "key", "message"),
    [
        ({"target": {"train": {"max_length": 0}}}, "target.train.max_length", r"target.train.max_length: must be > 0, got 0"),
        ({"target": {"train": {"max_length": True}}}, "target.train.max_length",
         r"target.train.max_length: expected an integer, got True"),
        ({"languages": "en"}, "languages", r"languages: expected a non-empty list of language codes, got 'en'"),
        ({"languages": []}, "languages", r"languages: expected a non-empty list of language codes, got \[\]"),
        ({"languages": ["en", "xx"]}, "languages", r"languages: unknown language 'xx' \(PAWS-X has en, de, .*\)"),
        ({"seeds": [13, "x"]}, "seeds", r"seeds: expected a non-empty list of integers, got \[13, 'x'\]"),
        ({"intermediate": {"tasks": []}}, "intermediate", r"intermediate.tasks: expected a non-empty list of task names"),
        ({"data": {"source": "web"}}, "data.source", r"data.source: unknown source 'web'; choose one of fixture, local, hub"),
        ({"target": {"data": {"max_examples": [1]}}}, "target.data", r"target.data.max_examples: expected a mapping"),
        ({"target": {"data": {"local": {"train": "a.jsonl"}}}}, "target.data", r"target.data.local.train: expected a list"),
        ({"eval": {"mixed_precision": False}}, "eval", None),  # `no`, unquoted: YAML's boolean is the choice "no"
        ({"perturb": {"families": {"char_noise": 3}}}, "perturb.families", r"perturb.families.char_noise: expected a mapping"),
        ({"model": {}}, "model.name", r"model.name: missing"),
        ({"report": {"notes": "notes/real.md"}}, "report",
         r"report.notes: notes/real.md: expected a file in reports/notes/ \(a dependency of the stage\)"),
    ],
)
def test_reading_a_key_checks_its_type_and_range(raw, key, message):
    if message is None:
        assert read_params(raw, [key]).eval.mixed_precision == "no"
        return
    with pytest.raises(ParamsError, match=f"^params.yaml: {message}"):
        read_params(raw, [key])


def test_family_and_source_params_are_built_by_the_same_builder():
    from xstilts.attack.sources import parse_sources
    from xstilts.perturb.pipeline import family_params, get_family

    with pytest.raises(ParamsError, match=r"perturb.families.char_noise.rat: unknown key; known keys: seed, rate, "):
        family_params(get_family("char_noise"), {"rat": 0.2})
    with pytest.raises(ParamsError, match=r"attack.sources.embedding.neighbors: unknown key; known keys: neighbours, "):
        parse_sources({"embedding": {"neighbors": 3}}, "attack.sources")
    assert family_params(get_family("orthography"), None) == get_family("orthography").params()
