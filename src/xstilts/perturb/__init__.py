"""Adversarial perturbations of PAWS-X pairs, generated once and shared by every checkpoint.

Families (see `FAMILIES`): char_noise, mixed_language, code_mixing, entity_number, orthography
(label-preserving) and contrast (label-flipping: the expected label becomes 0).

    from xstilts.perturb import perturb_split, write_family
    records, quality = perturb_split("char_noise", {"rate": 0.1}, test_by_lang, validation_by_lang)

Preview what a family does:  python -m xstilts.perturb preview --lang de --family char_noise \\
    --s1 "Der Fluss ist lang." --s2 "Der lange Fluss."   (or --row-id ID --prepared data/prepared/pawsx)
"""

from xstilts.perturb.family import Family
from xstilts.perturb.pipeline import perturb_split, write_family
from xstilts.perturb.registry import FAMILIES

__all__ = ["FAMILIES", "Family", "perturb_split", "write_family"]
