"""Tokenised sentence pairs cached on disk: tokenisation done once per (tokenizer, rows, max length).

Every run (intermediate task × seed) tokenises the same target train set and the same test and
variant sets; `encode_pairs_cached` returns exactly what `xstilts.modeling.encode_pairs` returns,
from a content-addressed cache shared by all stage processes:

    XSTILTS_CACHE_DIR=/scratch/xstilts-cache dvc repro     # default: $XDG_CACHE_HOME/xstilts or ~/.cache/xstilts
    XSTILTS_CACHE_DIR=off dvc repro                        # no cache: plain encode_pairs
    rm -rf ~/.cache/xstilts/tokenized                      # clear it (never needed for correctness)

The key is a sha256 over a format version, the tokenizer's content (the fast tokenizer's JSON
without its transient truncation/padding state, its class, truncation and padding sides, special
token ids and the transformers/tokenizers versions; not its path, so the copies saved with every
checkpoint share entries), max_length, label_key and every row's (sentence1, sentence2, label) in
order. One `<key>.npz` per entry (flat int32 ids, int64 offsets, int64 labels and the key itself),
written to a temporary file and renamed, so concurrent stages and interrupted writes are safe;
loaded with `allow_pickle=False`. An unreadable or inconsistent file is a miss and is rewritten; a
cache that cannot be written is a warning, never an error.

The cache lives outside the DVC workspace on purpose: `dvc exp run --queue` runs experiments in
temporary copies of the workspace, and they share it too. It is a pure cache (the stage outputs are
identical with or without it), so no stage depends on it. Slow (Python) tokenizers are not cached.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from xstilts.io import atomic_path
from xstilts.modeling import EncodedPairs, encode_pairs

FORMAT = "xstilts-tokenized-v1"
ENV = "XSTILTS_CACHE_DIR"
SUBDIR = "tokenized"
_SPECIAL = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The cache's root folder (entries go under `tokenized/`), or None when caching is off."""
    value = os.fspath(cache_dir) if cache_dir is not None else os.environ.get(ENV, "").strip()
    if value.lower() == "off":
        return None
    if value:
        return Path(value).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "xstilts"


def _backend_json(backend) -> str:
    """The fast tokenizer's JSON without its truncation/padding state, which transformers sets per
    call (the first call would change the key otherwise); the state is restored afterwards."""
    truncation, padding = backend.truncation, backend.padding
    try:
        if truncation is not None:
            backend.no_truncation()
        if padding is not None:
            backend.no_padding()
        return backend.to_str()
    finally:
        if truncation is not None:
            backend.enable_truncation(**truncation)
        if padding is not None:
            backend.enable_padding(**padding)


def tokenizer_fingerprint(tokenizer) -> bytes | None:
    """A digest of everything about `tokenizer` that can change the ids of a pair; None for a slow
    tokenizer."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if not getattr(tokenizer, "is_fast", False) or backend is None:
        return None
    import tokenizers
    import transformers

    cls = type(tokenizer)
    meta = {
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "truncation_side": getattr(tokenizer, "truncation_side", None),
        "padding_side": getattr(tokenizer, "padding_side", None),
        "special_ids": {name: getattr(tokenizer, f"{name}_id", None) for name in _SPECIAL},
        "all_special_ids": list(getattr(tokenizer, "all_special_ids", [])),
        "versions": [transformers.__version__, tokenizers.__version__],
    }
    h = hashlib.sha256(json.dumps(meta, sort_keys=True, default=str).encode())
    h.update(b"\n")
    h.update(_backend_json(backend).encode())
    return h.digest()


def cache_key(fingerprint: bytes, rows: Sequence[dict], labels: Sequence[int], max_length: int,
              label_key: str) -> str:
    h = hashlib.sha256()
    content = json.dumps([[r["sentence1"], r["sentence2"], label] for r, label in zip(rows, labels)],
                         ensure_ascii=False).encode()
    for part in (FORMAT.encode(), fingerprint, repr(max_length).encode(), label_key.encode(), content):
        h.update(len(part).to_bytes(8, "little"))  # length-prefixed: no two part lists hash alike
        h.update(part)
    return h.hexdigest()


def _load(path: Path, key: str, labels: list[int]) -> EncodedPairs | None:
    """The entry at `path`, or None if it is missing, unreadable or not exactly this entry."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if sorted(z.files) != ["ids", "key", "labels", "offsets"]:
                return None
            stored_key, ids, offsets, stored = z["key"], z["ids"], z["offsets"], z["labels"]
    except FileNotFoundError:
        return None
    except Exception:  # a truncated or corrupt zip, a bad CRC or header: all a miss, never an error
        return None
    n = len(labels)
    if (stored_key.shape != () or str(stored_key) != key or ids.dtype != np.int32 or ids.ndim != 1
            or offsets.dtype != np.int64 or offsets.shape != (n + 1,) or stored.dtype != np.int64
            or stored.shape != (n,) or offsets[0] != 0 or offsets[-1] != ids.size
            or np.any(np.diff(offsets) < 0) or stored.tolist() != labels):
        return None
    flat, bounds = ids.tolist(), offsets.tolist()
    return EncodedPairs(input_ids=[flat[a:b] for a, b in zip(bounds, bounds[1:])], labels=labels)


def _save(path: Path, key: str, pairs: EncodedPairs) -> None:
    lengths = pairs.lengths
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.fromiter(itertools.chain.from_iterable(pairs.input_ids), dtype=np.int32, count=int(offsets[-1]))
    with atomic_path(path) as tmp, open(tmp, "wb") as f:  # a file object: savez would add ".npz" to a name
        np.savez(f, key=np.array(key), ids=ids, offsets=offsets, labels=np.array(pairs.labels, dtype=np.int64))


def encode_pairs_cached(tokenizer, rows: Sequence[dict], max_length: int, label_key: str = "label",
                        cache_dir: str | os.PathLike[str] | None = None) -> EncodedPairs:
    """`encode_pairs(tokenizer, rows, max_length, label_key)`, from the on-disk cache when it holds
    this exact entry (see the module docstring); `cache_dir` overrides XSTILTS_CACHE_DIR."""
    root = cache_root(cache_dir)
    fingerprint = tokenizer_fingerprint(tokenizer) if root is not None and rows else None
    if fingerprint is None:
        return encode_pairs(tokenizer, rows, max_length, label_key)
    labels = [int(r[label_key]) for r in rows]
    key = cache_key(fingerprint, rows, labels, max_length, label_key)
    path = root / SUBDIR / f"{key}.npz"
    cached = _load(path, key, labels)
    if cached is not None:
        return cached
    pairs = encode_pairs(tokenizer, rows, max_length, label_key)
    try:
        _save(path, key, pairs)
    except (OSError, ValueError, OverflowError) as exc:
        warnings.warn(f"tokenisation cache not written ({path}: {exc}); set {ENV}=off to silence this",
                      stacklevel=2)
    return pairs
