"""User-facing errors: one clear line, a non-zero exit, no traceback.

Library code raises `XstiltsError` (or a subclass) with a message that names the file and line, or
the params key, that is wrong. Stage entry points wrap their main function in `cli_errors`, which
prints `error: <message>` to stderr and exits 1. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class XstiltsError(Exception):
    """An error the user can fix: bad params, bad data, a missing directory."""


class ParamsError(XstiltsError):
    """A params.yaml value is missing or invalid; the message names the key."""

    def __init__(self, key: str, problem: str, file: str = "params.yaml") -> None:
        super().__init__(f"{file}: {key}: {problem}")
        self.key = key
        self.problem = problem


class DataError(XstiltsError):
    """A data file is malformed; the message names the file and line."""

    def __init__(self, path: object, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {problem}")


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn XstiltsError into one line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except XstiltsError as err:
            print(f"error: {err}", file=sys.stderr)
            raise SystemExit(1) from None

    return wrapper
