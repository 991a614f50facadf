"""Locale-appropriate replacements for names and numbers, and the edit that puts one in place.

A new number keeps its width and its kind (a year moves back in time, a month stays a month, a day a
day); a new name comes from the hand-written pool for its script (`xstilts.text.name_pools`); and
`replace_edit` fixes a Korean particle that follows the replaced word (`강을` -> `호수를`).

    stream = Stream("entity_number", 13, "en", "20001")
    new_number("1870", stream, avoid={"1870"}, shift=year_shift(stream))  # an earlier year
    replace_edit("Weber moved.", 0, 5, "Carter", sentence=1, op="name")   # Edit(..., after="Carter")
"""

from __future__ import annotations

import re

from xstilts.text.edits import Edit
from xstilts.text.name_pools import HAN_NAMES, HANGUL_NAMES, KATAKANA_NAMES, latin_pool
from xstilts.text.scripts import HAN, HANGUL, KANA, LATIN, script_of
from xstilts.text.stream import Stream


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
