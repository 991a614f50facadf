"""`char_noise`: script-aware typos (label-preserving).

* Latin words: keyboard-neighbour substitution (QWERTZ for de, AZERTY for fr, QWERTY otherwise),
  adjacent swap, drop, insert of a neighbouring key. Words of three letters or more are preferred.
* Han and kana characters: drop, duplicate, adjacent swap.
* Hangul words: syllable-level edits: a jamo replaced by its Dubeolsik keyboard neighbour (the
  syllable is recomposed), adjacent-syllable swap, syllable drop.

The script is decided per word, so Latin names inside Japanese text get Latin typos. `rate` is the
share of units edited: a Latin or Hangul word, or two Han/kana characters (about one word). Every
eligible sentence gets at least one edit; no edit splits a base letter from its combining marks or
can empty a sentence (drops need a word of two characters or more). The operations themselves are
`xstilts.text.typos` (shared with the attack's `char_noise` source); this module picks the sites.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xstilts.config import check_choice, check_rate, check_subset, require
from xstilts.perturb.base import (
    SENTENCE_CHOICES,
    BaseParams,
    n_edits,
    sentences_to_edit,
)
from xstilts.perturb.family import Family
from xstilts.schema import PRESERVING
from xstilts.text.edits import Edit, overlaps
from xstilts.text.pairs import Example
from xstilts.text.scripts import HAN, HANGUL, KANA, LATIN, Token, clusters, latin_words, script_of, script_runs
from xstilts.text.stream import Stream
from xstilts.text.typos import CJK_OPS, HANGUL_OPS, LATIN_OPS, Op


@dataclass(frozen=True)
class CharNoiseParams(BaseParams):
    """rate: share of units (word; 2 Han/kana chars) with one typo; sentence: both/first/second/either."""

    rate: float = 0.1
    sentence: str = "both"
    latin_ops: tuple[str, ...] = tuple(LATIN_OPS)
    cjk_ops: tuple[str, ...] = tuple(CJK_OPS)
    hangul_ops: tuple[str, ...] = tuple(HANGUL_OPS)

    def check(self, key: str) -> None:
        check_rate(self.rate, f"{key}.rate")
        require(self.rate > 0, f"{key}.rate", "must be > 0")
        check_choice(self.sentence, SENTENCE_CHOICES, f"{key}.sentence")
        check_subset(self.latin_ops, tuple(LATIN_OPS), f"{key}.latin_ops")
        check_subset(self.cjk_ops, tuple(CJK_OPS), f"{key}.cjk_ops")
        check_subset(self.hangul_ops, tuple(HANGUL_OPS), f"{key}.hangul_ops")


@dataclass(frozen=True)
class Site:
    """A place a typo can go: a word (Latin, Hangul) or one character of a Han/kana run."""

    token: Token  # the word, or for Han/kana the character and the next one in its run
    script: str
    ops: dict[str, Op]


def _sites(text: str, params: CharNoiseParams) -> tuple[list[Site], int]:
    """Candidate sites and the number of word-equivalent units in `text`."""
    long_words: list[Site] = []
    short_words: list[Site] = []
    others: list[Site] = []
    units = 0
    for run in (r for w in latin_words(text) for r in script_runs(w)):
        script = script_of(run.text[0])
        if script == LATIN:
            site = Site(run, LATIN, {k: LATIN_OPS[k] for k in params.latin_ops})
            (long_words if len(clusters(run.text)) >= 3 else short_words).append(site)
            units += 1
        elif script == HANGUL:
            others.append(Site(run, HANGUL, {k: HANGUL_OPS[k] for k in params.hangul_ops}))
            units += 1
        elif script in (HAN, KANA):
            ops = {k: CJK_OPS[k] for k in params.cjk_ops}
            if len(run.text) < 2:  # a lone character is never dropped
                ops.pop("drop", None)
            for i in range(len(run.text)):
                window = Token(run.start + i, run.start + min(i + 2, len(run.text)), run.text[i : i + 2])
                others.append(Site(window, script, ops))
            units += math.ceil(len(run.text) / 2)
    return (long_words + others) or short_words, units


def _typos(text: str, sent: int, lang: str, params: CharNoiseParams, stream: Stream) -> list[Edit] | None:
    """Edits for one sentence, or None when it has nothing to put a typo in."""
    sites, units = _sites(text, params)
    if not sites:
        return None
    want = n_edits(params.rate, units)
    edits: list[Edit] = []
    taken: list[tuple[int, int]] = []
    for site in stream.shuffled(sites):
        if len(edits) == want:
            break
        for name in stream.shuffled(sorted(site.ops)):
            token = site.token
            if site.script in (HAN, KANA) and name != "swap":  # drop/duplicate the first char only
                token = Token(token.start, token.start + 1, token.text[0])
            edit = site.ops[name](token, sent, lang, stream)
            if edit and not overlaps(edit.start, edit.end, taken, margin=1):
                edits.append(edit)
                taken.append((edit.start, edit.end))
                break
    return edits


def apply(params: CharNoiseParams, example: Example, resources: None, stream: Stream) -> list[Edit] | None:
    edits: list[Edit] = []
    eligible = False
    for sent in sentences_to_edit(params.sentence, stream):
        found = _typos(example.sentence(sent), sent, example.lang, params, stream)
        if found is None:
            continue
        eligible = True
        edits += found
        if params.sentence == "either" and found:
            break
    return edits if eligible else None


FAMILY = Family(
    name="char_noise",
    effect=PRESERVING,
    params=CharNoiseParams,
    apply=apply,
    description="script-aware typos: keyboard neighbours, swaps, drops, inserts; CJK and Hangul edits",
)
