"""Small I/O helpers: JSON Lines, JSON, atomic writes.

Every output a stage writes goes through `atomic_path`/`atomic_dir`: the content is written next to
its final place and renamed only once complete, so an interrupted stage never leaves a
plausible-looking file for DVC to cache.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from xstilts.errors import DataError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp/mkdtemp create private (0600/0700) paths; final outputs get the usual permissions.
_UMASK = _umask()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary file path; on success rename it to `path`, on failure remove it."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_UMASK)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory; on success it replaces `path` whole, on failure it is removed."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    os.chmod(tmp, 0o777 & ~_UMASK)
    try:
        yield tmp
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def read_text_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """Yield (line number, line) of a UTF-8 text file (gzipped if it ends in .gz), decoding line by
    line so that invalid UTF-8 is reported with its line; unreadable files raise DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "file not found")
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as fh:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    yield lineno, raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    raise DataError(path, lineno, f"not valid UTF-8 ({err.reason} at byte {err.start} of the line)") from None
    except (OSError, EOFError) as err:  # e.g. truncated gzip
        raise DataError(path, None, f"cannot read ({err})") from None


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; malformed lines raise DataError."""
    path = Path(path)
    for lineno, line in read_text_lines(path):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(path, lineno, f"not valid JSON ({err.msg})") from None
        if not isinstance(obj, dict):
            raise DataError(path, lineno, "expected a JSON object")
        yield lineno, obj


def dumps_line(obj: dict[str, Any]) -> str:
    """One canonical JSON line: UTF-8, key order as given, no ASCII escaping."""
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")) + "\n"


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> int:
    """Atomically write rows as JSON Lines; returns the number of rows."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(dumps_line(row))
            n += 1
    return n


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Atomically write pretty, key-sorted JSON (stable bytes for DVC)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
