"""File layout, byte-identical outputs, the DVC stage entry point and the preview CLI.

Run: pytest tests/test_perturb_io.py
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from xstilts.errors import DataError
from xstilts.io import read_jsonl, write_jsonl
from xstilts.perturb import FAMILIES, write_family
from xstilts.perturb.__main__ import cli

REPO = Path(__file__).resolve().parents[1]
LANGS = ["en", "de", "ja"]
PAIRS = {
    "en": (
        "Martin Weber played for Bayern Munich from 1998 to 2003 .",
        "From 1998 to 2003 , Martin Weber played for Bayern Munich .",
    ),
    "de": (
        "Martin Weber spielte von 1998 bis 2003 für Bayern München.",
        "Von 1998 bis 2003 spielte Martin Weber für Bayern München.",
    ),
    "ja": ("マルティン・ヴェーバーは 1998 年から 2003 年までバイエルン・ミュンヘンでプレーした。", "NS"),
}


@pytest.fixture()
def prepared(tmp_path: Path) -> Path:
    root = tmp_path / "prepared"
    for split in ("test", "validation"):
        for lang, (s1, s2) in PAIRS.items():
            label = 0 if "NS" in (s1, s2) else 1
            rows = [{"id": f"{split}{i}", "sentence1": s1, "sentence2": s2, "label": label} for i in range(3)]
            write_jsonl(root / split / f"{lang}.jsonl", rows)
    return root


@pytest.mark.parametrize("family", list(FAMILIES))
def test_write_family_layout_and_byte_identical_reruns(prepared: Path, tmp_path: Path, family: str) -> None:
    out = tmp_path / "variants" / family
    write_family(family, FAMILIES[family].params(), prepared, out, LANGS)
    first = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert {Path(f"{lang}.jsonl") for lang in LANGS} | {Path("quality.json")} <= set(first)
    write_family(family, FAMILIES[family].params(), prepared, out, LANGS)
    assert {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == first
    rows = [row for _, row in read_jsonl(out / "de.jsonl")]
    assert [r["id"] for r in rows] == ["test0", "test1", "test2"]
    quality = json.loads((out / "quality.json").read_text(encoding="utf-8"))
    assert set(quality["languages"]) == set(LANGS) and quality["family"] == family
    assert not any(p.name.endswith(".tmp") for p in out.parent.iterdir())


def test_code_mixing_writes_its_lexicons(prepared: Path, tmp_path: Path) -> None:
    write_family("code_mixing", FAMILIES["code_mixing"].params(min_count=2), prepared, tmp_path / "cm", ["de"])
    lexicon = json.loads((tmp_path / "cm" / "lexicons" / "de-en.json").read_text(encoding="utf-8"))
    assert lexicon["src"] == "de" and lexicon["tgt"] == "en"


def test_write_family_errors(prepared: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        write_family("char_noise", FAMILIES["char_noise"].params(), prepared, tmp_path / "o", ["fr"])
    (prepared / "test" / "de.jsonl").write_text('{"id": "1", "sentence1": "a", "sentence2": "b", "label": 5}\n')
    with pytest.raises(DataError, match=r"de.jsonl:1: 'label' must be 0 or 1"):
        write_family("char_noise", FAMILIES["char_noise"].params(), prepared, tmp_path / "o", ["de"])
    assert not (tmp_path / "o").exists()


def _stage():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("perturb_stage", REPO / "stages" / "perturb.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.main


def _params(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_stage_runs_from_params_yaml(prepared: Path, tmp_path: Path) -> None:
    params = _params(tmp_path, {"languages": LANGS, "perturb": {"families": {"char_noise": {"rate": 0.2}}}})
    out = tmp_path / "data" / "variants" / "char_noise"
    result = CliRunner().invoke(
        _stage(), ["--family", "char_noise", "--params", str(params), "--prepared", str(prepared), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    row = next(read_jsonl(out / "en.jsonl"))[1]
    assert row["params"]["rate"] == 0.2


@pytest.mark.parametrize(
    "data, family, message",
    [
        ({"languages": ["en"], "perturb": {"families": {}}}, "char_noise", "perturb.families.char_noise: missing"),
        (
            {"languages": ["en"], "perturb": {"families": {"char_noise": {"rte": 1}}}},
            "char_noise",
            "perturb.families.char_noise.rte: unknown key; known keys: seed, rate,",
        ),
        ({"perturb": {"families": {"char_noise": {}}}}, "char_noise", "languages: missing"),
        (
            {"languages": "en", "perturb": {"families": {"char_noise": {}}}},
            "char_noise",
            "languages: expected a non-empty list",
        ),
        ({"languages": ["en"]}, "teleport", "unknown perturbation family 'teleport'"),
    ],
)
def test_stage_errors_are_one_line(prepared: Path, tmp_path: Path, data: dict, family: str, message: str) -> None:
    params = _params(tmp_path, data)
    result = CliRunner().invoke(
        _stage(),
        ["--family", family, "--params", str(params), "--prepared", str(prepared), "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 1
    assert message in result.output and result.output.startswith("error: ")
    assert result.output.count("\n") == 1


def test_preview_with_sentences() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "preview",
            "--lang",
            "de",
            "--family",
            "char_noise",
            "--s1",
            "Der Fluss ist sehr lang.",
            "--s2",
            "Der lange Fluss.",
            "--param",
            "rate=0.5",
            "--param",
            "sentence=first",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rate=0.5" in result.output and "s1: Der Fluss ist sehr lang." in result.output
    assert "edits (" in result.output and " s1 " in result.output


def test_preview_by_row_id_matches_the_stage(prepared: Path, tmp_path: Path) -> None:
    write_family("entity_number", FAMILIES["entity_number"].params(), prepared, tmp_path / "en_out", ["en"])
    stage_row = [r for _, r in read_jsonl(tmp_path / "en_out" / "en.jsonl") if r["id"] == "test1"][0]
    result = CliRunner().invoke(
        cli,
        [
            "preview",
            "--lang",
            "en",
            "--family",
            "entity_number",
            "--row-id",
            "test1",
            "--prepared",
            str(prepared),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == stage_row


def test_preview_mixed_language_by_row_id(prepared: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "preview",
            "--lang",
            "de",
            "--family",
            "mixed_language",
            "--row-id",
            "test0",
            "--prepared",
            str(prepared),
            "--param",
            "direction=lang-partner",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"-> {PAIRS['en'][1]}" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--s1", "a"], "give either --s1 and --s2, or --row-id"),
        (["--row-id", "1"], "--row-id needs --prepared"),
        (["--s1", "a", "--s2", "b", "--param", "rate"], "expected KEY=VALUE"),
        (["--s1", "a", "--s2", "b", "--param", "rate=2"], "perturb.families.char_noise.rate"),
    ],
)
def test_preview_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["preview", "--lang", "en", "--family", "char_noise", *args])
    assert result.exit_code == 1 and message in result.output


def test_families_command_lists_every_family() -> None:
    result = CliRunner().invoke(cli, ["families"])
    assert result.exit_code == 0
    for name, family in FAMILIES.items():
        assert f"{name} ({family.effect})" in result.output


@pytest.mark.slow
def test_outputs_do_not_depend_on_the_process_hash_seed(prepared: Path, tmp_path: Path) -> None:
    # Sets of strings iterate in a per-process order: nothing written may depend on it.
    script = (
        "import sys; from pathlib import Path; from xstilts.perturb import FAMILIES, write_family\n"
        "for f in FAMILIES: write_family(f, FAMILIES[f].params(), Path(sys.argv[1]), Path(sys.argv[2]) / f, ['en', 'de', 'ja'])"
    )
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"hash{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), *sys.path])}
        subprocess.run([sys.executable, "-c", script, str(prepared), str(out)], check=True, env=env)
        outputs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outputs[0] == outputs[1] and len(outputs[0]) == 4 * len(FAMILIES) + 3
