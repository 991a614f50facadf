"""What `stages/perturb.py` does: read params.yaml, then `write_family`.

params.yaml needs `languages` (a list of codes) and `perturb.families.<family>` (a mapping of that
family's params; `{}` or null for the defaults). These are the keys dvc.yaml lists for the stage.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.params import load_params, lookup
from xstilts.perturb.pipeline import check_languages, get_family, write_family


def run_stage(family: str, params_path: Path, prepared: Path, out: Path) -> None:
    get_family(family)  # unknown family: fail before reading anything
    params = load_params(params_path)
    languages = check_languages(lookup(params, "languages"))
    write_family(family, lookup(params, f"perturb.families.{family}"), prepared, out, languages)
