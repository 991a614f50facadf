"""Issue 18 item 7: perturbations that keep their labels — the repairs, with the issue's failing
examples, and the validity audit's reader.

Run: pytest tests/test_perturb_validity.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from xstilts.errors import DataError
from xstilts.perturb import FAMILIES, perturb_split
from xstilts.perturb.audit import (
    carry_verdicts,
    is_primary,
    primary_families,
    read_audit,
    sample_audit,
    validity,
    wilson,
)
from xstilts.perturb.contrast import chains
from xstilts.text.entities import mentions
from xstilts.text.lexicon import build_lexicon

AUDIT_DIR = Path(__file__).resolve().parents[1] / "data" / "audit"


def records(family: str, lang: str, s1: str, s2: str, parallel: dict, label: int = 1, **params) -> dict:
    test = {other: [{"id": "x", "sentence1": a, "sentence2": b, "label": label}] for other, (a, b) in parallel.items()}
    test[lang] = [{"id": "x", "sentence1": s1, "sentence2": s2, "label": label}]
    out, _ = perturb_split(family, params, test, {})
    return out[lang][0]


# --- entity_number: no common nouns --------------------------------------------------------------


def test_german_compound_nouns_are_not_names() -> None:
    """Issue 18: German compound nouns ("learning tool", "commercial register") were replaced by
    surnames. They are translated in the English version of the item, so they are not verified."""
    s1 = "Das Lernwerkzeug wurde von Hartwig im Handelsregister eingetragen ."
    s2 = "Hartwig trug das Lernwerkzeug im Handelsregister ein ."
    en = ("The learning tool was entered in the commercial register by Hartwig .",
          "Hartwig entered the learning tool in the commercial register .")
    for seed in range(10):
        r = records("entity_number", "de", s1, s2, {"en": en}, seed=seed, rate=1.0)
        befores = {e["before"] for e in r["edits"]}
        assert befores == {"Hartwig"}, befores
    # Without the evidence the old rule (a capitalised word not frequent in validation) took them.
    assert {"Lernwerkzeug", "Handelsregister"} <= {m.text for m in mentions(s1, "de", frozenset())}


def test_common_pleas_is_replaced_whole_or_not_at_all() -> None:
    """Issue 18: "Common Pleas" -> "Gardner Pleas" (one word of a multi-word name replaced)."""
    s1 = "He was a judge of the Court of Common Pleas in Ohio from 1990 ."
    s2 = "From 1990 he was a judge at the Court of Common Pleas in Ohio ."
    de = ("Er war ab 1990 Richter am Court of Common Pleas in Ohio .",
          "Ab 1990 war er Richter am Court of Common Pleas in Ohio .")
    for seed in range(20):
        r = records("entity_number", "en", s1, s2, {"de": de}, seed=seed, rate=1.0)
        assert r["changed"]
        # The whole name (joined across "of") or nothing of it.
        assert {e["before"] for e in r["edits"]} <= {"Court of Common Pleas", "Ohio", "1990"}
        assert " Pleas" not in r["sentence1"] or "Court of Common Pleas" in r["sentence1"]


def test_cjk_names_are_demoted_to_numbers() -> None:
    """Issue 18: Chinese "naval base" replaced by a place name. No verbatim evidence exists for Han,
    katakana or Hangul names, so only numbers change in those scripts."""
    s1, s2 = "该海军基地于1942年建成。", "1942年，该海军基地建成。"
    for seed in range(10):
        r = records("entity_number", "zh", s1, s2, {"en": ("The naval base was built in 1942 .",) * 2},
                    seed=seed, rate=1.0)
        assert {e["before"] for e in r["edits"]} == {"1942"}


# --- contrast: same kind, never inside a list, no broken sentences --------------------------------


def test_contrast_never_swaps_two_members_of_a_list() -> None:
    """Issue 18: two names swapped inside a list keep the meaning (order does not matter)."""
    s1 = "The band toured Germany , France and Italy in 1998 ."
    s2 = "In 1998 , the band toured Germany , France and Italy ."
    for seed in range(20):
        r = records("contrast", "en", s1, s2, {"de": (s1, s2)}, seed=seed, ops=["swap"])
        assert not r["changed"], r["edits"]
    # Outside the list the swap is the PAWS construction and flips the label.
    s1 = "In 1990 Kane moved from Portland to Salem , where Weber lived ."
    s2 = "In 1990 Kane moved from Portland to Salem , the home of Weber ."
    r = records("contrast", "en", s1, s2, {"de": (s1, s2)}, sentence="first", ops=["swap"])
    assert r["changed"] and r["expected_label"] == 0
    assert {e["before"] for e in r["edits"]} in ({"Kane", "Weber"}, {"Portland", "Weber"}, {"Salem", "Weber"},
                                                 {"Kane", "Portland"}, {"Kane", "Salem"})


def test_chinese_year_list_with_nian_is_a_coordination() -> None:
    """Issue 18: in Chinese a 年 after each year defeated the conjunction check."""
    text = "他在1990年和1995年两次获奖。"
    found = mentions(text, "zh", frozenset())
    years = [m for m in found if m.text in ("1990", "1995")]
    assert len(years) == 2 and chains(text, years)[0] == chains(text, years)[1]
    for seed in range(20):
        r = records("contrast", "zh", text, "1990年和1995年，他两次获奖。", {}, seed=seed, ops=["swap"])
        assert not r["changed"], r["edits"]
    # Korean and Japanese lists too; a range as well.
    for lang, t in [("ko", "그는 1990년과 1995년에 우승했다."), ("ja", "1990年と1995年に優勝した。"),
                    ("en", "He lived there from 1990 to 1995 ."), ("de", "Er lebte dort 1990 – 1995 ."),
                    ("es", "Vivió allí de 1990 a 1995 ."), ("zh", "他在1990年至1995年间住在那里。"),
                    ("ja", "1990年、1995年に優勝した。"), ("zh", "1990年、1995年获奖。")]:
        ys = [m for m in mentions(t, lang, frozenset()) if m.text in ("1990", "1995")]
        assert len(set(chains(t, ys))) == 1, (lang, t)
    t = "He was born in 1950 and died in 1990 ."
    ys = [m for m in mentions(t, "en", frozenset()) if m.kind == "number"]
    assert len(set(chains(t, ys))) == 2  # not a list: "and died in" is more than a separator


def test_contrast_swaps_only_spans_of_one_kind() -> None:
    """Issue 18: an acronym swapped with a verb, a body part with a river. Names must be verified
    (so verbs and common nouns never move), acronyms swap only with acronyms, years with years."""
    s1 = "NBC bought the station from Weber in 1985 , when Kane owned 12 of its 40 shares ."
    s2 = "In 1985 NBC bought the station from Weber ; Kane owned 12 of its 40 shares ."
    de = ("NBC kaufte 1985 den Sender von Weber , als Kane 12 der 40 Anteile besaß .",
          "1985 kaufte NBC den Sender von Weber ; Kane besaß 12 der 40 Anteile .")
    seen = set()
    for seed in range(30):
        r = records("contrast", "en", s1, s2, {"de": de}, seed=seed, sentence="first", ops=["swap"])
        pair = frozenset(e["before"] for e in r["edits"])
        seen.add(pair)
        assert pair in {frozenset({"Weber", "Kane"}), frozenset({"12", "40"})}, pair
    # Korean: a Hangul "name" (any noun) never moves, nor does a verb.
    r = records("contrast", "ko", "눈은 강에서 멀리 있다.", "강에서 눈은 멀리 있다.", {"en": ("x", "y")}, ops=["swap"])
    assert not r["changed"]


# --- code_mixing: no names in the lexicon ---------------------------------------------------------


def test_lexicon_never_maps_a_name_to_a_name() -> None:
    """Issue 18: a Chinese transliterated name mapped to "Björkman"."""
    zh = [("比约克曼是歌手", "比约克曼唱歌"), ("比约克曼在城市", "城市有比约克曼"), ("比约克曼很老", "比约克曼老")] * 2
    en = [("Björkman is a singer", "Björkman sings"), ("Björkman is in the city", "the city has Björkman"),
          ("Björkman is old", "Björkman old")] * 2
    pairs = [("\n".join(z), "\n".join(e)) for z, e in zip(zh, en)]
    lex = build_lexicon(pairs, "zh", "en", min_count=2, min_dice=0.3)
    assert "Björkman" not in lex.values() and "比约克曼" not in lex
    assert lex.get("城市") == "city"
    # English source, German donor: an English name never enters either.
    en_de = [("Weber lives in the city", "Weber wohnt in der Stadt"), ("the city of Kane", "die Stadt Kane")] * 3
    lex = build_lexicon([(a, b) for a, b in en_de], "en", "de", min_count=2, min_dice=0.3)
    assert "weber" not in lex and "kane" not in lex and lex.get("city") == "Stadt"


# --- the primary flag ------------------------------------------------------------------------------


def test_every_family_declares_whether_it_is_primary() -> None:
    assert all(isinstance(f.primary, bool) for f in FAMILIES.values())
    _, quality = perturb_split("char_noise", {}, {"en": [{"id": "1", "sentence1": "a b", "sentence2": "c",
                                                           "label": 1}]}, {})
    assert quality["primary"] is FAMILIES["char_noise"].primary


@pytest.mark.skipif(not AUDIT_DIR.is_dir(), reason="no committed audit")
def test_primary_flags_follow_the_committed_audit() -> None:
    """A family's `primary` flag is what the committed audit's rule gives (>= 90 % label validity)."""
    files = sorted(AUDIT_DIR.glob("*.jsonl"))
    stats = validity(row for f in files for row in read_audit(f))
    for family, primary in primary_families(stats).items():
        if stats[family]["overall"]["unjudged"] == 0:
            assert FAMILIES[family].primary == primary, (family, stats[family]["overall"])


# --- the audit reader -------------------------------------------------------------------------------


def _row(family: str, lang: str, i: int, verdict: bool | None, effect: str = "preserving",
         fluent: bool | None = True) -> dict:
    key = "label_kept" if effect == "preserving" else "label_flipped"
    return {"id": str(i), "lang": lang, "family": family, "effect": effect, "label": 1, "expected_label": 1,
            "clean": {"sentence1": "a", "sentence2": "b"}, "perturbed": {"sentence1": "a", "sentence2": f"c{i}"},
            "edits": [], key: verdict, "fluent": fluent, "comment": ""}


def test_wilson_interval() -> None:
    low, high = wilson(24, 25)
    assert low == pytest.approx(0.8046, abs=1e-3) and high == pytest.approx(0.9929, abs=1e-3)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)
    assert all(math.isnan(x) for x in wilson(0, 0))
    low, high = wilson(90, 100)
    assert low < 0.9 < high and high - low < 0.13


def test_validity_rates_per_language_and_family_and_the_primary_rule() -> None:
    rows = [_row("noise", "de", i, i < 24) for i in range(25)]  # 24/25
    rows += [_row("noise", "ja", i, i < 20, fluent=i < 5) for i in range(25)]  # 20/25
    rows += [_row("noise", "ja", 99, None)]  # unjudged: left out
    rows += [_row("swap", "en", i, i < 23, effect="flipping") for i in range(25)]
    stats = validity(rows)
    de, ja = stats["noise"]["languages"]["de"], stats["noise"]["languages"]["ja"]
    assert (de["n"], de["valid"], de["rate"]) == (25, 24, 0.96)
    assert (ja["n"], ja["valid"], ja["unjudged"], ja["fluent"], ja["fluent_n"]) == (25, 20, 1, 6, 26)
    overall = stats["noise"]["overall"]
    assert (overall["n"], overall["valid"], overall["rate"]) == (50, 44, 0.88)
    assert overall["low"] < 0.88 < overall["high"]
    assert stats["swap"]["effect"] == "flipping" and stats["swap"]["overall"]["rate"] == 0.92
    assert primary_families(stats) == {"noise": False, "swap": True}
    assert is_primary(validity([_row("x", "en", i, True) for i in range(25)])["x"], threshold=0.9)
    assert not is_primary(validity([_row("x", "en", 1, True)])["x"])  # one valid pair of one: too few judged
    assert not is_primary(validity([_row("x", "en", 1, None)])["x"])
    with pytest.raises(ValueError, match="several label effects"):
        validity([_row("x", "en", 1, True), _row("x", "de", 1, True, effect="flipping")])


def test_read_audit_checks_verdicts(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(_row("n", "de", 1, True)) + "\n" + json.dumps(_row("n", "de", 2, None)) + "\n")
    assert [r["label_kept"] for r in read_audit(path)] == [True, None]
    bad = _row("n", "de", 3, True)
    bad["label_kept"] = "yes"
    path.write_text(json.dumps(bad) + "\n")
    with pytest.raises(DataError, match="must be true, false or null"):
        read_audit(path)


def test_sample_audit_is_seeded_and_keeps_verdicts() -> None:
    recs = {"de": [{"id": str(i), "label": 1, "changed": i % 3 != 0, "sentence1": f"x{i}", "sentence2": "y",
                    "edits": [{"sentence": 1, "op": "o", "start": 0, "end": 1, "before": "a", "after": "x"}]}
                   for i in range(60)]}
    clean = {"de": [{"id": str(i), "label": 1, "sentence1": f"a{i}", "sentence2": "y"} for i in range(60)]}
    a = sample_audit("noise", "preserving", recs, clean, 25, seed=1)
    assert len(a) == 25 and all(int(r["id"]) % 3 for r in a)  # changed ones only
    assert a == sample_audit("noise", "preserving", recs, clean, 25, seed=1)
    assert [r["id"] for r in a] != [r["id"] for r in sample_audit("noise", "preserving", recs, clean, 25, seed=2)]
    assert a[0]["label_kept"] is None and a[0]["clean"]["sentence1"].startswith("a")
    flags = {"de": [i % 2 == 0 for i in range(60)]}  # token-level change
    b = sample_audit("noise", "preserving", recs, clean, 25, seed=1, token_changed=flags)
    assert all(int(r["id"]) % 2 == 0 and int(r["id"]) % 3 for r in b)
    a[0]["label_kept"], a[0]["comment"] = False, "garbled"
    fresh = sample_audit("noise", "preserving", recs, clean, 25, seed=1)
    assert carry_verdicts(fresh, a) == 1 and fresh[0]["label_kept"] is False and fresh[0]["comment"] == "garbled"
    c = sample_audit("swap", "flipping", recs, clean, 3, seed=1)
    assert "label_flipped" in c[0] and "label_kept" not in c[0]


def test_new_days_and_months_keep_their_width_without_zero_padding() -> None:
    """A day "20" became "07" ("opening on 07 September 1919"): no zero padding that was not there."""
    from xstilts.text.replacements import new_number
    from xstilts.text.stream import Stream

    stream = Stream("days")
    for _ in range(200):
        for old in ("20", "30", "13", "10", "12"):
            new = new_number(old, stream, set())
            assert len(new) == 2 and new[0] != "0" and new != old, (old, new)
        assert len(new_number("07", stream, set())) == 2


def test_contrast_never_makes_impossible_dates_reversed_ranges_or_split_names() -> None:
    """Found in the audit: "31 November" (days 13 <-> 31), "1947 -- 1944" (two ranges swapped end to
    end), "1i Jenna ... by Productions" (the tail of the name "1i Productions")."""
    s1 = "The single was announced on 31 October 2015 and was released on 13 November 2015 ."
    s2 = "The single was announced on October 31 , 2015 , and was released on November 13 , 2015 ."
    de = ("Die Single wurde am 31. Oktober 2015 angekündigt und am 13. November 2015 veröffentlicht .",) * 2
    for seed in range(10):
        r = records("contrast", "en", s1, s2, {"de": de}, seed=seed, sentence="first", ops=["swap"])
        assert not r["changed"], r["edits"]
    s1 = "It was scrapped in 1943 -- 1944 and raised in 1946 -- 1947 ."
    s2 = "It was scrapped in 1943 -- 1944 and finally raised in 1946 -- 1947 ."
    for seed in range(10):
        assert not records("contrast", "en", s1, s2, {"de": (s1, s2)}, seed=seed, ops=["swap"])["changed"]
    s1 = "1i Productions is a publisher . It was founded by Jenna , William and Colin Byrne ."
    for seed in range(10):
        r = records("contrast", "en", s1, s1, {"de": (s1, s1)}, seed=seed, ops=["swap"])
        assert "Productions" not in {e["before"] for e in r["edits"]}


def test_contrast_never_swaps_part_of_a_name_or_a_place_with_a_person() -> None:
    """Found in the German audit: "David Warren Haynes ... zu Allan Coe'" ("David" opens the
    sentence, so it was not part of the mention), "Finanzier Edward W und ... George Soros. Scott",
    "in Charles geboren, mit seinem Zwilling Coventry"."""
    cases = [
        ("David Allan Coe kam 1980 zu Warren Haynes' Band.", "1980 kam David Allan Coe zu Warren Haynes' Band.",
         "David Allan Coe joined Warren Haynes ' band in 1980 .", {"Allan Coe", "Warren Haynes"}),
        ("Die Mittel kamen vom Finanzier George Soros und von Edward W. Scott.",
         "Die Mittel kamen von Edward W. Scott und vom Finanzier George Soros.",
         "Funding came from financier George Soros and from Edward W. Scott .", {"Edward W", "George Soros"}),
        ("Er wurde in Coventry mit seinem Zwilling Charles geboren.",
         "Mit seinem Zwilling Charles wurde er in Coventry geboren.",
         "He was born in Coventry with his twin Charles .", {"Coventry", "Charles"}),
    ]
    for s1, s2, en, pair in cases:
        for seed in range(10):
            r = records("contrast", "de", s1, s2, {"en": (en, en)}, seed=seed, ops=["swap"])
            assert {e["before"] for e in r["edits"]} != pair, r["edits"]


def test_contrast_ranges_with_a_preposition_and_hyphenated_names() -> None:
    """Found in the English audit: "in 1943 -- in 1944 ... 1946 -- in 1947" swapped end to end,
    and "Kai-sung ... Jin-Qua" -> "Qua-sung ... Jin-Kai"."""
    t = "It was scrapped in 1943 -- in 1944 and raised in 1946 -- in 1947 ."
    ys = [m for m in mentions(t, "en", frozenset()) if m.kind == "number"]
    assert chains(t, ys) == [0, 0, 2, 2]
    s1 = "The first , Kai-sung , was Jin-Qua 's daughter ."
    s2 = "Kai-sung , the first , was the daughter of Jin-Qua ."
    for seed in range(10):
        r = records("contrast", "en", s1, s2, {"de": (s1, s2)}, seed=seed, ops=["swap"])
        assert not r["changed"], r["edits"]


def test_cjk_lists_with_spaces_counters_and_ordinals() -> None:
    """Found in the Japanese audit: "1948 年と 1949 年" (a space before 年) and "第 8 子と第 9 子"
    (a counter after the first number, 第 before the second) were swapped as if not a list."""
    for lang, t in [("ja", "彼は 1948 年と 1949 年に活躍した。"), ("ja", "双子は第 8 子と第 9 子だった。"),
                    ("ja", "エリザベス（1854 年～ 1932 年）"), ("ko", "1990년부터 1995년까지"),
                    ("zh", "1990 年以及 1995 年"), ("ko", "그는 1990년과 1995년에 우승했다.")]:
        ns = [m for m in mentions(t, lang, frozenset()) if m.kind == "number"]
        assert len(ns) == 2 and len(set(chains(t, ns))) == 1, (lang, t)
    t = "1990 年に東京で、1995 年に大阪で"
    ns = [m for m in mentions(t, "ja", frozenset()) if m.kind == "number"]
    assert len(set(chains(t, ns))) == 2


def test_articles_do_not_hide_a_coordination() -> None:
    t = "Los campeonatos tuvieron lugar entre el 21 y el 28 de enero ."
    ns = [m for m in mentions(t, "es", frozenset()) if m.kind == "number"]
    assert len(set(chains(t, ns))) == 1


def test_counters_after_numbers_do_not_hide_a_list() -> None:
    t = "ロビンズ家の 12 人の子供のうち 8 番目と 9 番目の双子"
    ns = [m for m in mentions(t, "ja", frozenset()) if m.text in ("8", "9")]
    assert len(set(chains(t, ns))) == 1


def test_a_company_suffix_does_not_hide_a_list() -> None:
    """Found in the Chinese audit: "Henderson Brothers , Inc. 和 Bear Wagner" swapped as if not a list."""
    s = "德莱尼成为 Henderson Brothers , Inc. 和 Bear Wagner 的高级常务董事。"
    en = ("Delaney became a director at Henderson Brothers , Inc. , and Bear Wagner .",) * 2
    for seed in range(10):
        r = records("contrast", "zh", s, s, {"en": en}, seed=seed, ops=["swap"])
        assert not r["changed"], r["edits"]
