"""Stage `attack`: a model-targeted adversarial attack on one target checkpoint, in every language.

    python stages/attack.py --model models/target/anli-s13 --prepared data/prepared/pawsx \
        --results attacks/anli-s13/results.jsonl --metrics metrics/attack/anli-s13.json

Reads params `languages`, `attack` and `target.train.max_length`; writes one JSON line per attacked
test pair (original and adversarial sentences, success, queries, edited share, predictions) and flat
metrics (`<lang>.attack.success_rate`, ...). All logic is in `xstilts.attack`.
"""

from pathlib import Path

import click

from xstilts.attack.run import AttackConfig, run_attack
from xstilts.errors import ParamsError, cli_errors
from xstilts.params import load_params, lookup, section


@click.command()
@click.option("--model", type=click.Path(path_type=Path), required=True)
@click.option("--prepared", type=click.Path(path_type=Path), required=True, help="Prepared PAWS-X directory.")
@click.option("--results", "results_path", type=click.Path(path_type=Path), required=True)
@click.option("--metrics", "metrics_path", type=click.Path(path_type=Path), required=True)
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(model: Path, prepared: Path, results_path: Path, metrics_path: Path, params_path: str) -> None:
    params = load_params(params_path)
    cfg = section(AttackConfig, params, "attack")
    max_length = lookup(params, "target.train.max_length")
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length <= 0:
        raise ParamsError("target.train.max_length", f"expected a positive integer, got {max_length!r}")
    metrics = run_attack(model, prepared, lookup(params, "languages"), cfg, max_length, results_path, metrics_path)
    click.echo(f"attack: success rate {metrics.get('avg.attack.success_rate', float('nan')):.3f} (avg) "
               f"-> {results_path}, {metrics_path}")


if __name__ == "__main__":
    main()
