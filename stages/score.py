"""Stage `score`: robustness metrics of one run from its saved predictions (no model needed).

    python stages/score.py --predictions predictions/anli-s13.jsonl --metrics metrics/anli-s13.json \
        --export exports/anli-s13

Writes flat metrics (`<lang>.<variant>.<metric>`, see `xstilts.robustness`) and the clean test
predictions in XTREME's submission layout (`exports/anli-s13/pawsx/test-<lang>.tsv`).
"""

from pathlib import Path

import click

from xstilts.errors import cli_errors
from xstilts.robustness import score_predictions


@click.command()
@click.option("--predictions", type=click.Path(path_type=Path), required=True)
@click.option("--metrics", "metrics_path", type=click.Path(path_type=Path), required=True)
@click.option("--export", "export_dir", type=click.Path(path_type=Path), default=None)
@cli_errors
def main(predictions: Path, metrics_path: Path, export_dir: Path | None) -> None:
    metrics = score_predictions(predictions, metrics_path, export_dir)
    click.echo(f"{len(metrics)} metrics -> {metrics_path}; clean average accuracy "
               f"{metrics.get('avg.clean.accuracy', float('nan')):.4f}")


if __name__ == "__main__":
    main()
