"""Reading params.yaml: dotted lookups and typed dataclass sections with one-line errors.

Stages read only the keys their dvc.yaml entry lists, so editing any other key reruns nothing.
Per-task settings: `intermediate.overrides.<task>.{data,train}` is merged over `intermediate.data`
and `intermediate.train` for that task only, so editing it reruns only that task's chain.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from xstilts.errors import ParamsError, XstiltsError
from xstilts.schema import LANGUAGES

T = TypeVar("T")


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise XstiltsError(f"{path}: params file not found") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise XstiltsError(f"{where}: not valid YAML ({getattr(err, 'problem', err)})") from None
    if not isinstance(data, dict):
        raise XstiltsError(f"{path}: expected a mapping at the top level")
    return data


def lookup(params: Mapping[str, Any], key: str) -> Any:
    """params["a"]["b"] for key "a.b"; a missing key is a ParamsError naming it."""
    node: Any = params
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise ParamsError(key, "missing")
        node = node[part]
    return node


def language_list(params: Mapping[str, Any], key: str = "languages") -> list[str]:
    """params `languages`: a non-empty list of distinct PAWS-X language codes."""
    languages = lookup(params, key)
    if not isinstance(languages, list) or not languages:
        raise ParamsError(key, f"expected a non-empty list of language codes, got {languages!r}")
    for lang in languages:
        if lang not in LANGUAGES:
            raise ParamsError(key, f"unknown language {lang!r} (PAWS-X has {', '.join(LANGUAGES)})")
    if len(set(languages)) != len(languages):
        raise ParamsError(key, "lists a language twice")
    return languages


INTERMEDIATE_OVERRIDES = "intermediate.overrides"


def task_overrides_key(task: str, part: str) -> str:
    """The params key of one intermediate task's own settings, e.g. intermediate.overrides.anli.train."""
    return f"{INTERMEDIATE_OVERRIDES}.{task}.{part}"


def mapping_at(params: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """params[key] as a mapping (null = empty); anything else is a ParamsError naming the key."""
    raw = lookup(params, key)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ParamsError(key, f"expected a mapping, got {raw!r}")
    return raw


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `over`'s entries on top; nested mappings merge key by key."""
    merged = dict(base)
    for k, v in over.items():
        merged[k] = deep_merge(merged[k], v) if isinstance(v, Mapping) and isinstance(merged.get(k), Mapping) else v
    return merged


# YAML 1.1 (PyYAML, and DVC's `-S key=value` parser) reads these unquoted words as booleans, and
# `dvc exp run -S` writes params.yaml back without the quotes that kept them strings. A choice
# that is one of these words therefore also accepts the boolean YAML made of it.
_YAML_BOOL_WORDS = {False: ("no", "off", "false", "n"), True: ("yes", "on", "true", "y")}


def _yaml_bool_choice(value: bool, choices: tuple) -> Any:
    """The string choice that YAML turned into `value` (e.g. `no` -> False -> "no"), if any."""
    return next((c for c in choices if isinstance(c, str) and c.lower() in _YAML_BOOL_WORDS[value]), value)


def _check_type(value: Any, tp: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        if isinstance(value, bool):
            value = _yaml_bool_choice(value, typing.get_args(tp))
        if value not in typing.get_args(tp):
            choices = ", ".join(map(str, typing.get_args(tp)))
            raise ParamsError(key, f"{value!r} is not one of {choices}")
        return value
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            try:
                return _check_type(value, arg, key)
            except ParamsError:
                continue
        raise ParamsError(key, f"{value!r} has the wrong type (expected {tp})")
    if tp is type(None):
        if value is not None:
            raise ParamsError(key, f"expected null, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ParamsError(key, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(key, f"expected an integer, got {value!r}")
        return value
    if tp is float:
        # YAML reads 2e-5 as a string (PyYAML follows YAML 1.1): accept numeric strings too.
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ParamsError(key, f"expected a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamsError(key, f"expected a number, got {value!r}")
        if not math.isfinite(value):  # .nan would pass every `<= 0` range check
            raise ParamsError(key, f"expected a finite number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ParamsError(key, f"expected a string, got {value!r}")
        return value
    return value


def section(cls: type[T], params: Mapping[str, Any], key: str, overrides: str | None = None) -> T:
    """Build dataclass `cls` from params[key], with params[overrides] on top where given: unknown keys
    and wrong types are errors naming the key they came from; missing keys take the dataclass
    default. The dataclass may define `check(key)` for range checks."""
    base = mapping_at(params, key)
    over = mapping_at(params, overrides) if overrides else {}
    raw = {**base, **over}

    def where(name: str) -> str:
        return f"{overrides}.{name}" if name in over else f"{key}.{name}"

    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ParamsError(where(unknown[0]), f"unknown key; known keys: {', '.join(fields)}")
    hints = typing.get_type_hints(cls)
    values = {name: _check_type(value, hints[name], where(name)) for name, value in raw.items()}
    obj = cls(**values)
    check = getattr(obj, "check", None)
    if check is not None:
        try:
            check(key)
        except ParamsError as err:
            name = err.key.removeprefix(f"{key}.").split(".")[0]
            if name in over:
                raise ParamsError(where(name) + err.key.removeprefix(f"{key}.{name}"), err.problem) from None
            raise
    return obj
