"""Stages `predict_clean` and `predict`: one target checkpoint's predictions on one variant (the clean
test set or a perturbation family) in every language.

    python stages/predict.py --model models/target/anli-s13 --clean data/prepared/pawsx/test \
        --variants data/variants --variant clean --predictions predictions/anli-s13/clean.jsonl
    python stages/predict.py --model models/target/anli-s13 --clean data/prepared/pawsx/test \
        --variants data/variants --variant char_noise --predictions predictions/anli-s13/char_noise.jsonl

The only stage that runs the model at test time; metrics come from the saved predictions
(`stages/score.py`), so changing a metric never reruns the model.
"""

from pathlib import Path

import click

from xstilts.errors import cli_errors
from xstilts.evaluation import predict_run
from xstilts.params import read_params

PARAMS = ("languages", "eval", "target.train.max_length")  # dvc.yaml's `params:` of this stage


@click.command()
@click.option("--model", type=click.Path(path_type=Path), required=True)
@click.option("--clean", type=click.Path(path_type=Path), required=True)
@click.option("--variants", type=click.Path(path_type=Path), required=True, help="the perturb stages' output folder")
@click.option("--variant", required=True, help="'clean' or a perturbation family")
@click.option("--predictions", "predictions_path", type=click.Path(path_type=Path), required=True)
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(model: Path, clean: Path, variants: Path, variant: str, predictions_path: Path, params_path: str) -> None:
    params = read_params(params_path, PARAMS)
    n = predict_run(model, clean, variants, params.languages, params.eval, params.target.train.max_length,
                    predictions_path, [variant])
    click.echo(f"{n} predictions -> {predictions_path}")


if __name__ == "__main__":
    main()
