"""Stage `prepare`: read a task's raw data from the source in params and write its canonical splits.

    python stages/prepare.py --task pawsx --role target --out data/prepared/pawsx
    python stages/prepare.py --task anli --role intermediate --out data/prepared/anli
    python stages/prepare.py --task anli_shuffled --role intermediate --out data/prepared/anli_shuffled

A shuffled-label control (`<task>_shuffled`) is prepared as its arm, then its train labels are
permuted (xstilts.data.prepare.shuffle_labels); see xstilts.data.registry.CONTROLS.
"""

from pathlib import Path

import click

from xstilts.data.prepare import prepare_from_params, write_prepared
from xstilts.errors import cli_errors
from xstilts.params import load_params


@click.command()
@click.option("--task", required=True, help="dataset, mixture, control (<task>_shuffled) or 'none' (see xstilts.data.registry)")
@click.option("--role", type=click.Choice(["target", "intermediate"]), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(task: str, role: str, out: Path, params_path: str) -> None:
    splits, manifest = prepare_from_params(load_params(params_path), task, role)
    write_prepared(splits, manifest, out)
    counts = {s: sum(len(r) for r in by.values()) for s, by in splits.items()}
    click.echo(f"prepared {task} ({manifest.get('source', '-')}): {counts} -> {out}")


if __name__ == "__main__":
    main()
