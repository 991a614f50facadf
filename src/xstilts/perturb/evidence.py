"""Which name-like spans are names: evidence from the parallel PAWS-X test sets.

There is no NER model offline, and capitalisation alone is a poor cue (German capitalises every
noun: `Lernwerkzeug`, `Handelsregister`; English titles capitalise common words: the `Common` of
`Common Pleas`). PAWS-X is parallel, though: the test item with the same id exists in every
language, and a name is (nearly always) copied verbatim by the translators while a common noun is
translated. So a Latin-script name of a German, Spanish, French, Japanese, Korean or Chinese sentence
is *verified* when it occurs verbatim (case-sensitive, as a whole word, not only as the first word)
in the English version of the same item, and an English name when it occurs in the German, Spanish
or French version.

Names in other scripts (katakana, Hangul, Han) are transliterated or translated, never copied, so
no such evidence exists for them: they are never verified, and the families that need names
(`entity_number`, `contrast`) act on numbers and verified Latin-script names only in those scripts.
Where the evidence language was not loaded, nothing is verified (numbers only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from xstilts.perturb.family import Corpus
from xstilts.text.pairs import is_marker
from xstilts.text.entities import NAME, Mention, occurrences
from xstilts.text.scripts import LATIN, script_of

OPENING = " \t\"'„“”«»‚‘’([{¿¡"


def evidence_languages(lang: str) -> tuple[str, ...]:
    """The parallel languages whose version of an item can verify a name of `lang`."""
    return ("de", "es", "fr") if lang == "en" else ("en",)


@dataclass(frozen=True)
class NameEvidence:
    """Per item id, the sentences of its parallel versions in the evidence languages."""

    texts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def for_id(self, item_id: str) -> tuple[str, ...]:
        return self.texts.get(item_id, ())


def prepare_evidence(lang: str, corpus: Corpus) -> NameEvidence:
    """The evidence for `lang`'s items from the loaded test rows of its evidence languages."""
    texts: dict[str, list[str]] = {}
    for other in evidence_languages(lang):
        for ex in corpus.test.get(other, ()):
            kept = [s for s in (ex.sentence1, ex.sentence2) if not is_marker(s)]
            texts.setdefault(ex.id, []).extend(kept)
    return NameEvidence({k: tuple(v) for k, v in texts.items()})


def _not_initial(text: str, start: int) -> bool:
    return text[:start].strip(OPENING) != ""


def attested(surface: str, texts: Sequence[str]) -> bool:
    """`surface` occurs as a whole word in one of `texts`, somewhere other than at its start (a
    sentence-initial capital is no evidence of a name)."""
    return any(_not_initial(t, a) for t in texts for a, _ in occurrences(t, surface))


def verified_names(text: str, found: Sequence[Mention], texts: Sequence[str]) -> list[Mention]:
    """The name mentions of `found` that the parallel `texts` attest, numbers unchanged.

    A multi-word Latin name (`Kane County`, `Rivière Tabaci`) is split into its longest attested
    runs of words: `Kane County` stays whole when English has it, `Rivière Tabaci` keeps `Tabaci`.
    Names in other scripts are dropped (no verbatim evidence can exist for them).
    """
    out: list[Mention] = []
    for m in found:
        if m.kind != NAME:
            out.append(m)
            continue
        if not texts or script_of(m.text[0]) != LATIN:
            continue
        pieces = _words(text, m)
        i = 0
        while i < len(pieces):
            for j in range(len(pieces) - 1, i - 1, -1):
                start, end = pieces[i][0], pieces[j][1]
                if text[start].isupper() and text[pieces[j][0]].isupper() and attested(text[start:end], texts):
                    out.append(Mention(start, end, text[start:end], NAME))
                    i = j + 1
                    break
            else:
                i += 1
    return out


# Lower-case words inside a name ("Library of Congress", "Court of Common Pleas", "Rio de Janeiro").
CONNECTORS = frozenset({"of", "de", "del", "della", "di", "da", "do", "dos", "du", "des", "von", "van", "der", "la", "le"})


def join_connected(text: str, found: Sequence[Mention]) -> list[Mention]:
    """Latin names joined across a lower-case connector between two capitalised words
    (`Library` + `of` + `Congress`): one name, never two to swap or replace apart."""
    out: list[Mention] = []
    for m in found:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == m.kind == NAME
            and script_of(prev.text[0]) == script_of(m.text[0]) == LATIN
            and text[prev.end] == " "
            and text[m.start - 1] == " "
            and text[prev.end + 1 : m.start - 1] in CONNECTORS
        ):
            out[-1] = Mention(prev.start, m.end, text[prev.start : m.end], NAME)
        else:
            out.append(m)
    return out


def _words(text: str, m: Mention) -> list[tuple[int, int]]:
    """(start, end) of the space- or `・`-separated words of a mention."""
    spans: list[tuple[int, int]] = []
    start = m.start
    for i in range(m.start, m.end + 1):
        if i == m.end or text[i] in " ・":
            if i > start:
                spans.append((start, i))
            start = i + 1
    return spans
