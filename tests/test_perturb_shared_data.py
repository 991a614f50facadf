"""Perturbation families on the real PAWS-X data in shared/data (skipped where it is absent).

Uses the first 300 test examples of each language (validation in full, for lexicons and word
lists) to stay fast; the full numbers are in the stage's quality.json.
Run: pytest -m shared_data tests/test_perturb_shared_data.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xstilts.io import read_jsonl
from xstilts.perturb import FAMILIES, perturb_split
from xstilts.schema import LANGUAGES as LANGS
from xstilts.schema import PRESERVING

N_TEST = 300
# As in conftest.py: XSTILTS_SHARED_DATA, else shared/data beside the checkout.
SHARED = Path(os.environ.get("XSTILTS_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
DATA = SHARED if (SHARED / "pawsx" / "en" / "test.jsonl.gz").is_file() else None

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(
        DATA is None,
        reason=f"real PAWS-X data not found at {SHARED} (set XSTILTS_SHARED_DATA or put shared/ beside the checkout)",
    ),
]

# Share of examples a family can act on at all (NS rows, pairs without a shared name, ...).
# code_mixing 0.85 -> 0.7 and entity_number in ja/ko/zh 0.6 -> 0.4 with issue 18's repairs: the
# stricter lexicon (no names, min_count 5, min_dice 0.5) covers fewer words (ko: 75 % of the full
# test set still eligible), and names in katakana, Hangul and Han are no longer replaced (no parallel
# evidence can verify them), so those pairs need a shared number or Latin-script name (about half).
MIN_ELIGIBLE = {
    "char_noise": 0.95,
    "orthography": 0.95,
    "mixed_language": 0.95,
    "code_mixing": 0.7,
    "entity_number": 0.6,
}
MIN_ELIGIBLE_CJK = {"entity_number": 0.4}


def _split(split: str, limit: int | None = None) -> dict[str, list[dict]]:
    out = {}
    for lang in LANGS:
        rows = [dict(row, id=str(row["id"])) for _, row in read_jsonl(DATA / "pawsx" / lang / f"{split}.jsonl.gz")]  # type: ignore[operator]
        out[lang] = rows[:limit]
    return out


@pytest.fixture(scope="module")
def data() -> tuple[dict, dict]:
    return _split("test", N_TEST), _split("validation")


@pytest.mark.parametrize("family", [n for n, f in FAMILIES.items() if f.effect == PRESERVING])
def test_preserving_families_on_real_data(data, family: str) -> None:
    test, validation = data
    _, quality = perturb_split(family, {}, test, validation)
    for lang in LANGS:
        stats = quality["languages"][lang]
        assert stats["share_changed_of_eligible"] >= 0.9, (family, lang, stats)
        floor = MIN_ELIGIBLE_CJK.get(family, MIN_ELIGIBLE[family]) if lang in ("ja", "ko", "zh") else MIN_ELIGIBLE[family]
        assert 1 - stats["share_not_eligible"] >= floor, (family, lang, stats)


def test_contrast_on_real_data(data) -> None:
    test, validation = data
    records, _ = perturb_split("contrast", {}, test, validation)
    for lang in LANGS:
        paraphrases = [r for r in records[lang] if r["label"] == 1]
        flipped = [r for r in paraphrases if r["changed"]]
        assert len(flipped) >= 0.4 * len(paraphrases), lang
        assert all(r["expected_label"] == 0 for r in flipped)
