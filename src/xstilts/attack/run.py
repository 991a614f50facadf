"""Stage `attack`: attack one target checkpoint on a sample of the PAWS-X test set, every language.

Reads `<prepared>/test/<lang>.jsonl` (the attacked pairs: a seeded hash subsample of
`max_examples` ids of the first language, the same items in every language and run) and
`<prepared>/validation/<lang>.jsonl` (lexicons and common words only). Writes one JSON line per
attacked pair (`results.jsonl`) and the flat metrics (`xstilts.attack.metrics`), each atomically.

The driver runs up to `concurrency` attacks at once: their requests share length-sorted,
dynamically padded batches (`xstilts.modeling`), under `torch.inference_mode` and the
configured autocast. It counts every pair it scores for the attack that asked, and that count is
the `queries` saved: never above `query_budget`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from xstilts.attack.embeddings import NeighbourIndex
from xstilts.attack.metrics import attack_metrics
from xstilts.attack.search import (
    SUCCESSFUL,
    Attack,
    BudgetExceeded,
    Outcome,
    SearchConfig,
    attack_pair,
)
from xstilts.attack.sources import SOURCES, LexiconParams, SourceContext, SourceParams
from xstilts.attack.units import Unit, pair_units
from xstilts.config import AttackConfig
from xstilts.io import write_json, write_jsonl
from xstilts.modeling import (
    check_model_dir,
    encode_pairs,
    load_classifier,
    load_tokenizer,
    PairCollator,
    make_accelerator,
    softmax,
)
from xstilts.sampling import subsample
from xstilts.schema import prepared_file, read_prepared
from xstilts.text.entities import common_words
from xstilts.text.pairs import Example, make_example


class PairScorer:
    """Class probabilities of sentence pairs from one checkpoint; `forwarded` counts the pairs run."""

    def __init__(self, model_dir: Path, max_length: int, batch_size: int, mixed_precision: str) -> None:
        self.accelerator = make_accelerator(mixed_precision)
        self.tokenizer = load_tokenizer(model_dir)
        self.model = self.accelerator.prepare(load_classifier(model_dir))
        self.model.eval()
        self.max_length, self.batch_size = max_length, batch_size
        self.forwarded = 0
        self._index: NeighbourIndex | None = None

    @property
    def mask_token(self) -> str:
        return self.tokenizer.mask_token or self.tokenizer.unk_token

    def neighbour_index(self) -> NeighbourIndex:
        """The checkpoint's input-embedding index: built once, on first use."""
        if self._index is None:
            self._index = NeighbourIndex.of_model(self.accelerator.unwrap_model(self.model), self.tokenizer)
        return self._index

    def _batches(self, lengths: Sequence[int], unpadded: bool) -> list[list[int]]:
        """Indices in batches of similar length (longest first); `unpadded`: equal lengths only."""
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        batches: list[list[int]] = []
        for i in order:
            last = batches[-1] if batches else None
            if last and len(last) < self.batch_size and (not unpadded or lengths[last[0]] == lengths[i]):
                last.append(i)
            else:
                batches.append([i])
        return batches

    @torch.inference_mode()
    def probabilities(self, pairs: Sequence[tuple[str, str]], unpadded: bool = False) -> np.ndarray:
        """Class probabilities, in order. Batches are padded to their longest pair; `unpadded`
        batches only pairs of the same length: no pair is padded, each is scored as on its own
        (up to the floating-point order of a larger batch)."""
        rows = [{"sentence1": a, "sentence2": b, "label": 0} for a, b in pairs]
        encoded = encode_pairs(self.tokenizer, rows, self.max_length)
        collate = PairCollator(self.tokenizer.pad_token_id)
        logits: np.ndarray | None = None
        device = self.accelerator.device
        for chunk in self._batches(encoded.lengths, unpadded):
            batch = collate([(i, encoded.input_ids[i], 0) for i in chunk])
            index = batch.pop("index").numpy()
            batch.pop("labels")
            out = self.model(**{k: v.to(device) for k, v in batch.items()}).logits.float().cpu().numpy()
            if logits is None:
                logits = np.zeros((len(rows), out.shape[1]), dtype=np.float32)
            logits[index] = out
            self.forwarded += len(index)
        assert logits is not None
        return softmax(logits)


@dataclass
class _Running:
    slot: int
    attack: Attack
    request: Any
    served: int = 0


def drive(attacks: Iterable[Attack], scorer: PairScorer, concurrency: int, budget: int) -> list[Outcome]:
    """Run attacks `concurrency` at a time, their requests batched together; outcomes in input
    order, each with `queries` = the pairs the driver scored for it (checked against `budget`)."""
    source: Iterator[Attack] = iter(attacks)
    outcomes: dict[int, Outcome] = {}
    running: list[_Running] = []
    slots = 0

    def start() -> None:
        nonlocal slots
        for attack in source:
            slot, slots = slots, slots + 1
            running.append(_Running(slot, attack, next(attack)))
            return

    for _ in range(concurrency):
        start()
    while running:
        answers = {}
        for alone in (False, True):  # padded batches, then confirmations scored without padding
            asking = [r for r in running if r.request.alone is alone]
            pairs = [p for r in asking for p in r.request.pairs]
            if not pairs:
                continue
            probs, at = scorer.probabilities(pairs, unpadded=alone), 0
            for r in asking:
                answers[r.slot] = probs[at : at + len(r.request.pairs)]
                at += len(r.request.pairs)
        for r in list(running):
            r.served += len(r.request.pairs)
            if r.served > budget:
                raise BudgetExceeded(f"attack {r.slot}: {r.served} queries scored, budget {budget}")
            try:
                r.request = r.attack.send(answers[r.slot])
            except StopIteration as stop:
                outcome: Outcome = stop.value
                if outcome.queries != r.served:
                    raise BudgetExceeded(f"attack {r.slot}: counted {outcome.queries} queries, scored {r.served}")
                outcomes[r.slot] = outcome
                running.remove(r)
                start()
    return [outcomes[i] for i in range(slots)]


def record(target: Example, outcome: Outcome) -> dict[str, Any]:
    """One line of results.jsonl."""
    success = outcome.status == SUCCESSFUL
    original = int(np.argmax(outcome.original_probabilities))
    return {
        "id": target.id,
        "lang": target.lang,
        "label": target.label,
        "status": outcome.status,
        "success": success,
        "queries": outcome.queries,
        "units": outcome.units,
        "edited_units": len(outcome.edits) if success else 0,
        "edited_share": round(len(outcome.edits) / outcome.units, 6) if success and outcome.units else 0.0,
        "original_prediction": original,
        "new_prediction": int(np.argmax(outcome.new_probabilities)) if success else original,
        "original_probabilities": outcome.original_probabilities,
        "new_probabilities": outcome.new_probabilities,
        "sentence1": target.sentence1,
        "sentence2": target.sentence2,
        "adversarial_sentence1": outcome.adversarial[0] if success and outcome.adversarial else None,
        "adversarial_sentence2": outcome.adversarial[1] if success and outcome.adversarial else None,
        "edits": [e.to_dict() for e in outcome.edits] if success else [],
    }


def _candidates(params: Mapping[str, SourceParams], resources: Mapping[str, Any], lang: str, key: tuple):
    def candidates(unit: Unit, text: str) -> list:
        out = []
        for name, p in params.items():
            out += SOURCES[name].candidates(p, resources[name], unit, text, lang, key)
        return out

    return candidates


def language_attacks(rows: Sequence[Mapping[str, Any]], lang: str, validation: Mapping[str, Sequence[Example]],
                     scorer: PairScorer, cfg: AttackConfig,
                     params: Mapping[str, SourceParams]) -> tuple[list[Example], Iterator[Attack]]:
    """The targets of `rows` (prepared test rows of `lang`) and their attacks, made lazily."""
    ctx = SourceContext(lang, validation, scorer.neighbour_index, cfg.seed)
    resources = {name: SOURCES[name].prepare(p, ctx) for name, p in params.items()}
    common = common_words([f"{ex.sentence1}\n{ex.sentence2}" for ex in validation.get(lang, ())], lang,
                          cfg.common_min_df)
    search = SearchConfig(cfg.query_budget, cfg.max_edit_share, cfg.max_candidates, cfg.importance, cfg.seed,
                          scorer.mask_token)
    targets = [make_example(lang, row) for row in rows]  # NFC, as the perturbation families see them

    def attacks() -> Iterator[Attack]:
        for t in targets:
            units, protected = pair_units(t.sentence1, t.sentence2, lang, common)
            yield attack_pair(t, units, protected, _candidates(params, resources, lang, (cfg.seed, lang, t.id)),
                              search)

    return targets, attacks()


def attack_language(rows: Sequence[Mapping[str, Any]], lang: str, validation: Mapping[str, Sequence[Example]],
                    scorer: PairScorer, cfg: AttackConfig, params: Mapping[str, SourceParams]) -> list[dict[str, Any]]:
    """Attack `rows` (prepared test rows of `lang`); one record per row, in order."""
    targets, attacks = language_attacks(rows, lang, validation, scorer, cfg, params)
    outcomes = drive(attacks, scorer, cfg.concurrency, cfg.query_budget)
    return [record(t, o) for t, o in zip(targets, outcomes, strict=True)]


def sample_ids(test: Mapping[str, Sequence[Mapping[str, Any]]], languages: Sequence[str], cfg: AttackConfig) -> set[str]:
    """The attacked ids: a seeded hash subsample of the first language's test ids (0 = all)."""
    rows = [dict(r, id=str(r["id"])) for r in test[languages[0]]]
    return {r["id"] for r in subsample(rows, cfg.max_examples, cfg.seed)}


def run_attack(model_dir: Path, prepared_dir: Path, languages: Sequence[str], cfg: AttackConfig,
               sources: Mapping[str, SourceParams], max_length: int, results_path: Path,
               metrics_path: Path) -> dict[str, float]:
    """Attack one checkpoint in every language with the candidate `sources` (`parse_sources`
    of `cfg.sources`); write results.jsonl and the metrics JSON."""
    check_model_dir(model_dir, "the target checkpoint to attack")
    test = {lang: read_prepared(prepared_file(prepared_dir, "test", lang)) for lang in languages}
    donors = sources["lexicon"].donors if isinstance(sources.get("lexicon"), LexiconParams) else ()
    needed = list(dict.fromkeys([*languages, *donors]))
    validation = {lang: [make_example(lang, r) for r in read_prepared(path)]
                  for lang in needed if (path := prepared_file(prepared_dir, "validation", lang)).is_file()}
    keep = sample_ids(test, languages, cfg)
    scorer = PairScorer(model_dir, max_length, cfg.batch_size, cfg.mixed_precision)
    started = time.perf_counter()
    # Every language's attacks in one stream, so that up to `concurrency` of them share each batch.
    targets: list[Example] = []
    streams = []
    for lang in languages:
        found, attacks = language_attacks([r for r in test[lang] if str(r["id"]) in keep], lang, validation, scorer,
                                          cfg, sources)
        targets += found
        streams.append(attacks)
    outcomes = drive(itertools.chain.from_iterable(streams), scorer, cfg.concurrency, cfg.query_budget)
    rows = [record(t, o) for t, o in zip(targets, outcomes, strict=True)]
    for lang in languages:
        done = [r for r in rows if r["lang"] == lang]
        print(f"attack {lang}: {len(done)} pairs, {sum(r['success'] for r in done)} successful, "
              f"{sum(r['queries'] for r in done)} queries", flush=True)
    print(f"attack: {scorer.forwarded} pairs scored in {time.perf_counter() - started:.1f} s", flush=True)
    metrics = attack_metrics(rows, languages)
    write_jsonl(results_path, rows)
    write_json(metrics_path, metrics)
    return metrics
