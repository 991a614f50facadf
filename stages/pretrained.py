"""Stage `pretrained`: the encoder named by params `model.name`, as a standard HF directory.

    python stages/pretrained.py --out models/pretrained
"""

from pathlib import Path

import click

from xstilts.errors import cli_errors
from xstilts.params import read_params
from xstilts.pretrained import materialise_pretrained

PARAMS = ("model.name",)  # dvc.yaml's `params:` of this stage


@click.command()
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(out: Path, params_path: str) -> None:
    name = read_params(params_path, PARAMS).model.name
    materialise_pretrained(name, out)
    click.echo(f"pretrained encoder {name} -> {out}")


if __name__ == "__main__":
    main()
