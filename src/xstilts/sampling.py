"""Seeded subsampling by a hash of the example id: the same ids in every language and every run."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

Row = TypeVar("Row", bound=Mapping[str, Any])


def rank(tag: str, seed: int, ident: str) -> bytes:
    return hashlib.sha256(f"{tag}\0{seed}\0{ident}".encode()).digest()


def subsample(rows: Sequence[Row], n: int, seed: int) -> list[Row]:
    """At most n rows chosen by a seeded hash of the id, in their original order (0 = all)."""
    if n <= 0 or n >= len(rows):
        return list(rows)
    keep = {r["id"] for r in sorted(rows, key=lambda r: rank("sample", seed, r["id"]))[:n]}
    return [r for r in rows if r["id"] in keep]
