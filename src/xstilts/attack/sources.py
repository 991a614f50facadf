"""Where replacement candidates come from: a registry of sources, name -> Source.

A source has params (a dataclass read from `attack.sources.<name>`), `prepare(params, context)`
building its per-language resource once, and `candidates(params, resource, unit, text, lang, key)`
returning replacement edits for one unit (character spans of the sentence `text`; a Korean particle
after the unit may change with it). Adding a source = writing these and one entry in `SOURCES`;
params, the stage and the tests pick it up. Every source works offline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xstilts.attack.embeddings import NeighbourIndex, same_case
from xstilts.attack.units import CJK, LANG_SCRIPTS, Unit
from xstilts.config import check_subset, require
from xstilts.errors import ParamsError
from xstilts.params import build
from xstilts.schema import LANGUAGES
from xstilts.text.edits import Edit
from xstilts.text.lexicon import Lexicon, lexicon_for, norm
from xstilts.text.pairs import Example, parallel_units
from xstilts.text.replacements import replace_edit
from xstilts.text.scripts import HANGUL, LATIN, Token
from xstilts.text.stream import Stream
from xstilts.text.translations import fit_translation, replaceable
from xstilts.text.typos import CJK_OPS, HANGUL_OPS, LATIN_OPS


@dataclass(frozen=True)
class SourceContext:
    """What sources may build their resources from: never the test split being attacked."""

    lang: str
    validation: Mapping[str, Sequence[Example]]  # parallel validation examples by language
    neighbours: Callable[[], NeighbourIndex]  # the checkpoint's embedding index, built on first use
    seed: int


@dataclass(frozen=True)
class SourceParams:
    def check(self, key: str) -> None:
        """Value checks beyond types; raise ParamsError(f"{key}.<field>", ...)."""


@dataclass(frozen=True)
class Source:
    name: str
    params: type[SourceParams]
    prepare: Callable[[Any, SourceContext], Any]
    candidates: Callable[[Any, Any, Unit, str, str, tuple], list[Edit]]
    description: str


# --- lexicon: the word's translation in a donor language ----------------------------------------


@dataclass(frozen=True)
class LexiconParams(SourceParams):
    """donors: languages to translate into (a language is never its own donor); min_count/min_dice:
    the alignment thresholds of xstilts.text.lexicon (as the code_mixing family)."""

    donors: tuple[str, ...] = ("en", "de")
    min_count: int = 3
    min_dice: float = 0.4

    def check(self, key: str) -> None:
        check_subset(self.donors, LANGUAGES, f"{key}.donors")
        require(self.min_count >= 1, f"{key}.min_count", f"must be >= 1, got {self.min_count}")
        require(0 <= self.min_dice <= 1, f"{key}.min_dice", f"must be in [0, 1], got {self.min_dice}")


def _prepare_lexicons(params: LexiconParams, ctx: SourceContext) -> list[Lexicon]:
    own = ctx.validation.get(ctx.lang, ())
    return [lexicon_for(parallel_units(own, ctx.validation[donor]), ctx.lang, donor, params.min_count, params.min_dice)
            for donor in params.donors if donor != ctx.lang and donor in ctx.validation]


def _lexicon(params: LexiconParams, lexicons: list[Lexicon], unit: Unit, text: str, lang: str, key: tuple) -> list[Edit]:
    token = Token(unit.start, unit.end, unit.text)
    return [Edit(unit.sentence, f"lexicon:{lex.tgt}", unit.start, unit.end, unit.text,
                 fit_translation(text, token, lex.entries[norm(unit.text)]))
            for lex in lexicons if replaceable(token, lang, lex)]


# --- embedding: neighbours among the checkpoint's input word embeddings -------------------------


@dataclass(frozen=True)
class EmbeddingParams(SourceParams):
    """neighbours: candidates per word; min_similarity: cosine floor (input embeddings)."""

    neighbours: int = 8
    min_similarity: float = 0.5

    def check(self, key: str) -> None:
        require(self.neighbours >= 1, f"{key}.neighbours", f"must be >= 1, got {self.neighbours}")
        require(-1 <= self.min_similarity <= 1, f"{key}.min_similarity",
                f"must be in [-1, 1], got {self.min_similarity}")


def _prepare_index(params: EmbeddingParams, ctx: SourceContext) -> NeighbourIndex:
    return ctx.neighbours()


def _embedding(params: EmbeddingParams, index: NeighbourIndex, unit: Unit, text: str, lang: str,
               key: tuple) -> list[Edit]:
    if not unit.scripts or not unit.scripts <= LANG_SCRIPTS.get(lang, frozenset()):
        return []  # e.g. a Latin name inside Japanese text
    out = []
    for word in index.neighbours(unit.text, unit.scripts, params.neighbours, params.min_similarity):
        new = same_case(word, unit.text)
        if unit.scripts == {HANGUL}:  # 강을 -> 하천을, 호수를: the particle follows the new noun
            out.append(replace_edit(text, unit.start, unit.end, new, unit.sentence, "embedding"))
        else:
            out.append(Edit(unit.sentence, "embedding", unit.start, unit.end, unit.text, new))
    return out


# --- char_noise: the typo operations of the char_noise family (xstilts.text.typos) --------------


@dataclass(frozen=True)
class CharNoiseSourceParams(SourceParams):
    """variants: random draws per typo operation (each a candidate)."""

    variants: int = 1

    def check(self, key: str) -> None:
        require(self.variants >= 1, f"{key}.variants", f"must be >= 1, got {self.variants}")


def _no_resource(params: Any, ctx: SourceContext) -> None:
    return None


def _char_noise(params: CharNoiseSourceParams, resource: None, unit: Unit, text: str, lang: str,
                key: tuple) -> list[Edit]:
    token = Token(unit.start, unit.end, unit.text)
    if unit.scripts == {LATIN}:
        ops = LATIN_OPS
    elif unit.scripts == {HANGUL}:
        ops = HANGUL_OPS
    elif unit.scripts and unit.scripts <= CJK:
        ops = CJK_OPS
    else:
        return []
    out = []
    for name, op in ops.items():
        for k in range(params.variants):
            stream = Stream("attack.char_noise", *key, unit.sentence, unit.start, name, k)
            site = token
            if ops is CJK_OPS and name != "swap":  # drop/duplicate one character (as the family)
                i = stream.randrange(len(unit.text))
                site = Token(unit.start + i, unit.start + i + 1, unit.text[i])
            edit = op(site, unit.sentence, lang, stream)
            if edit is not None:
                out.append(Edit(edit.sentence, f"char_noise:{edit.op}", edit.start, edit.end, edit.before, edit.after))
    return out


SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source("lexicon", LexiconParams, _prepare_lexicons, _lexicon,
               "the word's translation into a donor language (validation-split lexicon, as code_mixing)"),
        Source("embedding", EmbeddingParams, _prepare_index, _embedding,
               "nearest same-script neighbours among the checkpoint's input word embeddings"),
        Source("char_noise", CharNoiseSourceParams, _no_resource, _char_noise,
               "typos of the char_noise family (keyboard, swap, drop, insert; CJK and jamo edits)"),
    )
}


def parse_sources(raw: Any, key: str) -> dict[str, SourceParams]:
    """`attack.sources`: a mapping source name -> its params ({} or null for the defaults), in the
    order candidates are tried; each built as its source's params class."""
    if not isinstance(raw, Mapping) or not raw:
        raise ParamsError(key, f"expected a non-empty mapping of candidate sources ({', '.join(SOURCES)}), got {raw!r}")
    out = {}
    for name, params in raw.items():
        if name not in SOURCES:
            raise ParamsError(f"{key}.{name}", f"unknown candidate source (known: {', '.join(SOURCES)})")
        out[name] = build(SOURCES[name].params, params, f"{key}.{name}")
    return out
