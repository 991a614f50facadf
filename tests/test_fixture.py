"""The committed fixture (data/fixture) matches its generator (tools/fixture) and has the properties
runs rely on."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from xstilts.schema import LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "data" / "fixture"


def _load_generator():
    """tools/fixture/generate.py is a script outside the package: import it from its path."""
    spec = importlib.util.spec_from_file_location("fixture_generate", ROOT / "tools" / "fixture" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


fixture = _load_generator()
LANGS = LANGUAGES
PAWS_FILES = ["pawsx/en/train.jsonl"] + [
    f"pawsx/{lang}/{split}.jsonl" for split in ("validation", "test") for lang in LANGS
]
NLI_FILES = ["nli/en/train.jsonl", "nli/en/validation.jsonl"]
EXPECTED_ROWS = {"pawsx/en/train.jsonl": 600, "nli/en/train.jsonl": 600, "nli/en/validation.jsonl": 150}


def _rows(rel: str) -> list[dict]:
    with open(FIXTURE / rel, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _committed_files() -> set[str]:
    return {p.relative_to(FIXTURE).as_posix() for p in FIXTURE.rglob("*") if p.is_file()}


def test_regenerating_reproduces_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    result = CliRunner().invoke(fixture.main, [str(tmp_path)])
    assert result.exit_code == 0, result.output
    generated = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert generated == _committed_files(), "data/fixture holds other files than the generator writes"
    for rel in sorted(generated):
        assert (tmp_path / rel).read_bytes() == (FIXTURE / rel).read_bytes(), (
            f"{rel} differs from the generator's output; run: python tools/fixture/generate.py data/fixture"
        )


def test_generation_is_deterministic_within_a_process() -> None:
    assert fixture.fixture_files() == fixture.fixture_files()


def test_expected_files_and_row_counts() -> None:
    assert _committed_files() == set(PAWS_FILES) | set(NLI_FILES) | {"README.md"}
    for rel in PAWS_FILES + NLI_FILES:
        assert len(_rows(rel)) == EXPECTED_ROWS.get(rel, 150), rel


@pytest.mark.parametrize("rel", PAWS_FILES + NLI_FILES)
def test_lines_are_canonical_json_with_exact_keys(rel: str) -> None:
    data = (FIXTURE / rel).read_bytes()
    assert b"\r" not in data and data.endswith(b"\n")
    keys = ["id", "sentence1", "sentence2", "label"] if rel.startswith("pawsx") else ["id", "premise", "hypothesis", "label"]
    labels = {0, 1} if rel.startswith("pawsx") else {0, 1, 2}
    for line in data.decode("utf-8").splitlines():
        obj = json.loads(line)
        assert json.dumps(obj, ensure_ascii=False) == line
        assert list(obj) == keys
        assert isinstance(obj["id"], int) and not isinstance(obj["id"], bool)
        assert obj["label"] in labels


@pytest.mark.parametrize("rel", PAWS_FILES + NLI_FILES)
def test_no_empty_unfilled_or_identical_sentences(rel: str) -> None:
    for row in _rows(rel):
        a, b = (row["sentence1"], row["sentence2"]) if "sentence1" in row else (row["premise"], row["hypothesis"])
        for text in (a, b):
            assert isinstance(text, str) and text.strip() == text and text, row
            assert not re.search(r"[{}|]|  ", text), f"unfilled placeholder or double space: {row}"
        assert a != b, row


@pytest.mark.parametrize("rel", PAWS_FILES + NLI_FILES)
def test_label_balance(rel: str) -> None:
    rows = _rows(rel)
    counts = Counter(row["label"] for row in rows)
    n_labels = 2 if rel.startswith("pawsx") else 3
    assert set(counts) == set(range(n_labels))
    for label, count in counts.items():
        share = count / len(rows)
        if n_labels == 2:
            assert 0.4 <= share <= 0.6, (rel, label, share)
        else:
            assert abs(share - 1 / 3) <= 0.07, (rel, label, share)


def test_ids_unique_within_files_and_across_pawsx_splits() -> None:
    split_ids: dict[str, set[int]] = {}
    for rel in PAWS_FILES + NLI_FILES:
        ids = [row["id"] for row in _rows(rel)]
        assert len(ids) == len(set(ids)), f"duplicate ids in {rel}"
        if rel.startswith("pawsx"):
            split = rel.rsplit("/", 1)[1].removesuffix(".jsonl")
            split_ids.setdefault(split, set(ids))
    assert not split_ids["train"] & split_ids["validation"]
    assert not split_ids["train"] & split_ids["test"]
    assert not split_ids["validation"] & split_ids["test"]


@pytest.mark.parametrize("split", ["validation", "test"])
def test_evaluation_splits_are_parallel_across_languages(split: str) -> None:
    reference = [(row["id"], row["label"]) for row in _rows(f"pawsx/en/{split}.jsonl")]
    for lang in LANGS[1:]:
        rows = _rows(f"pawsx/{lang}/{split}.jsonl")
        assert [(row["id"], row["label"]) for row in rows] == reference, lang
    # Parallel means translated, not copied: every non-English row differs from the English one.
    english = {row["id"]: row["sentence1"] for row in _rows(f"pawsx/en/{split}.jsonl")}
    for lang in ("ja", "ko", "zh"):
        assert all(row["sentence1"] != english[row["id"]] for row in _rows(f"pawsx/{lang}/{split}.jsonl"))


KANA_OR_HAN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
KANA = re.compile(r"[\u3040-\u30ff]")
HAN = re.compile(r"[\u4e00-\u9fff]")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
ANY_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3]")


@pytest.mark.parametrize("lang", LANGS)
def test_sentences_are_in_the_script_of_their_language(lang: str) -> None:
    for split in ("validation", "test"):
        for row in _rows(f"pawsx/{lang}/{split}.jsonl"):
            for text in (row["sentence1"], row["sentence2"]):
                if lang == "ja":
                    assert KANA.search(text) and not HANGUL.search(text), text
                elif lang == "zh":
                    assert HAN.search(text) and not KANA.search(text) and not HANGUL.search(text), text
                    assert text.endswith("。"), text
                elif lang == "ko":
                    assert HANGUL.search(text) and not KANA_OR_HAN.search(text), text
                else:
                    assert not ANY_CJK.search(text), text
                if lang == "ja":
                    assert text.endswith("。"), text


def test_entity_pools_are_disjoint_between_splits() -> None:
    # Across kinds too: a city of one split must not be a first name of another ("Sofia").
    pools = {split: set().union(*fixture.pool_names(split).values()) for split in fixture.POOL_SPLITS}
    for i, a in enumerate(fixture.POOL_SPLITS):
        for b in fixture.POOL_SPLITS[i + 1:]:
            shared = pools[a] & pools[b]
            assert not shared, f"shared by {a} and {b}: {sorted(shared)}"


def _text(rels: list[str]) -> str:
    return "\n".join(v for rel in rels for row in _rows(rel) for k, v in row.items() if isinstance(v, str))


def _mentions(names: set[str], text: str) -> set[str]:
    return {n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text)}


def _numbers(text: str) -> set[int]:
    return {int(m.replace(",", "")) for m in re.findall(r"\d[\d,]*\d|\d", text)}


TRAIN_FILES = ["pawsx/en/train.jsonl", "nli/en/train.jsonl"]


@pytest.mark.parametrize("split", ["validation", "test"])
def test_no_evaluation_entity_or_number_appears_in_training_data(split: str) -> None:
    train = _text(TRAIN_FILES)
    evaluation = _text([f"pawsx/en/{split}.jsonl"])
    names = fixture.pool_names(split)
    for kind in ("first_name", "surname", "city", "river", "org"):
        assert not _mentions(names[kind], train), f"{split} {kind}s in training data"
        assert _mentions(names[kind], evaluation), f"no {split} {kind} used at all?"
    assert not _numbers(train) & _numbers(evaluation), "a year or number of the evaluation split occurs in training data"
    assert not _numbers(_text(["pawsx/en/validation.jsonl"])) & _numbers(_text(["pawsx/en/test.jsonl"]))


def test_nli_validation_entities_are_disjoint_from_nli_train() -> None:
    train, validation = _text(["nli/en/train.jsonl"]), _text(["nli/en/validation.jsonl"])
    for kind in ("first_name", "surname", "city", "river", "org"):
        assert not _mentions(fixture.pool_names("nli_validation")[kind], train), kind
        assert not _mentions(fixture.pool_names("train")[kind], validation), kind
    assert not _numbers(train) & _numbers(validation)


def test_templates_are_many_and_written_in_every_language() -> None:
    assert len(fixture.TEMPLATES) >= 25
    assert len({t.name for t in fixture.TEMPLATES}) == len(fixture.TEMPLATES)
    for t in fixture.TEMPLATES:
        assert set(t.forms) == set(LANGS), t.name
        assert len({len(forms) for forms in t.forms.values()}) == 1 and t.n_forms >= 2, t.name
        slot_names = {name for name, _ in t.slots}
        for lang, forms in t.forms.items():
            for form in forms:
                used = set(re.findall(r"\{(\w+)", form))
                assert used <= slot_names, (t.name, lang, form)
                # Every form states every fact (slot), so two forms of one item are paraphrases.
                assert used == slot_names, (t.name, lang, form)


def test_non_paraphrases_mix_swaps_and_changed_details() -> None:
    items = fixture.build_paws_items(fixture.PAWS_TRAIN_SIZE, "train", fixture.SEEDS["paws_train"])
    kinds = Counter(item.kind for item in items)
    negatives = kinds["swap"] + kinds["detail"]
    assert kinds["paraphrase"] == negatives == fixture.PAWS_TRAIN_SIZE // 2
    assert 0.35 <= kinds["swap"] / negatives <= 0.65, kinds
    # Form choice carries no label signal: both labels always pair two different forms.
    assert all(item.form1 != item.form2 for item in items)


def test_korean_particles_follow_the_last_syllable() -> None:
    assert fixture.ko_particle("클라라 켈러", "은") == "클라라 켈러는"
    assert fixture.ko_particle("라인강", "은") == "라인강은"
    assert fixture.ko_particle("라인강", "으로") == "라인강으로"
    assert fixture.ko_particle("베를린", "으로") == "베를린으로"
    assert fixture.ko_particle("서울", "으로") == "서울로"
    assert fixture.ko_particle("토론토", "으로") == "토론토로"
    assert fixture.ko_particle("펠릭스 피셔", "이") == "펠릭스 피셔가"
    assert fixture.ko_particle("법학", "을") == "법학을"


def test_language_specific_orthography() -> None:
    fr = _text(["pawsx/fr/validation.jsonl", "pawsx/fr/test.jsonl"])
    es = _text(["pawsx/es/validation.jsonl", "pawsx/es/test.jsonl"])
    assert not re.search(r"\b(de|à) les?\b", fr) and not re.search(r"\bde [AEIOUÉaeioué]", fr)
    assert not re.search(r"\b(de|a) el\b", es)
    assert fixture.format_int(12450, "de") == "12.450"
    assert fixture.format_int(12450, "fr") == "12\u00a0450"
    assert fixture.format_int(1245, "es") == "1245"
    assert fixture.cjk_millions(358, "ja") == "3億5800万"
