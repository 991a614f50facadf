"""The registry of perturbation families: name -> Family.

Adding a family = writing its module (params dataclass + `apply`) and adding it here; the stage,
the preview CLI and the quality report pick it up without further edits.
"""

from __future__ import annotations

from xstilts.perturb import char_noise, code_mixing, contrast, entity_number, mixed_language, orthography
from xstilts.perturb.family import Family

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        char_noise.FAMILY,
        mixed_language.FAMILY,
        code_mixing.FAMILY,
        entity_number.FAMILY,
        orthography.FAMILY,
        contrast.FAMILY,
    )
}
