"""char_noise: script-aware typos (Latin keyboards, Han/kana characters, Hangul syllables).

Run: pytest tests/test_perturb_char_noise.py
"""

from __future__ import annotations

import unicodedata

import pytest

from xstilts.perturb import perturb_split
from xstilts.text.keyboards import latin_layout, neighbours
from xstilts.text.scripts import HAN, HANGUL, KANA, LATIN, script_of
from xstilts.text.typos import FINALS, INITIALS, MEDIALS


def noise(lang: str, s1: str, s2: str = "Zweiter Satz hier.", **params: object) -> dict:
    records, _ = perturb_split(
        "char_noise", params, {lang: [{"id": "x", "sentence1": s1, "sentence2": s2, "label": 1}]}, {}
    )
    return records[lang][0]


def test_keyboard_layouts_per_language() -> None:
    assert latin_layout("de") == "qwertz" and latin_layout("fr") == "azerty" and latin_layout("en") == "qwerty"
    assert set(neighbours("qwertz")["z"]) >= {"t", "u"}
    assert set(neighbours("qwerty")["y"]) >= {"t", "u"}
    assert set(neighbours("azerty")["a"]) >= {"z", "q"}
    assert "ö" in neighbours("qwertz")["l"]


def test_latin_edits_are_latin_ops_within_words() -> None:
    ops = set()
    for i in range(30):
        r = noise("en", "The Tabaci River is a tributary of the Leurda River in Romania .", seed=i)
        assert r["changed"] and r["eligible"]
        ops |= {e["op"] for e in r["edits"]}
        for e in r["edits"]:
            assert all(script_of(c) == LATIN for c in e["before"])
    assert ops == {"keyboard", "swap", "drop", "insert"}


def test_keyboard_substitution_uses_the_language_layout() -> None:
    for i in range(40):
        for e in noise("de", "Zzzzz zzzzz zzzzz", "Zzzzz", seed=i, latin_ops=["keyboard"])["edits"]:
            assert e["after"].lower() in neighbours("qwertz")["z"]
    for i in range(40):
        for e in noise("fr", "aaaaa aaaaa", "aaaa", seed=i, latin_ops=["keyboard"])["edits"]:
            assert e["after"] in neighbours("azerty")["a"]


def test_case_is_kept_by_keyboard_typos() -> None:
    for i in range(20):
        for e in noise("en", "HELLO WORLD", "GOOD BYE", seed=i, latin_ops=["keyboard"])["edits"]:
            assert e["after"].isupper()


def test_cjk_edits_are_character_ops() -> None:
    ops = set()
    for i in range(30):
        r = noise("zh", "塔巴奇河是罗马尼亚勒乌尔达河的支流。", "勒乌尔达河是罗马尼亚塔巴奇河的支流。", seed=i)
        assert r["changed"]
        for e in r["edits"]:
            ops.add(e["op"])
            assert all(script_of(c) in (HAN, KANA) for c in e["before"])
    assert ops == {"drop", "duplicate", "swap"}


def test_japanese_kana_and_latin_names_get_their_own_ops() -> None:
    scripts = set()
    for i in range(40):
        r = noise("ja", "タバチ (Tabaci) 川はルーマニアの川の支流である。", "ルルダ（Leurda）川。", seed=i, rate=0.5)
        for e in r["edits"]:
            scripts.add(script_of(e["before"][0]))
            if script_of(e["before"][0]) == LATIN:
                assert e["op"] in {"keyboard", "swap", "drop", "insert"}
    assert {LATIN, KANA, HAN} <= scripts


def _is_syllable(ch: str) -> bool:
    return 0xAC00 <= ord(ch) <= 0xD7A3


def test_hangul_edits_keep_whole_syllables() -> None:
    ops = set()
    for i in range(40):
        r = noise("ko", "타바치 강은 루마니아에 있는 레우르다 강의 지류이다.", "레우르다 강은 지류이다.", seed=i)
        assert r["changed"]
        for e in r["edits"]:
            ops.add(e["op"])
            assert all(_is_syllable(c) for c in e["before"] + e["after"])
            if e["op"] == "jamo":  # exactly one of initial / medial / final differs
                a, b = ord(e["before"]) - 0xAC00, ord(e["after"]) - 0xAC00
                parts = lambda c: (c // 588, (c % 588) // 28, c % 28)  # noqa: E731
                assert sum(x != y for x, y in zip(parts(a), parts(b), strict=True)) == 1
    assert ops == {"jamo", "swap", "drop"}
    assert len(INITIALS) == 19 and len(MEDIALS) == 21 and len(FINALS) == 28


def test_combining_marks_are_never_split_from_their_base() -> None:
    # q + combining dot below has no precomposed form: it stays one cluster after NFC.
    text = "q\u0323q\u0323q\u0323 q\u0323q\u0323q\u0323q\u0323"
    for i in range(40):
        r = noise("en", text, text, seed=i, rate=1.0)
        for key in ("sentence1", "sentence2"):
            out = r[key]
            assert not unicodedata.combining(out[0])
            for j, ch in enumerate(out):
                if unicodedata.combining(ch):
                    assert out[j - 1] in "q\u0323" or out[j - 1].isalpha()


def test_emoji_are_left_alone() -> None:
    r = noise("en", "Great show 👍🏽 tonight 👨\u200d👩\u200d👧", "Good 🎉 party", rate=1.0)
    assert "👍🏽" in r["sentence1"] and "👨\u200d👩\u200d👧" in r["sentence1"] and "🎉" in r["sentence2"]


def test_no_sentence_becomes_empty() -> None:
    for i in range(50):
        for text in ("a", "ab", "川", "강", "x y"):
            r = noise("en", text, text, seed=i, rate=1.0)
            assert r["sentence1"].strip() and r["sentence2"].strip()


@pytest.mark.parametrize("text", ["", "   ", "2005 . , !", "🎉🎉"])
def test_nothing_to_edit_is_not_eligible(text: str) -> None:
    r = noise("en", text, text)
    assert not r["eligible"] and not r["changed"] and r["sentence1"] == text


def test_very_long_sentence_scales_edits() -> None:
    long = " ".join(["tributary"] * 2000)
    r = noise("en", long, "short text", rate=0.1)
    assert 150 <= sum(e["sentence"] == 1 for e in r["edits"]) <= 200


def test_rate_controls_edit_count() -> None:
    text = "The Tabaci River is a tributary of the Leurda River in Romania and flows north ."
    low = noise("en", text, text, rate=0.05)["edit_count"]
    high = noise("en", text, text, rate=0.5)["edit_count"]
    assert low < high


def test_sentence_param() -> None:
    r = noise("en", "Alpha beta gamma", "Delta epsilon zeta", sentence="second")
    assert {e["sentence"] for e in r["edits"]} == {2}
    r = noise("en", "Alpha beta gamma", "Delta epsilon zeta", sentence="either")
    assert len({e["sentence"] for e in r["edits"]}) == 1


def test_mixed_script_sentence() -> None:
    r = noise("ko", "Leurda강은 루마니아에 있는 Tabaci강의 지류입니다.", "Tabaci강", rate=1.0)
    scripts = {script_of(e["before"][0]) for e in r["edits"]}
    assert scripts == {LATIN, HANGUL}
