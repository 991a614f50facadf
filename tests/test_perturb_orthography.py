"""orthography: accents, casing, width, Simplified/Traditional, whitespace, punctuation.

Run: pytest tests/test_perturb_orthography.py
"""

from __future__ import annotations

import pytest

from xstilts.perturb import perturb_split
from xstilts.perturb.orthography import OPS, OPS_BY_LANG, diff_edits
from xstilts.text.edits import apply_edits
from xstilts.text.stream import Stream

S = Stream("test")


def ortho(lang: str, s1: str, s2: str, **params: object) -> dict:
    records, _ = perturb_split(
        "orthography", params, {lang: [{"id": "x", "sentence1": s1, "sentence2": s2, "label": 1}]}, {}
    )
    return records[lang][0]


def test_strip_accents_only_touches_latin_letters() -> None:
    assert (
        OPS["strip_accents"]("Çačak rivière Straße Ørsted 한국어 café", "fr", 0.5, S)
        == "Cacak riviere Straße Ørsted 한국어 cafe"
    )


def test_width_ops() -> None:
    assert OPS["fullwidth"]("A 級 (2005)", "ja", 0.5, S) == "Ａ 級 （２００５）"
    assert OPS["halfwidth"]("（Ｌｅｕｒｄａ）２００５，", "zh", 0.5, S) == "(Leurda)2005,"
    assert OPS["halfwidth_kana"]("ガイドとカタカナ", "ja", 0.5, S) == "ｶﾞｲﾄﾞとｶﾀｶﾅ"


def test_simplified_to_traditional_and_back() -> None:
    assert OPS["s2t"]("罗马尼亚的支流", "zh", 0.5, S) == "羅馬尼亞的支流"
    assert OPS["s2t"]("羅馬尼亞的支流", "zh", 0.5, S) == "罗马尼亚的支流"  # traditional input goes the other way


def test_whitespace_per_script() -> None:
    assert OPS["whitespace"]("타바치 강은 지류이다", "ko", 1.0, S) == "타바치강은지류이다"
    assert OPS["whitespace"]("2005 年に A 級", "ja", 1.0, S) == "2005年にA級"
    assert OPS["whitespace"]("in Romania , it is .", "en", 1.0, S) == "in Romania, it is."
    assert OPS["whitespace"]("in Rumänien, es ist.", "de", 1.0, S) == "in Rumänien , es ist ."


def test_punctuation_drops_marks_or_adds_a_stop() -> None:
    assert OPS["punctuation"]("Hello , world .", "en", 1.0, S) == "Hello world"
    assert OPS["punctuation"]("没有标点", "zh", 1.0, S) == "没有标点。"


@pytest.mark.parametrize(
    "before, after",
    [("Tabaci River", "tabaci river"), ("abc", "abc"), ("", "x"), ("2005 年", "2005年"), ("羅馬", "罗马")],
)
def test_diff_edits_reproduce_the_result(before: str, after: str) -> None:
    assert apply_edits(before, diff_edits(before, after, 1, "op")) == after


def test_ops_are_script_appropriate() -> None:
    assert "fullwidth" not in OPS_BY_LANG["en"] and "s2t" in OPS_BY_LANG["zh"] and "s2t" not in OPS_BY_LANG["ja"]
    assert "halfwidth_kana" in OPS_BY_LANG["ja"] and "strip_accents" in OPS_BY_LANG["fr"]
    assert set(OPS_BY_LANG) == {"en", "de", "es", "fr", "ja", "ko", "zh"}


def test_family_changes_every_language_and_labels_stay() -> None:
    pairs = {
        "en": ("The Tabaci River is in Romania .", "The Leurda River is in Romania ."),
        "de": ("Der Fluss liegt in Rumänien.", "Rumänien hat den Fluss."),
        "ja": ("タバチ川はルーマニアの川である。", "ルーマニアの川。"),
        "ko": ("타바치 강은 루마니아의 강이다.", "루마니아의 강."),
        "zh": ("塔巴奇河是罗马尼亚的河流。", "罗马尼亚的河流。"),
    }
    for lang, (s1, s2) in pairs.items():
        for seed in range(10):
            r = ortho(lang, s1, s2, seed=seed)
            assert r["changed"] and r["expected_label"] == 1
            assert len({e["op"] for e in r["edits"]}) == 1  # n_ops = 1: one op for the pair


def test_restricting_ops() -> None:
    r = ortho("zh", "塔巴奇河是罗马尼亚的河流。", "罗马尼亚的河流。", ops=["s2t"])
    assert r["sentence1"] == "塔巴奇河是羅馬尼亞的河流。" and {e["op"] for e in r["edits"]} == {"s2t"}
    r = ortho("en", "plain text", "more text", ops=["strip_accents"])
    assert not r["eligible"]


def test_n_ops_combines() -> None:
    r = ortho("fr", "La Rivière est là .", "Où est la rivière ?", n_ops=2, seed=3)
    assert all("+" in e["op"] for e in r["edits"])
