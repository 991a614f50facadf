"""Stage `score`: robustness metrics of one run from its saved predictions (no model needed).

    python stages/score.py --predictions predictions/anli-s13 --metrics metrics/anli-s13.json \
        --export exports/anli-s13

Reads `predictions/<run>/clean.jsonl` and one file per family in `perturb.families` (a folder left
by a family since removed from params is ignored). Writes flat metrics (`<lang>.<variant>.<metric>`, see `xstilts.robustness`) and the clean test
predictions in XTREME's submission layout (`exports/anli-s13/pawsx/test-<lang>.tsv`).
"""

from pathlib import Path

import click

from xstilts.errors import cli_errors
from xstilts.params import read_params
from xstilts.robustness import prediction_files, score_predictions
from xstilts.schema import CLEAN

PARAMS = ("perturb.families",)  # dvc.yaml's `params:` of this stage


@click.command()
@click.option("--predictions", type=click.Path(path_type=Path), required=True)
@click.option("--metrics", "metrics_path", type=click.Path(path_type=Path), required=True)
@click.option("--export", "export_dir", type=click.Path(path_type=Path), default=None)
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(predictions: Path, metrics_path: Path, export_dir: Path | None, params_path: str) -> None:
    families = read_params(params_path, PARAMS).perturb.families
    metrics = score_predictions(prediction_files(predictions, [CLEAN, *families]), metrics_path, export_dir)
    click.echo(f"{len(metrics)} metrics -> {metrics_path}; clean average accuracy "
               f"{metrics.get('avg.clean.accuracy', float('nan')):.4f}")


if __name__ == "__main__":
    main()
