"""Lexicons from parallel validation data, and the code_mixing family that uses them.

Run: pytest tests/test_perturb_lexicon.py
"""

from __future__ import annotations

import json
from pathlib import Path

from xstilts.perturb import perturb_split
from xstilts.text.lexicon import build_lexicon, cached_lexicon, fingerprint, lexicon_for

# A toy parallel corpus: each unit is one example (both sentences), as parallel_units makes them.
EN_DE = [
    ("the river is long", "der Fluss ist lang"),
    ("the river flows north", "der Fluss fließt nach Norden"),
    ("the city is old", "die Stadt ist alt"),
    ("the old city has a river", "die alte Stadt hat einen Fluss"),
    ("Berlin is a city", "Berlin ist eine Stadt"),
    ("Berlin has a river", "Berlin hat einen Fluss"),
]


def test_build_lexicon_finds_mutual_best_translations() -> None:
    lex = build_lexicon(EN_DE, "en", "de", min_count=2, min_dice=0.5)
    assert lex["river"] == "Fluss"  # the most frequent spelling of the target
    assert lex["city"] == "Stadt"
    assert lex["is"] == "ist"
    assert lex["has"] == "einen"  # tied with "hat" (both 2/2): ties go to the alphabetically first
    assert "berlin" not in lex  # identical on both sides: no code-mixing value


def test_build_lexicon_thresholds() -> None:
    assert "north" not in build_lexicon(EN_DE, "en", "de", min_count=2, min_dice=0.5)  # seen once
    noisy = EN_DE + [("a river", "ein Strom")]  # Dice(river, Fluss) = 2*4 / (5+4) = 0.89
    assert "river" in build_lexicon(noisy, "en", "de", min_count=2, min_dice=0.85)
    assert "river" not in build_lexicon(noisy, "en", "de", min_count=2, min_dice=0.9)


def test_build_lexicon_does_not_depend_on_unit_order() -> None:
    assert build_lexicon(EN_DE, "en", "de") == build_lexicon(list(reversed(EN_DE)), "en", "de")


def test_lexicon_for_memoises_and_fingerprints() -> None:
    a = lexicon_for(EN_DE, "en", "de", 2, 0.5)
    assert lexicon_for(list(EN_DE), "en", "de", 2, 0.5) is a
    assert fingerprint(EN_DE, "en", "de", 2, 0.5) != fingerprint(EN_DE, "en", "de", 3, 0.5)
    assert fingerprint(EN_DE, "en", "de", 2, 0.5) != fingerprint(EN_DE[1:], "en", "de", 2, 0.5)


def test_cached_lexicon_writes_then_reads(tmp_path: Path) -> None:
    first = cached_lexicon(tmp_path, EN_DE, "en", "de", 2, 0.5)
    (path,) = tmp_path.glob("en-de-*.json")
    assert json.loads(path.read_text(encoding="utf-8"))["entries"] == first.entries
    data = json.loads(path.read_text(encoding="utf-8"))
    data["entries"]["river"] = "Strom"  # prove the second call reads the file
    path.write_text(json.dumps(data), encoding="utf-8")
    assert cached_lexicon(tmp_path, EN_DE, "en", "de", 2, 0.5).entries["river"] == "Strom"


def _rows(pairs: list[tuple[str, str]], label: int = 1) -> list[dict]:
    return [{"id": f"v{i}", "sentence1": a, "sentence2": b, "label": label} for i, (a, b) in enumerate(pairs)]


def _validation() -> dict[str, list[dict]]:
    en = [(e, e) for e, _ in EN_DE]
    de = [(d, d) for _, d in EN_DE]
    return {"en": _rows(en), "de": _rows(de)}


def test_code_mixing_replaces_words_with_translations() -> None:
    test = {
        "de": [{"id": "t1", "sentence1": "Der Fluss ist alt.", "sentence2": "Die Stadt hat einen Fluss.", "label": 1}]
    }
    for seed in range(10):
        records, quality = perturb_split(
            "code_mixing", {"min_count": 2, "min_dice": 0.5, "seed": seed, "rate": 1.0}, test, _validation()
        )
        r = records["de"][0]
        assert r["changed"] and r["expected_label"] == 1 and r["eligible"]
        assert all(e["op"] == "translate" for e in r["edits"])
        assert len({e["sentence"] for e in r["edits"]}) == 1  # sentence="either": one of the two
        assert quality["languages"]["de"]["donor"] == "en"


def test_code_mixing_uses_validation_not_the_perturbed_split() -> None:
    # The test split alone would align "river" with "Fluss"; without validation there is no lexicon.
    test = {"de": _rows([(d, d) for _, d in EN_DE]), "en": _rows([(e, e) for e, _ in EN_DE])}
    records, quality = perturb_split("code_mixing", {"min_count": 2, "min_dice": 0.5}, test, {})
    assert quality["languages"]["de"]["lexicon_size"] == 0
    assert not any(r["changed"] for r in records["de"])


def test_english_gets_the_fallback_donor() -> None:
    test = {"en": [{"id": "t1", "sentence1": "The river is old.", "sentence2": "The city has a river.", "label": 1}]}
    records, quality = perturb_split("code_mixing", {"min_count": 2, "min_dice": 0.5, "rate": 1.0}, test, _validation())
    assert quality["languages"]["en"]["donor"] == "de" and records["en"][0]["changed"]


def test_latin_translation_in_chinese_is_padded() -> None:
    zh = [
        ("河流很长", "河流很长"),
        ("河流向北流", "河流向北流"),
        ("城市很古老", "城市很古老"),
        ("城市有河流", "城市有河流"),
    ]
    en = [
        ("river is long", "river is long"),
        ("river flows north", "river flows north"),
        ("city is old", "city is old"),
        ("city has river", "city has river"),
    ]
    validation = {"zh": _rows(zh), "en": _rows(en)}
    test = {"zh": [{"id": "t", "sentence1": "河流和城市", "sentence2": "城市和河流", "label": 1}]}
    records, _ = perturb_split(
        "code_mixing", {"min_count": 2, "min_dice": 0.5, "rate": 1.0, "sentence": "first"}, test, validation
    )
    assert records["zh"][0]["sentence1"] == "river 和 city"


def test_sentence_initial_translation_is_capitalised() -> None:
    test = {"de": [{"id": "t1", "sentence1": "Stadt und Fluss.", "sentence2": "x", "label": 1}]}
    records, _ = perturb_split(
        "code_mixing", {"min_count": 2, "min_dice": 0.5, "rate": 1.0, "sentence": "first"}, test, _validation()
    )
    assert records["de"][0]["sentence1"] == "City und river."
