"""Named entities and numbers in a sentence: where they are, and which words are too common for names.

There is no NER model offline, so a *name* is a word that looks like one and is not a common word:
* Latin script (every language): a capitalised word of two letters or more;
* Japanese: a katakana word (foreign names are written in katakana);
* Chinese: a proper noun by jieba's part-of-speech tags;
* Korean: a Hangul noun: a stem that carried a particle (`류드라강의` -> `류드라강`) or a word
  of two syllables or more without a verbal ending;
and *common* words are those seen in at least `common_min_df` examples (default 5) of the
language's validation split (so German common nouns, "The", "River" are not names; new names are).
PAWS makes several pairs from one source sentence, so a name can recur in a few examples: hence
counting examples, not sentences, and a threshold above that. Numbers are runs of ASCII digits
that are not part of a decimal or thousands group.

    common = common_words(validation_texts, "en", min_df=5)
    mentions("Weber moved to Lyon in 1870.", "en", common)  # -> Weber, Lyon (names), 1870 (number)

Replacements for what is found (new names, numbers, the edit putting one in place) are in
`xstilts.text.replacements`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from xstilts.text.scripts import (
    DIGIT,
    HAN,
    HANGUL,
    LATIN,
    Token,
    latin_words,
    script_of,
    script_runs,
    split_particle,
    zh_boundaries,
    zh_names,
)

NUMBER, NAME = "number", "name"

_NUMBER = re.compile(r"(?<![0-9.,])[0-9]+(?![0-9]|[.,][0-9])")
# German capitalises every noun; these endings are (almost) never names.
_DE_NOUN_ENDINGS = (
    "ung",
    "ungen",
    "heit",
    "keit",
    "schaft",
    "tion",
    "tionen",
    "tät",
    "ismus",
    "nis",
    "nisse",
    "tum",
    "ment",
)
# Last syllables of Korean verb and adjective forms (하고, 하며, 있는, 했던, 오래된, ...), and the
# syllables before a final 다 that make it a verb (했다, 합니다, 있다) rather than a name (캐나다).
_KO_VERBAL_ENDINGS = frozenset("고며서던는은을게지요면된한인운른진할될")
_KO_BEFORE_DA = frozenset("었았했였니한된있없이는간온졌렸켰웠겠")


def _looks_verbal(word: str) -> bool:
    if word[-1] == "다":
        return word[-2] in _KO_BEFORE_DA
    return word[-1] in _KO_VERBAL_ENDINGS


_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]{2,}")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    kind: str


def name_candidates(text: str, lang: str) -> list[Token]:
    """Name-like tokens before the common-word filter."""
    out: list[Token] = []
    for word in latin_words(text):
        for run in script_runs(word):
            script = script_of(run.text[0])
            if script == LATIN and run.text[0].isupper() and len(run.text) >= 2:
                if not (lang == "de" and run.text.endswith(_DE_NOUN_ENDINGS)):
                    out.append(run)
            elif script == HANGUL and lang == "ko":
                stem, particle = split_particle(run.text)
                # A noun: it carried a particle, or it stands alone without a verbal ending.
                if len(stem) >= 2 and (particle or not _looks_verbal(stem)):
                    out.append(Token(run.start, run.start + len(stem), stem))
    if lang == "ja":
        out += [Token(m.start(), m.end(), m.group()) for m in _KATAKANA.finditer(text)]
    if lang == "zh":
        out += [t for t in zh_names(text) if all(script_of(c) == HAN for c in t.text)]
    return out


def common_words(texts: Iterable[str], lang: str, min_df: int) -> frozenset[str]:
    """Name candidates that occur in at least `min_df` texts: common words, not names."""
    df = Counter(t for s in texts for t in {c.text for c in name_candidates(s, lang)})
    return frozenset(t for t, n in df.items() if n >= min_df)


def mentions(text: str, lang: str, common: frozenset[str]) -> list[Mention]:
    """Numbers and names in `text`, left to right, without overlaps."""
    found = [Mention(m.start(), m.end(), m.group(), NUMBER) for m in _NUMBER.finditer(text)]
    found += [Mention(t.start, t.end, t.text, NAME) for t in name_candidates(text, lang) if t.text not in common]
    out: list[Mention] = []
    for m in sorted(found, key=lambda m: (m.start, -m.end)):
        if not out or m.start >= out[-1].end:
            out.append(m)
    return out


def _capitalised(text: str) -> list[Token]:
    """Capitalised Latin words that do not start the sentence."""
    return [
        run
        for word in latin_words(text)
        for run in script_runs(word)
        if script_of(run.text[0]) == LATIN and run.text[0].isupper() and text[: run.start].strip(" \"'„“«") != ""
    ]


def units(text: str, lang: str, common: frozenset[str]) -> list[Mention]:
    """Mentions grown into whole names: neighbouring capitalised words join a Latin name
    (`Sigma` + `Xi`, `Tabaci` + `River`), and names separated by one space or `・` merge."""
    found = mentions(text, lang, common)
    caps = _capitalised(text)
    by_end, by_start = {t.end: t for t in caps}, {t.start: t for t in caps}
    grown: list[Mention] = []
    for m in found:
        start, end = m.start, m.end
        if m.kind == NAME and script_of(m.text[0]) == LATIN:
            while (t := by_end.get(start - 1)) and text[t.end] == " ":
                start = t.start
            while (t := by_start.get(end + 1)) and text[end] == " ":
                end = t.end
        grown.append(Mention(start, end, text[start:end], m.kind))
    out: list[Mention] = []
    for m in grown:
        prev = out[-1] if out else None
        if prev and m.start < prev.end:
            continue  # already inside a grown name
        if prev and prev.kind == m.kind == NAME and text[prev.end : m.start] in (" ", "・"):
            out[-1] = Mention(prev.start, m.end, text[prev.start : m.end], NAME)
        else:
            out.append(m)
    return out


def _edge(ch: str) -> str:
    script = script_of(ch)
    return LATIN if script == DIGIT else script


def occurrences(text: str, surface: str, lang: str = "") -> list[tuple[int, int]]:
    """Where `surface` occurs as a whole word: Latin, digits and kana must not continue on either
    side; Hangul may be followed by a particle; Chinese must start and end at jieba word
    boundaries (so 摩尔 is not found inside 克莱摩尔)."""
    out: list[tuple[int, int]] = []
    first, last = _edge(surface[0]), _edge(surface[-1])
    cuts = zh_boundaries(text) if lang == "zh" and HAN in (first, last) else None
    start = text.find(surface)
    while start >= 0:
        end = start + len(surface)
        left_ok = (start in cuts if cuts else True) if first == HAN else start == 0 or _edge(text[start - 1]) != first
        if last == HAN:
            right_ok = end in cuts if cuts else True
        else:
            right_ok = last == HANGUL or end == len(text) or _edge(text[end]) != last
        if left_ok and right_ok:
            out.append((start, end))
        start = text.find(surface, end if left_ok and right_ok else start + 1)
    return out
