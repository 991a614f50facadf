"""The text toolkit: what the perturbation families (`xstilts.perturb`) and the adaptive attack
(`xstilts.attack`) read and change text with. It knows nothing of families, params or models.

* `scripts`: writing systems (`script_of`), grapheme clusters, word tokens per language (`words`);
* `entities`: names and numbers in a sentence (`mentions`), common words, whole-word occurrences;
* `replacements`: new names and numbers, and the edit putting one in place (Korean particles);
* `name_pools`: the hand-written name pools `replacements` draws from;
* `lexicon`: bilingual lexicons aligned on parallel sentences;
* `translations`: which words a lexicon replaces and how a translation is written in their place;
* `keyboards`: keyboard layouts and neighbouring keys;
* `typos`: script-aware typo operations (keyboard, swap, drop, insert; CJK and jamo edits);
* `pairs`: the sentence pair (`Example`, `make_example`), untranslated markers, parallel rows;
* `edits`: the `Edit` type, `apply_edits` and span overlap;
* `stream`: `Stream`, the seeded random stream every random choice draws from.

    from xstilts.text.scripts import words
    from xstilts.text.edits import Edit, apply_edits

This package imports none of its modules: `import xstilts.text.scripts` loads the scripts and
nothing of `xstilts.perturb` (tests/test_text.py checks it).
"""
