"""Helpers shared by families that read parallel rows of other languages."""

from __future__ import annotations

from collections.abc import Sequence

from xstilts.perturb.base import UNTRANSLATED_MARKERS
from xstilts.perturb.family import Example


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
