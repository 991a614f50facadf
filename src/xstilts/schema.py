"""The names every part of xstilts shares, defined once: languages, variants and their label effects,
the baseline and control task names, and the prepared-row contract.

    from xstilts.schema import LANGUAGES, CLEAN, PRESERVING, NO_INTERMEDIATE, read_prepared

Imports nothing heavy and nothing of xstilts but `errors` and `io`, so that a stage importing it
does not depend on the dataset registry, the perturbation families or the model code: adding an
intermediate task or a family reruns only the stages that read it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from xstilts.errors import DataError
from xstilts.io import read_jsonl

# PAWS-X's languages, in its order: zero-shot evaluation runs on any non-empty subset (`languages`).
LANGUAGES = ("en", "de", "es", "fr", "ja", "ko", "zh")
LATIN_LANGUAGES = ("en", "de", "es", "fr")

# A variant of the test set is the clean set or one perturbation family; a family either keeps the
# gold label (preserving) or turns a paraphrase into a non-paraphrase (flipping: contrast sets).
CLEAN = "clean"
PRESERVING, FLIPPING = "preserving", "flipping"
EFFECTS = (PRESERVING, FLIPPING)

# The baseline intermediate task: none, the target phase starts from the pretrained encoder.
NO_INTERMEDIATE = "none"
# A shuffled-label control is named after its arm (`anli` -> `anli_shuffled`); which arms have one
# is the dataset registry's business (`xstilts.data.registry.CONTROLS`).
CONTROL_SUFFIX = "_shuffled"

# The target task's labels (PAWS-X: 1 = paraphrase).
PAWS_LABELS = (0, 1)


def is_control(task: str) -> bool:
    """Whether `task` names a shuffled-label control."""
    return task.endswith(CONTROL_SUFFIX) and task != CONTROL_SUFFIX


def arm_of(control: str) -> str:
    """The arm a control belongs to (`mnli_shuffled` -> `mnli`); ValueError for a non-control."""
    if not is_control(control):
        raise ValueError(f"{control!r} is not a control task (controls end in {CONTROL_SUFFIX!r})")
    return control.removesuffix(CONTROL_SUFFIX)


def control_name(task: str) -> str | None:
    """The name `task`'s control would have; None for the baseline and for a control."""
    return None if task == NO_INTERMEDIATE or is_control(task) else f"{task}{CONTROL_SUFFIX}"


def prepared_file(prepared_dir: str | Path, split: str, lang: str = "en") -> Path:
    """Where the prepare stage writes one split of one language: `<dir>/<split>/<lang>.jsonl`."""
    return Path(prepared_dir) / split / f"{lang}.jsonl"


def check_prepared_row(row: Mapping[str, Any], where: object, line: int | None,
                       labels: Collection[int] = PAWS_LABELS) -> None:
    """The prepared-row contract: an id, two sentences and a label in `labels`."""
    for key in ("sentence1", "sentence2"):
        if not isinstance(row.get(key), str):
            raise DataError(where, line, f"{key!r} must be a string")
    if not isinstance(row.get("id"), (str, int)) or isinstance(row.get("id"), bool):
        raise DataError(where, line, "'id' must be a string")
    if row.get("label") not in labels or isinstance(row.get("label"), bool):
        choices = " or ".join(map(str, labels))
        raise DataError(where, line, f"'label' must be {choices}, got {row.get('label')!r}")


def read_prepared(path: str | Path, labels: Collection[int] = PAWS_LABELS) -> list[dict[str, Any]]:
    """The rows of one prepared split file, each checked against the contract (file and line named)."""
    rows = []
    for line, row in read_jsonl(path):
        check_prepared_row(row, path, line, labels)
        rows.append(row)
    return rows
