"""`orthography`: spelling-system variation that keeps the meaning (label-preserving).

Ops (each applies only where it changes something; per example `n_ops` of them are picked from
those that apply to the language and are applied to the selected sentences):

* `strip_accents` (Latin letters: é -> e; ß, ø are kept), `lowercase`;
* `fullwidth` (ASCII -> full-width forms) and `halfwidth` (full-width -> ASCII) for ja/ko/zh,
  `halfwidth_kana` (カタカナ -> ｶﾀｶﾅ) for ja;
* `s2t`: Simplified -> Traditional Chinese (Taiwan standard characters, OpenCC `s2tw`; `tw2s`
  when the input is Traditional);
* `whitespace`: spaces removed next to punctuation / inserted before it (Latin), removed between
  Hangul words (Korean spacing errors), removed or added at CJK/Latin-digit boundaries (ja, zh);
* `punctuation`: a `rate` share of , . ; : ! ? (and their CJK forms) dropped, or a final stop
  added when there is none.

Edits are the character diff between the original and the result (op name on every edit).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from xstilts.config import check_choice, check_rate, check_subset, require
from xstilts.perturb.base import (
    SENTENCE_CHOICES,
    BaseParams,
    n_edits,
    sentences_to_edit,
)
from xstilts.perturb.family import Family
from xstilts.schema import PRESERVING
from xstilts.text.edits import Edit
from xstilts.text.pairs import Example
from xstilts.text.scripts import HAN, HANGUL, KANA, LATIN, script_of
from xstilts.text.stream import Stream

# An op: (text, lang, rate, stream) -> new text (== text when the op does not apply).
Op = Callable[[str, str, float, Stream], str]


def strip_accents(text: str, lang: str, rate: float, stream: Stream) -> str:
    out = []
    for ch in text:
        if script_of(ch) == LATIN:
            base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
            ch = base or ch
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def lowercase(text: str, lang: str, rate: float, stream: Stream) -> str:
    return text.lower()


def fullwidth(text: str, lang: str, rate: float, stream: Stream) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def halfwidth(text: str, lang: str, rate: float, stream: Stream) -> str:
    return "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in text)


@functools.cache
def _halfwidth_kana_table() -> dict[str, str]:
    """Full-width katakana (and voicing marks) -> half-width, inverted from NFKC."""
    table = {unicodedata.normalize("NFKC", chr(o)): chr(o) for o in range(0xFF66, 0xFF9E)}
    table["\u3099"], table["\u309a"] = "\uff9e", "\uff9f"  # combining (semi-)voiced marks
    return {k: v for k, v in table.items() if len(k) == 1 and (script_of(k) == KANA or k in "\u3099\u309a")}


def halfwidth_kana(text: str, lang: str, rate: float, stream: Stream) -> str:
    table = _halfwidth_kana_table()
    out = []
    for ch in text:
        if script_of(ch) == KANA and 0x30A0 <= ord(ch) <= 0x30FF:  # katakana only, not hiragana
            ch = "".join(table.get(c, c) for c in unicodedata.normalize("NFD", ch))
        out.append(ch)
    return "".join(out)


@functools.cache
def _opencc(config: str):  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC(config)


def s2t(text: str, lang: str, rate: float, stream: Stream) -> str:
    traditional = _opencc("s2tw").convert(text)  # Taiwan standard characters, no vocabulary change
    return traditional if traditional != text else _opencc("tw2s").convert(text)


PUNCT = ",.;:!?。、，．！？；："
_SPACE_BEFORE_PUNCT = re.compile(r" (?=[,.;:!?)])")
_PUNCT_AFTER_WORD = re.compile(r"(?<=\w)(?=[,.;:!?])")


def _cjk(ch: str) -> bool:
    return script_of(ch) in (HAN, KANA)


def _space_sites(text: str, lang: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) candidates for whitespace noise in `text`."""
    sites: list[tuple[int, int, str]] = []
    for i, ch in enumerate(text[1:-1], start=1):
        left, right = text[i - 1], text[i + 1]
        if ch == " " and lang == "ko" and script_of(left) == HANGUL and script_of(right) == HANGUL:
            sites.append((i, i + 1, ""))  # Korean spacing error
        elif ch == " " and lang in ("ja", "zh") and (_cjk(left) or _cjk(right)):
            sites.append((i, i + 1, ""))  # "2005 年" -> "2005年"
        elif ch != " " and lang in ("ja", "zh") and _cjk(ch) != _cjk(right) and right.isalnum() and ch.isalnum():
            sites.append((i + 1, i + 1, " "))  # "2005年" -> "2005 年"
    if lang not in ("ja", "zh", "ko"):
        sites += [(m.start(), m.end(), "") for m in _SPACE_BEFORE_PUNCT.finditer(text)]
        sites += [(m.start(), m.end(), " ") for m in _PUNCT_AFTER_WORD.finditer(text)]
    return sites or [(m.start(), m.end(), "  ") for m in re.finditer(" ", text)]


def _rewrite(text: str, sites: list[tuple[int, int, str]], rate: float, stream: Stream) -> str:
    chosen = sorted(stream.shuffled(sites)[: n_edits(rate, len(sites))])
    out, pos = [], 0
    for start, end, repl in chosen:
        if start < pos:
            continue
        out += [text[pos:start], repl]
        pos = end
    return "".join(out) + text[pos:]


def whitespace(text: str, lang: str, rate: float, stream: Stream) -> str:
    return _rewrite(text, _space_sites(text, lang), rate, stream)


def punctuation(text: str, lang: str, rate: float, stream: Stream) -> str:
    sites = [(i - (text[i - 1 : i] == " "), i + 1, "") for i, ch in enumerate(text) if ch in PUNCT and i > 0]
    if not sites:
        return text + ("。" if lang in ("ja", "zh") else ".")
    return _rewrite(text, sites, rate, stream)


OPS: dict[str, Op] = {
    "strip_accents": strip_accents,
    "lowercase": lowercase,
    "fullwidth": fullwidth,
    "halfwidth": halfwidth,
    "halfwidth_kana": halfwidth_kana,
    "s2t": s2t,
    "whitespace": whitespace,
    "punctuation": punctuation,
}

# Which ops make sense where: full-width Latin in an English sentence is not an orthographic
# variant anyone writes, so the width ops are for the CJK languages only.
_LATIN_OPS = ("strip_accents", "lowercase", "whitespace", "punctuation")
OPS_BY_LANG: dict[str, tuple[str, ...]] = {
    "en": _LATIN_OPS,
    "de": _LATIN_OPS,
    "es": _LATIN_OPS,
    "fr": _LATIN_OPS,
    "ja": ("fullwidth", "halfwidth", "halfwidth_kana", "lowercase", "whitespace", "punctuation"),
    "ko": ("fullwidth", "halfwidth", "lowercase", "whitespace", "punctuation"),
    "zh": ("s2t", "fullwidth", "halfwidth", "lowercase", "whitespace", "punctuation"),
}


@dataclass(frozen=True)
class OrthographyParams(BaseParams):
    """ops: allowed ops; n_ops: ops per example; rate: share of sites for whitespace/punctuation."""

    ops: tuple[str, ...] = tuple(OPS)
    n_ops: int = 1
    rate: float = 0.5
    sentence: str = "both"

    def check(self, key: str) -> None:
        check_subset(self.ops, tuple(OPS), f"{key}.ops")
        require(1 <= self.n_ops <= len(OPS), f"{key}.n_ops", f"must be in [1, {len(OPS)}], got {self.n_ops}")
        check_rate(self.rate, f"{key}.rate")
        check_choice(self.sentence, SENTENCE_CHOICES, f"{key}.sentence")


def diff_edits(before: str, after: str, sentence: int, op: str) -> list[Edit]:
    """Minimal character-span edits turning `before` into `after`."""
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return [
        Edit(sentence, op, i1, i2, before[i1:i2], after[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def apply(params: OrthographyParams, example: Example, resources: None, stream: Stream) -> list[Edit] | None:
    sentences = sentences_to_edit(params.sentence, stream)
    if params.sentence == "either":
        sentences = sentences[:1]
    texts = {n: example.sentence(n) for n in sentences}
    applicable = [
        name
        for name in OPS_BY_LANG[example.lang]
        if name in params.ops
        and any(OPS[name](t, example.lang, params.rate, Stream("probe")) != t for t in texts.values())
    ]
    if not applicable:
        return None
    chosen = sorted(stream.shuffled(applicable)[: params.n_ops], key=list(OPS).index)
    edits: list[Edit] = []
    for n, text in texts.items():
        new = text
        for name in chosen:
            new = OPS[name](new, example.lang, params.rate, stream)
        edits += diff_edits(text, new, n, "+".join(chosen))
    return edits


FAMILY = Family(
    name="orthography",
    effect=PRESERVING,
    params=OrthographyParams,
    apply=apply,
    description="accents, casing, full/half width, Simplified<->Traditional, whitespace, punctuation",
)
