"""The adaptive attack (xstilts.attack): budget, constraints, real flips, metric definitions, stage.

The search runs on a scripted fake model where its logic must give one exact answer, and on a
tiny random BERT (tests/tiny_model.py) where every forward is counted by a hook on the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from tiny_model import make_tiny_encoder

from xstilts.attack.metrics import attack_arrays, attack_metrics
from xstilts.attack.run import PairScorer, attack_language, drive
from xstilts.attack.search import FAILED, SKIPPED, SUCCESSFUL, SearchConfig, attack_pair
from xstilts.attack.sources import SOURCES, parse_sources
from xstilts.attack.units import pair_units
from xstilts.config import AttackConfig
from xstilts.errors import ParamsError
from xstilts.metrics import definitions as d
from xstilts.text.pairs import Example, make_example
from xstilts.robustness import ATTACK, metric
from xstilts.text.edits import Edit, apply_edits

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
         "mike", "oscar", "papa", "romeo", "sierra", "tango", "victor", "whiskey", "yankee", "zulu", "Quebec", "1999",
         "alfa", "brabo", "fox", "hotels", "tangos"]


# --- the search on a scripted model -------------------------------------------------------------

class FakeScorer:
    """P(label 1) = 0.9 when sentence 2 contains `trigger`, else 0.2 (or `p1(s1, s2)`); counts pairs
    scored."""

    def __init__(self, trigger: str = "alpha", p1=None) -> None:
        self.p1 = p1 or (lambda a, b: 0.9 if trigger in b.split() else 0.2)
        self.forwarded, self.calls = 0, []

    def probabilities(self, pairs, unpadded=False):
        self.forwarded += len(pairs)
        self.calls.append((len(pairs), unpadded))
        p1 = np.array([self.p1(a, b) for a, b in pairs])
        return np.stack([1 - p1, p1], axis=1)


def replace_with(table: dict[str, list[str]]):
    def candidates(unit, text):
        return [Edit(unit.sentence, "test", unit.start, unit.end, unit.text, w) for w in table.get(unit.text, [])]
    return candidates


def _attack(target, budget=50, share=0.5, table=None, trigger="alpha", common=frozenset(), p1=None):
    units, protected = pair_units(target.sentence1, target.sentence2, target.lang, common)
    cfg = SearchConfig(query_budget=budget, max_edit_share=share, max_candidates=12)
    scorer = FakeScorer(trigger, p1)
    gen = attack_pair(target, units, protected, replace_with(table or {}), cfg)
    (outcome,) = drive([gen], scorer, concurrency=1, budget=budget)
    return outcome, scorer, units


def test_greedy_search_finds_the_one_word_that_matters_and_confirms_it_alone():
    t = Example("1", "en", "bravo charlie delta", "echo alpha foxtrot golf", 1)
    outcome, scorer, units = _attack(t, table={"alpha": ["alfa", "fox"], "echo": ["eco"], "golf": ["gulf"]})
    assert outcome.status == SUCCESSFUL and outcome.adversarial == (t.sentence1, "echo alfa foxtrot golf")
    assert [e.after for e in outcome.edits] == ["alfa"]  # importance ranked `alpha` first: one edit
    # 1 prediction + 6 importance queries (7 units, at most half the budget) + 2 candidates + 1 confirmation
    assert scorer.calls == [(1, False), (7, False), (2, False), (1, True)]
    assert outcome.queries == scorer.forwarded == 11
    assert np.argmax(outcome.new_probabilities) == 0


def test_initially_wrong_pairs_are_skipped_after_one_query():
    t = Example("1", "en", "bravo", "alpha", 0)  # the fake model says 1
    outcome, scorer, _ = _attack(t, table={"alpha": ["alfa"]})
    assert outcome.status == SKIPPED and outcome.queries == scorer.forwarded == 1


@pytest.mark.parametrize("budget", range(2, 16))
def test_the_budget_holds_for_every_budget(budget):
    t = Example("7", "en", "bravo charlie delta echo", "golf hotel alpha india juliet kilo", 1)
    table = {w: [w + "x", w + "y", w + "z"] for w in WORDS}
    table["alpha"] = ["q1", "q2", "q3", "alfa"]  # the flip is the last candidate of the word
    outcome, scorer, _ = _attack(t, budget=budget, table=table)
    assert outcome.queries == scorer.forwarded <= budget
    assert outcome.status in (SUCCESSFUL, FAILED)


def test_edit_share_and_protected_names_and_numbers():
    # `Quebec` and `1999` occur in both sentences: protected; 10 units, share 0.2 -> at most 2 edits.
    t = Example("3", "en", "Quebec bravo charlie 1999 delta", "echo Quebec alpha foxtrot 1999 golf hotel", 1)
    units, protected = pair_units(t.sentence1, t.sentence2, "en", frozenset())
    assert len(units) == 10 and not [u for u in units if u.text == "Quebec" and u.editable]
    spans = lambda text: sorted((text.index(w), text.index(w) + len(w)) for w in ("Quebec", "1999"))  # noqa: E731
    assert protected == {1: spans(t.sentence1), 2: spans(t.sentence2)}
    table = {w: ["zz" + w] for w in [*WORDS, "Quebec"]}
    # Each edit lowers P(1) by 0.1 from 0.95: the prediction flips at the fifth edit, 5 units of 10.
    gradual = lambda a, b: 0.95 - 0.1 * (a + " " + b).count("zz")  # noqa: E731
    outcome, scorer, _ = _attack(t, budget=100, share=0.2, table=table, p1=gradual)
    assert outcome.status == FAILED and scorer.forwarded < 100  # two edits allowed: not enough
    outcome, _, _ = _attack(t, budget=100, share=0.5, table=table, p1=gradual)
    assert outcome.status == SUCCESSFUL and len(outcome.edits) == 5
    assert all(e.before not in ("Quebec", "1999") for e in outcome.edits)
    s1, s2 = outcome.adversarial
    assert (s1.count("Quebec"), s2.count("Quebec"), s1.count("1999"), s2.count("1999")) == (1, 1, 1, 1)
    # A pair too short for one edit at this share is not attacked beyond its first prediction.
    short = Example("4", "en", "bravo", "alpha", 1)
    outcome, scorer, _ = _attack(short, share=0.2, table={"alpha": ["alfa"]})
    assert outcome.status == FAILED and scorer.forwarded == 1


def test_units_in_every_script_and_what_is_protected():
    units, protected = pair_units("템스강은 1870년 교토에서 발원한다.", "1870년 템스강은 교토에서 흐른다.", "ko", frozenset())
    assert {u.text for u in units if not u.editable} >= {"템스강", "교토"}  # shared names (particles outside)
    assert protected[1] and all(not u.editable for u in units if u.text == "템스강")
    zh, _ = pair_units("他在北京的大学读书。", "他在北京读书。", "zh", frozenset())
    assert all(not u.editable for u in zh if len(u.text) == 1)  # one-character words: particles
    marker, _ = pair_units("NS", "alpha bravo", "en", frozenset())
    assert [u.editable for u in marker] == [False, True, True]


# --- sources --------------------------------------------------------------------------------------

def test_sources_registry_and_their_params():
    assert list(SOURCES) == ["lexicon", "embedding", "char_noise"]
    parsed = parse_sources({"char_noise": {"variants": 2}, "lexicon": None}, "attack.sources")
    assert list(parsed) == ["char_noise", "lexicon"] and parsed["char_noise"].variants == 2
    with pytest.raises(ParamsError, match=r"attack.sources.bogus: unknown candidate source"):
        parse_sources({"bogus": {}}, "attack.sources")
    with pytest.raises(ParamsError, match=r"attack.sources.embedding.min_similarity"):
        parse_sources({"embedding": {"min_similarity": 3}}, "attack.sources")
    with pytest.raises(ParamsError, match=r"attack.sources: expected a non-empty mapping"):
        parse_sources({}, "attack.sources")


def test_char_noise_candidates_stay_in_their_unit_for_every_script():
    from xstilts.attack.sources import CharNoiseSourceParams

    for lang, s1, s2 in (("de", "Der Fluss fließt lang.", "Lang fließt der Fluss."),
                         ("ja", "東京の大学で勉強した。", "大学で勉強した。"),
                         ("ko", "강은 바다로 흐른다.", "바다로 강이 흐른다.")):
        units, _ = pair_units(s1, s2, lang, frozenset())
        for unit in (u for u in units if u.editable):
            text = s1 if unit.sentence == 1 else s2
            edits = SOURCES["char_noise"].candidates(CharNoiseSourceParams(variants=2), None, unit, text, lang, (13, "x"))
            assert edits, (lang, unit)
            for e in edits:
                assert unit.start <= e.start <= e.end <= unit.end and e.after != e.before
                assert apply_edits(text, [e]) != text


# --- the tiny BERT: real forwards, counted by a hook ----------------------------------------------

def _rows(n: int, seed: int) -> list[dict]:
    """Toy pairs (tiny_model.toy_rows' rule): label 1 iff sentence 2 opens with `alpha` × 4, 0 with
    `bravo` × 4; `Quebec` and `1999` in both sentences."""
    rng = np.random.default_rng(seed)
    plain = WORDS[2:22]
    rows = []
    for i in range(n):
        a = " ".join(rng.choice(plain, size=rng.integers(2, 6)))
        b = " ".join(rng.choice(plain, size=rng.integers(2, 6)))
        opening = " ".join([WORDS[1 - i % 2]] * 4)
        rows.append({"id": str(i), "sentence1": f"Quebec {a} 1999", "sentence2": f"{opening} {b} Quebec 1999",
                     "label": i % 2})
    return rows


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory) -> Path:
    """A tiny BERT fine-tuned on the toy rule (a few seconds): its predictions depend on the words."""
    from xstilts.config import TrainConfig
    from xstilts.training import train_classifier

    base = tmp_path_factory.mktemp("attack")
    encoder = make_tiny_encoder(base / "encoder", seed=3, words=WORDS)
    cfg = TrainConfig(learning_rate=3e-3, epochs=3, batch_size=8, warmup_ratio=0.0, evals_per_epoch=1, max_length=32)
    result = train_classifier(encoder, _rows(96, 1), _rows(32, 2), ["0", "1"], cfg, 13, base / "classifier", False)
    assert result.best_validation_accuracy >= 0.9
    return base / "classifier"


def _validation() -> dict:
    en = [{"id": str(i), "sentence1": f"alpha {w}", "sentence2": f"bravo {w}", "label": 1} for i, w in enumerate(WORDS[2:12])]
    de = [{"id": r["id"], "sentence1": r["sentence1"].replace("alpha", "alfa"),
           "sentence2": r["sentence2"].replace("bravo", "brabo"), "label": 1} for r in en]
    return {"en": [make_example("en", r) for r in en], "de": [make_example("de", r) for r in de]}


def test_attack_on_a_tiny_bert_budget_constraints_and_real_flips(tiny_classifier):
    cfg = AttackConfig(query_budget=80, max_edit_share=0.4, mixed_precision="no", concurrency=5, batch_size=16,
                       sources={"lexicon": {"donors": ["de"], "min_count": 2}, "embedding": {"min_similarity": -1.0},
                                "char_noise": {}})
    scorer = PairScorer(tiny_classifier, 64, cfg.batch_size, cfg.mixed_precision)
    # Half the pairs labelled as the model predicts them (attacked), half the other way (skipped),
    # of both openings.
    rows = _rows(16, 0)
    first = scorer.probabilities([(r["sentence1"], r["sentence2"]) for r in rows]).argmax(axis=1)
    for i, r in enumerate(rows):
        r["label"] = int(first[i]) if i % 4 < 2 else 1 - int(first[i])
    forwarded = []
    hook = scorer.model.register_forward_pre_hook(lambda m, a, kw: forwarded.append(len(kw["input_ids"])),
                                                  with_kwargs=True)
    try:
        records = attack_language(rows, "en", _validation(), scorer, cfg, parse_sources(cfg.sources, "attack.sources"))
    finally:
        hook.remove()
    assert len(records) == len(rows) and sum(forwarded) == sum(r["queries"] for r in records)
    assert all(1 <= r["queries"] <= cfg.query_budget for r in records)
    assert all(r["status"] == SKIPPED and r["queries"] == 1 for i, r in enumerate(records) if i % 4 >= 2)
    statuses = [r["status"] for i, r in enumerate(records) if i % 4 < 2]
    assert SUCCESSFUL in statuses and SKIPPED not in statuses, statuses
    sources = set()
    for r in records:
        assert r["edited_units"] <= int(cfg.max_edit_share * r["units"])
        if not r["success"]:
            assert r["adversarial_sentence1"] is None and r["new_prediction"] == r["original_prediction"]
            continue
        s1, s2 = r["adversarial_sentence1"], r["adversarial_sentence2"]
        edits = [Edit(**{k: e[k] for k in ("sentence", "op", "start", "end", "before", "after")}) for e in r["edits"]]
        assert (apply_edits(r["sentence1"], [e for e in edits if e.sentence == 1]),
                apply_edits(r["sentence2"], [e for e in edits if e.sentence == 2])) == (s1, s2)
        assert s1.startswith("Quebec ") and s1.endswith(" 1999") and s2.endswith(" Quebec 1999")  # protected
        assert r["edited_share"] == round(len(edits) / r["units"], 6) > 0
        sources |= {e.op.split(":")[0] for e in edits}
        # A reported success is a real flip: a fresh model on the adversarial pair alone agrees.
        again = PairScorer(tiny_classifier, 64, 1, "no").probabilities([(s1, s2)])[0]
        assert int(again.argmax()) == r["new_prediction"] != r["label"] == r["original_prediction"]
        assert again.tolist() == pytest.approx(r["new_probabilities"], abs=1e-5)
    assert sources, "no successful edit recorded its source"


def test_embedding_neighbours_are_same_script_whole_words_of_the_vocabulary(tiny_classifier):
    scorer = PairScorer(tiny_classifier, 64, 8, "no")
    index = scorer.neighbour_index()
    found = index.neighbours("hotel", frozenset({"latin"}), 5, -1.0)
    assert len(found) == 5 and "hotel" not in found and all(w in WORDS and w.isalpha() for w in found)
    assert "1999" not in index.neighbours("alpha", frozenset({"latin"}), 40, -1.0)  # not letters
    assert index.neighbours("alpha", frozenset({"han"}), 5, -1.0) == []  # no Han words in this vocabulary


# --- metrics ----------------------------------------------------------------------------------------

def _record(i, lang, label, status, queries, share=0.0):
    new = (1 - label) if status == SUCCESSFUL else (label if status == FAILED else 1 - label)
    orig = label if status != SKIPPED else 1 - label
    return {"id": str(i), "lang": lang, "label": label, "status": status, "queries": queries, "edited_share": share,
            "original_prediction": orig, "new_prediction": new}


def test_metrics_follow_textattack_definitions():
    rows = [_record(0, "en", 1, SUCCESSFUL, 10, 0.1), _record(1, "en", 0, SUCCESSFUL, 20, 0.3),
            _record(2, "en", 1, FAILED, 30), _record(3, "en", 0, SKIPPED, 1),
            _record(0, "de", 1, FAILED, 40), _record(1, "de", 0, SKIPPED, 1), _record(2, "de", 1, SKIPPED, 1),
            _record(3, "de", 0, SKIPPED, 1)]
    m = attack_metrics(rows, ["en", "de"])
    assert m["en.attack.success_rate"] == pytest.approx(2 / 3)  # successful / (successful + failed)
    assert m["en.attack.accuracy_under_attack"] == 0.25  # failed / all
    assert m["en.attack.clean_accuracy"] == 0.75
    assert m["en.attack.mean_queries"] == 20.0  # skipped pairs left out
    assert m["en.attack.mean_edited_share"] == pytest.approx(0.2)  # successful attacks only
    assert (m["en.attack.successful"], m["en.attack.failed"], m["en.attack.skipped"], m["en.attack.examples"]) == (2, 1, 1, 4)
    assert m["de.attack.success_rate"] == 0.0 and "de.attack.mean_edited_share" not in m  # no success: undefined
    assert m["avg.attack.success_rate"] == pytest.approx((2 / 3 + 0) / 2)
    assert m["avg.attack.accuracy_under_attack"] == pytest.approx((0.25 + 0.25) / 2)
    # The same numbers from the shared definitions, and with bootstrap-style weights.
    arrays = attack_arrays(rows)
    assert float(metric(arrays, "success_rate", "en", ATTACK)) == pytest.approx(2 / 3)
    pred, clean, gold = np.array([0, 1, 1, 0]), np.array([1, 1, 1, 0]), np.array([1, 1, 0, 0])
    assert d.attack_success_rate(pred, clean, gold) == pytest.approx(1 / 3)  # item 2 was wrong: skipped
    assert d.attack_success_rate(pred, clean, gold, np.array([[2, 1, 5, 0]])) == pytest.approx([2 / 3])


# --- the stage ---------------------------------------------------------------------------------------

def _stage_main():
    """`main` of stages/attack.py, loaded in this process (a subprocess would import torch again)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("attack_stage", Path(__file__).parents[1] / "stages" / "attack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def _stage_inputs(tmp_path: Path, attack: dict) -> tuple[Path, Path]:
    prepared = tmp_path / "prepared"
    for split in ("test", "validation"):
        (prepared / split).mkdir(parents=True)
        for lang in ("en", "de"):
            rows = _rows(6, 1) if split == "test" else [{"id": str(i), "sentence1": "alpha bravo", "sentence2": "charlie",
                                                           "label": 1} for i in range(4)]
            (prepared / split / f"{lang}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"languages": ["en", "de"], "target": {"train": {"max_length": 64}},
                                      "attack": attack}))
    return prepared, params


@pytest.mark.parametrize(("attack", "key"), [
    ({"query_budget": -5}, "attack.query_budget"),
    ({"max_edit_share": 0}, "attack.max_edit_share"),
    ({"sources": {"thesaurus": {}}}, "attack.sources.thesaurus"),
    ({"importance": "gradient"}, "attack.importance"),
    ({"bogus": 1}, "attack.bogus"),
])
def test_stage_writes_nothing_on_bad_params(tmp_path, attack, key):
    main = _stage_main()

    prepared, params = _stage_inputs(tmp_path, attack)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["--model", str(tmp_path / "no-model"), "--prepared", str(prepared),
                                       "--results", str(out / "results.jsonl"), "--metrics", str(out / "m.json"),
                                       "--params", str(params)])
    assert result.exit_code == 1 and key in result.output, result.output
    assert not out.exists()


def test_stage_end_to_end_on_the_tiny_model(tmp_path, tiny_classifier):
    main = _stage_main()

    prepared, params = _stage_inputs(tmp_path, {"query_budget": 12, "max_examples": 4, "mixed_precision": "no",
                                                "sources": {"char_noise": {}, "embedding": {}}})
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["--model", str(tiny_classifier), "--prepared", str(prepared),
                                       "--results", str(out / "run" / "results.jsonl"),
                                       "--metrics", str(out / "m.json"), "--params", str(params)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "run" / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 8 and [r["lang"] for r in rows] == ["en"] * 4 + ["de"] * 4
    assert [r["id"] for r in rows[:4]] == [r["id"] for r in rows[4:]]  # the same items in every language
    metrics = json.loads((out / "m.json").read_text())
    assert metrics["en.attack.examples"] == 4 and "avg.attack.accuracy_under_attack" in metrics
    assert sorted(p.name for p in out.rglob("*")) == ["m.json", "results.jsonl", "run"]  # no temporary files left


def test_a_typo_may_drop_a_letter_but_no_candidate_deletes_a_word():
    from xstilts.attack.search import admissible

    units, protected = pair_units("alpha bravo", "charlie Quebec", "en", frozenset())
    bravo = units[1]
    assert admissible(Edit(1, "char_noise:drop", 7, 8, "r", ""), bravo, protected, [])
    assert not admissible(Edit(1, "x", 6, 11, "bravo", ""), bravo, protected, [])  # the word deleted
    assert not admissible(Edit(1, "x", 6, 11, "bravo", "bravo"), bravo, protected, [])  # no change
    assert not admissible(Edit(1, "x", 6, 8, "br", "pr"), bravo, protected, [Edit(1, "y", 7, 9, "ra", "ar")])  # overlaps


def test_the_committed_attack_params_parse():
    from xstilts.params import read_params

    cfg = read_params(Path(__file__).parents[1] / "params.yaml", ["attack"]).attack
    assert cfg.query_budget >= 2 and list(parse_sources(cfg.sources, "attack.sources")) == list(SOURCES)
