"""Bilingual word lexicons built offline from parallel sentences (the `code_mixing` family, the
attack's `lexicon` source; `xstilts.text.translations` puts an entry into a sentence).

PAWS-X validation pairs share ids across languages, so example i of language A and example i of
language B are translations. For every word pair (x, y) we count the parallel units (one per
example: both its sentences, see `xstilts.text.pairs.parallel_units`) that contain both and
score them by the Dice coefficient 2·c(x,y) / (c(x) + c(y)); x -> y enters the lexicon when y
is x's best match *and* x is y's best match (mutual best), with c(x,y) >= min_count and
Dice >= min_dice. Words are matched case-insensitively; the translation keeps its most frequent
spelling (German nouns stay capitalised). Pairs of identical words (names, shared loanwords) help
the alignment but are left out of the lexicon: replacing a word by itself changes nothing.

No names: an entry whose English, Spanish or French side is usually capitalised (its most frequent
spelling starts with a capital: a name, since these languages capitalise little else) is left out,
so that a name never maps to another name (a Chinese transliterated name to `Björkman`). German
capitalises every noun, so its side is not judged; the other side of a German entry always is,
for the default donors (English, and German for English). Nor does a word that occurs as it is
in the other language's text of at least `min_count` units (a name both spell alike, `curzon`,
aligned to some other word: `bought`).

Only the validation split is used: never the split being perturbed and evaluated.
`lexicon_for` memoises by a fingerprint of the input; `cached_lexicon` adds an on-disk JSON cache.

    lexicon = lexicon_for(parallel_units(validation["de"], validation["en"]), "de", "en", 5, 0.5)
    lexicon.entries.get("fluss")  # -> "river"
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xstilts.io import write_json
from xstilts.text.scripts import words

VERSION = 2  # bump when the algorithm changes: it is part of the fingerprint


@dataclass(frozen=True)
class Lexicon:
    src: str
    tgt: str
    entries: dict[str, str]  # casefolded source word -> target surface form
    fingerprint: str

    def to_json(self) -> dict[str, Any]:
        return {"src": self.src, "tgt": self.tgt, "fingerprint": self.fingerprint, "entries": self.entries}


# Languages where a capitalised word (other than sentence-initially) is a name.
CAPITALISED_NAMES = frozenset({"en", "es", "fr"})


def norm(word: str) -> str:
    return word.casefold()


def _spelling(counts: Counter[str]) -> str:
    """The most frequent spelling (ties: the alphabetically first)."""
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def name_like(spellings: Counter[str], lang: str) -> bool:
    """A word of `lang` that is usually written with a capital: a name (en, es, fr only)."""
    return lang in CAPITALISED_NAMES and _spelling(spellings)[:1].isupper()


def _bags(
    pairs: Sequence[tuple[str, str]], src: str, tgt: str
) -> tuple[list[set[str]], list[set[str]], dict[str, Counter[str]], dict[str, Counter[str]]]:
    src_bags, tgt_bags = [], []
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    src_spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for s, t in pairs:
        src_words = words(s, src)
        src_bags.append({norm(w.text) for w in src_words})
        for w in src_words:
            src_spellings[norm(w.text)][w.text] += 1
        tgt_words = words(t, tgt)
        tgt_bags.append({norm(w.text) for w in tgt_words})
        for w in tgt_words:
            spellings[norm(w.text)][w.text] += 1
    return src_bags, tgt_bags, spellings, src_spellings


def _best(scores: dict[tuple[str, str], tuple[float, int]], side: int) -> dict[str, tuple[str, float, int]]:
    """For each word on `side` (0 = source, 1 = target): its best partner, Dice, count."""
    best: dict[str, tuple[str, float, int]] = {}
    for pair, (dice, joint) in scores.items():
        word, other = pair[side], pair[1 - side]
        current = best.get(word)
        # Ties go to the alphabetically first partner so the lexicon does not depend on order.
        if current is None or (dice, joint, _neg(other)) > (current[1], current[2], _neg(current[0])):
            best[word] = (other, dice, joint)
    return best


def _neg(word: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in word)


def build_lexicon(
    pairs: Iterable[tuple[str, str]], src: str, tgt: str, min_count: int = 2, min_dice: float = 0.3
) -> dict[str, str]:
    """source word (casefolded) -> target word, from (source sentence, target sentence) pairs."""
    pairs = list(pairs)
    src_bags, tgt_bags, spellings, src_spellings = _bags(pairs, src, tgt)
    src_df = Counter(w for bag in src_bags for w in bag)
    tgt_df = Counter(w for bag in tgt_bags for w in bag)
    joint: Counter[tuple[str, str]] = Counter()
    for xs, ys in zip(src_bags, tgt_bags, strict=True):
        xs_kept = [x for x in xs if src_df[x] >= min_count]  # rare words cannot reach min_count
        ys_kept = [y for y in ys if tgt_df[y] >= min_count]
        joint.update((x, y) for x in xs_kept for y in ys_kept)
    scores = {(x, y): (2 * n / (src_df[x] + tgt_df[y]), n) for (x, y), n in joint.items() if n >= min_count}
    best_src, best_tgt = _best(scores, 0), _best(scores, 1)
    lexicon = {}
    for x, (y, dice, _) in best_src.items():
        if dice >= min_dice and best_tgt[y][0] == x and x != y:
            if name_like(src_spellings[x], src) or name_like(spellings[y], tgt):
                continue  # a name (or a name's translation): never code-mixed
            if tgt_df[x] >= min_count or src_df[y] >= min_count:
                continue  # the word occurs in the other language as it is: a name or a shared word
            lexicon[x] = _spelling(spellings[y])
    return dict(sorted(lexicon.items()))


def fingerprint(pairs: Sequence[tuple[str, str]], src: str, tgt: str, min_count: int, min_dice: float) -> str:
    h = hashlib.sha256(json.dumps([VERSION, src, tgt, min_count, min_dice], ensure_ascii=False).encode())
    for s, t in pairs:
        h.update(s.encode() + b"\x1f" + t.encode() + b"\x1e")
    return h.hexdigest()[:16]


_MEMO: dict[str, Lexicon] = {}


def lexicon_for(
    pairs: Sequence[tuple[str, str]], src: str, tgt: str, min_count: int = 2, min_dice: float = 0.3
) -> Lexicon:
    """build_lexicon, memoised in this process by a fingerprint of its inputs."""
    key = fingerprint(pairs, src, tgt, min_count, min_dice)
    if key not in _MEMO:
        _MEMO[key] = Lexicon(src, tgt, build_lexicon(pairs, src, tgt, min_count, min_dice), key)
    return _MEMO[key]


def cached_lexicon(
    cache_dir: Path, pairs: Sequence[tuple[str, str]], src: str, tgt: str, min_count: int = 2, min_dice: float = 0.3
) -> Lexicon:
    """lexicon_for with an on-disk cache `<cache_dir>/<src>-<tgt>-<fingerprint>.json`."""
    key = fingerprint(pairs, src, tgt, min_count, min_dice)
    path = Path(cache_dir) / f"{src}-{tgt}-{key}.json"
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        return Lexicon(data["src"], data["tgt"], data["entries"], data["fingerprint"])
    lexicon = lexicon_for(pairs, src, tgt, min_count, min_dice)
    write_json(path, lexicon.to_json())
    return lexicon
