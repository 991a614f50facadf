"""Stage `prepare`: read a task's raw data from the source in params and write its canonical splits.

    python stages/prepare.py --task pawsx --role target --out data/prepared/pawsx
    python stages/prepare.py --task anli --role intermediate --out data/prepared/anli
    python stages/prepare.py --task anli_shuffled --role intermediate --out data/prepared/anli_shuffled

A shuffled-label control (`<task>_shuffled`) is prepared as its arm, then its train labels are
permuted (xstilts.data.prepare.shuffle_labels); see xstilts.data.registry.CONTROLS.
"""

from pathlib import Path

import click

from xstilts.data.prepare import check_task, prepare, write_prepared
from xstilts.errors import cli_errors
from xstilts.params import read_params

# dvc.yaml's `params:` of each prepare stage: the target task is per language, an intermediate task
# English only, with its own overrides merged over the shared `intermediate.data`.
PARAMS = {
    "target": ("languages", "data.source", "data.local_dir", "data.seed", "target.data"),
    "intermediate": ("data.source", "data.local_dir", "data.seed", "intermediate.data",
                     "intermediate.overrides.{task}.data"),
}


@click.command()
@click.option("--task", required=True, help="dataset, mixture, control (<task>_shuffled) or 'none' (see xstilts.data.registry)")
@click.option("--role", type=click.Choice(["target", "intermediate"]), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(task: str, role: str, out: Path, params_path: str) -> None:
    if role == "intermediate":
        check_task(task)
    params = read_params(params_path, [key.format(task=task) for key in PARAMS[role]])
    if role == "target":
        splits, manifest = prepare(task, role, params.data, params.target.data, params.languages)
    else:
        splits, manifest = prepare(task, role, params.data, params.intermediate.data_for(task), ["en"])
    write_prepared(splits, manifest, out)
    counts = {s: sum(len(r) for r in by.values()) for s, by in splits.items()}
    click.echo(f"prepared {task} ({manifest.get('source', '-')}): {counts} -> {out}")


if __name__ == "__main__":
    main()
