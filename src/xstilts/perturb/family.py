"""What a perturbation family is: params, a label effect, and a function from example to edits.

A family is one `Family` value in `xstilts.perturb.registry.FAMILIES`; the pipeline and the stage
know nothing family-specific. `apply(params, example, resources, stream)` returns the edits to make
(possibly none) or `None` when the example is not eligible (nothing the family can do to it).
`prepare(params, lang, corpus)` builds per-language resources once (lexicons, parallel rows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xstilts.perturb.base import BaseParams
from xstilts.text.edits import Edit
from xstilts.text.pairs import Example
from xstilts.text.stream import Stream


@dataclass(frozen=True)
class Corpus:
    """All input rows as Examples: the split being perturbed and the validation (lexicon) split."""

    test: Mapping[str, Sequence[Example]]
    validation: Mapping[str, Sequence[Example]]

    def parallel(self, lang: str) -> dict[str, Example]:
        """The perturbed split of `lang` by id (empty when that language was not loaded)."""
        return {ex.id: ex for ex in self.test.get(lang, ())}


def _no_resources(params: Any, lang: str, corpus: Corpus) -> None:
    return None


def _no_languages(params: Any, lang: str) -> tuple[str, ...]:
    return ()


def _no_summary(resources: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Family:
    name: str
    effect: str
    params: type[BaseParams]
    apply: Callable[[Any, Example, Any, Stream], list[Edit] | None]
    description: str
    prepare: Callable[[Any, str, Corpus], Any] = _no_resources
    # Other languages whose rows (test and validation) a language's variants are built from.
    needs_languages: Callable[[Any, str], tuple[str, ...]] = _no_languages
    # Other languages whose test rows a language's variants use where they were prepared (evidence
    # that a word is a name: `evidence.py`); without them the family does less, never fails.
    may_use_languages: Callable[[Any, str], tuple[str, ...]] = _no_languages
    # Per-language facts about the resources for quality.json (e.g. lexicon size).
    summary: Callable[[Any], dict[str, Any]] = _no_summary
    # Extra JSON files to write next to the variants: {relative path: object}.
    artifacts: Callable[[Any, Mapping[str, Any]], dict[str, Any]] | None = field(default=None)
    # Whether the family's variants may enter the primary endpoints: its label validity, measured by
    # the committed audit (data/audit/, `xstilts.perturb.audit`), is at least 90 %. An exploratory
    # family (False) is still run and reported, never in a primary endpoint. Written to quality.json.
    primary: bool = True
