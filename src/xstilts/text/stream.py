"""The seeded random stream: deterministic random numbers from SHA-256(key, counter).

Keyed on whatever identifies the draw (a family's name, its seed, the language and the example id),
a stream makes the result depend only on that key, never on processing order or on the Python
version (unlike `random.Random`, whose algorithms may change).

    stream = Stream("char_noise", 13, "de", "20001")
    stream.randrange(10), stream.choice("abc"), stream.shuffled([1, 2, 3]), stream.chance(0.5)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Stream:
    """Deterministic random numbers from SHA-256(key, counter); stable across Python versions."""

    def __init__(self, *key: object) -> None:
        self._key = "\x1f".join(str(k) for k in key).encode("utf-8")
        self._counter = 0

    def _next64(self) -> int:
        digest = hashlib.sha256(self._key + b"\x1e" + str(self._counter).encode()).digest()
        self._counter += 1
        return int.from_bytes(digest[:8], "big")

    def random(self) -> float:
        return (self._next64() >> 11) / float(1 << 53)

    def randrange(self, n: int) -> int:
        if n <= 0:
            raise ValueError("randrange of an empty range")
        return self._next64() % n  # bias < n / 2**64: irrelevant here

    def choice(self, seq: Sequence[T]) -> T:
        return seq[self.randrange(len(seq))]

    def shuffled(self, seq: Sequence[T]) -> list[T]:
        items = list(seq)
        for i in range(len(items) - 1, 0, -1):  # Fisher-Yates
            j = self.randrange(i + 1)
            items[i], items[j] = items[j], items[i]
        return items

    def chance(self, p: float) -> bool:
        return self.random() < p
