"""What the attack may edit: the word units of a pair, and the spans it must leave alone.

Units are `xstilts.text.scripts.words` of each sentence (letter runs for Latin scripts, janome
words for Japanese, jieba words for Chinese, Korean eojeol stems without their particle). All of
them count in the pair's size (the denominator of the edited share); only the editable ones are
attacked. Protected: every occurrence of a name or number found in both sentences (the mentions of
`xstilts.text.entities`, with the language's common words from the validation split), so the
attack never breaks the pair by editing what PAWS pairs share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xstilts.schema import LATIN_LANGUAGES
from xstilts.text.edits import overlaps
from xstilts.text.entities import mentions, occurrences
from xstilts.text.pairs import is_marker
from xstilts.text.scripts import HAN, HANGUL, KANA, LATIN, script_of, words

# The scripts a language's words are written in: an embedding neighbour must use the same set.
LANG_SCRIPTS: dict[str, frozenset[str]] = {
    **{lang: frozenset({LATIN}) for lang in LATIN_LANGUAGES},
    "ja": frozenset({HAN, KANA}),
    "zh": frozenset({HAN}),
    "ko": frozenset({HANGUL}),
}
CJK = frozenset({HAN, KANA})

Span = tuple[int, int]


def scripts_of(text: str) -> frozenset[str]:
    """The scripts of the letters of `text` (digits, marks and punctuation ignored)."""
    return frozenset(script_of(c) for c in text if c.isalpha())


@dataclass(frozen=True)
class Unit:
    sentence: int  # 1 or 2
    start: int
    end: int
    text: str
    scripts: frozenset[str]
    editable: bool


def protected_spans(s1: str, s2: str, lang: str, common: frozenset[str]) -> dict[int, list[Span]]:
    """Per sentence, every occurrence of a name or number that occurs in both sentences."""
    found = {m.text for m in mentions(s1, lang, common) + mentions(s2, lang, common)}
    shared = sorted(t for t in found if occurrences(s1, t, lang) and occurrences(s2, t, lang))
    return {n: sorted(span for t in shared for span in occurrences(text, t, lang)) for n, text in ((1, s1), (2, s2))}


def pair_units(s1: str, s2: str, lang: str, common: frozenset[str]) -> tuple[list[Unit], dict[int, list[Span]]]:
    """All word units of the pair (sentence 1 first, left to right) and the protected spans."""
    protected = protected_spans(s1, s2, lang, common)
    units: list[Unit] = []
    for n, text in ((1, s1), (2, s2)):
        marker = is_marker(text)
        for token in words(text, lang):
            scripts = scripts_of(token.text)
            editable = (
                not marker
                and bool(scripts)
                and not overlaps(token.start, token.end, protected[n])
                and not (scripts <= CJK and len(token.text) < 2)  # 的, は, 在: particles, not words
            )
            units.append(Unit(n, token.start, token.end, token.text, scripts, editable))
    return units, protected


def max_edits(units: Sequence[Unit], max_edit_share: float) -> int:
    """How many units an attack may edit: the share of all units, rounded down."""
    return int(max_edit_share * len(units) + 1e-9)
