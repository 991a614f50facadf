"""The datasets xstilts knows, and where each canonical split comes from in each source.

A task is one `DatasetSpec` entry: adding an intermediate task (or a mixture of several) is one more
entry here, never an edit to a stage. Every NLI dataset and mixture gets a shuffled-label control,
`<task>_shuffled` (`CONTROLS`, `control_of`; the naming rule is `xstilts.schema`'s), derived from its entry. Each
canonical split is written per language as `data/prepared/<dataset>/<split>/<lang>.jsonl`; `{lang}`
in a path or Hub config expands to the language.

Sources:
* `hub`     — `datasets.load_dataset(path, config, split=...)`; rows labelled -1 are dropped.
* `local`   — a directory laid out like `../shared/data` (`<dataset>/<config>/<split>.jsonl[.gz]`) or like
              the original PAWS-X release (`x-final/<lang>/{train,dev_2k,test_2k}.tsv`); the first
              candidate path that exists is read.
* `fixture` — the small sample committed in `data/fixture` (same layout as `local`).

The local copy has no train split of any NLI dataset: ANLI (dev+test of r1-r3), XNLI-en (validation
+test), MultiNLI (dev matched+mismatched) and SNLI (dev+test) train on what it has, and their
validation split (checkpoint selection and the learning check only: PAWS-X is the only test data) is
HOLDOUT, a seeded share of whole premise groups carved out of train (`xstilts.data.prepare.split_holdout`).
Ids of a split read from several files are prefixed with the file (`mnli/matched/validation:17`), so
the per-file row numbers of the local copy stay unique.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from xstilts.config import TaskOverrides
from xstilts.schema import CONTROL_SUFFIX, NO_INTERMEDIATE, control_name

# Sentinel for a split that a source lacks: carved deterministically out of the train split.
HOLDOUT = "holdout"


@dataclass(frozen=True)
class HubPart:
    """One Hub split: `load_dataset(path, config, split=split)`."""

    path: str
    config: str | None
    split: str


@dataclass(frozen=True)
class SplitSpec:
    """Where one canonical split comes from, per source.

    `local`/`fixture` hold candidate groups: each inner tuple lists alternative relative paths (without
    extension) of which the first that exists is read; the groups are concatenated. A value of
    HOLDOUT means the split is carved out of `train` for that source.
    """

    languages: tuple[str, ...] | None  # None: every language in params `languages`
    hub: tuple[HubPart, ...] | str
    local: tuple[tuple[str, ...], ...] | str
    fixture: tuple[tuple[str, ...], ...] | str


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    kind: str  # "paraphrase" | "nli"
    labels: tuple[str, ...]  # label names by id
    fields: tuple[str, str]  # the two text fields in the source rows
    splits: dict[str, SplitSpec]
    # Hub datasets whose text fields have other names than `fields`.
    hub_fields: tuple[str, str] | None = None
    note: str = ""

    @property
    def num_labels(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Mixture:
    """Several NLI datasets trained on as one task (X-STILTs' multi-task intermediate setting).

    Sampling rule: examples-proportional mixing with a per-dataset cap (`cap` examples at most from
    each part, taken by the seeded subsample), then one seeded shuffle of the union. Validation is the
    union of the parts' validation splits (each capped at `cap // 10`). Label spaces must agree.
    """

    name: str
    parts: tuple[str, ...]
    cap: int = 0  # 0: no cap
    note: str = ""


def _en(*group: str) -> tuple[tuple[str, ...], ...]:
    return (group,)


_PAWSX = DatasetSpec(
    name="pawsx",
    kind="paraphrase",
    labels=("not_paraphrase", "paraphrase"),
    fields=("sentence1", "sentence2"),
    splits={
        "train": SplitSpec(
            languages=("en",),
            hub=(HubPart("google-research-datasets/paws-x", "en", "train"),),
            local=_en("pawsx/en/train", "x-final/en/train"),
            fixture=_en("pawsx/en/train"),
        ),
        "validation": SplitSpec(
            languages=None,
            hub=(HubPart("google-research-datasets/paws-x", "{lang}", "validation"),),
            local=_en("pawsx/{lang}/validation", "x-final/{lang}/dev_2k"),
            fixture=_en("pawsx/{lang}/validation"),
        ),
        "test": SplitSpec(
            languages=None,
            hub=(HubPart("google-research-datasets/paws-x", "{lang}", "test"),),
            local=_en("pawsx/{lang}/test", "x-final/{lang}/test_2k"),
            fixture=_en("pawsx/{lang}/test"),
        ),
    },
)

_NLI_LABELS = ("entailment", "neutral", "contradiction")
_NLI_FIELDS = ("premise", "hypothesis")
# Every English NLI task reads the one small NLI sample in the fixture: the fixture exercises the
# pipeline, it makes no claim about any real dataset.
_FIXTURE_NLI_TRAIN = _en("nli/en/train")
_FIXTURE_NLI_VAL = _en("nli/en/validation")


def _nli(name: str, hub_train: tuple[HubPart, ...], hub_val: tuple[HubPart, ...],
         local_train: tuple[tuple[str, ...], ...], local_val: tuple[tuple[str, ...], ...] | str,
         note: str = "") -> DatasetSpec:
    return DatasetSpec(
        name=name,
        kind="nli",
        labels=_NLI_LABELS,
        fields=_NLI_FIELDS,
        splits={
            "train": SplitSpec(("en",), hub_train, local_train, _FIXTURE_NLI_TRAIN),
            "validation": SplitSpec(("en",), hub_val, local_val, _FIXTURE_NLI_VAL),
        },
        note=note,
    )


_ANLI_ROUNDS = ("r1", "r2", "r3")

DATASETS: dict[str, DatasetSpec] = {
    "pawsx": _PAWSX,
    "anli": _nli(
        "anli",
        hub_train=tuple(HubPart("facebook/anli", None, f"train_{r}") for r in _ANLI_ROUNDS),
        hub_val=tuple(HubPart("facebook/anli", None, f"dev_{r}") for r in _ANLI_ROUNDS),
        # The local copy has no ANLI train split: train on dev+test of all rounds and hold out a
        # seeded share for checkpoint selection (intermediate tasks are never evaluated on).
        local_train=tuple((f"anli/{r}/{split}",) for r in _ANLI_ROUNDS for split in ("validation", "test")),
        local_val=HOLDOUT,
        note="local source: trains on ANLI dev+test (no train split available), holds out a share",
    ),
    "xnli_en": _nli(
        "xnli_en",
        hub_train=(HubPart("facebook/xnli", "en", "train"),),
        hub_val=(HubPart("facebook/xnli", "en", "validation"),),
        local_train=(("xnli/en/validation",), ("xnli/en/test",)),
        local_val=HOLDOUT,
        note="local source: XNLI-en validation+test (MNLI protocol) stand in for MNLI train; holds out a share",
    ),
    "mnli": _nli(
        "mnli",
        hub_train=(HubPart("nyu-mll/glue", "mnli", "train"),),
        hub_val=(HubPart("nyu-mll/glue", "mnli", "validation_matched"),),
        # The local copy has MultiNLI dev matched + mismatched only (9,815 + 9,832 pairs, about 3
        # hypotheses per premise): train on both and hold out whole premise groups.
        local_train=(("mnli/matched/validation",), ("mnli/mismatched/validation",)),
        local_val=HOLDOUT,
        note="local source: trains on MultiNLI dev matched+mismatched (no train split available), "
             "holds out a share of premise groups",
    ),
    "snli": _nli(
        "snli",
        hub_train=(HubPart("stanfordnlp/snli", None, "train"),),
        hub_val=(HubPart("stanfordnlp/snli", None, "validation"),),
        # The local copy has SNLI dev + test only (9,842 + 9,824 pairs, about 3 hypotheses per premise).
        local_train=(("snli/default/validation",), ("snli/default/test",)),
        local_val=HOLDOUT,
        note="local source: trains on SNLI dev+test (no train split available), holds out a share of premise groups",
    ),
}

MIXTURES: dict[str, Mixture] = {
    # The two NLI datasets available both on the Hub and in the local copy.
    "nli_mix": Mixture("nli_mix", parts=("anli", "xnli_en"), cap=0,
                       note="ANLI + XNLI-en, examples-proportional"),
    "nli_all": Mixture("nli_all", parts=("anli", "xnli_en", "mnli", "snli"), cap=100_000,
                       note="all four English NLI datasets, at most 100k examples from each"),
}

@dataclass(frozen=True)
class ShuffledControl:
    """An arm's shuffled-label control: the arm's prepared rows, in the same order and with the same
    validation split, but the train labels permuted by a seeded shuffle (`data.seed`; see
    `xstilts.data.prepare.shuffle_labels`). A permutation keeps the label distribution and the number
    of rows, so with the same training settings it trains the same steps on the same sentence pairs;
    only the pairing of pairs with labels is broken. The validation split keeps the TRUE labels, so
    the learning check (`xstilts.learning`) shows that the control did not learn NLI. Its chain
    separates "NLI signal" from "one more English sentence-pair fine-tuning".

    Matched only while the control's own settings (`intermediate.overrides.<control>`) equal its
    arm's: see `unmatched_controls`."""

    name: str
    arm: str

    @property
    def note(self) -> str:
        return f"control of {self.arm}: the same rows and steps, train labels permuted by a seeded shuffle"


def _arms() -> list[str]:
    """The tasks that have a control: every NLI dataset and every mixture."""
    return [n for n, s in DATASETS.items() if s.kind == "nli"] + list(MIXTURES)


CONTROLS: dict[str, ShuffledControl] = {
    f"{arm}{CONTROL_SUFFIX}": ShuffledControl(f"{arm}{CONTROL_SUFFIX}", arm) for arm in _arms()
}


def control_of(task: str) -> str | None:
    """The name of `task`'s shuffled-label control (`mnli` -> `mnli_shuffled`), or None where it has
    none (the baseline, the target dataset, a control, an unknown name)."""
    name = control_name(task)
    return name if name in CONTROLS else None


def intermediate_task_names() -> list[str]:
    """Every name `intermediate.tasks` may hold: the baseline, the NLI datasets, the mixtures and
    their controls, in that order."""
    return [NO_INTERMEDIATE, *_arms(), *CONTROLS]


def known_task_names() -> list[str]:
    """Every task prepare knows (for error messages): the above plus the target dataset."""
    return [NO_INTERMEDIATE, *DATASETS, *MIXTURES, *CONTROLS]


def unmatched_controls(tasks: Iterable[str], overrides: Mapping[str, TaskOverrides]) -> list[str]:
    """One line per control in `tasks` whose own settings differ from its arm's.

    `overrides` is params `intermediate.overrides` (a missing entry counts as empty). A control is
    matched to its arm only while `intermediate.overrides.<control>` equals
    `intermediate.overrides.<arm>`: its stages read their own key (dvc.yaml interpolates one task
    name per stage), so a setting given to the arm alone (a learning rate, a cap on the train rows)
    would silently make the control train other rows or other steps. This is for a reader of every
    `intermediate` key (the report) to flag such a pair."""

    def own(task: str) -> TaskOverrides:
        return overrides.get(task, TaskOverrides())

    problems = []
    for task in tasks:
        if task in CONTROLS:
            arm = CONTROLS[task].arm
            if own(task) != own(arm):
                problems.append(f"intermediate.overrides.{task} differs from intermediate.overrides.{arm}: "
                                f"the control no longer trains the same rows and steps as its arm")
    return problems
