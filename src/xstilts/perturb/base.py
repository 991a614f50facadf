"""Helpers every perturbation family shares: markers, sentence choice, edit counts, family params.

The text toolkit (`xstilts.text`) holds what families change text with: `Edit`s and `apply_edits`
(`xstilts.text.edits`) and the per-example random stream `Stream` (`xstilts.text.stream`), keyed on
(family, seed, lang, id) by the pipeline. This module holds what only families need: which sentence
to edit, how many units a rate means, and the params every family has (`BaseParams`, parsed and
checked from params.yaml).

    params = parse_params(CharNoiseParams, {"rate": 0.1}, "perturb.families.char_noise")
    n_edits(params.rate, 12)  # -> 1
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from xstilts.errors import ParamsError
from xstilts.text.stream import Stream

# Sentences that are markers, not text: untranslated (`NS`, `ns`) or unknown (`WL`, `WORA`) rows
# of PAWS-X. They are never perturbed and make the example not eligible.
SENTENCE_CHOICES = ("both", "first", "second", "either")


def n_edits(rate: float, units: int) -> int:
    """How many units to edit: `rate` of them, rounded, and at least one when there is any."""
    if units <= 0:
        return 0
    return max(1, min(units, round(rate * units)))


def sentences_to_edit(choice: str, stream: Stream) -> tuple[int, ...]:
    """Sentence numbers in the order to try, for a `sentence` param value (see SENTENCE_CHOICES)."""
    if choice == "first":
        return (1,)
    if choice == "second":
        return (2,)
    if choice == "both":
        return (1, 2)
    first = 1 + stream.randrange(2)  # "either": one sentence, the other as a fallback
    return (first, 3 - first)


# --- params -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseParams:
    """Params every family has. `seed` keys the per-example random stream."""

    seed: int = 0

    def check(self, key: str) -> None:
        """Value checks beyond types; raise ParamsError(f"{key}.<field>", ...)."""


P = TypeVar("P", bound=BaseParams)


def _coerce(value: Any, hint: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    if origin is tuple:
        (item,) = {a for a in typing.get_args(hint) if a is not Ellipsis}
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise ParamsError(key, f"expected a list, got {value!r}")
        return tuple(_coerce(v, item, key) for v in value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ParamsError(key, f"expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(key, f"expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamsError(key, f"expected a number, got {value!r}")
        if not math.isfinite(value):  # NaN fails every comparison: a check like `if x < 0: raise` lets it through
            raise ParamsError(key, f"expected a finite number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ParamsError(key, f"expected a string, got {value!r}")
        return value
    raise TypeError(f"unsupported params type {hint!r}")


def parse_params(cls: type[P], raw: Mapping[str, Any] | None, key: str) -> P:
    """Build a frozen params dataclass from a dict; unknown keys and bad values raise ParamsError.

    `key` is the params.yaml path of the dict, e.g. `perturb.families.char_noise`.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ParamsError(key, f"expected a mapping of params, got {raw!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - fields)
    if unknown:
        raise ParamsError(f"{key}.{unknown[0]}", f"unknown param (known: {', '.join(sorted(fields))})")
    values = {name: _coerce(value, hints[name], f"{key}.{name}") for name, value in raw.items()}
    params = cls(**values)
    params.check(key)
    return params


def params_dict(params: BaseParams) -> dict[str, Any]:
    """Params as plain JSON values (tuples become lists), in field order."""
    return {
        f.name: list(v) if isinstance(v := getattr(params, f.name), tuple) else v for f in dataclasses.fields(params)
    }


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
