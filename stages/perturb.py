"""DVC stage: adversarial variants of the prepared PAWS-X test split for one perturbation family.

    python stages/perturb.py --family char_noise --params params.yaml \
        --prepared data/prepared/pawsx --out data/variants/char_noise

Reads `languages` and `perturb.families.<family>` (`{}` or null for the defaults), the prepared
`<prepared>/{test,validation}/<lang>.jsonl`, and writes `<out>/<lang>.jsonl` + `<out>/quality.json`
(code_mixing also writes `<out>/lexicons/`). All logic is in `xstilts.perturb`.
"""

from __future__ import annotations

from pathlib import Path

import click

from xstilts.errors import cli_errors
from xstilts.params import read_params
from xstilts.perturb.pipeline import family_params, get_family, write_family

PARAMS = ("languages", "perturb.families.{family}")  # dvc.yaml's `params:` of this stage


@click.command()
@click.option("--family", required=True, help="Perturbation family (a key of xstilts.perturb.FAMILIES).")
@click.option(
    "--params", "params_path", type=click.Path(path_type=Path), default=Path("params.yaml"), show_default=True
)
@click.option("--prepared", type=click.Path(path_type=Path), required=True, help="Prepared PAWS-X directory.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output family directory.")
@cli_errors
def main(family: str, params_path: Path, prepared: Path, out: Path) -> None:
    fam = get_family(family)  # an unknown family fails before anything is read
    params = read_params(params_path, [key.format(family=family) for key in PARAMS])
    write_family(family, family_params(fam, params.perturb.families[family]), prepared, out, params.languages)


if __name__ == "__main__":
    main()
