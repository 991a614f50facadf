"""Stage `target`: fine-tune on English PAWS-X from an intermediate-phase encoder.

    python stages/target.py --seed 13 --prepared data/prepared/pawsx \
        --intermediate models/intermediate/anli-s13 --out models/target/anli-s13 --logs logs/target/anli-s13

Multi-GPU: `accelerate launch stages/target.py ...` (see README).
"""

from pathlib import Path

import click

from xstilts.errors import cli_errors
from xstilts.params import read_params
from xstilts.phases import run_target

PARAMS = ("target.train",)  # dvc.yaml's `params:` of this stage


@click.command()
@click.option("--seed", type=int, required=True)
@click.option("--prepared", type=click.Path(path_type=Path), required=True)
@click.option("--intermediate", type=click.Path(path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--logs", type=click.Path(path_type=Path), default=None, help="dvclive directory for the training curves")
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(seed: int, prepared: Path, intermediate: Path, out: Path, logs: Path | None, params_path: str) -> None:
    cfg = read_params(params_path, PARAMS).target.train
    result = run_target(prepared, intermediate, cfg, seed, out, logs)
    click.echo(f"best English validation accuracy {result.best_validation_accuracy:.4f} "
               f"(step {result.best_step}, {result.seconds:.0f} s) -> {out}")


if __name__ == "__main__":
    main()
