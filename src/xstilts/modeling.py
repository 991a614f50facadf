"""Loading checkpoints, tokenising sentence pairs once, and batched prediction.

Shared by training (validation during fine-tuning) and evaluation. Weights load from safetensors
only and no remote code is ever trusted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from xstilts.errors import XstiltsError

# Offline by default: the pipeline never needs the network once `models/pretrained` exists.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def native_bf16() -> bool:
    """Whether this machine computes bfloat16 in hardware: a GPU that supports it, or a CPU whose
    oneDNN has bf16 kernels (AVX-512 BF16/AMX; oneDNN's own check). Without them PyTorch emulates
    bf16, and autocast makes a CPU several times *slower* than float32 (e5-small inference measured on an
    AVX2-only EPYC: 1.7 pairs/s under bf16 autocast against 13.5 in float32; README, "Performance")."""
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN
        return False


# The CPU kinds this project runs on, by the first flag (of /proc/cpuinfo) that tells them apart:
# they differ in what bf16 costs (native on AMX and AVX-512 BF16, emulated ~300x slower elsewhere).
CPU_KINDS = (("amx_bf16", "AMX (native bf16)"), ("avx512_bf16", "AVX-512 BF16 (native bf16)"),
             ("avx512f", "AVX-512 (no native bf16)"), ("avx2", "AVX2 only (no native bf16)"))


def cpu_description() -> dict:
    """`{"model", "kind", "flags"}` of this machine's CPU (Linux /proc/cpuinfo; "unknown" elsewhere),
    recorded with every training log and bench result so that numbers name the machine they came from."""
    model, flags = "unknown", set()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    kind = next((name for flag, name in CPU_KINDS if flag in flags), "other")
    shown = sorted(f for f in flags if f.startswith(("avx", "amx", "fma")))
    return {"model": model, "kind": kind, "flags": shown, "cores": os.cpu_count()}


def resolve_mixed_precision(mixed_precision: str) -> str:
    """`auto` (the params default) becomes `bf16` where bf16 is native (`native_bf16`), else `no`
    (float32); any other value is used as given. The resolved value is recorded in training logs."""
    if mixed_precision != "auto":
        return mixed_precision
    return "bf16" if native_bf16() else "no"


def make_accelerator(mixed_precision: str, gradient_accumulation_steps: int = 1, log_with: str | None = None,
                     compile: bool = False):
    """With `compile`, `prepare` wraps the model in torch.compile (inductor, dynamic shapes, since
    every batch has its own padded length; regional: each repeated layer compiles once).
    `mixed_precision`: no | bf16 | fp16 | auto (`resolve_mixed_precision`)."""
    from accelerate import Accelerator
    from accelerate.utils import TorchDynamoPlugin

    mixed_precision = resolve_mixed_precision(mixed_precision)
    if mixed_precision == "fp16" and not torch.cuda.is_available():
        raise XstiltsError("mixed_precision fp16 needs a GPU; use bf16 or no on a CPU")
    dynamo = TorchDynamoPlugin(backend="inductor", dynamic=True, use_regional_compilation=True) if compile else None
    return Accelerator(mixed_precision=mixed_precision, gradient_accumulation_steps=gradient_accumulation_steps,
                       log_with=log_with, dynamo_plugin=dynamo)


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


def check_model_dir(path: Path, what: str, tokenizer: bool = True) -> None:
    """A complete local model directory, or one line saying what is missing. Pickled weights
    (pytorch_model.bin) alone are refused: unpickling can run arbitrary code."""
    path = Path(path)
    if not path.is_dir():
        raise XstiltsError(f"{path}: model directory does not exist — {what}")
    if not (path / "config.json").is_file():
        raise XstiltsError(f"{path}: not a model directory (no config.json) — {what}")
    if not any(path.glob("*.safetensors")):
        raise XstiltsError(f"{path}: no *.safetensors weights — {what} (only safetensors are loaded)")
    if tokenizer and not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise XstiltsError(f"{path}: no tokenizer files ({' or '.join(TOKENIZER_FILES)}) — {what}")


def load_tokenizer(path: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, trust_remote_code=False)


def load_classifier(path: Path, num_labels: int | None = None, labels: Sequence[str] | None = None):
    """A sequence classifier from `path`; with `labels`, the head is sized for them (fresh if the
    checkpoint is an encoder without a head)."""
    from safetensors import SafetensorError
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    kwargs: dict[str, Any] = {}
    if labels is not None:
        kwargs = {
            "num_labels": len(labels),
            "id2label": dict(enumerate(labels)),
            "label2id": {name: i for i, name in enumerate(labels)},
        }
    # "Some weights were newly initialized: classifier…" is the expected fresh head, not news.
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        # Always float32, whatever dtype the checkpoint was saved in (`save_dtype`; transformers 5
        # defaults to dtype="auto", which would keep bf16/fp16): mixed precision is accelerate's
        # autocast, not the weights' dtype.
        return AutoModelForSequenceClassification.from_pretrained(
            path, use_safetensors=True, trust_remote_code=False, dtype=torch.float32, **kwargs
        )
    except (OSError, ValueError, SafetensorError) as err:  # an incomplete or corrupt directory
        raise XstiltsError(f"{path}: cannot load the model ({type(err).__name__}: {str(err).splitlines()[0]})") from None
    finally:
        hf_logging.set_verbosity(verbosity)


@dataclass(frozen=True)
class EncodedPairs:
    """Token ids of sentence pairs (unpadded), their labels and lengths."""

    input_ids: list[list[int]]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.input_ids]


def encode_pairs(tokenizer, rows: Sequence[dict], max_length: int, label_key: str = "label") -> EncodedPairs:
    """Tokenise (sentence1, sentence2) pairs once, truncating the longer side first; no padding
    here — batches are padded to their own longest pair (dynamic padding)."""
    enc = tokenizer(
        [r["sentence1"] for r in rows],
        [r["sentence2"] for r in rows],
        truncation="longest_first",
        max_length=max_length,
        padding=False,
        return_attention_mask=False,
        return_token_type_ids=False,
    )
    return EncodedPairs(input_ids=enc["input_ids"], labels=[int(r[label_key]) for r in rows])


class PairCollator:
    """Pads a batch to its longest pair; carries each example's index so that predictions made in
    length-sorted order (and gathered across processes) go back to their rows."""

    def __init__(self, pad_id: int, pad_to_multiple_of: int | None = None) -> None:
        self.pad_id = pad_id
        self.multiple = pad_to_multiple_of

    def __call__(self, items: list[tuple[int, list[int], int]]) -> dict[str, torch.Tensor]:
        width = max(len(ids) for _, ids, _ in items)
        if self.multiple:
            width = -(-width // self.multiple) * self.multiple
        input_ids = torch.full((len(items), width), self.pad_id, dtype=torch.long)
        attention = torch.zeros((len(items), width), dtype=torch.long)
        for row, (_, ids, _) in enumerate(items):
            input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            attention[row, : len(ids)] = 1
        return {
            "input_ids": input_ids,
            "attention_mask": attention,
            "labels": torch.tensor([label for _, _, label in items], dtype=torch.long),
            "index": torch.tensor([i for i, _, _ in items], dtype=torch.long),
        }


class IndexedPairs(torch.utils.data.Dataset):
    def __init__(self, pairs: EncodedPairs) -> None:
        self.pairs = pairs

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int) -> tuple[int, list[int], int]:
        return i, self.pairs.input_ids[i], self.pairs.labels[i]


def sorted_loader(pairs: EncodedPairs, batch_size: int, pad_id: int, pad_to_multiple_of: int | None = None) -> DataLoader:
    """Inference batches of similar length (longest first, so memory peaks at once): little padding."""
    order = sorted(range(len(pairs)), key=lambda i: -len(pairs.input_ids[i]))
    # A sampler plus batch_size (not a list of batches), so accelerate can shard it across processes
    # into equal-sized batches; the example index in each batch undoes the order and any padding.
    return DataLoader(IndexedPairs(pairs), batch_size=batch_size, sampler=order,
                      collate_fn=PairCollator(pad_id, pad_to_multiple_of))


@torch.inference_mode()
def predict_logits(model, loader: DataLoader, accelerator, num_examples: int) -> np.ndarray:
    """Logits for every example, in dataset order; gathered across processes without duplicates."""
    model.eval()
    out = None
    seen = np.zeros(num_examples, dtype=bool)
    for batch in loader:
        index = batch.pop("index")
        batch.pop("labels")
        logits = model(**batch).logits.float()
        logits, index = accelerator.gather_for_metrics((logits, index))
        logits, index = logits.cpu().numpy(), index.cpu().numpy()
        if out is None:
            out = np.zeros((num_examples, logits.shape[1]), dtype=np.float32)
        out[index] = logits
        seen[index] = True
    if out is None or not seen.all():
        raise RuntimeError(f"prediction covered {int(seen.sum())} of {num_examples} examples")
    return out


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
