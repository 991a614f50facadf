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

    @classmethod
    def of_model(cls, model, tokenizer) -> NeighbourIndex:
        return cls(model.get_input_embeddings().weight, tokenizer)

    def _surface(self, token: str, scripts: frozenset[str]) -> str | None:
        """The word a vocabulary entry spells, if it is a whole word of `scripts`."""
        if self.sentencepiece:
            initial = token.startswith(SPIECE)
            word = token[1:] if initial else token
            if not initial and not scripts <= CJK:  # space-separated scripts: word pieces only
                return None
        else:
            if token.startswith("##"):
                return None
            word = token
        if not word or not word.isalpha() or scripts_of(word) != scripts:
            return None
        if len(word) < 2:  # single letters and single kana/Han: fragments and particles, not words
            return None
        return word

    def _table(self, scripts: frozenset[str]) -> tuple[torch.Tensor, list[str]]:
        if scripts not in self._tables:
            ids, surfaces, seen = [], [], set()
            for i, token in enumerate(self.tokens):
                if i in self.special or token is None:
                    continue
                word = self._surface(token, scripts)
                if word is not None and word not in seen:
                    seen.add(word)
                    ids.append(i)
                    surfaces.append(word)
            matrix = torch.nn.functional.normalize(self.embeddings[ids], dim=1) if ids else torch.zeros(0, 1)
            self._tables[scripts] = (matrix, surfaces)
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

