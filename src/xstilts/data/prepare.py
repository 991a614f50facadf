"""Prepare a task's canonical splits once, for every later stage to reuse.

    python stages/prepare.py --task pawsx --out data/prepared/pawsx

Output: `<out>/<split>/<lang>.jsonl` (canonical rows, see `sources.py`) and `<out>/manifest.json`
(source, files, counts, label counts). Subsampling is seeded by a hash of the example id, never by
row order, so the same ids are chosen in every language of a parallel split. The hold-out (a
validation split carved out of train, for the English NLI tasks of the local source) is seeded by a
hash of the premise, so that a premise's hypotheses stay together.

No NLI task we split trains on a premise of its validation split: the hold-out keeps premise groups
whole, and a mixture drops the train rows of each part whose premise is in another part's
validation split (`drop_shared_premises`; counted in the manifest). Official splits (the Hub's, the
fixture's) are used as they are. A shuffled-label control (`<task>_shuffled`) is its arm's prepared splits with the train
labels permuted (`shuffle_labels`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xstilts.config import DataConfig, TaskData
from xstilts.data.registry import CONTROLS, DATASETS, MIXTURES, DatasetSpec, known_task_names
from xstilts.data.sources import Example, HubSource, LocalSource, make_source, read_split
from xstilts.errors import ParamsError, XstiltsError
from xstilts.sampling import rank as _rank
from xstilts.sampling import subsample
from xstilts.io import atomic_dir, write_json, write_jsonl
from xstilts.schema import NO_INTERMEDIATE

# split -> lang -> rows
Splits = dict[str, dict[str, list[Example]]]


@dataclass(frozen=True)
class PrepareConfig:
    """How one task's splits are sampled: `<role>.data` in params.yaml with `data.seed`."""

    max_examples: Mapping[str, int] = field(default_factory=dict)  # split -> cap, 0 = all
    holdout: float = 0.1  # share of train held out as validation where a source has none
    seed: int = 13

    @classmethod
    def of(cls, data: TaskData, seed: int) -> PrepareConfig:
        return cls(max_examples=dict(data.max_examples), holdout=data.holdout, seed=seed)


def premise_key(text: str) -> str:
    """The premise group of a pair: its first sentence with whitespace runs collapsed and the ends
    trimmed (MultiNLI keeps stray spaces, so one premise can be written two ways)."""
    return " ".join(text.split())


def split_holdout(rows: Sequence[Example], share: float, seed: int) -> tuple[list[Example], list[Example]]:
    """(train, held-out) by a seeded hash of the premise (`premise_key`), the one hold-out of every
    task: pairs sharing a premise (ANLI, XNLI, MultiNLI and SNLI write about 3 hypotheses per
    premise) stay on one side, so the held-out part is unseen. Whole groups are taken in hash order
    until at least `share` of the rows are held out; train keeps at least one group."""
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(premise_key(r["sentence1"]), []).append(i)
    # A group is ranked by its first row's premise as written, not by its key: a premise written
    # one way only (nearly all) keeps the rank it had when groups were keyed by the exact text.
    first = {key: rows[members[0]]["sentence1"] for key, members in groups.items()}
    if len(groups) < 2:
        raise XstiltsError(f"cannot hold out a validation share from {len(rows)} example(s) with {len(groups)} premise(s)")
    target = max(1, round(share * len(rows)))
    held: set[int] = set()
    for key in sorted(groups, key=lambda g: _rank("holdout", seed, first[g])):
        if len(held) >= target or len(held) + len(groups[key]) >= len(rows):
            break
        held.update(groups[key])
    return [r for i, r in enumerate(rows) if i not in held], [r for i, r in enumerate(rows) if i in held]


def drop_shared_premises(train: Sequence[Example], validation: Sequence[Example]) -> tuple[list[Example], int]:
    """`train` without the rows whose premise (`premise_key`) is also a validation premise, and how
    many were dropped: a premise seen in training would make held-out accuracy partly seen."""
    held = {premise_key(r["sentence1"]) for r in validation}
    kept = [r for r in train if premise_key(r["sentence1"]) not in held]
    return kept, len(train) - len(kept)


def shuffle_labels(rows: Sequence[Example], seed: int) -> list[Example]:
    """The same rows in the same order with their labels permuted: the label of the k-th row in
    source order goes to the k-th row in the order of a seeded hash of the ids. A permutation keeps
    the label counts; it depends on the seed and the ids only, not on the process."""
    order = sorted(range(len(rows)), key=lambda i: _rank("shuffle_labels", seed, str(rows[i]["id"])))
    labels = [0] * len(rows)
    for position, source in zip(order, rows):
        labels[position] = source["label"]
    return [{**r, "label": label} for r, label in zip(rows, labels)]


def _languages(spec: DatasetSpec, split: str, languages: Sequence[str]) -> tuple[str, ...]:
    own = spec.splits[split].languages
    return tuple(own) if own is not None else tuple(languages)


def read_dataset(spec: DatasetSpec, source: LocalSource | HubSource, languages: Sequence[str],
                 cfg: PrepareConfig) -> Splits:
    """Read, hold out and subsample every split of one dataset."""
    splits: Splits = {}
    for name, split in spec.splits.items():
        if not source.has_split(split, name):
            continue
        splits[name] = {lang: read_split(source, spec, name, lang) for lang in _languages(spec, name, languages)}
    for name, split in spec.splits.items():
        if name in splits:
            continue
        # A split this source lacks (ANLI/XNLI-en validation locally): carve it out of train.
        train_by_lang = splits["train"]
        splits["train"], splits[name] = {}, {}
        for lang, rows in train_by_lang.items():
            splits["train"][lang], splits[name][lang] = split_holdout(rows, cfg.holdout, cfg.seed)
    for name, by_lang in splits.items():
        cap = cfg.max_examples.get(name, 0)
        for lang, rows in by_lang.items():
            by_lang[lang] = subsample(rows, cap, cfg.seed)
    return splits


def mix(parts: Mapping[str, Splits], cap: int, seed: int) -> Splits:
    """Examples-proportional mixture: each part capped at `cap` (validation at cap // 10), ids
    prefixed with the part's name, the union shuffled once with the seed."""
    mixed: Splits = {}
    for split in ("train", "validation"):
        part_cap = cap if split == "train" else cap // 10
        rows = [
            {**r, "id": f"{name}:{r['id']}"}
            for name, splits in parts.items()
            for r in subsample(splits[split]["en"], part_cap, seed)
        ]
        random.Random(seed).shuffle(rows)
        mixed[split] = {"en": rows}
    return mixed


_MANIFEST_KEYS = ("task", "source", "labels", "note", "seed", "splits")
DROPPED_KEY = "train_rows_dropped_sharing_a_validation_premise"


def _drop_premises_of_other_parts(parts: Mapping[str, Splits]) -> int:
    """Drop, in place, each part's train rows whose premise is in another part's validation split,
    and return how many. Each part's own split is left as it is: a hold-out of whole premise groups,
    or an official validation split."""
    dropped = 0
    for name, splits in parts.items():
        others = [r for other, o in parts.items() if other != name for r in o["validation"]["en"]]
        splits["train"]["en"], n = drop_shared_premises(splits["train"]["en"], others)
        dropped += n
    return dropped


def prepare_task(task: str, source: LocalSource | HubSource, languages: Sequence[str], cfg: PrepareConfig,
                 task_key: str) -> tuple[Splits, dict]:
    """All splits of a task (a dataset, a mixture, a control, or `none`) plus the manifest describing them."""
    if task == NO_INTERMEDIATE:
        return {}, {"task": task, "note": "baseline: no intermediate training data"}
    extra: dict = {}
    if task in CONTROLS:
        control = CONTROLS[task]
        splits, arm = prepare_task(control.arm, source, languages, cfg, task_key)
        labels = tuple(arm["labels"])
        note = control.note
        extra = {k: v for k, v in arm.items() if k not in _MANIFEST_KEYS}
        changed = 0
        for lang, rows in splits["train"].items():
            splits["train"][lang] = shuffle_labels(rows, cfg.seed)
            changed += sum(a["label"] != b["label"] for a, b in zip(rows, splits["train"][lang]))
        extra.update({"control_of": control.arm,
                      "shuffled_labels": {"split": "train", "seed": cfg.seed, "changed": changed}})
    elif task in DATASETS:
        spec = DATASETS[task]
        splits = read_dataset(spec, source, languages, cfg)
        labels = spec.labels
        note = spec.note if source.name == "local" else ""
    elif task in MIXTURES:
        mixture = MIXTURES[task]
        label_sets = {DATASETS[p].labels for p in mixture.parts}
        if len(label_sets) != 1:
            raise XstiltsError(f"mixture {task}: parts {mixture.parts} have different label sets")
        parts = {p: read_dataset(DATASETS[p], source, languages, cfg) for p in mixture.parts}
        # Each part holds out its own premises; one premise can still sit in two datasets.
        dropped = _drop_premises_of_other_parts(parts)
        splits = mix(parts, mixture.cap, cfg.seed)
        splits = {s: {lang: subsample(r, cfg.max_examples.get(s, 0), cfg.seed) for lang, r in by.items()}
                  for s, by in splits.items()}
        labels = label_sets.pop()
        note = mixture.note
        extra = {DROPPED_KEY: dropped} if dropped else {}
    else:
        raise _unknown_task(task, task_key)
    for split, by_lang in splits.items():
        for lang, rows in by_lang.items():
            if not rows:
                raise XstiltsError(f"{task} {split}/{lang}: no examples left after filtering and sampling")
    manifest = {
        "task": task,
        "source": source.name,
        "labels": list(labels),
        "note": note,
        "seed": cfg.seed,
        **extra,
        "splits": {
            split: {
                lang: {"examples": len(rows), "label_counts": {labels[k]: v for k, v in sorted(Counter(r["label"] for r in rows).items())}}
                for lang, rows in by_lang.items()
            }
            for split, by_lang in splits.items()
        },
    }
    return splits, manifest


def write_prepared(splits: Splits, manifest: dict, out_dir: Path) -> None:
    """Write `<out>/<split>/<lang>.jsonl` and `<out>/manifest.json` as one atomic directory."""
    with atomic_dir(out_dir) as tmp:
        for split, by_lang in splits.items():
            for lang, rows in by_lang.items():
                write_jsonl(tmp / split / f"{lang}.jsonl", rows)
        write_json(tmp / "manifest.json", manifest)


def prepare(task: str, role: str, data: DataConfig, task_data: TaskData,
            languages: Sequence[str]) -> tuple[Splits, dict]:
    """Prepare `task` for `role` (target or intermediate) from the source `data` names, sampled as
    `task_data` says (`<role>.data`, for an intermediate task with its own overrides merged in:
    `IntermediateConfig.data_for`). A control reads its own overrides key, never its arm's (the
    stage lists only its own): `registry.unmatched_controls` tells where the two differ."""
    source = make_source(data.source, data.local_dir, task_data.local)
    task_key = "intermediate.tasks" if role == "intermediate" else "target"
    return prepare_task(task, source, languages, PrepareConfig.of(task_data, data.seed), task_key)


def check_task(task: str) -> None:
    """`task` is one prepare knows: checked before its own overrides key is read, which an unknown
    task lacks too."""
    if task not in known_task_names():
        raise _unknown_task(task, "intermediate.tasks")


def _unknown_task(task: str, key: str) -> ParamsError:
    return ParamsError(key, f"unknown task {task!r}; known: {', '.join(known_task_names())}")
