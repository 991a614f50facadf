"""Stage `predict`: one target checkpoint's predictions on 7 languages × every variant.

    python stages/predict.py --model models/target/anli-s13 --clean data/prepared/pawsx/test \
        --variants data/variants --predictions predictions/anli-s13.jsonl

The only stage that runs the model at test time; metrics come from the saved predictions
(`stages/score.py`), so changing a metric never reruns the model.
"""

from pathlib import Path

import click

from xstilts.errors import ParamsError, cli_errors
from xstilts.evaluation import EvalConfig, predict_run
from xstilts.params import load_params, lookup, section


@click.command()
@click.option("--model", type=click.Path(path_type=Path), required=True)
@click.option("--clean", type=click.Path(path_type=Path), required=True)
@click.option("--variants", type=click.Path(path_type=Path), required=True)
@click.option("--predictions", "predictions_path", type=click.Path(path_type=Path), required=True)
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(model: Path, clean: Path, variants: Path, predictions_path: Path, params_path: str) -> None:
    params = load_params(params_path)
    languages = lookup(params, "languages")
    if not isinstance(languages, list) or not languages:
        raise ParamsError("languages", "expected a non-empty list of language codes")
    max_length = lookup(params, "target.train.max_length")
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length <= 0:
        raise ParamsError("target.train.max_length", f"expected a positive integer, got {max_length!r}")
    n = predict_run(model, clean, variants, languages, section(EvalConfig, params, "eval"), max_length,
                    predictions_path)
    click.echo(f"{n} predictions -> {predictions_path}")


if __name__ == "__main__":
    main()
