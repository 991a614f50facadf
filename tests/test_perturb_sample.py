"""Perturbation families on a realistic made-up multilingual sample (7 languages, parallel ids).

The sample imitates PAWS-X: Wikipedia-style pairs, PAWS swaps (label 0), untranslated `NS` rows
(label 0 in that language), and a disjoint validation split for the lexicons and word lists.
Run: pytest tests/test_perturb_sample.py
"""

from __future__ import annotations

import unicodedata

import pytest

from xstilts.perturb import FAMILIES, perturb_split
from xstilts.schema import FLIPPING, PRESERVING

# id -> language -> (sentence1, sentence2, label)
TEST: dict[str, dict[str, tuple[str, str, int]]] = {
    "t1": {
        "en": (
            "The Tabaci River is a tributary of the Leurda River in Romania .",
            "The Leurda River is a tributary of the Tabaci River in Romania .",
            0,
        ),
        "de": (
            "Der Tabaci ist ein Nebenfluss der Leurda in Rumänien.",
            "Die Leurda ist ein Nebenfluss des Tabaci in Rumänien.",
            0,
        ),
        "es": (
            "El río Tabaci es un afluente del río Leurda en Rumania.",
            "El río Leurda es un afluente del río Tabaci en Rumania.",
            0,
        ),
        "fr": (
            "La rivière Tabaci est un affluent de la rivière Leurda en Roumanie.",
            "La rivière Leurda est un affluent de la rivière Tabaci en Roumanie.",
            0,
        ),
        "ja": ("タバチ川はルーマニアのレウルダ川の支流である。", "レウルダ川はルーマニアのタバチ川の支流である。", 0),
        "ko": (
            "타바치 강은 루마니아에 있는 레우르다 강의 지류이다.",
            "레우르다 강은 루마니아에 있는 타바치 강의 지류이다.",
            0,
        ),
        "zh": ("塔巴奇河是罗马尼亚勒乌尔达河的支流。", "勒乌尔达河是罗马尼亚塔巴奇河的支流。", 0),
    },
    "t2": {
        "en": (
            "He was born in 1952 in Hamburg and studied law in Berlin .",
            "Born in Hamburg in 1952 , he studied law in Berlin .",
            1,
        ),
        "de": (
            "Er wurde 1952 in Hamburg geboren und studierte Jura in Berlin.",
            "Geboren 1952 in Hamburg, studierte er Jura in Berlin.",
            1,
        ),
        "es": (
            "Nació en 1952 en Hamburgo y estudió derecho en Berlín.",
            "Nacido en Hamburgo en 1952, estudió derecho en Berlín.",
            1,
        ),
        "fr": (
            "Il est né en 1952 à Hambourg et a étudié le droit à Berlin.",
            "Né à Hambourg en 1952, il a étudié le droit à Berlin.",
            1,
        ),
        "ja": (
            "彼は 1952 年にハンブルクで生まれ、ベルリンで法律を学んだ。",
            "1952 年にハンブルクで生まれた彼は、ベルリンで法律を学んだ。",
            1,
        ),
        "ko": (
            "그는 1952년 함부르크에서 태어나 베를린에서 법학을 공부했다.",
            "1952년 함부르크에서 태어난 그는 베를린에서 법학을 공부했다.",
            1,
        ),
        "zh": ("他于 1952 年出生于汉堡，在柏林学习法律。", "他 1952 年生于汉堡，后来在柏林学习法律。", 1),
    },
    "t3": {
        "en": (
            "The band released its second album in 2004 and toured Europe with Coldplay .",
            "In 2004 the band released its second album and toured Europe with Coldplay .",
            1,
        ),
        "de": (
            "Die Band veröffentlichte 2004 ihr zweites Album und tourte mit Coldplay durch Europa.",
            "2004 veröffentlichte die Band ihr zweites Album und tourte mit Coldplay durch Europa.",
            1,
        ),
        "es": (
            "La banda publicó su segundo álbum en 2004 y recorrió Europa con Coldplay.",
            "En 2004 la banda publicó su segundo álbum y recorrió Europa con Coldplay.",
            1,
        ),
        "fr": (
            "Le groupe a sorti son deuxième album en 2004 et a fait une tournée en Europe avec Coldplay.",
            "En 2004, le groupe a sorti son deuxième album et a fait une tournée en Europe avec Coldplay.",
            1,
        ),
        "ja": (
            "バンドは 2004 年に 2 枚目のアルバムを発表し、コールドプレイとヨーロッパをツアーした。",
            "2004 年、バンドは 2 枚目のアルバムを発表し、コールドプレイとヨーロッパをツアーした。",
            1,
        ),
        "ko": (
            "밴드는 2004년에 두 번째 앨범을 발표하고 콜드플레이와 함께 유럽을 순회했다.",
            "2004년 밴드는 두 번째 앨범을 발표하고 콜드플레이와 함께 유럽 투어를 했다.",
            1,
        ),
        "zh": (
            "乐队于 2004 年发行了第二张专辑，并与酷玩乐队一起在欧洲巡演。",
            "2004 年，乐队发行了第二张专辑，并与酷玩乐队一起巡演欧洲。",
            1,
        ),
    },
    "t4": {
        "en": (
            "Martin Weber played for Bayern Munich from 1998 to 2003 .",
            "From 1998 to 2003 , Martin Weber played for Bayern Munich .",
            1,
        ),
        "de": (
            "Martin Weber spielte von 1998 bis 2003 für Bayern München.",
            "Von 1998 bis 2003 spielte Martin Weber für Bayern München.",
            1,
        ),
        "es": (
            "Martin Weber jugó en el Bayern de Múnich de 1998 a 2003.",
            "De 1998 a 2003, Martin Weber jugó en el Bayern de Múnich.",
            1,
        ),
        "fr": (
            "Martin Weber a joué pour le Bayern Munich de 1998 à 2003.",
            "De 1998 à 2003, Martin Weber a joué pour le Bayern Munich.",
            1,
        ),
        "ja": (
            "マルティン・ヴェーバーは 1998 年から 2003 年までバイエルン・ミュンヘンでプレーした。",
            "1998 年から 2003 年まで、マルティン・ヴェーバーはバイエルン・ミュンヘンでプレーした。",
            1,
        ),
        "ko": (
            "마르틴 베버는 1998년부터 2003년까지 바이에른 뮌헨에서 뛰었다.",
            "1998년부터 2003년까지 마르틴 베버는 바이에른 뮌헨에서 뛰었다.",
            1,
        ),
        "zh": (
            "马丁·韦伯在 1998 年至 2003 年间效力于拜仁慕尼黑。",
            "1998 年至 2003 年，马丁·韦伯效力于拜仁慕尼黑。",
            1,
        ),
    },
    "t5": {
        "en": (
            "The church was built in 1754 and restored in 1902 .",
            "The church was restored in 1754 and built in 1902 .",
            0,
        ),
        "de": (
            "Die Kirche wurde 1754 erbaut und 1902 restauriert.",
            "Die Kirche wurde 1754 restauriert und 1902 erbaut.",
            0,
        ),
        "es": (
            "La iglesia fue construida en 1754 y restaurada en 1902.",
            "La iglesia fue restaurada en 1754 y construida en 1902.",
            0,
        ),
        "fr": (
            "L'église a été construite en 1754 et restaurée en 1902.",
            "L'église a été restaurée en 1754 et construite en 1902.",
            0,
        ),
        "ja": (
            "その教会は 1754 年に建てられ、1902 年に修復された。",
            "その教会は 1754 年に修復され、1902 年に建てられた。",
            0,
        ),
        "ko": (
            "그 교회는 1754년에 지어졌고 1902년에 복원되었다.",
            "그 교회는 1754년에 복원되었고 1902년에 지어졌다.",
            0,
        ),
        "zh": ("这座教堂建于 1754 年，并于 1902 年修复。", "这座教堂于 1754 年修复，并于 1902 年建成。", 0),
    },
    "t6": {
        "en": (
            "Anna Schmidt married the painter Carl Hofer in Paris in 1931 .",
            "In 1931 in Paris , Anna Schmidt married the painter Carl Hofer .",
            1,
        ),
        "de": (
            "Anna Schmidt heiratete 1931 in Paris den Maler Carl Hofer.",
            "1931 heiratete Anna Schmidt in Paris den Maler Carl Hofer.",
            1,
        ),
        "es": (
            "Anna Schmidt se casó con el pintor Carl Hofer en París en 1931.",
            "En 1931, en París, Anna Schmidt se casó con el pintor Carl Hofer.",
            1,
        ),
        "fr": (
            "Anna Schmidt a épousé le peintre Carl Hofer à Paris en 1931.",
            "En 1931, à Paris, Anna Schmidt a épousé le peintre Carl Hofer.",
            1,
        ),
        "ja": (
            "アンナ・シュミットは 1931 年にパリで画家のカール・ホーファーと結婚した。",
            "1931 年、アンナ・シュミットはパリで画家のカール・ホーファーと結婚した。",
            1,
        ),
        "ko": (
            "안나 슈미트는 1931년 파리에서 화가 카를 호퍼와 결혼했다.",
            "1931년 파리에서 안나 슈미트는 화가 카를 호퍼와 결혼했다.",
            1,
        ),
        "zh": (
            "安娜·施密特于 1931 年在巴黎与画家卡尔·霍弗结婚。",
            "1931 年，安娜·施密特在巴黎与画家卡尔·霍弗结婚。",
            1,
        ),
    },
    "t7": {
        "en": (
            "The station is located 12 kilometres north of Lyon on the Rhône .",
            "The station lies on the Rhône , 12 kilometres north of Lyon .",
            1,
        ),
        "de": (
            "Der Bahnhof liegt 12 Kilometer nördlich von Lyon an der Rhône.",
            "Der Bahnhof liegt an der Rhône, 12 Kilometer nördlich von Lyon.",
            1,
        ),
        "es": (
            "La estación está situada a 12 kilómetros al norte de Lyon, junto al Ródano.",
            "La estación se encuentra junto al Ródano, a 12 kilómetros al norte de Lyon.",
            1,
        ),
        "fr": (
            "La gare est située à 12 kilomètres au nord de Lyon, sur le Rhône.",
            "La gare se trouve sur le Rhône, à 12 kilomètres au nord de Lyon.",
            1,
        ),
        "ja": (
            "駅はローヌ川沿い、リヨンの北 12 キロメートルに位置している。",
            "駅はリヨンの北 12 キロメートル、ローヌ川沿いにある。",
            1,
        ),
        "ko": (
            "이 역은 리옹에서 북쪽으로 12킬로미터 떨어진 론 강변에 있다.",
            "이 역은 론 강변, 리옹 북쪽 12킬로미터 지점에 있다.",
            1,
        ),
        "zh": ("该车站位于里昂以北 12 公里的罗纳河畔。", "该车站位于罗纳河畔，在里昂以北 12 公里处。", 1),
    },
    "t8": {  # untranslated in de, ja and zh: label 0 there, as in PAWS-X
        "en": (
            "The school has 450 students and 32 teachers .",
            "There are 450 students and 32 teachers at the school .",
            1,
        ),
        "de": ("Die Schule hat 450 Schüler und 32 Lehrer.", "NS", 0),
        "es": ("La escuela tiene 450 alumnos y 32 profesores.", "Hay 450 alumnos y 32 profesores en la escuela.", 1),
        "fr": ("L'école compte 450 élèves et 32 enseignants.", "Il y a 450 élèves et 32 enseignants à l'école.", 1),
        "ja": ("その学校には生徒が 450 人、教師が 32 人いる。", "NS", 0),
        "ko": ("그 학교에는 학생 450명과 교사 32명이 있다.", "그 학교에는 450명의 학생과 32명의 교사가 있다.", 1),
        "zh": ("这所学校有 450 名学生和 32 名教师。", "NS", 0),
    },
}

VALIDATION: dict[str, dict[str, tuple[str, str, int]]] = {
    "v1": {
        "en": (
            "The Siret is a tributary of the Danube in Romania .",
            "In Romania , the Siret is a tributary of the Danube .",
            1,
        ),
        "de": (
            "Der Siret ist ein Nebenfluss der Donau in Rumänien.",
            "In Rumänien ist der Siret ein Nebenfluss der Donau.",
            1,
        ),
        "es": (
            "El Siret es un afluente del Danubio en Rumania.",
            "En Rumania, el Siret es un afluente del Danubio.",
            1,
        ),
        "fr": (
            "Le Siret est un affluent du Danube en Roumanie.",
            "En Roumanie, le Siret est un affluent du Danube.",
            1,
        ),
        "ja": ("シレト川はルーマニアのドナウ川の支流である。", "ルーマニアでは、シレト川はドナウ川の支流である。", 1),
        "ko": (
            "시레트 강은 루마니아에 있는 도나우 강의 지류이다.",
            "루마니아에서 시레트 강은 도나우 강의 지류이다.",
            1,
        ),
        "zh": ("锡雷特河是罗马尼亚多瑙河的支流。", "在罗马尼亚，锡雷特河是多瑙河的支流。", 1),
    },
    "v2": {
        "en": (
            "She was born in 1960 in Munich and studied music in Vienna .",
            "Born in Munich in 1960 , she studied music in Vienna .",
            1,
        ),
        "de": (
            "Sie wurde 1960 in München geboren und studierte Musik in Wien.",
            "Geboren 1960 in München, studierte sie Musik in Wien.",
            1,
        ),
        "es": (
            "Nació en 1960 en Múnich y estudió música en Viena.",
            "Nacida en Múnich en 1960, estudió música en Viena.",
            1,
        ),
        "fr": (
            "Elle est née en 1960 à Munich et a étudié la musique à Vienne.",
            "Née à Munich en 1960, elle a étudié la musique à Vienne.",
            1,
        ),
        "ja": (
            "彼女は 1960 年にミュンヘンで生まれ、ウィーンで音楽を学んだ。",
            "1960 年にミュンヘンで生まれた彼女は、ウィーンで音楽を学んだ。",
            1,
        ),
        "ko": (
            "그녀는 1960년 뮌헨에서 태어나 빈에서 음악을 공부했다.",
            "1960년 뮌헨에서 태어난 그녀는 빈에서 음악을 공부했다.",
            1,
        ),
        "zh": ("她于 1960 年出生于慕尼黑，在维也纳学习音乐。", "她 1960 年生于慕尼黑，后来在维也纳学习音乐。", 1),
    },
    "v3": {
        "en": ("The band released its first album in 1999 .", "In 1999 , the band released its first album .", 1),
        "de": ("Die Band veröffentlichte 1999 ihr erstes Album.", "1999 veröffentlichte die Band ihr erstes Album.", 1),
        "es": ("La banda publicó su primer álbum en 1999.", "En 1999, la banda publicó su primer álbum.", 1),
        "fr": ("Le groupe a sorti son premier album en 1999.", "En 1999, le groupe a sorti son premier album.", 1),
        "ja": ("バンドは 1999 年に最初のアルバムを発表した。", "1999 年、バンドは最初のアルバムを発表した。", 1),
        "ko": ("밴드는 1999년에 첫 번째 앨범을 발표했다.", "1999년 밴드는 첫 번째 앨범을 발표했다.", 1),
        "zh": ("乐队于 1999 年发行了第一张专辑。", "1999 年，乐队发行了第一张专辑。", 1),
    },
    "v4": {
        "en": (
            "He played for Werder Bremen from 2001 to 2005 .",
            "From 2001 to 2005 , he played for Werder Bremen .",
            1,
        ),
        "de": ("Er spielte von 2001 bis 2005 für Werder Bremen.", "Von 2001 bis 2005 spielte er für Werder Bremen.", 1),
        "es": ("Jugó en el Werder Bremen de 2001 a 2005.", "De 2001 a 2005, jugó en el Werder Bremen.", 1),
        "fr": ("Il a joué pour le Werder Brême de 2001 à 2005.", "De 2001 à 2005, il a joué pour le Werder Brême.", 1),
        "ja": (
            "彼は 2001 年から 2005 年までヴェルダー・ブレーメンでプレーした。",
            "2001 年から 2005 年まで、彼はヴェルダー・ブレーメンでプレーした。",
            1,
        ),
        "ko": (
            "그는 2001년부터 2005년까지 베르더 브레멘에서 뛰었다.",
            "2001년부터 2005년까지 그는 베르더 브레멘에서 뛰었다.",
            1,
        ),
        "zh": ("他在 2001 年至 2005 年间效力于云达不莱梅。", "2001 年至 2005 年，他效力于云达不莱梅。", 1),
    },
    "v5": {
        "en": ("The church in the village was built in 1820 .", "The church was built in 1820 in the village .", 1),
        "de": ("Die Kirche im Dorf wurde 1820 erbaut.", "Die Kirche wurde 1820 im Dorf erbaut.", 1),
        "es": ("La iglesia del pueblo fue construida en 1820.", "La iglesia fue construida en 1820 en el pueblo.", 1),
        "fr": (
            "L'église du village a été construite en 1820.",
            "L'église a été construite en 1820 dans le village.",
            1,
        ),
        "ja": ("村の教会は 1820 年に建てられた。", "その教会は 1820 年に村に建てられた。", 1),
        "ko": ("마을의 교회는 1820년에 지어졌다.", "그 교회는 1820년에 마을에 지어졌다.", 1),
        "zh": ("村里的教堂建于 1820 年。", "这座教堂于 1820 年建在村里。", 1),
    },
    "v6": {
        "en": (
            "The river is 45 kilometres long and flows north to Romania .",
            "The river flows north to Romania and is 45 kilometres long .",
            1,
        ),
        "de": (
            "Der Fluss ist 45 Kilometer lang und fließt nach Norden nach Rumänien.",
            "Der Fluss fließt nach Norden nach Rumänien und ist 45 Kilometer lang.",
            1,
        ),
        "es": (
            "El río tiene 45 kilómetros de largo y fluye hacia el norte hasta Rumania.",
            "El río fluye hacia el norte hasta Rumania y tiene 45 kilómetros de largo.",
            1,
        ),
        "fr": (
            "La rivière mesure 45 kilomètres et coule vers le nord jusqu'en Roumanie.",
            "La rivière coule vers le nord jusqu'en Roumanie et mesure 45 kilomètres.",
            1,
        ),
        "ja": (
            "その川は長さ 45 キロメートルで、北のルーマニアへ流れている。",
            "その川は北のルーマニアへ流れ、長さは 45 キロメートルである。",
            1,
        ),
        "ko": (
            "그 강은 길이가 45킬로미터이며 북쪽 루마니아로 흐른다.",
            "그 강은 북쪽 루마니아로 흐르며 길이는 45킬로미터이다.",
            1,
        ),
        "zh": ("这条河长 45 公里，向北流入罗马尼亚。", "这条河向北流入罗马尼亚，长 45 公里。", 1),
    },
}

LANGS = ("en", "de", "es", "fr", "ja", "ko", "zh")
NS_IDS = {("de", "t8"), ("ja", "t8"), ("zh", "t8")}
# The tiny validation split cannot reach the production lexicon thresholds (3 examples).
SAMPLE_PARAMS: dict[str, dict[str, object]] = {"code_mixing": {"min_count": 2, "min_dice": 0.3}}
# Eligible examples expected per language (of 8). Six validation pairs make a small lexicon, so
# code_mixing covers fewer pairs here than on the real data (see test_perturb_shared_data.py).
MIN_ELIGIBLE = {"code_mixing": 1}


def rows(data: dict[str, dict[str, tuple[str, str, int]]]) -> dict[str, list[dict[str, object]]]:
    return {
        lang: [
            {"id": i, "sentence1": v[lang][0], "sentence2": v[lang][1], "label": v[lang][2]} for i, v in data.items()
        ]
        for lang in LANGS
    }


def run(family: str, params: dict[str, object] | None = None, test=None):  # type: ignore[no-untyped-def]
    return perturb_split(
        family, params if params is not None else SAMPLE_PARAMS.get(family, {}), test or rows(TEST), rows(VALIDATION)
    )


@pytest.fixture(scope="module")
def outputs() -> dict[str, tuple[dict, dict]]:
    return {name: run(name) for name in FAMILIES}


@pytest.mark.parametrize("family", [n for n, f in FAMILIES.items() if f.effect == PRESERVING])
def test_preserving_family_changes_at_least_90_percent_of_eligible(outputs, family: str) -> None:
    records, quality = outputs[family]
    for lang in LANGS:
        stats = quality["languages"][lang]
        assert stats["share_changed_of_eligible"] >= 0.9, (family, lang, stats)
        # And most examples are eligible at all (the made-up pairs all have names and numbers).
        assert stats["eligible"] >= MIN_ELIGIBLE.get(family, 6), (family, lang, stats)
        assert all(r["expected_label"] == r["label"] for r in records[lang])


def test_contrast_flips_changed_paraphrases_only(outputs) -> None:
    records, quality = outputs["contrast"]
    assert FAMILIES["contrast"].effect == FLIPPING
    changed = 0
    for lang in LANGS:
        for r in records[lang]:
            assert r["expected_label"] == (0 if r["changed"] else r["label"])
            if r["label"] == 0:
                assert not r["eligible"] and not r["changed"]
            if r["changed"]:
                changed += 1
                assert len({e["sentence"] for e in r["edits"]}) == 1  # one sentence only
    assert changed >= 20  # of 35 paraphrase pairs across the languages


@pytest.mark.parametrize("family", list(FAMILIES))
def test_records_follow_the_contract(outputs, family: str) -> None:
    records, quality = outputs[family]
    for lang in LANGS:
        assert [r["id"] for r in records[lang]] == list(TEST)  # one record per example, same order
        for r in records[lang]:
            assert set(r) >= {
                "id",
                "lang",
                "family",
                "params",
                "sentence1",
                "sentence2",
                "label",
                "expected_label",
                "changed",
                "eligible",
                "edit_count",
                "edits",
            }
            assert r["lang"] == lang and r["family"] == family
            assert r["edit_count"] == len(r["edits"])
            assert r["changed"] == (r["edit_count"] > 0)
            for key in ("sentence1", "sentence2"):
                assert r[key].strip()
                assert unicodedata.is_normalized("NFC", r[key])
            if (lang, r["id"]) in NS_IDS:
                assert not r["eligible"] and not r["changed"]
        assert quality["languages"][lang]["examples"] == len(TEST)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_output_does_not_depend_on_order_or_on_other_examples(outputs, family: str) -> None:
    records, _ = outputs[family]
    test = rows(TEST)
    shuffled = {lang: list(reversed(r)) for lang, r in test.items()}
    again, _ = run(family, test=shuffled)
    for lang in LANGS:
        assert {r["id"]: r for r in again[lang]} == {r["id"]: r for r in records[lang]}
    single = {lang: [r for r in test[lang] if r["id"] == "t4"] for lang in LANGS}
    alone, _ = run(family, test=single)
    for lang in LANGS:
        assert alone[lang][0] == next(r for r in records[lang] if r["id"] == "t4")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_seed_changes_the_random_choices(outputs, family: str) -> None:
    records, _ = outputs[family]
    other, _ = run(family, {**SAMPLE_PARAMS.get(family, {}), "seed": 7})
    differs = sum(a["edits"] != b["edits"] for lang in LANGS for a, b in zip(records[lang], other[lang], strict=True))
    assert differs > 0
