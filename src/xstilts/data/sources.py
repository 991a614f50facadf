"""Read one canonical split from the Hub, a local directory, or the committed fixture.

Every row is checked and turned into the canonical form
`{"id": str, "sentence1": str, "sentence2": str, "label": int}` (for NLI, premise → sentence1 and
hypothesis → sentence2). A bad row raises `DataError` naming the file and line.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from xstilts.config import check_data_source
from xstilts.data.registry import HOLDOUT, DatasetSpec, HubPart, SplitSpec
from xstilts.errors import DataError, ParamsError, XstiltsError
from xstilts.io import read_jsonl, read_text_lines

Example = dict[str, Any]

# The committed fixture, relative to the project root (stages run from there).
FIXTURE_DIR = Path("data/fixture")
LOCAL_DIR_ENV = "XSTILTS_DATA_DIR"
_EXTENSIONS = (".jsonl.gz", ".jsonl", ".tsv")
_HUB_ID_FIELDS = ("id", "uid", "idx", "pairID")


@dataclass(frozen=True)
class RawRow:
    where: str  # "file:line" or "hub path/config/split row N", for error messages
    row: dict[str, Any]
    fallback_id: str
    # Set when a split concatenates several files or Hub splits, whose ids may collide
    # (XNLI numbers the rows of each file from 0): the id becomes "<prefix>:<id>".
    id_prefix: str = ""


class Source(Protocol):
    name: str

    def rows(self, spec: DatasetSpec, split: SplitSpec, lang: str) -> Iterator[RawRow]: ...

    def has_split(self, split: SplitSpec) -> bool: ...


def _resolve_local(root: Path, candidates: Sequence[str], lang: str, key: str) -> Path:
    tried = []
    for cand in candidates:
        stem = root / cand.format(lang=lang)
        for ext in _EXTENSIONS:
            path = stem.with_name(stem.name + ext)
            if path.is_file():
                return path
            tried.append(str(path))
    raise XstiltsError(f"{key}: no data file found; tried {', '.join(tried)}")


def _read_tsv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The original PAWS-X release TSV: header `id sentence1 sentence2 label`, no quoting. Lines
    are decoded one at a time (`read_text_lines`), so invalid UTF-8 is reported with its line."""
    header: list[str] | None = None
    for lineno, line in read_text_lines(path):
        # No quoting in this format: one line is one row.
        cells = next(csv.reader([line.rstrip("\r\n")], delimiter="\t", quoting=csv.QUOTE_NONE), [])
        if header is None:
            header = cells
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise DataError(path, lineno, f"expected {len(header)} tab-separated columns, found {len(cells)}")
        row: dict[str, Any] = dict(zip(header, cells))
        if "label" in row:
            try:
                row["label"] = int(row["label"])
            except ValueError:
                raise DataError(path, lineno, f"label {row['label']!r} is not an integer") from None
        yield lineno, row
    if header is None:
        raise DataError(path, 1, "empty file (expected a header: id, sentence1, sentence2, label)")


@dataclass(frozen=True)
class LocalSource:
    """A directory laid out like ../shared/data (JSON Lines) or the PAWS-X release (TSV)."""

    root: Path
    name: str = "local"
    params_key: str = "data.local_dir"
    overrides: tuple[tuple[str, tuple[str, ...]], ...] = ()  # split name -> candidate paths

    def _groups(self, split_name: str, split: SplitSpec) -> tuple[tuple[str, ...], ...] | str:
        for name, paths in self.overrides:
            if name == split_name:
                return tuple((p,) for p in paths)
        return split.fixture if self.name == "fixture" else split.local

    def has_split(self, split: SplitSpec, split_name: str = "") -> bool:
        return self._groups(split_name, split) != HOLDOUT

    def rows(self, spec: DatasetSpec, split: SplitSpec, lang: str, split_name: str = "") -> Iterator[RawRow]:
        if not self.root.is_dir():
            raise XstiltsError(f"{self.params_key}: data directory {self.root} does not exist")
        groups = self._groups(split_name, split)
        assert groups != HOLDOUT
        for group in groups:
            path = _resolve_local(self.root, group, lang, f"{self.params_key} ({spec.name} {split_name}/{lang})")
            lines = _read_tsv(path) if path.suffix == ".tsv" else read_jsonl(path)
            prefix = group[0].format(lang=lang) if len(groups) > 1 else ""
            empty = True
            for lineno, row in lines:
                empty = False
                yield RawRow(f"{path}:{lineno}", row, fallback_id="", id_prefix=prefix)
            if empty:
                raise DataError(path, None, "no examples: the file holds no rows")


@dataclass(frozen=True)
class HubSource:
    """Hugging Face datasets from the Hub (or its local cache with HF_DATASETS_OFFLINE=1)."""

    name: str = "hub"

    def has_split(self, split: SplitSpec, split_name: str = "") -> bool:
        return split.hub != HOLDOUT

    def rows(self, spec: DatasetSpec, split: SplitSpec, lang: str, split_name: str = "") -> Iterator[RawRow]:
        import datasets  # heavy import, only for this source

        assert split.hub != HOLDOUT
        for part in split.hub:
            assert isinstance(part, HubPart)
            config = part.config.format(lang=lang) if part.config else None
            where = f"hub {part.path}/{config or '-'}/{part.split}"
            try:
                ds = datasets.load_dataset(part.path, config, split=part.split)
            except Exception as err:  # network, missing config, offline cache miss: one line
                raise XstiltsError(f"{where}: cannot load ({type(err).__name__}: {str(err).splitlines()[0]})") from None
            prefix = part.split if len(split.hub) > 1 else ""
            for i, row in enumerate(ds):
                yield RawRow(f"{where} row {i}", dict(row), fallback_id=str(i), id_prefix=prefix)


def make_source(source: str, local_dir: str | os.PathLike[str] | None,
                overrides: dict[str, Sequence[str]] | None = None) -> LocalSource | HubSource:
    """The source named by params `data.source`; `XSTILTS_DATA_DIR` overrides `data.local_dir`."""
    frozen = tuple((k, tuple(v)) for k, v in sorted((overrides or {}).items()))
    if source == "fixture":
        return LocalSource(FIXTURE_DIR, name="fixture", params_key="fixture", overrides=())
    if source == "local":
        env = os.environ.get(LOCAL_DIR_ENV)
        root = Path(env) if env else Path(local_dir) if local_dir else None
        if root is None:
            raise ParamsError("data.local_dir", f"required for data.source=local (or set {LOCAL_DIR_ENV})")
        key = LOCAL_DIR_ENV if env else "data.local_dir"
        return LocalSource(root, name="local", params_key=key, overrides=frozen)
    if source == "hub":
        return HubSource()
    check_data_source(source)  # raises: the names above are all there are
    raise AssertionError(source)


def canonical_example(raw: RawRow, spec: DatasetSpec, drop_unlabelled: bool) -> Example | None:
    """Check one source row and return it in canonical form (None: an unlabelled row to drop)."""
    row = raw.row

    def fail(problem: str) -> DataError:
        return DataError(raw.where, None, problem)

    texts = []
    for field in spec.fields:
        if field not in row:
            raise fail(f"missing field {field!r}")
        value = row[field]
        if not isinstance(value, str):
            raise fail(f"field {field!r} must be a string, got {type(value).__name__}")
        if not value.strip():
            raise fail(f"field {field!r} is empty")
        texts.append(value)
    if "label" not in row:
        raise fail("missing field 'label'")
    label = row["label"]
    if isinstance(label, bool) or not isinstance(label, int):
        raise fail(f"label {label!r} must be an integer in 0..{spec.num_labels - 1}")
    if label == -1 and drop_unlabelled:
        return None
    if label == -1:
        raise fail("label -1 marks a pair without a gold label; this source must hold labelled pairs only")
    if not 0 <= label < spec.num_labels:
        raise fail(f"label {label} out of range 0..{spec.num_labels - 1} ({', '.join(spec.labels)})")
    ident = next((row[k] for k in _HUB_ID_FIELDS if k in row and row[k] not in (None, "")), None)
    if ident is None:
        if not raw.fallback_id:
            raise fail("missing field 'id'")
        ident = raw.fallback_id
    if isinstance(ident, bool) or not isinstance(ident, (int, str)):
        raise fail(f"id {ident!r} must be a string or an integer")
    ident = f"{raw.id_prefix}:{ident}" if raw.id_prefix else str(ident)
    return {"id": ident, "sentence1": texts[0], "sentence2": texts[1], "label": label}


def read_split(source: LocalSource | HubSource, spec: DatasetSpec, split_name: str, lang: str) -> list[Example]:
    """All canonical examples of one split in one language, in source order; ids must be unique."""
    split = spec.splits[split_name]
    drop_unlabelled = isinstance(source, HubSource)  # the Hub marks "no gold label" with -1
    examples: list[Example] = []
    seen: dict[str, str] = {}
    where, dropped = "", 0
    for raw in source.rows(spec, split, lang, split_name):
        where = raw.where
        ex = canonical_example(raw, spec, drop_unlabelled)
        if ex is None:
            dropped += 1
            continue
        if ex["id"] in seen:
            raise DataError(raw.where, None, f"duplicate id {ex['id']!r} (first at {seen[ex['id']]})")
        seen[ex["id"]] = raw.where
        examples.append(ex)
    if not examples:
        # Name the file (or Hub split) the rows came from: "path:line" -> "path".
        place = where.rsplit(":", 1)[0] if ":" in where and where.rsplit(":", 1)[1].isdigit() else where
        place = place.split(" row ")[0] or f"{source.name} {spec.name} {split_name}/{lang}"
        raise DataError(place, None, f"no examples left after filtering ({dropped} unlabelled (-1) rows dropped)")
    return examples
