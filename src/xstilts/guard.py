"""Refuse params values that could inject shell commands into a DVC stage command.

    python -m xstilts.guard || exit 1; python stages/...      (the start of every stage cmd in dvc.yaml)

DVC pastes `${item}`/`${key}` values (intermediate task names, seeds, perturbation family names) into
the `cmd` strings it runs through a shell, and it does not check the names `foreach`/`matrix`
generate. Quoting cannot help: a value holding `'` closes the quote (`x'; touch PWNED; echo '`). So
every stage command first runs this guard, whose own command line contains no interpolated value:
the shell parses the whole line but executes it left to right, so `exit 1` ends it before any
injected command runs (a value that breaks the line's syntax runs nothing at all; one holding a
newline puts its rest on a later line, which DVC runs only if this one succeeds).

The guard checks (1) every params value dvc.yaml interpolates into commands, naming the key, and
(2) the stage's own name in `$DVC_STAGE` (DVC builds it from exactly those values), so a stage
added later is covered without listing its keys here. Only plain names pass: letters, digits and
`_` (seeds: integers). It imports nothing heavy: it runs before every stage.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xstilts.errors import ParamsError, XstiltsError, cli_errors

PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")
# `<stage>` or `<stage>@<item>`; matrix names join their values with `-`.
STAGE_NAME = re.compile(r"[A-Za-z0-9_]+(@[A-Za-z0-9_-]+)?")
STAGE_ENV = "DVC_STAGE"  # set by DVC for every stage command it runs


def _check_name(value: Any, key: str) -> None:
    if not isinstance(value, str) or not PLAIN_NAME.fullmatch(value):
        raise ParamsError(key, f"{value!r} is not a plain name (letters, digits and _ only): "
                               "it is pasted into shell commands")


def check_interpolated(params: Mapping[str, Any]) -> None:
    """The values dvc.yaml interpolates into stage commands: `intermediate.tasks` items, `seeds`
    items and the keys of `perturb.families`. Missing keys are left to the stages that read them."""
    tasks = params.get("intermediate", {}).get("tasks", []) if isinstance(params.get("intermediate"), Mapping) else []
    for task in tasks if isinstance(tasks, list) else [tasks]:
        _check_name(task, "intermediate.tasks")
    seeds = params.get("seeds", [])
    for seed in seeds if isinstance(seeds, list) else [seeds]:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ParamsError("seeds", f"{seed!r} is not an integer: it is pasted into shell commands")
    perturb = params.get("perturb")
    families = perturb.get("families", {}) if isinstance(perturb, Mapping) else {}
    for family in families if isinstance(families, Mapping) else []:
        _check_name(family, "perturb.families")


def check_stage_name(name: str | None) -> None:
    if name is not None and not STAGE_NAME.fullmatch(name):
        raise XstiltsError(f"{STAGE_ENV}: stage name {name!r} is not plain (letters, digits, _, - after @): "
                           "a params value pasted into its command could run as a shell command")


@cli_errors
def main(argv: list[str] | None = None) -> None:
    from xstilts.params import load_params

    args = sys.argv[1:] if argv is None else argv
    params_path = Path(args[0]) if args else Path("params.yaml")
    check_interpolated(load_params(params_path))
    check_stage_name(os.environ.get(STAGE_ENV))


if __name__ == "__main__":
    main()
