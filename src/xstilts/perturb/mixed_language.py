"""`mixed_language`: one sentence of the pair in the language, the other in a partner language
(label-preserving), built from the parallel ids of the perturbed split.

`direction`: `lang-partner` (sentence 1 in the language, sentence 2 in the partner),
`partner-lang` (the reverse) or `random` (one of the two per example, from its random stream).
The partner is `partner` (English by default). English itself is paired with `fallback_partner`
(German by default), so en is attacked too rather than marked not eligible.
Not eligible: the partner row is missing, is an untranslated marker, or has another label.
"""

from __future__ import annotations

from dataclasses import dataclass

from xstilts.config import check_choice, require
from xstilts.perturb.base import BaseParams
from xstilts.perturb.family import Corpus, Family
from xstilts.schema import LANGUAGES, PRESERVING
from xstilts.text.edits import Edit
from xstilts.text.pairs import Example, is_marker
from xstilts.text.stream import Stream

DIRECTIONS = ("lang-partner", "partner-lang", "random")


@dataclass(frozen=True)
class MixedLanguageParams(BaseParams):
    """direction: which sentence is in the partner language; partner/fallback_partner: see above."""

    direction: str = "random"
    partner: str = "en"
    fallback_partner: str = "de"

    def check(self, key: str) -> None:
        check_choice(self.direction, DIRECTIONS, f"{key}.direction")
        check_choice(self.partner, LANGUAGES, f"{key}.partner")
        check_choice(self.fallback_partner, LANGUAGES, f"{key}.fallback_partner")
        require(self.fallback_partner != self.partner, f"{key}.fallback_partner", "must differ from partner")


def partner_for(params: MixedLanguageParams, lang: str) -> str:
    return params.fallback_partner if lang == params.partner else params.partner


def prepare(params: MixedLanguageParams, lang: str, corpus: Corpus) -> dict[str, Example]:
    return corpus.parallel(partner_for(params, lang))


def apply(
    params: MixedLanguageParams, example: Example, partners: dict[str, Example], stream: Stream
) -> list[Edit] | None:
    other = partners.get(example.id)
    if other is None or other.label != example.label or is_marker(other.sentence1) or is_marker(other.sentence2):
        return None
    direction = params.direction if params.direction != "random" else DIRECTIONS[stream.randrange(2)]
    sent = 2 if direction == "lang-partner" else 1
    before, after = example.sentence(sent), other.sentence(sent)
    return [Edit(sent, "translate_sentence", 0, len(before), before, after)]


FAMILY = Family(
    name="mixed_language",
    effect=PRESERVING,
    params=MixedLanguageParams,
    apply=apply,
    prepare=prepare,
    needs_languages=lambda params, lang: (partner_for(params, lang),),
    summary=lambda partners: {"partner_rows": len(partners)},
    description="one sentence in the language, the other in English (German for en)",
)
