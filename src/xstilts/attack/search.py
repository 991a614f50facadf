"""The greedy, query-bounded attack on one pair, as a generator of model queries.

`attack_pair` yields `Request`s (pairs to score) and receives their class probabilities; it never
calls the model, so the driver (`xstilts.attack.run`) can batch the requests of many pairs into
one forward pass and count what it really scored. The `Budget` is charged *before* a request
leaves, and a request never asks for more than what is left: the budget holds by construction,
and the driver checks it again against the forwards it ran.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

import numpy as np

from xstilts.attack.metrics import FAILED, SKIPPED, SUCCESSFUL
from xstilts.attack.units import Span, Unit, max_edits
from xstilts.text.edits import Edit, apply_edits, overlaps
from xstilts.text.pairs import Example
from xstilts.text.scripts import is_blank
from xstilts.text.stream import Stream

IMPORTANCE = ("delete", "mask")


class BudgetExceeded(AssertionError):
    """A bug: the attack asked for more forwards than its budget allows."""


@dataclass
class Budget:
    limit: int
    used: int = 0

    @property
    def left(self) -> int:
        return self.limit - self.used

    def spend(self, n: int) -> None:
        if n > self.left:
            raise BudgetExceeded(f"{n} queries asked with {self.left} of {self.limit} left")
        self.used += n


@dataclass(frozen=True)
class Request:
    pairs: list[tuple[str, str]]
    alone: bool = False  # score without padding (batched with pairs of the same length only)


@dataclass(frozen=True)
class SearchConfig:
    query_budget: int
    max_edit_share: float
    max_candidates: int
    importance: str = "delete"
    seed: int = 13
    mask_token: str = "<mask>"


@dataclass
class Outcome:
    status: str
    queries: int
    units: int
    original_probabilities: list[float]
    new_probabilities: list[float]
    edits: list[Edit] = field(default_factory=list)
    adversarial: tuple[str, str] | None = None


Candidates = Callable[[Unit, str], list[Edit]]
Attack = Generator[Request, np.ndarray, Outcome]


def removal(unit: Unit, text: str, how: str, mask_token: str) -> Edit:
    """The unit deleted (with one space next to it, so no double space is left) or masked."""
    if how == "mask":
        return Edit(unit.sentence, "mask", unit.start, unit.end, unit.text, mask_token)
    start, end = unit.start, unit.end
    if end < len(text) and text[end] == " ":
        end += 1
    elif start > 0 and text[start - 1] == " ":
        start -= 1
    return Edit(unit.sentence, "delete", start, end, text[start:end], "")


def admissible(edit: Edit, unit: Unit, protected: dict[int, list[Span]], taken: Sequence[Edit]) -> bool:
    """The constraints every candidate meets: it changes something, does not delete the word (a
    typo may drop a letter, never the unit), touches no protected span and no span already edited."""
    deletes_unit = not edit.after.strip() and edit.start <= unit.start and edit.end >= unit.end
    return (edit.after != edit.before and not deletes_unit
            and not overlaps(edit.start, edit.end, protected[edit.sentence])
            and not overlaps(edit.start, edit.end, [(e.start, e.end) for e in taken if e.sentence == edit.sentence]))


def _rounded(p: np.ndarray) -> list[float]:
    return [round(float(x), 6) for x in p]


def attack_pair(target: Example, units: Sequence[Unit], protected: dict[int, list[Span]], candidates: Candidates,
                cfg: SearchConfig) -> Attack:
    """TextFooler's greedy search under a strict query budget (see the package docstring)."""
    budget = Budget(cfg.query_budget)

    def pair(edits: Sequence[Edit]) -> tuple[str, str]:
        s1, s2 = (apply_edits(target.sentence(n), [e for e in edits if e.sentence == n]) for n in (1, 2))
        return s1, s2

    def ask(pairs: list[tuple[str, str]], alone: bool = False) -> Request:
        budget.spend(len(pairs))
        return Request(pairs, alone)

    y = target.label
    p0 = (yield ask([(target.sentence1, target.sentence2)]))[0]

    def outcome(status: str, probs: np.ndarray = p0, edits: Sequence[Edit] = (),
                adversarial: tuple[str, str] | None = None) -> Outcome:
        return Outcome(status, budget.used, len(units), _rounded(p0), _rounded(probs), list(edits), adversarial)

    if int(p0.argmax()) != y:
        return outcome(SKIPPED)
    editable = [u for u in units if u.editable]
    allowed = max_edits(units, cfg.max_edit_share)
    if not editable or allowed == 0 or budget.left < 2:
        return outcome(FAILED)

    # Importance: at most half of what is left; the others follow in a seeded order.
    order = Stream("attack.order", cfg.seed, target.lang, target.id).shuffled(editable)
    n_scored = min(len(order), (budget.left - 1) // 2)
    scored = sorted(order[:n_scored], key=lambda u: (u.sentence, u.start))
    ranked: list[Unit] = []
    if scored:
        probs = yield ask([pair([removal(u, target.sentence(u.sentence), cfg.importance, cfg.mask_token)]) for u in scored])
        drop = p0[y] - probs[:, y]
        ranked = [scored[i] for i in sorted(range(len(scored)), key=lambda i: -drop[i])]  # stable: ties by position
    ranked += order[n_scored:]

    edits: list[Edit] = []
    current = p0[y]
    for unit in ranked:
        if len(edits) >= allowed or budget.left < 2:  # one query stays for confirming a flip
            break
        found: list[Edit] = []
        seen: set[tuple] = set()
        for edit in candidates(unit, target.sentence(unit.sentence)):
            if admissible(edit, unit, protected, edits) and (edit.start, edit.end, edit.after) not in seen:
                seen.add((edit.start, edit.end, edit.after))
                found.append(edit)
        found = found[: min(cfg.max_candidates, budget.left - 1)]
        if not found:
            continue
        pairs = [pair([*edits, e]) for e in found]
        if any(is_blank(s) for p in pairs for s in p):
            keep = [i for i, p in enumerate(pairs) if not any(is_blank(s) for s in p)]
            found, pairs = [found[i] for i in keep], [pairs[i] for i in keep]
            if not found:
                continue
        probs = np.array((yield ask(pairs)), dtype=np.float64)
        flipped = [i for i in range(len(found)) if int(probs[i].argmax()) != y]
        if flipped:
            best = min(flipped, key=lambda i: probs[i, y])
            alone = (yield ask([pairs[best]], alone=True))[0]
            if int(alone.argmax()) != y:
                return outcome(SUCCESSFUL, alone, [*edits, found[best]], pairs[best])
            probs[best] = alone  # the flip did not hold on its own: its unpadded score stands
        best = int(np.argmin(probs[:, y]))
        if probs[best, y] < current:
            edits.append(found[best])
            current = probs[best, y]
    return outcome(FAILED)
