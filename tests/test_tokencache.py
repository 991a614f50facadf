"""The on-disk tokenisation cache: exactly encode_pairs' result, keyed on everything that changes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tiny_model import make_tiny_encoder, toy_rows
from xstilts import tokencache
from xstilts.evaluation import EvalSet, predict_sets
from xstilts.modeling import encode_pairs, load_classifier, load_tokenizer
from xstilts.tokencache import cache_root, encode_pairs_cached


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> Path:
    return make_tiny_encoder(tmp_path_factory.mktemp("tiny") / "encoder")


@pytest.fixture
def tok(encoder):
    return load_tokenizer(encoder)


@pytest.fixture
def isolated(tmp_path, monkeypatch) -> Path:
    """Cache in tmp_path/cache; home, XDG cache and working directory are empty folders to watch."""
    for name in ("home", "xdg", "cwd"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XSTILTS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path / "cwd")
    return tmp_path / "cache"


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "tokenized").glob("*")) if (cache / "tokenized").is_dir() else []


def no_tokenising(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("tokenised although the entry is cached")

    monkeypatch.setattr(tokencache, "encode_pairs", fail)


def test_hit_returns_exactly_encode_pairs(tok, isolated, monkeypatch):
    rows = toy_rows(50, 1)
    expected = encode_pairs(tok, rows, 12)
    assert any(len(ids) == 12 for ids in expected.input_ids)  # some pairs are truncated
    cold = encode_pairs_cached(tok, rows, 12)
    assert cold == expected and len(entries(isolated)) == 1
    no_tokenising(monkeypatch)
    warm = encode_pairs_cached(tok, rows, 12)
    assert warm == expected
    assert all(type(i) is int for ids in warm.input_ids for i in ids) and all(type(y) is int for y in warm.labels)
    with np.load(entries(isolated)[0], allow_pickle=False) as z:
        assert z["ids"].dtype == np.int32 and z["offsets"].dtype == np.int64 and z["labels"].dtype == np.int64


def test_tokenizer_state_and_checkpoint_path_do_not_change_the_key(encoder, tok, isolated, tmp_path, monkeypatch):
    rows = toy_rows(20, 1)
    encode_pairs_cached(tok, rows, 32)
    # Every checkpoint saves its own copy of the tokenizer; a tokenizer that has already been
    # called (transformers leaves truncation set on the backend) is the same tokenizer.
    shutil.copytree(encoder, tmp_path / "copy")
    other = load_tokenizer(tmp_path / "copy")
    other(["w1 w2"], ["w3"], truncation="longest_first", max_length=5)
    assert other.backend_tokenizer.truncation is not None
    no_tokenising(monkeypatch)
    assert encode_pairs_cached(other, rows, 32) == encode_pairs_cached(tok, rows, 32)
    assert len(entries(isolated)) == 1
    assert other.backend_tokenizer.truncation["max_length"] == 5  # the fingerprint restored the state


def test_every_input_that_changes_the_result_is_a_new_entry(encoder, tok, isolated, tmp_path):
    rows = toy_rows(20, 1)
    encode_pairs_cached(tok, rows, 32)
    relabelled = [dict(r) for r in rows]
    relabelled[3]["label"] = 1 - relabelled[3]["label"]
    edited = [dict(r) for r in rows]
    edited[7]["sentence2"] += " cat"
    swapped = [dict(r, sentence1=r["sentence2"], sentence2=r["sentence1"]) for r in rows]
    expected_label = [dict(r, expected_label=1 - r["label"]) for r in rows]
    left = load_tokenizer(encoder)
    left.truncation_side = "left"
    shutil.copytree(encoder, tmp_path / "more")
    more = load_tokenizer(tmp_path / "more")
    more.add_tokens(["cat dog"])
    cases = [(tok, rows, 16, "label"), (tok, relabelled, 32, "label"), (tok, edited, 32, "label"),
             (tok, swapped, 32, "label"), (tok, expected_label, 32, "expected_label"), (tok, rows[:19], 32, "label"),
             (left, rows, 8, "label"), (more, rows, 32, "label")]
    for n, (t, r, max_length, label_key) in enumerate(cases, start=2):
        assert encode_pairs_cached(t, r, max_length, label_key) == encode_pairs(t, r, max_length, label_key)
        assert len(entries(isolated)) == n
    # truncation_side really changes the ids at max length 8, so the key had to change with it
    assert encode_pairs(left, rows, 8).input_ids != encode_pairs(tok, rows, 8).input_ids


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated", "flipped", "other_entry", "bad_labels"])
def test_a_damaged_entry_is_recomputed_and_repaired(tok, isolated, monkeypatch, damage):
    rows, others = toy_rows(30, 1), toy_rows(30, 2)
    expected = encode_pairs(tok, rows, 32)
    encode_pairs_cached(tok, rows, 32)
    encode_pairs_cached(tok, others, 32)
    key = tokencache.cache_key(tokencache.tokenizer_fingerprint(tok), rows, expected.labels, 32, "label")
    path = isolated / "tokenized" / f"{key}.npz"
    (other,) = [p for p in entries(isolated) if p != path]
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":  # inside the ids array: the zip CRC catches it
        i = len(data) // 3
        path.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])
    elif damage == "other_entry":
        shutil.copyfile(other, path)
    elif damage == "bad_labels":
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        arrays["labels"] = 1 - arrays["labels"]
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    assert encode_pairs_cached(tok, rows, 32) == expected
    assert path.read_bytes() != b"" and len(entries(isolated)) == 2
    no_tokenising(monkeypatch)
    assert encode_pairs_cached(tok, rows, 32) == expected  # repaired: a hit again


def test_off_writes_nothing(tok, isolated, tmp_path, monkeypatch):
    monkeypatch.setenv("XSTILTS_CACHE_DIR", "off")
    rows = toy_rows(10, 1)
    assert encode_pairs_cached(tok, rows, 32) == encode_pairs(tok, rows, 32)
    assert encode_pairs_cached(tok, rows, 32, cache_dir="off") == encode_pairs(tok, rows, 32)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "home", "xdg"]
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_nothing_is_written_outside_the_cache_dir(tok, isolated, tmp_path):
    encode_pairs_cached(tok, toy_rows(10, 1), 32)
    encode_pairs_cached(tok, toy_rows(10, 2), 32, cache_dir=tmp_path / "explicit")
    files = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert [f.parts[:2] for f in files] == [("cache", "tokenized"), ("explicit", "tokenized")]
    assert all(f.suffix == ".npz" and not f.name.startswith(".") for f in files)  # no temporary files left


def test_default_location(monkeypatch, tmp_path):
    monkeypatch.delenv("XSTILTS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "xstilts"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec: relative paths are invalid
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "xstilts"
    monkeypatch.setenv("XSTILTS_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine" and cache_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.setenv("XSTILTS_CACHE_DIR", "OFF")
    assert cache_root() is None


def test_an_unwritable_cache_is_a_warning_not_an_error(tok, tmp_path):
    (tmp_path / "file").write_text("a file where the cache folder should be")
    rows = toy_rows(10, 1)
    with pytest.warns(UserWarning, match="tokenisation cache not written"):
        assert encode_pairs_cached(tok, rows, 32, cache_dir=tmp_path / "file") == encode_pairs(tok, rows, 32)


def test_predictions_are_identical_with_and_without_the_cache(encoder, tok, isolated, tmp_path, monkeypatch):
    classifier = tmp_path / "classifier"  # a saved head: the encoder alone would get a fresh one per load
    load_classifier(encoder, labels=["no", "yes"]).save_pretrained(classifier)
    tok.save_pretrained(classifier)
    sets = [EvalSet(lang, "clean", "clean", toy_rows(12, seed)) for seed, lang in enumerate(("en", "de"))]
    monkeypatch.setenv("XSTILTS_CACHE_DIR", "off")
    plain = predict_sets(classifier, sets, 8, "no", 32)
    monkeypatch.setenv("XSTILTS_CACHE_DIR", str(isolated))
    cold = predict_sets(classifier, sets, 8, "no", 32)
    assert len(entries(isolated)) == 1
    no_tokenising(monkeypatch)
    warm = predict_sets(classifier, sets, 8, "no", 32)
    for a, b, c in zip(plain, cold, warm):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_bench_tokenization_section(encoder, isolated):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_throughput_tok", Path(__file__).resolve().parents[1] / "bench/throughput.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    res = bench.tokenization_bench(encoder, {"train": toy_rows(40, 1), "test": toy_rows(20, 2)}, 32)
    for name, n in (("train", 40), ("test", 20)):
        r = res[name]
        assert r["pairs"] == n and all(r[f"{side}_pairs_per_s"] > 0 for side in ("plain", "cold", "warm"))
        assert r["warm_ratio"] == pytest.approx(r["plain_seconds"] / r["warm_seconds"])
    assert res["cache_mb"] > 0 and entries(isolated) == []  # a temporary cache, not the configured one
    assert "(e) tokenisation" in bench.table({"tokenization": res, "peak_rss_mb": 1.0})
