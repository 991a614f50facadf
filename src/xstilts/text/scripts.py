"""Writing systems: which script a character is in, grapheme clusters, and word tokens per language.

Tokens carry character offsets into the text so that families can turn them into edits.
Latin-script languages split on letters; Japanese uses janome and Chinese jieba (both ship their
dictionaries in the wheel: nothing is downloaded); Korean splits eojeol at script changes and
separates a trailing case particle, so that `루마니아에` gives the stem `루마니아` (+ `에`).

    script_of("강")                 # -> HANGUL
    words("Der Fluss ist lang.", "de")  # -> (Token(0, 3, "Der"), Token(4, 9, "Fluss"), ...)
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from dataclasses import dataclass


LATIN, HAN, KANA, HANGUL, DIGIT, OTHER = "latin", "han", "kana", "hangul", "digit", "other"


@functools.lru_cache(maxsize=4096)
def script_of(ch: str) -> str:
    """The script of one character (letters only; digits are DIGIT, the rest OTHER)."""
    o = ord(ch)
    if 0xAC00 <= o <= 0xD7A3:
        return HANGUL
    if 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
        return KANA if ch != "・" else OTHER
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FFFF:
        return HAN
    if "0" <= ch <= "9":
        return DIGIT
    if ch.isalpha() and "LATIN" in unicodedata.name(ch, ""):
        return LATIN
    return OTHER


def is_mark(ch: str) -> bool:
    """Combining marks, variation selectors, ZWJ and emoji modifiers: never split from their base."""
    o = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or 0xFE00 <= o <= 0xFE0F
        or o == 0x200D
        or 0x1F3FB <= o <= 0x1F3FF
        or 0xE0100 <= o <= 0xE01EF
    )


def clusters(text: str) -> list[tuple[int, int]]:
    """Spans of user-perceived characters: a base plus its marks (ZWJ also joins the next char)."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and (is_mark(text[j]) or text[j - 1] == "\u200d"):
            j += 1
        spans.append((i, j))
        i = j
    return spans


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str


_LETTER_RUN = re.compile(r"[^\W\d_](?:[^\W\d_]|[\u0300-\u036f])*")


def latin_words(text: str) -> list[Token]:
    """Runs of letters (with combining marks); apostrophes and hyphens split words."""
    return [Token(m.start(), m.end(), m.group()) for m in _LETTER_RUN.finditer(text)]


def script_runs(token: Token) -> list[Token]:
    """Split a token where the script changes (`Leurda강은` -> `Leurda`, `강은`)."""
    text = token.text
    scripts: list[str] = []
    for ch in text:  # a combining mark belongs to its base's script
        scripts.append(scripts[-1] if scripts and is_mark(ch) else script_of(ch))
    out: list[Token] = []
    begin = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or scripts[i] != scripts[i - 1]:
            out.append(Token(token.start + begin, token.start + i, text[begin:i]))
            begin = i
    return out


# Korean case/topic particles and copula endings, longest first. Only stripped from stems of at
# least two syllables so that e.g. 사이 ("between") is not read as 사 + 이.
KO_PARTICLES = tuple(
    sorted(
        "에서부터 으로부터 로부터 에게서 에서는 에서도 에서의 으로는 으로도 으로서 으로써 이라는 "
        "입니다 이었다 이었던 이라고 라고 라는 에서 에게 까지 부터 으로 처럼 보다 에는 에도 에의 "
        "와의 과의 로는 로도 로서 로써 이다 이며 이고 였다 은 는 이 가 을 를 의 에 로 와 과 도 만".split(),
        key=len,
        reverse=True,
    )
)


def split_particle(word: str) -> tuple[str, str]:
    """(stem, particle) for a Hangul word; particle is '' when none is recognised."""
    for particle in KO_PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)], particle
    return word, ""


def korean_words(text: str) -> list[Token]:
    """Script runs of each eojeol, Hangul runs reduced to their stem (particle left outside)."""
    out: list[Token] = []
    for word in latin_words(text):
        for run in script_runs(word):
            if script_of(run.text[0]) == HANGUL:
                stem, _ = split_particle(run.text)
                run = Token(run.start, run.start + len(stem), stem)
            out.append(run)
    return out


@functools.cache
def _janome():  # type: ignore[no-untyped-def]
    from janome.tokenizer import Tokenizer

    return Tokenizer()


@functools.cache
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)  # jieba logs "Building prefix dict..." at INFO
    return jieba


def _located(text: str, surfaces: list[str]) -> list[Token]:
    """Tokens from a segmenter's surfaces, keeping those that contain a letter."""
    out: list[Token] = []
    pos = 0
    for surface in surfaces:
        start = text.find(surface, pos)
        if start < 0:  # segmenter changed the text: skip rather than guess an offset
            continue
        pos = start + len(surface)
        if any(ch.isalpha() for ch in surface):
            out.append(Token(start, pos, surface))
    return out


@functools.lru_cache(maxsize=1 << 16)
def words(text: str, lang: str) -> tuple[Token, ...]:
    """Word tokens of `text` in `lang` (letters only; numbers and punctuation are left out)."""
    if lang == "ja":
        return tuple(_located(text, list(_janome().tokenize(text, wakati=True))))
    if lang == "zh":
        return tuple(_located(text, _jieba().lcut(text)))
    if lang == "ko":
        return tuple(korean_words(text))
    return tuple(latin_words(text))


@functools.lru_cache(maxsize=1 << 16)
def zh_tagged(text: str) -> tuple[tuple[Token, str], ...]:
    """jieba words of `text` with their part-of-speech tags."""
    import jieba.posseg as pseg

    _jieba()
    out: list[tuple[Token, str]] = []
    pos = 0
    for pair in pseg.cut(text):
        start = text.find(pair.word, pos)
        if start < 0:
            continue
        pos = start + len(pair.word)
        out.append((Token(start, pos, pair.word), pair.flag))
    return tuple(out)


def zh_names(text: str) -> list[Token]:
    """Chinese proper nouns by jieba's tags (person, place, organisation, other proper noun)."""
    return [t for t, flag in zh_tagged(text) if flag in ("nr", "nrt", "nrfg", "ns", "nt", "nz") and len(t.text) >= 2]


def zh_boundaries(text: str) -> frozenset[int]:
    """Offsets where jieba puts a word boundary in `text`."""
    return frozenset(i for t, _ in zh_tagged(text) for i in (t.start, t.end))


def is_blank(text: str) -> bool:
    return not text.strip()
