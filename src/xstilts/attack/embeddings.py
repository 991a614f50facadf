"""Nearest neighbours of a word among a checkpoint's own input word embeddings, same script only.

The index is built once per checkpoint (per attack stage run) and lazily per script set: the
vocabulary entries that are whole words (SentencePiece: `▁`-initial for space-separated scripts,
any entry for Han/kana; WordPiece: not `##`-continuations) of two letters or more, made only of
letters of exactly that script set, unit-normalised. A word's vector is the mean of its own pieces'
embeddings, so words the vocabulary splits get neighbours too. Neighbours are neither the word
(ignoring case) nor a piece of it nor it extended (`Stadt` -> `Altstadt`, `ブダペスト` -> `ダ`), have cosine
similarity >= `min_similarity`, and are memoised per (word, scripts, k, threshold).
"""

from __future__ import annotations

import torch

from xstilts.attack.units import CJK, scripts_of

SPIECE = "\u2581"  # SentencePiece's word-boundary mark


class NeighbourIndex:
    def __init__(self, embeddings: torch.Tensor, tokenizer) -> None:
        size = min(len(tokenizer), embeddings.shape[0])
        self.embeddings = embeddings[:size].detach().float()
        self.tokenizer = tokenizer
        self.tokens: list[str] = tokenizer.convert_ids_to_tokens(list(range(size)))
        self.special = set(tokenizer.all_special_ids)
        self.sentencepiece = any(t.startswith(SPIECE) for t in self.tokens if t)
        self._tables: dict[frozenset[str], tuple[torch.Tensor, list[str]]] = {}
        self._memo: dict[tuple, list[str]] = {}
        self._words: dict[frozenset[str], tuple[list[int], dict[str, None]]] | None = None

    @classmethod
    def of_model(cls, model, tokenizer) -> NeighbourIndex:
        return cls(model.get_input_embeddings().weight, tokenizer)

    def _word(self, token: str) -> tuple[str, frozenset[str]] | None:
        """The whole word a vocabulary entry spells and its script set, if it can stand for one: in a
        SentencePiece vocabulary a word-initial piece, or any piece of a CJK script (no spaces
        there); in a WordPiece vocabulary a non-continuation piece. Letters only, at least two
        (single letters and single kana/Han are fragments and particles, not words)."""
        if self.sentencepiece:
            initial = token.startswith(SPIECE)
            word = token[1:] if initial else token
        else:
            if token.startswith("##"):
                return None
            initial, word = True, token
        if len(word) < 2 or not word.isalpha():
            return None
        scripts = scripts_of(word)
        if not initial and not scripts <= CJK:  # space-separated scripts: word pieces only
            return None
        return word, scripts

    def _table(self, scripts: frozenset[str]) -> tuple[torch.Tensor, list[str]]:
        """The unit-length embeddings and surfaces of the distinct words whose script set is
        `scripts`, in vocabulary order. One pass over the vocabulary sorts every entry by its script
        set, so each further script set costs a lookup, not another pass over 250k entries."""
        if self._words is None:
            self._words = {}
            for i, token in enumerate(self.tokens):
                found = None if i in self.special or token is None else self._word(token)
                if found is not None:
                    ids, surfaces = self._words.setdefault(found[1], ([], {}))
                    if found[0] not in surfaces:
                        surfaces[found[0]] = None
                        ids.append(i)
        if scripts not in self._tables:
            ids, surfaces = self._words.get(scripts, ([], {}))
            matrix = torch.nn.functional.normalize(self.embeddings[ids], dim=1) if ids else torch.zeros(0, 1)
            self._tables[scripts] = (matrix, list(surfaces))
        return self._tables[scripts]

    def vector(self, word: str) -> torch.Tensor | None:
        ids = [i for i in self.tokenizer(word, add_special_tokens=False)["input_ids"]
               if i < len(self.tokens) and i not in self.special and self.tokens[i].strip(SPIECE)]
        if not ids:
            return None
        return torch.nn.functional.normalize(self.embeddings[ids].mean(dim=0), dim=0)

    def neighbours(self, word: str, scripts: frozenset[str], k: int, min_similarity: float) -> list[str]:
        """Up to `k` words of the same script set, most similar first."""
        key = (word, scripts, k, min_similarity)
        if key not in self._memo:
            self._memo[key] = self._search(word, scripts, k, min_similarity)
        return self._memo[key]

    def _search(self, word: str, scripts: frozenset[str], k: int, min_similarity: float) -> list[str]:
        matrix, surfaces = self._table(scripts)
        vec = self.vector(word)
        if vec is None or not surfaces:
            return []
        sims = matrix @ vec
        top = torch.topk(sims, min(len(surfaces), k + 8))  # a few spare for the ones filtered out
        out: list[str] = []
        folded = word.casefold()
        for sim, i in zip(top.values.tolist(), top.indices.tolist()):
            if sim < min_similarity or len(out) == k:
                break
            other = surfaces[i].casefold()
            if other not in folded and folded not in other:  # not the word, a piece of it, or it extended
                out.append(surfaces[i])
        return out


def same_case(word: str, like: str) -> str:
    """`word` capitalised the way `like` is (first letter only; Han/kana/Hangul have no case)."""
    if like[:1].isupper() and word[:1].islower():
        return word[0].upper() + word[1:]
    return word

