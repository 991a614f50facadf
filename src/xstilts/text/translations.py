"""Putting a lexicon's translation of a word into a sentence (code-mixing).

Which words a lexicon may replace (`replaceable`) and how the translation is written in its place
(`fit_translation`): capitalised at the start of a sentence, and a Latin word put into Chinese or
Japanese text gets spaces around it, as PAWS-X writes Latin names there (in Korean, particles stay
attached: `Romania에`). The `code_mixing` family and the attack's `lexicon` source share both, so a
translation looks the same wherever it comes from.

    token = Token(0, 5, "Fluss")
    if replaceable(token, "de", lexicon):
        fit_translation("Fluss ist lang.", token, lexicon.entries[norm(token.text)])  # -> "River"
"""

from __future__ import annotations

from xstilts.schema import LATIN_LANGUAGES
from xstilts.text.lexicon import Lexicon, norm
from xstilts.text.scripts import HANGUL, LATIN, Token, script_of


def _pad(neighbour: str) -> bool:
    """A Latin word needs a space next to Han, kana, digits or Latin letters (not Hangul, where
    particles attach to it, nor punctuation or spaces)."""
    return neighbour.isalnum() and script_of(neighbour) != HANGUL


def fit_translation(text: str, token: Token, translation: str) -> str:
    """Capitalise at sentence start; pad a Latin word that would touch a letter or digit."""
    if not text[: token.start].strip(" \"'„“«「(（") and translation[:1].islower() and token.text[:1].isupper():
        translation = translation[0].upper() + translation[1:]
    if script_of(translation[0]) == LATIN and script_of(token.text[0]) != LATIN:
        if token.start > 0 and _pad(text[token.start - 1]):
            translation = " " + translation
        if token.end < len(text) and _pad(text[token.end]):
            translation = translation + " "
    return translation


def replaceable(token: Token, lang: str, lexicon: Lexicon) -> bool:
    """Covered by the lexicon. In ja/ko/zh, Latin words are names (not code-mixing sites) and
    one-character words are mostly particles (は, 的, 년) whose alignment is unreliable."""
    if lang not in LATIN_LANGUAGES and (script_of(token.text[0]) == LATIN or len(token.text) < 2):
        return False
    return norm(token.text) in lexicon.entries
