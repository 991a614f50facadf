"""`contrast`: a meaning change in one sentence only (label-flipping: expected label 0).

Ops, tried in the order of `ops`:
* `swap`: two names (or two years, or two other numbers of the same width) of one sentence trade
  places, PAWS's own construction ("A played for X and then Y" -> "... for Y and then X"). Names
  are whole names verified by the parallel items (`evidence.py`: a Latin-script name the English
  version spells the same way), so common nouns, verbs and body parts never move; acronyms swap only
  with acronyms. Two members of one list, coordination or range (`chains`: "X, Y and Z",
  "1973-1974", "1990年和1995年") never swap with each other: the meaning would not change.
* `number`: a number of one sentence is changed to a value that occurs nowhere in the pair.
The swapped or changed mentions must also occur in the *other* sentence, so the edit contradicts it.
By default only paraphrase pairs are eligible (`only_paraphrases`): on a PAWS non-paraphrase, a swap
can undo the swap that made it, turning it into a paraphrase.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xstilts.config import check_choice, check_subset, require
from xstilts.perturb.base import (
    SENTENCE_CHOICES,
    BaseParams,
    sentences_to_edit,
)
from xstilts.perturb.entity_number import NameResources, entity_mentions, names_summary, needs_evidence, prepare_names
from xstilts.perturb.family import Family
from xstilts.schema import FLIPPING
from xstilts.text.edits import Edit, overlaps
from xstilts.text.entities import NAME, NUMBER, Mention, occurrences
from xstilts.text.pairs import Example
from xstilts.text.replacements import is_year, new_number, replace_edit, year_shift
from xstilts.text.stream import Stream

# Coordinations, lists and ranges: two mentions of one kind joined by nothing but separators
# ("X and Y", "X, Y", "1973-1974", "1990年和1995年", "1990년과 1995년", "AとB"). Swapping two members
# of one list or range does not change the meaning (or makes a reversed range), so a swap never
# takes two mentions of one coordination chain. A unit suffix after a number (年, 년, 月, ...) and a
# Korean particle after a Latin name are separators here, so they do not hide the conjunction.
_SEPARATOR_WORDS = frozenset(
    """and or nor und oder sowie bzw y e o u ni et ou to bis a al à au hasta vs versus
    和 与 與 及 以及 或 或者 跟 同 至 到 还有 と や および 及び または から まで
    와 과 및 또는 하고 이나 나 랑 이랑 부터 까지 에서""".split()
)
_ARTICLES = frozenset("the el la los las le les l der die das dem den des inc ltd co corp llc gmbh ag sa".split())
_DASHES = frozenset("- – — ‒ ―".split())
_RANGE_PREPOSITIONS = frozenset("in im en à a de del von".split())
_UNIT_SUFFIX = re.compile(
    r"^(?:年度|年代|年|月|日|号|號|番目|番|歳|岁|人|名|個|个|位|回|度|つ|세|년도|년대|년|월|일|번째|번|명|개|위|회|s)"
)
_HAN_KANA = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_CJK_AFFIXES = re.compile(rf"^[{_HAN_KANA}](?=\s*[^\w\s]|\s*[{_HAN_KANA}])|第\s*$")
# Latin words and Hangul or kana runs whole, Han one character at a time ("年和" is 年 + 和),
# except the Han separators of two characters.
_SEPARATOR_TOKEN = re.compile(
    r"以及|或者|还有|及び|[\u3400-\u4dbf\u4e00-\u9fff]|[\u3040-\u30ff]+|[\uac00-\ud7a3]+|[^\W\d_]+|\d+|[^\s\w]"
)


def _joined(between: str) -> bool:
    """True when `between` (the text between two mentions) is only separators: punctuation, a
    conjunction or range word, a unit suffix of the first mention."""
    rest = _UNIT_SUFFIX.sub("", between.lstrip())
    rest = _CJK_AFFIXES.sub("", rest)  # "8 子と第 9": a counter after the first, 第 before the second
    tokens = _SEPARATOR_TOKEN.findall(rest.casefold())
    if any(t in _DASHES for t in tokens):  # "1943 -- in 1944": a range despite the preposition
        tokens = [t for t in tokens if t not in _RANGE_PREPOSITIONS]
    if any(t in _SEPARATOR_WORDS for t in tokens):  # "entre el 21 y el 28": articles do not count,
        tokens = [t for t in tokens if t not in _ARTICLES]  # nor "X , Inc. and Y"'s company suffix
    if len(tokens) > 3:
        return False
    return all(not t[0].isalnum() or t in _SEPARATOR_WORDS for t in tokens)


def chains(text: str, found: Sequence[Mention]) -> list[int]:
    """A chain number per mention: consecutive mentions of one kind joined by separators only
    share one (`A, B and C` is one chain)."""
    ids = list(range(len(found)))
    last: dict[str, int] = {}
    for i, m in enumerate(found):
        kind = _kind(m)
        j = last.get(kind)
        if j is not None and _joined(text[found[j].end : m.start]):
            ids[i] = ids[j]
        last[kind] = i
    return ids


def _kind(m: Mention) -> str:
    """The kind a swap must keep: year, number of one width, acronym, or a name of so many words.
    Without NER the number of words is the cue that keeps people with people: a one-word name
    swapped with a three-word one was mostly a person with a place or an event (issue 18:
    "Ruth Indianapolis married Joe von Marie Brinkmeyer")."""
    if m.kind == NUMBER:
        return "year" if is_year(m.text) else f"number{len(m.text)}"
    letters = [c for c in m.text if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and " " not in m.text:
        return "acronym"
    return f"name{len(m.text.split())}"


def _swappable(a: Mention, b: Mention) -> bool:
    """Same kind (years with years, numbers of one width, acronyms with acronyms, names with
    names of as many words), different text; two numbers that may be days only when both are
    days of every month (13 <-> 31 made "31 November")."""
    if _kind(a) != _kind(b) or a.text == b.text:
        return False
    if a.kind == NUMBER and max(int(a.text), int(b.text)) <= 31:
        return max(int(a.text), int(b.text)) <= 28
    return True


_MIXED_TOKEN = re.compile(r"(?:^|\s)(?=\S*[0-9])(?=\S*[^\W\d_])\S+ $")


# Part of a longer name that was not grown into the mention: a capitalised word or an initial
# right before or after it ("David | Allan Coe", "Jane C. | Stanley", "Edward W | . Scott").
_NAME_BEFORE = re.compile(r"(?:(?<![^\W\d_])([^\W\d_]*[A-ZÀ-Þ][^\W\d_]*)\.?|[A-Z]\.)\s$")
_NAME_AFTER = re.compile(r"^(?:\.\s?[A-Z]|\s[A-ZÀ-Þ]|-[A-ZÀ-Þ])")
# Words before a place ("in Coventry", "nach Berlin", "à Paris"): a name after one swaps only with
# another name after one, never with a person ("born in Charles" came from that).
_LOCATIVE = frozenset("in at near from to im nach aus bei von en à dans au aux près de del desde".split())


def _role(text: str, m: Mention) -> str:
    before = re.findall(r"[^\W\d_]+", text[max(0, m.start - 20) : m.start])
    return "place" if before and before[-1].casefold() in _LOCATIVE else "other"


def _movable(text: str, m: Mention, in_chain: bool, common: frozenset[str]) -> bool:
    """Numbers of a list or range never move (two ranges swapped end to end read "1947 -- 1944");
    a name never moves when it is only part of a name: after a token of digits and letters ("1i
    Productions"), next to another capitalised word or an initial ("David Allan Coe" when "David"
    opens the sentence, "Edward W. Scott")."""
    if m.kind == NUMBER:
        return not in_chain
    before, after = text[max(0, m.start - 40) : m.start], text[m.end : m.end + 3]
    if re.search(r"[^\W\d_]-$", before) or re.match(r"^-[^\W\d_]", after):
        return False  # part of a hyphenated name ("Kai-sung", "Jin-Qua")
    name_before = _NAME_BEFORE.search(before)
    if name_before and name_before.group(1) in common:  # "The Neajlov River": "The" is a common word
        name_before = None
    return not (_MIXED_TOKEN.search(before) or name_before or _NAME_AFTER.match(after))


# An op: (text, other sentence, lang, mentions of text, sentence number, stream, common words)
# -> edits or None.
Op = Callable[[str, str, str, list[Mention], int, Stream, frozenset[str]], list[Edit] | None]


def swap(
    text: str, other: str, lang: str, found: list[Mention], sent: int, stream: Stream, common: frozenset[str]
) -> list[Edit] | None:
    chain = chains(text, found)
    sizes = Counter(chain)
    movable = [_movable(text, m, sizes[c] > 1, common) for m, c in zip(found, chain, strict=True)]
    pairs = [
        (a, b)
        for i, a in enumerate(found)
        for k, b in enumerate(found[i + 1 :], start=i + 1)
        if chain[i] != chain[k]
        and movable[i]
        and movable[k]
        and _swappable(a, b)
        and (a.kind == NUMBER or _role(text, a) == _role(text, b))
        and occurrences(other, a.text, lang)
        and occurrences(other, b.text, lang)
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


def number(
    text: str, other: str, lang: str, found: list[Mention], sent: int, stream: Stream, common: frozenset[str]
) -> list[Edit] | None:
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


def apply(params: ContrastParams, example: Example, res: NameResources, stream: Stream) -> list[Edit] | None:
    if params.only_paraphrases and example.label != 1:
        return None
    for name in params.ops:
        for sent in sentences_to_edit(params.sentence, stream):
            text, other = example.sentence(sent), example.sentence(3 - sent)
            found = entity_mentions(text, example, res)
            edits = OPS[name](text, other, example.lang, found, sent, stream, res.common)
            if edits:
                return edits
    return None


FAMILY = Family(
    name="contrast",
    effect=FLIPPING,
    params=ContrastParams,
    apply=apply,
    prepare=prepare_names,
    may_use_languages=needs_evidence,
    summary=names_summary,
    description="two names/numbers swapped, or a number changed, in one sentence (expected label 0)",
)
