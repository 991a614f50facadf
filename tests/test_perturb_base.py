"""Core of the perturbation library: edit counts, params parsing, pipeline rules.

Run: pytest tests/test_perturb_base.py
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from xstilts.errors import DataError, ParamsError, XstiltsError
from xstilts.perturb import FAMILIES, perturb_split
from xstilts.params import build
from xstilts.perturb.base import BaseParams, n_edits, params_dict


def test_n_edits() -> None:
    assert n_edits(0.1, 0) == 0
    assert n_edits(0.1, 3) == 1  # at least one
    assert n_edits(0.5, 10) == 5
    assert n_edits(1.0, 4) == 4


@dataclass(frozen=True)
class DemoParams(BaseParams):
    rate: float = 0.5
    ops: tuple[str, ...] = ("a", "b")
    flag: bool = True
    name: str = "x"

    def check(self, key: str) -> None:
        if not 0 <= self.rate <= 1:
            raise ParamsError(f"{key}.rate", "must be in [0, 1]")


def test_family_params_defaults_and_coercion() -> None:
    p = build(DemoParams, {"rate": 1, "ops": ["b"], "seed": 3}, "perturb.families.demo")
    assert p == DemoParams(seed=3, rate=1.0, ops=("b",))
    assert build(DemoParams, None, "k") == DemoParams()
    assert build(DemoParams, {"rate": "5e-1"}, "k").rate == 0.5  # YAML reads 5e-1 as a string
    assert params_dict(p) == {"seed": 3, "rate": 1.0, "ops": ["b"], "flag": True, "name": "x"}


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"nope": 1}, "perturb.families.demo.nope"),
        ({"rate": "high"}, "perturb.families.demo.rate"),
        ({"rate": True}, "perturb.families.demo.rate"),
        ({"seed": 1.5}, "perturb.families.demo.seed"),
        ({"seed": False}, "perturb.families.demo.seed"),
        ({"ops": "a"}, "perturb.families.demo.ops"),
        ({"flag": 1}, "perturb.families.demo.flag"),
        ({"name": 3}, "perturb.families.demo.name"),
        ({"rate": 2}, "perturb.families.demo.rate"),
    ],
)
def test_family_params_errors_name_the_key(raw: dict, key: str) -> None:
    with pytest.raises(ParamsError) as err:
        build(DemoParams, raw, "perturb.families.demo")
    assert err.value.key == key
    assert key in str(err.value)


def test_params_must_be_a_mapping() -> None:
    with pytest.raises(ParamsError, match="perturb.families.demo"):
        build(DemoParams, [1, 2], "perturb.families.demo")


@pytest.mark.parametrize(
    "family, raw, key",
    [
        ("char_noise", {"rate": 0}, "rate"),
        ("char_noise", {"latin_ops": ["teleport"]}, "latin_ops"),
        ("char_noise", {"sentence": "third"}, "sentence"),
        ("orthography", {"ops": []}, "ops"),
        ("orthography", {"n_ops": 0}, "n_ops"),
        ("code_mixing", {"donor": "xx"}, "donor"),
        ("code_mixing", {"fallback_donor": "en"}, "fallback_donor"),
        ("code_mixing", {"min_dice": 1.5}, "min_dice"),
        ("mixed_language", {"direction": "sideways"}, "direction"),
        ("entity_number", {"kinds": ["date"]}, "kinds"),
        ("contrast", {"sentence": "both"}, "sentence"),
        ("contrast", {"ops": ["negate"]}, "ops"),
    ],
)
def test_family_params_are_validated(family: str, raw: dict, key: str) -> None:
    test = {"en": [{"id": "1", "sentence1": "A b.", "sentence2": "B a.", "label": 1}]}
    with pytest.raises(ParamsError) as err:
        perturb_split(family, raw, test, {})
    assert err.value.key == f"perturb.families.{family}.{key}"


def test_every_family_builds_with_default_params() -> None:
    for family in FAMILIES.values():
        assert family.effect in ("preserving", "flipping")
        assert family.params().seed == 0


def test_unknown_family() -> None:
    with pytest.raises(XstiltsError, match="unknown perturbation family"):
        perturb_split("nope", {}, {}, {})


@pytest.mark.parametrize(
    "row, problem",
    [
        ({"id": "1", "sentence1": "a", "sentence2": "b", "label": 2}, "'label' must be 0 or 1"),
        ({"id": "1", "sentence1": "a", "label": 1}, "'sentence2' must be a string"),
        ({"id": None, "sentence1": "a", "sentence2": "b", "label": 1}, "'id' must be a string"),
    ],
)
def test_bad_rows_raise_data_error(row: dict, problem: str) -> None:
    with pytest.raises(DataError, match=problem):
        perturb_split("char_noise", {}, {"en": [row]}, {})


def test_integer_ids_become_strings() -> None:
    records, _ = perturb_split(
        "char_noise", {}, {"en": [{"id": 7, "sentence1": "Hello world", "sentence2": "Hi world", "label": 1}]}, {}
    )
    assert records["en"][0]["id"] == "7"


def test_ns_marker_rows_are_untouched_and_not_eligible() -> None:
    test = {"de": [{"id": "1", "sentence1": "Der Fluss ist lang.", "sentence2": "NS", "label": 0}]}
    for family in FAMILIES:
        records, quality = perturb_split(family, {}, test, {})
        r = records["de"][0]
        assert (r["sentence1"], r["sentence2"], r["changed"], r["eligible"]) == (
            "Der Fluss ist lang.",
            "NS",
            False,
            False,
        )
        assert quality["languages"]["de"]["not_eligible"] == 1


def test_input_is_nfc_normalised() -> None:
    decomposed = "Cafe\u0301 au lait"
    records, _ = perturb_split(
        "contrast", {}, {"fr": [{"id": "1", "sentence1": decomposed, "sentence2": decomposed, "label": 0}]}, {}
    )
    assert records["fr"][0]["sentence1"] == "Café au lait"
