"""Helpers every perturbation family shares: sentence choice, edit counts, family params.

The text toolkit (`xstilts.text`) holds what families change text with: `Edit`s and `apply_edits`
(`xstilts.text.edits`) and the per-example random stream `Stream` (`xstilts.text.stream`), keyed on
(family, seed, lang, id) by the pipeline. This module holds what only families need: which sentence
to edit, how many units a rate means, and the params every family has (`BaseParams`, built and
checked from params.yaml by `xstilts.params.build`, with each family's `check` for ranges, written
with `xstilts.config`'s `require`/`check_*`).

    params = build(CharNoiseParams, {"rate": 0.1}, "perturb.families.char_noise")
    n_edits(params.rate, 12)  # -> 1
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from xstilts.text.stream import Stream

# Which sentence(s) of a pair a family edits (markers, `xstilts.text.pairs.is_marker`, never).
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
    """Params every family has. `seed` keys the per-example random stream. A family's params class
    is built from `perturb.families.<name>` by `xstilts.params.build` (types and unknown keys), then
    its `check` (ranges)."""

    seed: int = 0

    def check(self, key: str) -> None:
        """Value checks beyond types; raise ParamsError(f"{key}.<field>", ...)."""


def params_dict(params: BaseParams) -> dict[str, Any]:
    """Params as plain JSON values (tuples become lists), in field order."""
    return {
        f.name: list(v) if isinstance(v := getattr(params, f.name), tuple) else v for f in dataclasses.fields(params)
    }
