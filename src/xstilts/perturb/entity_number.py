"""`entity_number`: a named entity or number replaced consistently in both sentences (preserving).

A name must be *verified* by the parallel test sets (`evidence.py`): a Latin-script name that the
English version of the item (for English: the German, Spanish or French one) spells the same way.
German common nouns (`Lernwerkzeug`, `Handelsregister`) are translated there, so they are never
taken for names; multi-word names are replaced whole (`Common Pleas`, never `Common` alone). In
Japanese, Korean and Chinese only numbers and verified Latin-script names are replaced: there is no
such evidence for a katakana, Hangul or Han name (common nouns were taken for names there).

Only mentions that occur in *both* sentences are candidates (replacing a name one sentence spells
differently would break the paraphrase). A `rate` share of the distinct candidates (at least one) is
replaced everywhere it occurs in the pair, by a name from the pool of its script and language
(`xstilts.text.name_pools`) or a number of the same width. The years of a pair are one unit: they
all move back by one shift, so their order and distances are kept ("between 2005 and 2009" ->
"between 1998 and 2002"). Korean particles after a replaced noun take the form the new noun needs
(을/를, ...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from xstilts.config import check_rate, check_subset, require
from xstilts.perturb.base import BaseParams, n_edits
from xstilts.perturb.evidence import (
    NameEvidence,
    evidence_languages,
    join_connected,
    prepare_evidence,
    verified_names,
)
from xstilts.perturb.family import Corpus, Family
from xstilts.schema import PRESERVING
from xstilts.text.edits import Edit, overlaps
from xstilts.text.entities import NAME, NUMBER, Mention, common_words, occurrences, units
from xstilts.text.pairs import Example
from xstilts.text.replacements import is_year, new_name, new_number, replace_edit, year_shift
from xstilts.text.stream import Stream


@dataclass(frozen=True)
class EntityNumberParams(BaseParams):
    """rate: share of shared entities replaced; kinds: name/number; common_min_df: see xstilts.text.entities."""

    rate: float = 0.5
    kinds: tuple[str, ...] = (NAME, NUMBER)
    common_min_df: int = 5

    def check(self, key: str) -> None:
        check_rate(self.rate, f"{key}.rate")
        require(self.rate > 0, f"{key}.rate", "must be > 0")
        check_subset(self.kinds, (NAME, NUMBER), f"{key}.kinds")
        require(self.common_min_df >= 1, f"{key}.common_min_df", "must be >= 1")


def prepare_common(params: EntityNumberParams, lang: str, corpus: Corpus) -> frozenset[str]:
    """Common words of `lang` from its validation split (never the perturbed split)."""
    # One text per example: PAWS builds several pairs from one source sentence, so a name can
    # occur in a few validation examples; counting its sentences would double that.
    examples = [f"{ex.sentence1}\n{ex.sentence2}" for ex in corpus.validation.get(lang, ())]
    return common_words(examples, lang, params.common_min_df)


@dataclass(frozen=True)
class NameResources:
    """What tells names from other words in one language: its frequent words and the evidence."""

    common: frozenset[str] = frozenset()
    evidence: NameEvidence = field(default_factory=NameEvidence)


def prepare_names(params: EntityNumberParams, lang: str, corpus: Corpus) -> NameResources:
    return NameResources(prepare_common(params, lang, corpus), prepare_evidence(lang, corpus))


def names_summary(res: NameResources) -> dict[str, int]:
    return {"common_words": len(res.common), "evidence_items": len(res.evidence.texts)}


def entity_mentions(text: str, example: Example, res: NameResources) -> list[Mention]:
    """Numbers and verified whole names of `text` (a sentence of `example`), left to right."""
    grown = join_connected(text, units(text, example.lang, res.common))
    found = verified_names(text, grown, res.evidence.for_id(example.id))
    return sorted(found, key=lambda m: m.start)


def needs_evidence(params: object, lang: str) -> tuple[str, ...]:
    return evidence_languages(lang)


def _distinct(found: Sequence[Mention]) -> dict[str, str]:
    """surface -> kind (first seen)."""
    kinds: dict[str, str] = {}
    for m in found:
        kinds.setdefault(m.text, m.kind)
    return kinds


YEARS = "<years>"  # all years of a pair form one unit: they move together


def _mapping(unit: str, kind: str, example: Example, avoid: set[str], stream: Stream) -> dict[str, str]:
    """old -> new surface for one chosen unit."""
    if unit == YEARS:
        shift = year_shift(stream)
        years = sorted(
            {m for s in (example.sentence1, example.sentence2) for m in re.findall(r"[0-9]+", s) if is_year(m)}
        )
        others = avoid - set(years)  # the years all move: only the other numbers are in the way
        return {y: new_number(y, stream, others, shift) for y in years}
    if kind == NUMBER:
        return {unit: new_number(unit, stream, avoid)}
    return {unit: new_name(unit, example.lang, stream, avoid)}


def apply(params: EntityNumberParams, example: Example, res: NameResources, stream: Stream) -> list[Edit] | None:
    s1, s2, lang = example.sentence1, example.sentence2, example.lang
    found = [m for s in (s1, s2) for m in entity_mentions(s, example, res) if m.kind in params.kinds]
    kinds = _distinct(found)
    shared = [t for t in kinds if occurrences(s1, t, lang) and occurrences(s2, t, lang)]
    if not shared:
        return None
    unit_list = list(dict.fromkeys(YEARS if kinds[t] == NUMBER and is_year(t) else t for t in shared))
    avoid = {m.text for m in found}
    taken: dict[int, list[tuple[int, int]]] = {1: [], 2: []}
    edits: list[Edit] = []
    for unit in stream.shuffled(unit_list)[: n_edits(params.rate, len(unit_list))]:
        mapping = _mapping(unit, kinds.get(unit, NUMBER), example, avoid, stream)
        avoid |= set(mapping.values())
        planned = [
            replace_edit(text, a, b, new, n, "replace_" + kinds.get(old, NUMBER))
            for old, new in mapping.items()
            for n, text in ((1, s1), (2, s2))
            for a, b in occurrences(text, old, lang)
        ]
        if any(overlaps(e.start, e.end, taken[e.sentence]) for e in planned):
            continue  # e.g. a Han name inside a longer one already replaced
        for e in planned:
            taken[e.sentence].append((e.start, e.end))
        edits += planned
    return edits


FAMILY = Family(
    name="entity_number",
    effect=PRESERVING,
    params=EntityNumberParams,
    apply=apply,
    prepare=prepare_names,
    may_use_languages=needs_evidence,
    summary=names_summary,
    description="a name (verified by the parallel English item) or number shared by both sentences replaced "
    "consistently (locale pools)",
)
