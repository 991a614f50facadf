"""Typo operations: one script-aware typo in one word, as an `Edit` (or None where impossible).

* Latin words (`LATIN_OPS`): a letter replaced by a neighbouring key of the language's keyboard
  (`xstilts.text.keyboards`), two adjacent letters swapped, a letter dropped, a neighbouring key
  inserted.
* Han and kana (`CJK_OPS`): a character dropped or duplicated, two adjacent characters swapped.
* Hangul words (`HANGUL_OPS`): a jamo replaced by its Dubeolsik keyboard neighbour (the syllable is
  recomposed), two adjacent syllables swapped, a syllable dropped.

No operation splits a base letter from its combining marks or drops a whole Latin or Hangul word;
a Han/kana drop removes the one character it is given, so callers offer it only inside runs of two
or more. The `char_noise` family chooses where typos go; the attack's `char_noise` source offers
them per word.

    op = LATIN_OPS["keyboard"]
    op(Token(4, 9, "quick"), 1, "de", Stream("example"))  # -> Edit(1, "keyboard", ...) or None
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from xstilts.text.edits import Edit
from xstilts.text.keyboards import latin_layout, neighbours
from xstilts.text.scripts import Token, clusters
from xstilts.text.stream import Stream

# An op gets (word token, sentence number, lang, stream) and returns an edit or None (not possible).
Op = Callable[[Token, int, str, Stream], Edit | None]


def _at(word: Token, sent: int, op: str, a: int, b: int, after: str) -> Edit | None:
    """Edit of word-relative span [a, b); None when it would change nothing."""
    before = word.text[a:b]
    if before == after:
        return None
    return Edit(sent, op, word.start + a, word.start + b, before, after)


def _base(ch: str) -> str:
    return unicodedata.normalize("NFD", ch)[0].lower()


def _neighbour_of(cluster: str, lang: str, stream: Stream) -> str | None:
    near = neighbours(latin_layout(lang)).get(_base(cluster))
    if not near:
        return None
    key = stream.choice(near)
    return key.upper() if cluster[0].isupper() else key


def _latin_keyboard(word: Token, sent: int, lang: str, stream: Stream) -> Edit | None:
    a, b = stream.choice(clusters(word.text))
    key = _neighbour_of(word.text[a:b], lang, stream)
    return _at(word, sent, "keyboard", a, b, key) if key else None


def _latin_insert(word: Token, sent: int, lang: str, stream: Stream) -> Edit | None:
    a, b = stream.choice(clusters(word.text))
    key = _neighbour_of(word.text[a:b], lang, stream)
    return _at(word, sent, "insert", a, b, word.text[a:b] + key.lower()) if key else None


def _swap(word: Token, sent: int, lang: str, stream: Stream, op: str = "swap") -> Edit | None:
    spans = clusters(word.text)
    if len(spans) < 2:
        return None
    i = stream.randrange(len(spans) - 1)
    (a, m), (_, b) = spans[i], spans[i + 1]
    swapped = word.text[m:b] + word.text[a:m]
    if word.text[a].isupper() and i == 0:  # keep a capital at the front: "Hte" not "hTe"
        swapped = swapped[0].upper() + swapped[1:].lower() if swapped[:1].isalpha() else swapped
    return _at(word, sent, op, a, b, swapped)


def _drop(word: Token, sent: int, lang: str, stream: Stream) -> Edit | None:
    spans = clusters(word.text)
    if len(spans) < 2:  # never drop a whole word: the sentence must not lose it or become empty
        return None
    a, b = stream.choice(spans)
    return _at(word, sent, "drop", a, b, "")


def _drop_char(word: Token, sent: int, lang: str, stream: Stream) -> Edit | None:
    """Drop one Han/kana character (the site only offers this inside runs of two or more)."""
    return _at(word, sent, "drop", 0, len(word.text), "")


def _duplicate(word: Token, sent: int, lang: str, stream: Stream) -> Edit | None:
    a, b = stream.choice(clusters(word.text))
    return _at(word, sent, "duplicate", a, b, word.text[a:b] * 2)


# Hangul syllable = 0xAC00 + (initial * 21 + medial) * 28 + final.
INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
FINALS = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")


def _jamo(word: Token, sent: int, lang: str, stream: Stream) -> Edit | None:
    """Replace one jamo of one syllable by a neighbouring key valid in the same position."""
    i = stream.randrange(len(word.text))
    code = ord(word.text[i]) - 0xAC00
    parts = [code // 588, (code % 588) // 28, code % 28]
    inventories = (INITIALS, MEDIALS, FINALS)
    for slot in stream.shuffled(range(3 if parts[2] else 2)):
        inventory = inventories[slot]
        options = [k for k in neighbours("dubeolsik").get(inventory[parts[slot]], "") if k in inventory]
        if options:
            parts[slot] = list(inventory).index(stream.choice(options))
            syllable = chr(0xAC00 + (parts[0] * 21 + parts[1]) * 28 + parts[2])
            return _at(word, sent, "jamo", i, i + 1, syllable)
    return None


LATIN_OPS: dict[str, Op] = {"keyboard": _latin_keyboard, "swap": _swap, "drop": _drop, "insert": _latin_insert}
CJK_OPS: dict[str, Op] = {"drop": _drop_char, "duplicate": _duplicate, "swap": _swap}
HANGUL_OPS: dict[str, Op] = {"jamo": _jamo, "swap": _swap, "drop": _drop}
