"""Sentence pairs as the perturbation families and the attack see them, and parallel rows.

    from xstilts.text.pairs import make_example, parallel_units
    ex = make_example("de", {"id": "7", "sentence1": "…", "sentence2": "…", "label": 1})

PAWS-X's rows hold a marker instead of a sentence where translation failed (`NS`, `ns`) or the
text is unknown (`WL`, `WORA`): `UNTRANSLATED_MARKERS`. Nothing is ever edited in or learned from
such a sentence, and a family treats its example as not eligible.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

UNTRANSLATED_MARKERS = frozenset({"NS", "ns", "WL", "WORA"})


@dataclass(frozen=True)
class Example:
    """One NFC-normalised sentence pair in one language."""

    id: str
    lang: str
    sentence1: str
    sentence2: str
    label: int

    def sentence(self, n: int) -> str:
        return self.sentence1 if n == 1 else self.sentence2


def make_example(lang: str, row: Mapping[str, Any]) -> Example:
    nfc = lambda s: unicodedata.normalize("NFC", s)  # noqa: E731 - one-liner helper
    return Example(str(row["id"]), lang, nfc(row["sentence1"]), nfc(row["sentence2"]), int(row["label"]))


def is_marker(text: str) -> bool:
    return text.strip() in UNTRANSLATED_MARKERS


def parallel_units(a: Sequence[Example], b: Sequence[Example]) -> list[tuple[str, str]]:
    """(text in a, same text in b) per id both have, in a's order; markers are left out.

    One unit per *example*, its two sentences joined by a newline: PAWS sentences 1 and 2 share most
    of their words, so counting them separately would count every word pair twice per example and
    make a word pair seen in a single example look as reliable as one seen in two.
    """
    by_id = {ex.id: ex for ex in b}
    units = []
    for ex in a:
        other = by_id.get(ex.id)
        if other is None:
            continue
        kept = [n for n in (1, 2) if not is_marker(ex.sentence(n)) and not is_marker(other.sentence(n))]
        if kept:
            units.append(("\n".join(ex.sentence(n) for n in kept), "\n".join(other.sentence(n) for n in kept)))
    return units
