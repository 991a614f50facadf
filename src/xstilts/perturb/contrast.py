"""`contrast`: a meaning change in one sentence only (label-flipping: expected label 0).

Ops, tried in the order of `ops`:
* `swap`: two names (or two numbers of the same width) of one sentence trade places, PAWS's own
  construction ("A played for X and then Y" -> "... for Y and then X"). Pairs joined only by a
  conjunction, a comma or a dash ("X and Y", "1973-1974") are skipped: the meaning would not change.
* `number`: a number of one sentence is changed to a value that occurs nowhere in the pair.
The swapped or changed mentions must also occur in the *other* sentence, so the edit contradicts it.
By default only paraphrase pairs are eligible (`only_paraphrases`): on a PAWS non-paraphrase, a swap
can undo the swap that made it, turning it into a paraphrase.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from xstilts.perturb.base import (
    SENTENCE_CHOICES,
    BaseParams,
    Edit,
    Stream,
    check_choice,
    check_subset,
    overlaps,
    require,
    sentences_to_edit,
)
from xstilts.perturb.entities import (
    NAME,
    NUMBER,
    Mention,
    mentions,
    new_number,
    occurrences,
    replace_edit,
    units,
    year_shift,
)
from xstilts.perturb.entity_number import prepare_common
from xstilts.perturb.family import FLIPPING, Example, Family

# Text between two mentions that makes them a coordination or a range ("X and Y", "X, Y",
# "1973-1974"): swapping them would not change the meaning.
_CONJUNCTION = re.compile(
    r"^[\W_]*(?:and|or|und|oder|sowie|y|e|o|u|et|ou|to|bis|hasta|à|和|与|與|及|或|以及|至|と|や|および|及び|から|또는|및|와|과|하고|부터)?[\W_]*$",
    re.IGNORECASE,
)


def _swappable(text: str, a: Mention, b: Mention) -> bool:
    """Same kind, different text, not a coordination; numbers only with numbers of the same width."""
    if a.kind != b.kind or a.text == b.text or _CONJUNCTION.match(text[a.end : b.start]):
        return False
    return a.kind == NAME or len(a.text) == len(b.text)


# An op: (text, other sentence, lang, mentions of text, sentence number, stream) -> edits or None.
Op = Callable[[str, str, str, list[Mention], int, Stream], list[Edit] | None]


def swap(text: str, other: str, lang: str, found: list[Mention], sent: int, stream: Stream) -> list[Edit] | None:
    pairs = [
        (a, b)
        for i, a in enumerate(found)
        for b in found[i + 1 :]
        if _swappable(text, a, b) and occurrences(other, a.text, lang) and occurrences(other, b.text, lang)
    ]
    # Names first: swapping two names is PAWS's construction; swapping numbers is the fallback.
    ordered = stream.shuffled([p for p in pairs if p[0].kind == NAME]) + stream.shuffled(
        [p for p in pairs if p[0].kind == NUMBER]
    )
    for a, b in ordered:
        first = replace_edit(text, a.start, a.end, b.text, sent, "swap")
        second = replace_edit(text, b.start, b.end, a.text, sent, "swap")
        if not overlaps(second.start, second.end, [(first.start, first.end)]):
            return [first, second]
    return None


def number(text: str, other: str, lang: str, found: list[Mention], sent: int, stream: Stream) -> list[Edit] | None:
    numbers = [m for m in found if m.kind == NUMBER and occurrences(other, m.text, lang)]
    if not numbers:
        return None
    old = stream.choice(numbers).text
    avoid = {m.text for m in found} | set(re.findall(r"[0-9]+", other))
    new = new_number(old, stream, avoid, year_shift(stream))
    return [replace_edit(text, a, b, new, sent, "change_number") for a, b in occurrences(text, old, lang)]


OPS: dict[str, Op] = {"swap": swap, "number": number}


@dataclass(frozen=True)
class ContrastParams(BaseParams):
    """ops: tried in order; sentence: which sentence is edited; only_paraphrases: see above."""

    ops: tuple[str, ...] = tuple(OPS)
    sentence: str = "either"
    only_paraphrases: bool = True
    common_min_df: int = 5

    def check(self, key: str) -> None:
        check_subset(self.ops, tuple(OPS), f"{key}.ops")
        check_choice(self.sentence, SENTENCE_CHOICES, f"{key}.sentence")
        require(
            self.sentence != "both", f"{key}.sentence", "a contrast edits one sentence: use first, second or either"
        )
        require(self.common_min_df >= 1, f"{key}.common_min_df", "must be >= 1")


def apply(params: ContrastParams, example: Example, common: frozenset[str], stream: Stream) -> list[Edit] | None:
    if params.only_paraphrases and example.label != 1:
        return None
    for name in params.ops:
        for sent in sentences_to_edit(params.sentence, stream):
            text, other = example.sentence(sent), example.sentence(3 - sent)
            found = units(text, example.lang, common) if name == "swap" else mentions(text, example.lang, common)
            edits = OPS[name](text, other, example.lang, found, sent, stream)
            if edits:
                return edits
    return None


FAMILY = Family(
    name="contrast",
    effect=FLIPPING,
    params=ContrastParams,
    apply=apply,
    prepare=prepare_common,
    summary=lambda common: {"common_words": len(common)},
    description="two names/numbers swapped, or a number changed, in one sentence (expected label 0)",
)
