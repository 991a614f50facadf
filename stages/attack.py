"""Stage `attack`: a model-targeted adversarial attack on one target checkpoint, in every language.

    python stages/attack.py --model models/target/anli-s13 --prepared data/prepared/pawsx \
        --results attacks/anli-s13/results.jsonl --metrics metrics/attack/anli-s13.json

Reads params `languages`, `attack` and `target.train.max_length`; writes one JSON line per attacked
test pair (original and adversarial sentences, success, queries, edited share, predictions) and flat
metrics (`<lang>.attack.success_rate`, ...). All logic is in `xstilts.attack`.
"""

from pathlib import Path

import click

from xstilts.attack.run import run_attack
from xstilts.attack.sources import parse_sources
from xstilts.errors import cli_errors
from xstilts.params import read_params

PARAMS = ("languages", "attack", "target.train.max_length")  # dvc.yaml's `params:` of this stage


@click.command()
@click.option("--model", type=click.Path(path_type=Path), required=True)
@click.option("--prepared", type=click.Path(path_type=Path), required=True, help="Prepared PAWS-X directory.")
@click.option("--results", "results_path", type=click.Path(path_type=Path), required=True)
@click.option("--metrics", "metrics_path", type=click.Path(path_type=Path), required=True)
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(model: Path, prepared: Path, results_path: Path, metrics_path: Path, params_path: str) -> None:
    params = read_params(params_path, PARAMS)
    sources = parse_sources(params.attack.sources, "attack.sources")  # each source's own params class
    metrics = run_attack(model, prepared, params.languages, params.attack, sources, params.target.train.max_length,
                         results_path, metrics_path)
    click.echo(f"attack: success rate {metrics.get('avg.attack.success_rate', float('nan')):.3f} (avg) "
               f"-> {results_path}, {metrics_path}")


if __name__ == "__main__":
    main()
