"""User-facing errors: one clear line, a non-zero exit, no traceback.

Library code raises `XstiltsError` (or a subclass) with a message that names the file and line, or
the params key, that is wrong. Stage entry points wrap their main function in `cli_errors`, which
prints `error: <message>` to stderr and exits 1. Anything else is a bug and keeps its traceback.

`cli_errors` also turns SIGTERM (what `kill`, schedulers and container runtimes send) into an
exception, so the `finally` clauses of `xstilts.io.atomic_path`/`atomic_dir` remove half-written
outputs before the process exits (status 128 + signal, one line on stderr), as they do for Ctrl-C.
SIGKILL cannot be caught: then the temporary `.<name>.*.tmp` paths stay, but no output exists
under its final name, and `dvc repro` reruns the stage.
"""

from __future__ import annotations

import functools
import signal
import sys
import threading
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


class Interrupted(BaseException):
    """SIGTERM, raised where the program is (a BaseException, like KeyboardInterrupt, so no
    `except Exception` swallows it) to run every cleanup on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn XstiltsError into one line on stderr and exit code 1; SIGTERM and Ctrl-C into one line
    and exit code 128 + signal, after the atomic writers have removed their temporary outputs."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, _raise_interrupted)
        try:
            return func(*args, **kwargs)
        except XstiltsError as err:
            print(f"error: {err}", file=sys.stderr)
            raise SystemExit(1) from None
        except Interrupted as err:
            print(f"error: interrupted by {err}; unfinished outputs were removed", file=sys.stderr)
            raise SystemExit(128 + err.signum) from None
        except KeyboardInterrupt:
            print("error: interrupted by SIGINT; unfinished outputs were removed", file=sys.stderr)
            raise SystemExit(128 + signal.SIGINT) from None
        finally:
            if previous is not None:  # called in-process (tests, CliRunner): put the old handler back
                signal.signal(signal.SIGTERM, previous)

    return wrapper
