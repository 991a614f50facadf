"""Named entities and numbers in a sentence, and locale-appropriate replacements for them.

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
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from xstilts.perturb.base import Edit, Stream
from xstilts.perturb.pools import HAN_NAMES, HANGUL_NAMES, KATAKANA_NAMES, latin_pool
from xstilts.perturb.scripts import (
    DIGIT,
    HAN,
    HANGUL,
    KANA,
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


def is_year(number: str) -> bool:
    return len(number) == 4 and number.isdigit() and 1000 <= int(number) <= 2099


def new_number(old: str, stream: Stream, avoid: set[str], shift: int = 0) -> str:
    """A different number of the same width. Years (1000-2099) move by `shift`; 1-12 stays in 1-12
    (months) and 13-31 in 1-28 (days), so that "June 30" does not become "June 60"."""
    value = int(old)
    for _ in range(50):
        if shift and is_year(old):
            new = str(value + shift)
        elif 1 <= value <= 12 and len(old) <= 2:  # maybe a month
            new = str(1 + stream.randrange(12)).zfill(len(old))
            if len(old) == 2 and old[0] != "0":  # "10" -> "11", never "07": no zero padding appears
                new = str(10 + stream.randrange(3))
        elif 1 <= value <= 31 and len(old) <= 2:  # maybe a day
            new = str(10 + stream.randrange(19)) if old[0] != "0" else str(1 + stream.randrange(9)).zfill(2)
        elif len(old) == 1:
            new = str(stream.randrange(10))
        else:
            new = str(10 ** (len(old) - 1) + stream.randrange(9 * 10 ** (len(old) - 1)))
        if new != old and new not in avoid:
            return new
        shift = shift - 1 if shift else 0  # collided: move one year further
    return str(value + 1)


def year_shift(stream: Stream) -> int:
    """One shift for all years of an example, so their order and distances stay the same.
    Always into the past: a shifted date never lies in the future."""
    return -(3 + stream.randrange(28))


def new_name(old: str, lang: str, stream: Stream, avoid: set[str]) -> str:
    """A name from the pool for the script of `old` (acronyms get random capitals)."""
    script = script_of(old[0])
    if script == LATIN and old.isupper() and len(old) <= 4:
        for _ in range(50):
            new = "".join(chr(ord("A") + stream.randrange(26)) for _ in old)
            if new not in avoid and new != old:
                return new
    pool = {KANA: KATAKANA_NAMES, HAN: HAN_NAMES, HANGUL: HANGUL_NAMES}.get(script, latin_pool(lang))
    options = [n for n in pool if n not in avoid and n != old]
    return stream.choice(options) if options else old


# Korean particles whose form depends on whether the noun ends in a consonant: (after consonant,
# after vowel). The 으로 family also takes the vowel form after ㄹ.
_KO_ALTERNATIONS = (
    ("은", "는"),
    ("이", "가"),
    ("을", "를"),
    ("과", "와"),
    ("과의", "와의"),
    ("으로", "로"),
    ("으로는", "로는"),
    ("으로도", "로도"),
    ("으로서", "로서"),
    ("으로써", "로써"),
)


def korean_particle(noun: str, particle: str) -> str:
    """The form of `particle` that follows `noun` (unchanged when noun is not Hangul)."""
    if not noun or script_of(noun[-1]) != HANGUL:
        return particle
    final = (ord(noun[-1]) - 0xAC00) % 28
    for consonant_form, vowel_form in _KO_ALTERNATIONS:
        if particle in (consonant_form, vowel_form):
            use_vowel = final == 0 or (final == 8 and consonant_form.startswith("으로"))
            return vowel_form if use_vowel else consonant_form
    return particle


def replace_edit(text: str, start: int, end: int, new: str, sentence: int, op: str) -> Edit:
    """Edit replacing text[start:end] by `new`, adjusting a following Korean particle."""
    rest = re.match(r"[\uac00-\ud7a3]+", text[end:])
    if rest and script_of(new[-1]) == HANGUL:
        particle = rest.group()
        fixed = korean_particle(new, particle)
        if fixed != particle:
            return Edit(sentence, op, start, end + len(particle), text[start : end + len(particle)], new + fixed)
    return Edit(sentence, op, start, end, text[start:end], new)
