"""Keyboard layouts for realistic typos: letter -> neighbouring keys.

Latin layouts per language (QWERTZ for German, AZERTY for French, Spanish QWERTY with ñ, US
QWERTY otherwise) and the Korean 2-set (Dubeolsik) layout for jamo substitutions.
Neighbours are the keys left/right on the same row and the two nearest keys on the rows above and
below (rows are staggered by about half a key).

    neighbours(latin_layout("de"))["z"]  # -> "tugh": the keys around z on a German (QWERTZ) keyboard
"""

from __future__ import annotations

import functools

LAYOUTS: dict[str, tuple[str, ...]] = {
    "qwerty": ("qwertyuiop", "asdfghjkl", "zxcvbnm"),
    "qwertz": ("qwertzuiopü", "asdfghjklöä", "yxcvbnm"),
    "azerty": ("azertyuiop", "qsdfghjklm", "wxcvbn"),
    "qwerty_es": ("qwertyuiop", "asdfghjklñ", "zxcvbnm"),
    "dubeolsik": ("ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ", "ㅁㄴㅇㄹㅎㅗㅓㅏㅣ", "ㅋㅌㅊㅍㅠㅜㅡ"),
}

LAYOUT_BY_LANG = {"de": "qwertz", "fr": "azerty", "es": "qwerty_es"}


@functools.cache
def neighbours(layout: str) -> dict[str, str]:
    """key -> string of its neighbouring keys."""
    rows = LAYOUTS[layout]
    out: dict[str, str] = {}
    for r, row in enumerate(rows):
        for i, key in enumerate(row):
            near = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
            for other in (r - 1, r + 1):
                if 0 <= other < len(rows):
                    # The row below is shifted right: its keys i-1 and i sit under key i.
                    cols = (i, i + 1) if other < r else (i - 1, i)
                    near += [rows[other][j] for j in cols if 0 <= j < len(rows[other])]
            out[key] = "".join(near)
    return out


def latin_layout(lang: str) -> str:
    return LAYOUT_BY_LANG.get(lang, "qwerty")
