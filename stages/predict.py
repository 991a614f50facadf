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

from xstilts.errors import ParamsError, cli_errors
from xstilts.evaluation import EvalConfig, predict_run
from xstilts.params import language_list, load_params, lookup, section


@click.command()
@click.option("--model", type=click.Path(path_type=Path), required=True)
@click.option("--clean", type=click.Path(path_type=Path), required=True)
@click.option("--variants", type=click.Path(path_type=Path), required=True, help="the perturb stages' output folder")
@click.option("--variant", required=True, help="'clean' or a perturbation family")
@click.option("--predictions", "predictions_path", type=click.Path(path_type=Path), required=True)
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(model: Path, clean: Path, variants: Path, variant: str, predictions_path: Path, params_path: str) -> None:
    params = load_params(params_path)
    languages = language_list(params)
    max_length = lookup(params, "target.train.max_length")
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length <= 0:
        raise ParamsError("target.train.max_length", f"expected a positive integer, got {max_length!r}")
    n = predict_run(model, clean, variants, languages, section(EvalConfig, params, "eval"), max_length,
                    predictions_path, [variant])
    click.echo(f"{n} predictions -> {predictions_path}")


if __name__ == "__main__":
    main()
