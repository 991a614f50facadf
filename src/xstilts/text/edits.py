"""Edits: a character span of a sentence and its replacement, and building the edited sentence.

Whoever changes text (a perturbation family, the attack) never writes it directly: it returns
`Edit`s (spans of the NFC-normalised original sentence) and `apply_edits` builds the new sentence.
So the edits recorded next to every changed sentence are, by construction, exactly what changed.

    edit = Edit(sentence=1, op="keyboard", start=4, end=5, before="q", after="w")
    apply_edits("the quick fox", [edit])  # -> "the wuick fox"
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Edit:
    """Replace `before` (= original[start:end]) with `after` in sentence 1 or 2."""

    sentence: int
    op: str
    start: int
    end: int
    before: str
    after: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentence": self.sentence,
            "op": self.op,
            "start": self.start,
            "end": self.end,
            "before": self.before,
            "after": self.after,
        }


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits (offsets into `text`); overlapping edits are a caller's bug."""
    out: list[str] = []
    pos = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos or text[edit.start : edit.end] != edit.before:
            raise AssertionError(f"bad edit {edit} for {text!r}")
        out.append(text[pos : edit.start])
        out.append(edit.after)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def overlaps(start: int, end: int, taken: Sequence[tuple[int, int]], margin: int = 0) -> bool:
    """True when [start, end) comes within `margin` characters of a taken span."""
    return any(start < e + margin and s < end + margin for s, e in taken)
