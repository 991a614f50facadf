"""entity_number (consistent replacement, preserving) and contrast (one-sided change, flipping).

Run: pytest tests/test_perturb_entities.py
"""

from __future__ import annotations

import re

from xstilts.perturb import perturb_split
from xstilts.text.entities import NAME, NUMBER, common_words, mentions, occurrences, units
from xstilts.text.name_pools import LATIN_NAMES
from xstilts.text.replacements import korean_particle, new_number
from xstilts.text.stream import Stream


def one(family: str, lang: str, s1: str, s2: str, label: int = 1, validation=None, parallel=None,
        **params: object) -> dict:
    """The record for one pair. `parallel`: {lang: (s1, s2)}, the same item in other languages (the
    evidence that a name is a name: by default the pair itself in English, or in German for an
    English pair, so that names are copied verbatim as PAWS-X's translators do)."""
    if parallel is None:
        parallel = {"de" if lang == "en" else "en": (s1, s2)}
    test = {other: [{"id": "x", "sentence1": a, "sentence2": b, "label": label}] for other, (a, b) in parallel.items()}
    test[lang] = [{"id": "x", "sentence1": s1, "sentence2": s2, "label": label}]
    records, _ = perturb_split(family, params, test, validation or {})
    return records[lang][0]


def test_mentions_find_names_and_numbers() -> None:
    found = mentions("He played for Kane County in 1993 and 1,000 fans .", "en", frozenset({"He"}))
    assert [(m.text, m.kind) for m in found] == [("Kane", NAME), ("County", NAME), ("1993", NUMBER)]


def test_common_words_come_from_the_validation_sentences() -> None:
    common = common_words(["Der Fluss ist lang.", "Der Fluss fließt.", "Der Fluss endet."], "de", 3)
    assert common == frozenset({"Der", "Fluss"})
    assert [m.text for m in mentions("Der Fluss Leurda ist lang.", "de", common)] == ["Leurda"]


def test_german_noun_endings_are_not_names() -> None:
    assert [m.text for m in mentions("Die Anforderung von Müller", "de", frozenset())] == ["Die", "Müller"]


def test_cjk_and_korean_names() -> None:
    assert [m.text for m in mentions("ルルダ（Leurda）川はタバチ・リバー", "ja", frozenset())] == [
        "ルルダ",
        "Leurda",
        "タバチ",
        "リバー",
    ]
    assert "勒乌尔达" not in [m.text for m in mentions("罗马尼亚的河流", "zh", frozenset())]
    korean = [m.text for m in mentions("레우르다 강의 지류이다 캐나다에서 뛰었다", "ko", frozenset({"강의", "지류"}))]
    assert korean == ["레우르다", "캐나다"]


def test_units_grow_latin_names() -> None:
    text = "He joined the Phi Beta Kappa and Sigma Xi societies ."
    assert [u.text for u in units(text, "en", frozenset({"He", "Beta", "Xi"}))] == ["Phi Beta Kappa", "Sigma Xi"]


def test_occurrences_respect_word_boundaries() -> None:
    assert occurrences("Kane and Kanes and Kane", "Kane") == [(0, 4), (19, 23)]
    assert occurrences("1993 and 19935", "1993") == [(0, 4)]
    assert occurrences("Leurda강은", "Leurda") == [(0, 6)]
    assert occurrences("레우르다강의 레우르다", "레우르다") == [(0, 4), (7, 11)]
    assert occurrences("比利时和欧洲", "利时", "zh") == []  # inside a jieba word
    assert occurrences("比利时和欧洲", "欧洲", "zh") == [(4, 6)]


def test_korean_particles_follow_the_new_noun() -> None:
    assert korean_particle("카터", "을") == "를" and korean_particle("베넷", "를") == "을"
    assert korean_particle("서울", "으로") == "로" and korean_particle("부산", "로") == "으로"
    assert korean_particle("Smith", "는") == "는" and korean_particle("카터", "에서") == "에서"


def test_new_numbers() -> None:
    stream = Stream("n")
    assert new_number("1993", stream, set(), shift=-7) == "1986"
    for _ in range(50):
        assert 1 <= int(new_number("6", stream, set())) <= 12
        assert 1 <= int(new_number("30", stream, set())) <= 28
        assert len(new_number("450", stream, set())) == 3
    assert new_number("1993", stream, {"1986"}, shift=-7) == "1985"


def test_entity_number_replaces_consistently_in_both_sentences() -> None:
    for seed in range(20):
        r = one(
            "entity_number",
            "en",
            "Martin Weber played for Bayern from 1998 to 2003 .",
            "From 1998 to 2003 , Martin Weber played for Bayern .",
            seed=seed,
            rate=1.0,
        )
        assert r["changed"] and r["expected_label"] == 1
        mapping: dict[str, str] = {}
        for e in r["edits"]:
            assert mapping.setdefault(e["before"], e["after"]) == e["after"]  # one mapping for the pair
        # Names are replaced whole (issue 18: "Common Pleas" -> "Gardner Pleas"): "Martin Weber" is one.
        assert {e["before"] for e in r["edits"]} == {"Martin Weber", "Bayern", "1998", "2003"}
        years = [int(y) for y in re.findall(r"\d{4}", r["sentence1"])]
        assert years[1] - years[0] == 5  # years move together
        assert all(e["before"] != e["after"] for e in r["edits"])


def test_entity_number_uses_locale_pools() -> None:
    for lang, s, en, pool in [
        ("de", "Müller lebt in Kassel.", "Müller lives in Kassel .", LATIN_NAMES["de"]),
        ("fr", "Müller vit à Kassel.", "Müller lives in Kassel .", LATIN_NAMES["fr"]),
        ("ja", "彼は Müller と住む。", "He lives with Müller .", LATIN_NAMES["en"]),
    ]:
        r = one("entity_number", lang, s, s, kinds=["name"], rate=1.0, parallel={"en": (en, en)})
        assert r["changed"] and all(e["after"].strip() in pool for e in r["edits"])


def test_entity_number_leaves_names_without_evidence_alone() -> None:
    """Issue 18: katakana, Hangul and Han "names" were often common nouns (Chinese "naval base" ->
    a place name); no parallel evidence can verify them, so only numbers change there."""
    for lang, s in [
        ("ja", "ルルダ川はルルダにある。"),
        ("ko", "레우르다 강은 레우르다에 있다."),
        ("zh", "塔巴奇河是罗马尼亚的河流。"),
    ]:
        r = one("entity_number", lang, s, s, kinds=["name"], rate=1.0)
        assert not r["changed"], r["edits"]
    r = one("entity_number", "zh", "海军基地建于1942年。", "1942年，海军基地建成。", rate=1.0)
    assert r["changed"] and {e["before"] for e in r["edits"]} == {"1942"}
    r = one("entity_number", "de", "Müller lebt in Kassel.", "Müller lebt in Kassel.", kinds=["name"], parallel={})
    assert not r["changed"]  # no English version loaded: no name is verified


def test_entity_number_needs_a_shared_mention() -> None:
    r = one("entity_number", "en", "Kane played in 1993 .", "Portland won in 2001 .")
    assert not r["eligible"] and not r["changed"]


def test_contrast_flips_only_paraphrases_and_edits_one_sentence() -> None:
    s1, s2 = (
        "Martin Weber played for Bayern before joining Werder in 2005 .",
        "In 2005 , Martin Weber joined Werder after playing for Bayern .",
    )
    for seed in range(20):
        r = one("contrast", "en", s1, s2, seed=seed)
        assert r["changed"] and r["expected_label"] == 0 and r["label"] == 1
        assert len({e["sentence"] for e in r["edits"]}) == 1
    r = one("contrast", "en", s1, s2, label=0)
    assert not r["eligible"] and r["expected_label"] == 0 and not r["changed"]
    r = one("contrast", "en", s1, s2, label=0, only_paraphrases=False)
    assert r["changed"] and r["expected_label"] == 0


def test_contrast_swaps_whole_names_that_the_other_sentence_has() -> None:
    s1 = "Kane County Cougars played Portland Sea Dogs in the final ."
    s2 = "In the final , the Kane County Cougars played the Portland Sea Dogs ."
    r = one("contrast", "en", s1, s2, sentence="first")
    assert r["sentence1"] == "Portland Sea Dogs played Kane County Cougars in the final ."
    assert [e["op"] for e in r["edits"]] == ["swap", "swap"]


def test_contrast_skips_coordinations_and_falls_back_to_numbers() -> None:
    s1 = "Anna and Carl lived in Paris for 12 years ."
    s2 = "For 12 years , Anna and Carl lived in Paris ."
    r = one("contrast", "en", s1, s2, sentence="first")
    assert [e["op"] for e in r["edits"]] != ["swap", "swap"] or "Carl and Anna" not in r["sentence1"]
    r = one(
        "contrast",
        "en",
        "Anna and Carl lived there for 12 years .",
        "For 12 years Anna and Carl lived there .",
        sentence="first",
    )
    assert [e["op"] for e in r["edits"]] == ["change_number"] and "12" not in r["sentence1"]


def test_contrast_in_korean_moves_numbers_not_hangul_nouns() -> None:
    """Hangul "names" (any noun with a particle) cannot be verified by the parallel English item
    (issue 18: a body part swapped with a river), so Korean contrast edits change numbers."""
    s1 = "카터는 베넷과 함께 1990년에 서울에서 일했다."
    s2 = "1990년에 서울에서 카터는 베넷과 함께 일했다."
    r = one("contrast", "ko", s1, s2, sentence="first")
    assert r["changed"] and r["expected_label"] == 0
    assert [e["op"] for e in r["edits"]] == ["change_number"] and "1990" not in r["sentence1"]
