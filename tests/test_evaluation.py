"""Predictions: what each saved row carries, and where a variant's label effect comes from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from xstilts.errors import DataError
from xstilts.evaluation import EvalSet, edit_rate, family_effect, load_eval_sets, prediction_rows
from xstilts.metrics import load_metric


def test_accuracy_module_loads_by_local_path_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    metric = load_metric("accuracy")
    assert metric.compute(predictions=[1, 0, 1, 1], references=[1, 1, 1, 0])["accuracy"] == 0.5
    assert metric.compute(predictions=[1, 0], references=[1, 0], normalize=False)["accuracy"] == 2
    with pytest.raises(ValueError, match="no metric module 'bleu'"):
        load_metric("bleu")


LOAD_WITHOUT_TORCH = """
import sys
from xstilts.metrics import load_metric
assert load_metric("robustness").compute(predictions=[1], references=[1], clean_predictions=[1],
                                         clean_references=[1])["accuracy"] == 1.0
assert "torch" not in sys.modules and "transformers" not in sys.modules, "evaluate pulled in torch"
import transformers  # the stand-in that kept it out is gone
from transformers import PretrainedConfig
print("OK")
"""


@pytest.mark.slow
def test_the_metric_modules_load_offline_without_torch():
    """The score stage needs no model: loading a metric module must not import transformers' pipelines
    (and torch) through `import evaluate` (seconds), and must leave transformers importable."""
    src = Path(__file__).resolve().parents[1] / "src"
    env = dict(os.environ, PYTHONPATH=str(src), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_TORCH], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "OK", done.stderr[-2000:]


def test_prediction_rows_carry_expected_label_effect_and_change():
    clean = EvalSet("de", "clean", "clean", [{"id": "1", "label": 1, "sentence1": "ab", "sentence2": "cd"}])
    contrast = EvalSet("de", "contrast", "flipping", [{
        "id": "1", "label": 1, "expected_label": 0, "changed": True, "sentence1": "ab", "sentence2": "xd",
        "edits": [{"sentence": 2, "before": "c", "after": "x"}]}])
    rows = prediction_rows([clean, contrast], [np.array([[0.2, 0.8]]), np.array([[0.6, 0.4]])])
    assert rows[0] == {"id": "1", "lang": "de", "variant": "clean", "effect": "clean", "changed": False,
                       "text_changed": False, "edit_rate": 0.0, "label": 1, "expected_label": 1, "predicted": 1,
                       "probabilities": [0.2, 0.8]}
    assert rows[1]["expected_label"] == 0 and rows[1]["predicted"] == 0 and rows[1]["changed"] is True
    assert rows[1]["edit_rate"] == 0.25 and rows[1]["effect"] == "flipping"
    assert edit_rate({"sentence1": "", "sentence2": ""}) == 0.0


def test_family_effect_comes_from_quality_json(tmp_path):
    clean = tmp_path / "test"
    clean.mkdir()
    (clean / "en.jsonl").write_text(json.dumps({"id": "1", "label": 1, "sentence1": "a", "sentence2": "b"}) + "\n")
    family = tmp_path / "variants" / "noise"
    family.mkdir(parents=True)
    (family / "en.jsonl").write_text(json.dumps({"id": "1", "label": 1, "sentence1": "a", "sentence2": "c"}) + "\n")
    with pytest.raises(DataError, match=r"noise/quality.json: cannot read"):
        load_eval_sets(clean, tmp_path / "variants", ["en"])
    (family / "quality.json").write_text(json.dumps({"effect": "sideways"}))
    with pytest.raises(DataError, match="'effect' must be one of"):
        family_effect(family)
    (family / "quality.json").write_text(json.dumps({"effect": "preserving"}))
    sets = load_eval_sets(clean, tmp_path / "variants", ["en"])
    assert [(s.variant, s.effect) for s in sets] == [("clean", "clean"), ("noise", "preserving")]


def test_evaluation_subsample_keeps_the_same_items_everywhere(tmp_path):
    clean = tmp_path / "test"
    clean.mkdir()
    family = tmp_path / "variants" / "noise"
    family.mkdir(parents=True)
    (family / "quality.json").write_text(json.dumps({"effect": "preserving"}))
    for lang in ("en", "de"):
        rows = [{"id": str(i), "label": i % 2, "sentence1": f"{lang} {i}", "sentence2": "x"} for i in range(50)]
        (clean / f"{lang}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        (family / f"{lang}.jsonl").write_text("".join(json.dumps({**r, "changed": True}) + "\n" for r in rows))
    sets = load_eval_sets(clean, tmp_path / "variants", ["en", "de"], max_examples=10, seed=3)
    assert [len(s.rows) for s in sets if s.variant == "clean"] == [50, 50]  # clean: always every item
    ids = [[r["id"] for r in s.rows] for s in sets if s.variant != "clean"]
    assert len(ids[0]) == 10 and all(i == ids[0] for i in ids)
    assert ids[0] == sorted(ids[0], key=int)  # original order kept
    other = load_eval_sets(clean, tmp_path / "variants", ["en", "de"], max_examples=10, seed=4)
    assert [r["id"] for r in other[-1].rows] != ids[0]
    assert len(load_eval_sets(clean, tmp_path / "variants", ["en", "de"])[-1].rows) == 50


def test_one_variant_at_a_time_keeps_the_subsample_of_the_clean_ids(tmp_path):
    """Stage `predict@<run>-<family>` reads one family; its items are the clean subsample's."""
    clean = tmp_path / "test"
    clean.mkdir()
    for name in ("noise", "swap"):
        (tmp_path / "variants" / name).mkdir(parents=True)
        (tmp_path / "variants" / name / "quality.json").write_text(json.dumps({"effect": "preserving"}))
    for lang in ("en", "de"):
        rows = [{"id": str(i), "label": i % 2, "sentence1": f"{lang} {i}", "sentence2": "x"} for i in range(40)]
        (clean / f"{lang}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        noisy = [dict(r, changed=True) for r in rows if int(r["id"]) % 3]  # a family leaves some items alone
        for name in ("noise", "swap"):
            (tmp_path / "variants" / name / f"{lang}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in noisy))
    everything = load_eval_sets(clean, tmp_path / "variants", ["en", "de"], max_examples=12, seed=5)
    only_noise = load_eval_sets(clean, tmp_path / "variants", ["en", "de"], max_examples=12, seed=5, variants=["noise"])
    assert [s.variant for s in only_noise] == ["noise", "noise"]
    assert [s.rows for s in only_noise] == [s.rows for s in everything if s.variant == "noise"]
    assert [s.variant for s in load_eval_sets(clean, tmp_path / "variants", ["en"], variants=["clean"])] == ["clean"]
    with pytest.raises(DataError, match="variants/gone: no such perturbation family"):
        load_eval_sets(clean, tmp_path / "variants", ["en"], variants=["gone"])


def _nfkc_tokenizer():
    """A word-level fast tokenizer with an NFKC normaliser, like XLM-R's: full-width letters fold."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", "ab", "cd", "xd", "Ab"])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                                   cls_token="<s>", pad_token="<pad>", unk_token="<unk>")


def test_changed_means_the_token_ids_changed(monkeypatch, tmp_path):
    """Issue 18 item 7: a full-width edit that NFKC undoes is a text change, not a model-input change;
    it is not `changed`, and a flipping family's reference label goes back to the gold label."""
    from xstilts.evaluation import token_change_counts, token_changes, with_token_changes

    monkeypatch.setenv("XSTILTS_CACHE_DIR", str(tmp_path / "cache"))
    tokenizer = _nfkc_tokenizer()
    clean = {"ja": [{"id": "1", "label": 1, "sentence1": "ab", "sentence2": "cd"},
                    {"id": "2", "label": 1, "sentence1": "ab", "sentence2": "cd"},
                    {"id": "3", "label": 0, "sentence1": "ab", "sentence2": "cd"}]}
    ortho = EvalSet("ja", "orthography", "preserving", [
        {"id": "1", "label": 1, "changed": True, "sentence1": "ａｂ", "sentence2": "cd"},  # NFKC: identical
        {"id": "2", "label": 1, "changed": True, "sentence1": "Ab", "sentence2": "cd"},  # a new token
        {"id": "3", "label": 0, "changed": False, "sentence1": "ab", "sentence2": "cd"}])
    contrast = EvalSet("ja", "contrast", "flipping", [
        {"id": "1", "label": 1, "expected_label": 0, "changed": True, "sentence1": "ａｂ", "sentence2": "cd"},
        {"id": "2", "label": 1, "expected_label": 0, "changed": True, "sentence1": "ab", "sentence2": "xd"}])
    sets = [EvalSet("ja", "clean", "clean", clean["ja"]), ortho, contrast]
    flags = token_changes(tokenizer, sets, clean, max_length=16)
    assert flags == [None, [False, True, False], [False, True]]
    marked = with_token_changes(sets, flags)
    assert marked[0] is sets[0]
    assert [(r["text_changed"], r["changed"]) for r in marked[1].rows] == [(True, False), (True, True), (False, False)]
    assert [r["expected_label"] for r in marked[2].rows] == [1, 0]  # the undone contrast edit keeps its label
    rows = prediction_rows(marked, [np.full((len(s.rows), 2), 0.5) for s in marked])
    assert [(r["changed"], r["text_changed"]) for r in rows[3:6]] == [(False, True), (True, True), (False, False)]
    assert rows[0]["text_changed"] is False and rows[0]["changed"] is False
    counts = token_change_counts(rows)
    assert counts == {
        "contrast": {"ja": {"items": 2, "text_changed": 2, "changed": 1, "token_identical": 1}},
        "orthography": {"ja": {"items": 3, "text_changed": 2, "changed": 1, "token_identical": 1}},
    }
    # Truncation counts too: an edit past max_length never reaches the model.
    tail = EvalSet("ja", "noise", "preserving", [{"id": "1", "label": 1, "changed": True,
                                                   "sentence1": "ab", "sentence2": "cd xd"}])
    clean_tail = {"ja": [{"id": "1", "label": 1, "sentence1": "ab", "sentence2": "cd cd"}]}
    assert token_changes(tokenizer, [tail], clean_tail, max_length=6) == [[False]]
    assert token_changes(tokenizer, [tail], clean_tail, max_length=16) == [[True]]
    with pytest.raises(DataError, match="not in the clean test set"):
        token_changes(tokenizer, [tail], {"ja": []}, max_length=16)


def test_predict_run_writes_token_level_change(tmp_path, monkeypatch):
    """The predict stage end to end on a tiny checkpoint: a variant row whose text changed but whose
    token ids did not ("w1" -> "w1 " is undone by whitespace splitting) is `changed: false`,
    `text_changed: true`, and keeps its gold label even in a label-flipping family."""
    from tiny_model import make_tiny_encoder

    from xstilts.config import EvalConfig
    from xstilts.evaluation import predict_run
    from xstilts.io import read_jsonl
    from xstilts.modeling import load_classifier, load_tokenizer

    monkeypatch.setenv("XSTILTS_CACHE_DIR", "off")
    encoder = make_tiny_encoder(tmp_path / "encoder")
    model = tmp_path / "model"
    load_classifier(encoder, labels=["no", "yes"]).save_pretrained(model)
    load_tokenizer(encoder).save_pretrained(model)
    clean = tmp_path / "test"
    clean.mkdir()
    rows = [{"id": "1", "label": 1, "sentence1": "w1 w2", "sentence2": "w3"},
            {"id": "2", "label": 1, "sentence1": "w4 w5", "sentence2": "w6"}]
    (clean / "en.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    family = tmp_path / "variants" / "swap"
    family.mkdir(parents=True)
    (family / "quality.json").write_text(json.dumps({"effect": "flipping"}))
    variants = [dict(rows[0], sentence1="w1  w2", changed=True, expected_label=0),
                dict(rows[1], sentence1="w5 w4", changed=True, expected_label=0)]
    (family / "en.jsonl").write_text("".join(json.dumps(r) + "\n" for r in variants))
    out = tmp_path / "pred.jsonl"
    assert predict_run(model, clean, tmp_path / "variants", ["en"], EvalConfig(batch_size=4), 32, out, ["swap"]) == 2
    got = [r for _, r in read_jsonl(out)]
    assert [(r["id"], r["changed"], r["text_changed"], r["expected_label"]) for r in got] == [
        ("1", False, True, 1), ("2", True, True, 0)]
