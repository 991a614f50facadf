"""Stage `intermediate`: train the pretrained encoder on an English intermediate task.

    python stages/intermediate.py --task anli --seed 13 --prepared data/prepared/anli \
        --pretrained models/pretrained --out models/intermediate/anli-s13 --logs logs/intermediate/anli-s13

Settings: `intermediate.train` with `intermediate.overrides.<task>.train` on top.
For the baseline task `none` it trains nothing and points the target phase at the pretrained encoder.
Multi-GPU: `accelerate launch stages/intermediate.py ...` (see README).
"""

from pathlib import Path

import click

from xstilts.errors import cli_errors
from xstilts.params import read_params
from xstilts.phases import run_intermediate

# dvc.yaml's `params:` of this stage: the shared settings and this task's own.
PARAMS = ("intermediate.train", "intermediate.overrides.{task}.train")


@click.command()
@click.option("--task", required=True, help="the intermediate task, for its own settings in params")
@click.option("--seed", type=int, required=True)
@click.option("--prepared", type=click.Path(path_type=Path), required=True)
@click.option("--pretrained", type=click.Path(path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--logs", type=click.Path(path_type=Path), default=None, help="dvclive directory for the training curves")
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(task: str, seed: int, prepared: Path, pretrained: Path, out: Path, logs: Path | None, params_path: str) -> None:
    params = read_params(params_path, [key.format(task=task) for key in PARAMS])
    cfg = params.intermediate.train_for(task)
    result = run_intermediate(prepared, pretrained, cfg, seed, out, logs)
    if result is None:
        click.echo(f"no intermediate training; {out} points at {pretrained}")
    else:
        click.echo(f"best validation accuracy {result.best_validation_accuracy:.4f} "
                   f"(step {result.best_step}, {result.seconds:.0f} s) -> {out}")


if __name__ == "__main__":
    main()
