"""Data sources, canonical rows, subsampling, hold-out and mixtures."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from xstilts.data.prepare import PrepareConfig, mix, prepare_task, split_holdout, subsample, write_prepared
from xstilts.data.registry import DATASETS
from xstilts.data.sources import LocalSource, RawRow, canonical_example, make_source, read_split
from xstilts.errors import DataError, ParamsError, XstiltsError
from xstilts.io import read_jsonl
from xstilts.params import read_params

PAWSX = DATASETS["pawsx"]
ANLI = DATASETS["anli"]


def rows(n: int, prefix: str = "") -> list[dict]:
    return [{"id": f"{prefix}{i}", "sentence1": f"s1 {i}", "sentence2": f"s2 {i}", "label": i % 2} for i in range(n)]


def write_lines(path: Path, lines: list[str], gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(line + "\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def pawsx_dir(root: Path, langs=("en", "de"), n: int = 6) -> Path:
    for lang in langs:
        for split in ("validation", "test"):
            write_lines(root / f"pawsx/{lang}/{split}.jsonl.gz",
                        [json.dumps({"id": i, "sentence1": f"{lang} a {i}", "sentence2": f"{lang} b {i}", "label": i % 2})
                         for i in range(n)], gz=True)
    write_lines(root / "paws_wiki/en/test.jsonl.gz",
                [json.dumps({"id": i, "sentence1": f"a {i}", "sentence2": f"b {i}", "label": i % 2}) for i in range(20)], gz=True)
    return root


def anli_dir(raw: Path) -> Path:
    """ANLI's local layout with validation and test only (3 rounds × 10 pairs), no train split."""
    for r in ("r1", "r2", "r3"):
        for split in ("validation", "test"):
            write_lines(raw / f"anli/{r}/{split}.jsonl.gz",
                        [json.dumps({"id": f"{r}{split}{i}", "premise": f"p {r}{split}{i}", "hypothesis": "h", "label": i % 3})
                         for i in range(10)], gz=True)
    return raw


def test_subsample_is_seeded_by_id_and_keeps_order():
    data = rows(100)
    a = subsample(data, 10, seed=1)
    assert len(a) == 10
    assert a == sorted(a, key=lambda r: int(r["id"]))  # original order
    assert subsample(list(reversed(data)), 10, seed=1) == list(reversed(a))  # order-independent choice
    assert subsample(data, 10, seed=2) != a
    assert subsample(data, 0, seed=1) == data


def test_subsample_picks_the_same_ids_in_parallel_languages():
    en = rows(50)
    de = [dict(r, sentence1="de " + r["sentence1"]) for r in en]
    assert [r["id"] for r in subsample(en, 7, 3)] == [r["id"] for r in subsample(de, 7, 3)]


def test_holdout_keeps_premise_groups_together():
    data = [{"id": str(i), "sentence1": f"premise {i // 3}", "sentence2": f"h {i}", "label": i % 3} for i in range(90)]
    train, held = split_holdout(data, 0.1, seed=13)
    assert len(train) + len(held) == 90 and 6 <= len(held) <= 12
    assert not {r["sentence1"] for r in train} & {r["sentence1"] for r in held}
    assert split_holdout(data, 0.1, seed=13) == (train, held)


def test_canonical_example_maps_nli_fields_and_checks_labels():
    raw = RawRow("f.jsonl:3", {"uid": "abc", "premise": "P", "hypothesis": "H", "label": 2}, "")
    assert canonical_example(raw, ANLI, drop_unlabelled=False) == {"id": "abc", "sentence1": "P", "sentence2": "H", "label": 2}
    for bad, message in [
        ({"id": 1, "premise": "P", "hypothesis": "H", "label": 3}, "out of range"),
        ({"id": 1, "premise": "P", "hypothesis": "H", "label": "2"}, "must be an integer"),
        ({"id": 1, "premise": "P", "hypothesis": "H", "label": True}, "must be an integer"),
        ({"id": 1, "premise": "  ", "hypothesis": "H", "label": 0}, "is empty"),
        ({"id": 1, "hypothesis": "H", "label": 0}, "missing field 'premise'"),
        ({"premise": "P", "hypothesis": "H", "label": 0}, "missing field 'id'"),
        ({"id": 1, "premise": "P", "hypothesis": "H", "label": -1}, "label -1 marks a pair without a gold label"),
    ]:
        with pytest.raises(DataError, match=message) as err:
            canonical_example(RawRow("f.jsonl:3", bad, ""), ANLI, drop_unlabelled=False)
        assert str(err.value).startswith("f.jsonl:3: ")
    hub_unlabelled = RawRow("hub snli row 4", {"premise": "P", "hypothesis": "H", "label": -1}, "4")
    assert canonical_example(hub_unlabelled, ANLI, drop_unlabelled=True) is None


def test_local_source_reads_jsonl_gz_and_names_bad_lines(tmp_path):
    root = pawsx_dir(tmp_path)
    source = LocalSource(root)
    got = read_split(source, PAWSX, "test", "de")
    assert [r["id"] for r in got] == [str(i) for i in range(6)] and got[0]["sentence1"] == "de a 0"
    write_lines(root / "pawsx/de/test.jsonl.gz", ['{"id": 1, "sentence1": "a", "sentence2": "b", "label": 0}', "{oops"], gz=True)
    with pytest.raises(DataError, match=r"pawsx/de/test.jsonl.gz:2: not valid JSON"):
        read_split(source, PAWSX, "test", "de")
    write_lines(root / "pawsx/de/test.jsonl.gz", ['{"id": 1, "sentence1": "a", "sentence2": "b", "label": 0}'] * 2, gz=True)
    with pytest.raises(DataError, match=r"test.jsonl.gz:2: duplicate id '1' \(first at .*:1\)"):
        read_split(source, PAWSX, "test", "de")


def test_local_source_reads_invalid_utf8_as_one_line_error(tmp_path):
    path = tmp_path / "pawsx/en/test.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"id": 1, "sentence1": "\xff", "sentence2": "b", "label": 0}\n')
    with pytest.raises(DataError, match="not valid UTF-8"):
        read_split(LocalSource(tmp_path), PAWSX, "test", "en")


def test_local_source_reads_the_original_pawsx_release_tsv(tmp_path):
    tsv = tmp_path / "x-final/fr/test_2k.tsv"
    tsv.parent.mkdir(parents=True)
    tsv.write_text('id\tsentence1\tsentence2\tlabel\n1\tLe "chat" noir\tLe chat\t1\n2\tA\tB\t0\n', encoding="utf-8")
    got = read_split(LocalSource(tmp_path), PAWSX, "test", "fr")
    assert got == [
        {"id": "1", "sentence1": 'Le "chat" noir', "sentence2": "Le chat", "label": 1},
        {"id": "2", "sentence1": "A", "sentence2": "B", "label": 0},
    ]
    tsv.write_text("id\tsentence1\tsentence2\tlabel\n1\tA\t1\n", encoding="utf-8")
    with pytest.raises(DataError, match="test_2k.tsv:2: expected 4 tab-separated columns, found 3"):
        read_split(LocalSource(tmp_path), PAWSX, "test", "fr")


def test_missing_local_files_name_the_params_key_and_paths(tmp_path):
    with pytest.raises(XstiltsError, match=r"data.local_dir: data directory .* does not exist"):
        read_split(LocalSource(tmp_path / "nope"), PAWSX, "test", "de")
    with pytest.raises(XstiltsError, match=r"data.local_dir \(pawsx test/de\): no data file found; tried .*pawsx/de/test.jsonl.gz"):
        read_split(LocalSource(tmp_path), PAWSX, "test", "de")


def test_make_source_env_overrides_params(tmp_path, monkeypatch):
    monkeypatch.setenv("XSTILTS_DATA_DIR", str(tmp_path))
    assert make_source("local", "../elsewhere").root == tmp_path
    monkeypatch.delenv("XSTILTS_DATA_DIR")
    assert make_source("local", "../elsewhere").root == Path("../elsewhere")
    with pytest.raises(ParamsError, match="data.source: unknown source 'web'"):
        make_source("web", None)


def test_prepare_pawsx_with_a_local_train_override(tmp_path):
    root = pawsx_dir(tmp_path / "raw")
    source = make_source("local", root, {"train": ["paws_wiki/en/test"]})
    splits, manifest = prepare_task("pawsx", source, ["en", "de"], PrepareConfig({"train": 8}, seed=5), "target")
    assert len(splits["train"]["en"]) == 8 and set(splits["test"]) == {"en", "de"}
    assert manifest["splits"]["test"]["de"]["examples"] == 6
    assert manifest["labels"] == ["not_paraphrase", "paraphrase"]
    write_prepared(splits, manifest, tmp_path / "out")
    assert [r for _, r in read_jsonl(tmp_path / "out/test/de.jsonl")] == splits["test"]["de"]
    assert json.loads((tmp_path / "out/manifest.json").read_text())["source"] == "local"


def test_prepare_holds_out_validation_where_the_source_has_none(tmp_path):
    raw = tmp_path / "raw"
    anli_dir(raw)
    splits, manifest = prepare_task("anli", make_source("local", raw), ["en"], PrepareConfig(holdout=0.25), "x")
    assert len(splits["train"]["en"]) + len(splits["validation"]["en"]) == 60
    assert 12 <= len(splits["validation"]["en"]) <= 18
    # Ids of several files are prefixed with the file, so equal row ids of two files cannot clash.
    assert splits["train"]["en"][0]["id"].startswith("anli/r")


def test_prepare_rejects_unknown_tasks_and_empty_results(tmp_path):
    with pytest.raises(ParamsError, match="intermediate.tasks: unknown task 'qnli'; known: none, pawsx, anli"):
        prepare_task("qnli", LocalSource(tmp_path), ["en"], PrepareConfig(), "intermediate.tasks")
    splits, manifest = prepare_task("none", LocalSource(tmp_path), ["en"], PrepareConfig(), "intermediate.tasks")
    assert splits == {} and manifest["task"] == "none"


def test_mix_is_examples_proportional_with_prefixed_ids():
    parts = {
        "a": {"train": {"en": rows(30, "x")}, "validation": {"en": rows(10, "x")}},
        "b": {"train": {"en": rows(10, "x")}, "validation": {"en": rows(10, "x")}},
    }
    mixed = mix(parts, cap=20, seed=1)
    ids = [r["id"] for r in mixed["train"]["en"]]
    assert sum(i.startswith("a:") for i in ids) == 20 and sum(i.startswith("b:") for i in ids) == 10
    assert len(set(ids)) == len(ids)
    assert mix(parts, cap=20, seed=1) == mixed


def test_task_data_params_reject_nonsense():
    with pytest.raises(ParamsError, match=r"target.data.max_examples.train: must be an integer >= 0"):
        read_params({"target": {"data": {"max_examples": {"train": -1}}}}, ["target.data"])
    with pytest.raises(ParamsError, match=r"intermediate.data.holdout: must be a share"):
        read_params({"intermediate": {"data": {"holdout": 1.5}}}, ["intermediate.data"])


def test_real_pawsx_local_layout_is_parallel(shared_data):
    source = make_source("local", shared_data)
    en = read_split(source, PAWSX, "test", "en")
    ja = read_split(source, PAWSX, "test", "ja")
    assert len(en) == len(ja) == 2000
    assert [r["id"] for r in en] == [r["id"] for r in ja]


def _prepare_intermediate(params: dict, task: str) -> tuple[dict, dict]:
    """What stages/prepare.py does for an intermediate task: its keys, then `prepare`."""
    from xstilts.data.prepare import prepare

    keys = ["data.source", "data.local_dir", "data.seed", "intermediate.data", f"intermediate.overrides.{task}.data"]
    p = read_params(params, keys)
    return prepare(task, "intermediate", p.data, p.intermediate.data_for(task), ["en"])


def test_a_task_data_override_changes_only_that_task(tmp_path):
    raw = tmp_path / "raw"
    anli_dir(raw)
    params = {"data": {"source": "local", "local_dir": str(raw), "seed": 3},
              "intermediate": {"data": {"max_examples": {"train": 0}, "holdout": 0.25},
                               "overrides": {"anli": {"data": {"max_examples": {"train": 4}}}}}}
    splits, _ = _prepare_intermediate(params, "anli")
    assert len(splits["train"]["en"]) == 4 and 12 <= len(splits["validation"]["en"]) <= 18  # holdout kept
    params["intermediate"]["overrides"]["anli"]["data"] = {"max_examples": {"train": -1}}
    with pytest.raises(ParamsError, match=r"intermediate.overrides.anli.data.max_examples.train: must be"):
        _prepare_intermediate(params, "anli")
    params["intermediate"]["overrides"]["anli"]["data"] = {"max_example": 3}
    with pytest.raises(ParamsError, match=r"intermediate.overrides.anli.data.max_example: unknown key"):
        _prepare_intermediate(params, "anli")
