"""Reading params.yaml: the one place params are checked.

    from xstilts.params import read_params
    p = read_params("params.yaml", ["languages", "eval"])   # the keys the stage's dvc.yaml entry lists
    p.languages, p.eval.batch_size

`build(type, value, key)` turns a YAML value into the type `xstilts.config` declares for its key:
dataclasses (unknown keys rejected with the list of known ones, missing keys take the default,
then the class's `check(key)` for ranges), lists, tuples, `dict[str, X]`, Literal choices, numbers,
strings and booleans. Every error is a ParamsError naming the key: `params.yaml: <key>: <problem>`.
Perturbation families and attack sources build their own params classes with it too.

A stage reads only the keys its dvc.yaml entry lists, so an invalid value elsewhere does not fail
it and editing any other key reruns nothing: `read_params` checks those keys and leaves every other
key of the returned `Params` at its default. Per-task settings: `intermediate.overrides.<task>` is
merged over `intermediate.data` / `intermediate.train` for that task only
(`IntermediateConfig.data_for` / `train_for`).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from xstilts.config import Params, Partial
from xstilts.errors import ParamsError, XstiltsError

T = TypeVar("T")


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    """The YAML of a params file as it is, nothing checked."""
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


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `over`'s entries on top; nested mappings merge key by key."""
    merged = dict(base)
    for k, v in over.items():
        merged[k] = deep_merge(merged[k], v) if isinstance(v, Mapping) and isinstance(merged.get(k), Mapping) else v
    return merged


# --- reading a stage's keys -----------------------------------------------------------------------


def read_params(source: str | Path | Mapping[str, Any], keys: Iterable[str]) -> Params:
    """`Params` with `keys` read from `source` (a params file, or its YAML as a mapping) and checked,
    in order; every other key keeps its default, unread."""
    raw = source if isinstance(source, Mapping) else load_params(source)
    root = Params()
    for key in keys:
        root = _put(root, Params, key.split("."), read(raw, key))
    return root


def read(params: Mapping[str, Any], key: str) -> Any:
    """The value at `key` (e.g. "target.train" or "target.train.max_length"), typed and checked; a
    single field is range-checked by its dataclass's `check` too. "" is the whole tree."""
    if not key:
        return build(Params, params, "")
    tp, parent = _type_at(key)
    if parent is None:  # an entry of a mapping: a family's or a task's own params
        return build(tp, lookup(params, key), key)
    value = _field(parent, key.rpartition(".")[2], lookup(params, key), key)
    if hasattr(parent, "check"):
        _check_one_field(parent, key, value)
    return value


def _type_at(key: str) -> tuple[Any, type | None]:
    """The declared type at `key` and, where `key` is a dataclass field, that dataclass."""
    tp: Any = Params
    parent = None
    for part in key.split("."):
        hints = typing.get_type_hints(tp) if dataclasses.is_dataclass(tp) else {}
        if part in hints:
            tp, parent = hints[part], tp
        elif typing.get_origin(tp) in (dict, Mapping):
            tp, parent = typing.get_args(tp)[1], None
        else:
            # A key built from a command-line value (a task name with a dot, say): one line, no traceback.
            raise XstiltsError(f"{key}: not a params key ({part!r} is not a key there; see xstilts.config.Params)")
    return tp, parent


def _check_one_field(cls: type, key: str, value: Any) -> None:
    """Run `cls.check` with only this field set (the others at their valid defaults) and raise what it
    says about this field."""
    parent_key, _, name = key.rpartition(".")
    try:
        cls(**{name: value}).check(parent_key)
    except ParamsError as err:
        if err.key == key or err.key.startswith(f"{key}."):
            raise


def _put(node: Any, tp: Any, parts: list[str], value: Any) -> Any:
    """`node` (of type `tp`) with `value` at the path `parts`."""
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if dataclasses.is_dataclass(tp):
        child_tp = typing.get_type_hints(tp)[head]
        return dataclasses.replace(node, **{head: _put(getattr(node, head), child_tp, rest, value)})
    child_tp = typing.get_args(tp)[1]
    child = node[head] if head in node else (child_tp() if dataclasses.is_dataclass(child_tp) else {})
    return {**node, head: _put(child, child_tp, rest, value)}


# --- the builder ----------------------------------------------------------------------------------


def build(tp: Any, value: Any, key: str) -> Any:
    """`value` (from YAML) as type `tp`, or a ParamsError naming `key`."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        obj = tp(**_fields(tp, value, key))
        _check(obj, key)
        return obj
    if origin is Partial:
        (cls,) = typing.get_args(tp)
        values = _fields(cls, value, key)
        _check(cls(**values), key)
        return values
    if origin is typing.Literal:
        return _choice(value, typing.get_args(tp), key)
    if origin in (typing.Union, types.UnionType):
        return _union(value, tp, key)
    if origin in (list, tuple):
        if isinstance(value, (str, Mapping)) or not isinstance(value, (list, tuple)):
            raise ParamsError(key, f"expected a list, got {value!r}")
        (item,) = {a for a in typing.get_args(tp) if a is not Ellipsis}
        return origin(build(item, v, key) for v in value)
    if origin in (dict, Mapping):
        _, item = typing.get_args(tp)
        return {k: build(item, v, _join(key, k)) for k, v in _mapping(value, key).items()}
    if tp is Any:
        return value
    return _scalar(value, tp, key)


def _join(key: str, name: object) -> str:
    return f"{key}.{name}" if key else str(name)


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    """A mapping with string keys; null is the empty mapping (every default)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ParamsError(key, f"expected a mapping, got {value!r}")
    for k in value:
        if not isinstance(k, str):
            raise ParamsError(_join(key, k), "expected a name (a string key)")
    return value


def _fields(cls: type, value: Any, key: str) -> dict[str, Any]:
    """The typed values of the keys `value` sets; an unknown key is an error listing the known ones."""
    raw = _mapping(value, key)
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ParamsError(_join(key, unknown[0]), f"unknown key; known keys: {', '.join(known)}")
    return {name: _field(cls, name, v, _join(key, name)) for name, v in raw.items()}


def _field(cls: type, name: str, value: Any, key: str) -> Any:
    """Field `name` of dataclass `cls` from `value`; a wrong type is described as the field's
    metadata "expected" says, where it says (`xstilts.config.expects`)."""
    try:
        return build(typing.get_type_hints(cls)[name], value, key)
    except ParamsError as err:
        expected = next(f for f in dataclasses.fields(cls) if f.name == name).metadata.get("expected")
        if expected is None or err.key != key:
            raise
        raise ParamsError(key, f"expected {expected}, got {value!r}") from None


def _check(obj: Any, key: str) -> None:
    check = getattr(obj, "check", None)
    if check is not None:
        check(key)


# YAML 1.1 (PyYAML, and DVC's `-S key=value` parser) reads these unquoted words as booleans, and
# `dvc exp run -S` writes params.yaml back without the quotes that kept them strings. A choice
# that is one of these words therefore also accepts the boolean YAML made of it.
_YAML_BOOL_WORDS = {False: ("no", "off", "false", "n"), True: ("yes", "on", "true", "y")}


def _choice(value: Any, choices: tuple, key: str) -> Any:
    if isinstance(value, bool):  # e.g. `no` -> False -> "no"
        value = next((c for c in choices if isinstance(c, str) and c.lower() in _YAML_BOOL_WORDS[value]), value)
    if value not in choices:
        raise ParamsError(key, f"{value!r} is not one of {', '.join(map(str, choices))}")
    return value


def _union(value: Any, tp: Any, key: str) -> Any:
    for arg in typing.get_args(tp):
        try:
            return build(arg, value, key)
        except ParamsError:
            continue
    raise ParamsError(key, f"{value!r} has the wrong type (expected {tp})")


def _scalar(value: Any, tp: type, key: str) -> Any:
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
    raise TypeError(f"{key}: unsupported params type {tp!r}")
