"""mixed_language: one sentence in the language, the other in the partner language (same id).

Run: pytest tests/test_perturb_mixed_language.py
"""

from __future__ import annotations

from xstilts.perturb import perturb_split

EN = {"id": "1", "sentence1": "The river is long .", "sentence2": "The long river .", "label": 1}
DE = {"id": "1", "sentence1": "Der Fluss ist lang.", "sentence2": "Der lange Fluss.", "label": 1}
JA = {"id": "1", "sentence1": "川は長い。", "sentence2": "長い川。", "label": 1}


def mixed(test: dict, **params: object) -> dict:
    records, _ = perturb_split("mixed_language", params, test, {})
    return records


def test_directions() -> None:
    r = mixed({"ja": [JA], "en": [EN]}, direction="lang-partner")["ja"][0]
    assert (r["sentence1"], r["sentence2"]) == (JA["sentence1"], EN["sentence2"])
    r = mixed({"ja": [JA], "en": [EN]}, direction="partner-lang")["ja"][0]
    assert (r["sentence1"], r["sentence2"]) == (EN["sentence1"], JA["sentence2"])
    assert r["edits"] == [
        {
            "sentence": 1,
            "op": "translate_sentence",
            "start": 0,
            "end": 5,
            "before": "川は長い。",
            "after": "The river is long .",
        }
    ]
    assert r["expected_label"] == r["label"] == 1


def test_random_direction_mixes_both_ways_deterministically() -> None:
    ja = [{**JA, "id": str(i)} for i in range(40)]
    en = [{**EN, "id": str(i)} for i in range(40)]
    first = mixed({"ja": ja, "en": en})["ja"]
    assert {r["edits"][0]["sentence"] for r in first} == {1, 2}
    assert mixed({"ja": list(reversed(ja)), "en": en})["ja"] == list(reversed(first))


def test_english_is_paired_with_the_fallback_partner() -> None:
    r = mixed({"en": [EN], "de": [DE]}, direction="lang-partner")["en"][0]
    assert r["sentence2"] == DE["sentence2"] and r["changed"]
    r = mixed({"en": [EN], "ja": [JA]}, direction="lang-partner", fallback_partner="ja")["en"][0]
    assert r["sentence2"] == JA["sentence2"]


def test_not_eligible_without_a_usable_partner_row() -> None:
    assert not mixed({"ja": [JA], "en": []})["ja"][0]["eligible"]  # missing id
    ns = {**EN, "sentence2": "NS", "label": 0}
    assert not mixed({"ja": [JA], "en": [ns]})["ja"][0]["eligible"]  # untranslated partner
    other_label = {**EN, "label": 0}
    assert not mixed({"ja": [JA], "en": [other_label]})["ja"][0]["eligible"]
