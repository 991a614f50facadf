"""A tiny BERT and word-level tokenizer written to disk, for fast training tests on CPU."""

from __future__ import annotations

from pathlib import Path

WORDS = [f"w{i}" for i in range(40)] + ["yes", "no", "cat", "dog"]


def make_tiny_encoder(path: Path, seed: int = 0, words: list[str] | None = None) -> Path:
    """A 2-layer BERT with a word-level tokenizer over `words` (default WORDS) saved to `path`."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab = {tok: i for i, tok in enumerate(specials + (WORDS if words is None else words))}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>",
        pad_token="<pad>", unk_token="<unk>", model_input_names=["input_ids", "attention_mask"],
    )
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=1)
    BertModel(config).save_pretrained(path)
    fast.save_pretrained(path)
    return path


def toy_rows(n: int, seed: int) -> list[dict]:
    """Label 1 iff sentence2 opens with 'yes yes yes yes': learnable in a few steps."""
    import random

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 2
        filler = " ".join(rng.choice(WORDS[:40]) for _ in range(rng.randint(2, 8)))
        rows.append({"id": str(i), "sentence1": filler, "sentence2": " ".join([("yes" if label else "no")] * 4) + " " + filler, "label": label})
    return rows


def toy_target_inputs(tmp: Path, encoder: Path, batch_size: int) -> tuple[Path, Path, Path]:
    """What `stages/target.py` reads, for the toy task: (prepared dir, intermediate pointer dir,
    params.yaml) under `tmp`; 96 train and 30 validation pairs, the baseline's encoder pointer."""
    import json

    import yaml

    prepared = tmp / "prepared"
    for split, rows in (("train", toy_rows(96, 1)), ("validation", toy_rows(30, 2))):
        (prepared / split).mkdir(parents=True)
        (prepared / split / "en.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (prepared / "manifest.json").write_text(json.dumps({"task": "toy", "labels": ["no", "yes"], "splits": {"train": {}}}))
    inter = tmp / "inter"
    inter.mkdir()
    (inter / "encoder.json").write_text(json.dumps({"task": "none", "encoder": str(encoder)}))
    params = tmp / "params.yaml"
    params.write_text(yaml.safe_dump({"target": {"train": {
        "learning_rate": 3e-3, "epochs": 3, "batch_size": batch_size, "warmup_ratio": 0.0, "max_length": 32,
        "evals_per_epoch": 1, "eval_batch_size": 7}}}))
    return prepared, inter, params
