"""What saving a target checkpoint in bfloat16 / float16 (`save_dtype`) does to its predictions.

    python bench/save_dtype.py --model models/target/xnli_en-s13 --test data/prepared/pawsx/test \
        --max-examples 500

Loads the float32 checkpoint, predicts the clean test sets of every language (bf16 autocast, as the
`predict` stage does), then saves the same weights in each half dtype, loads them back (as float32,
like the pipeline) and reports accuracy, the share of predictions that change, the largest
probability change, and the weights' size.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
import numpy as np
import torch

from xstilts.evaluation import load_eval_sets, predict_sets
from xstilts.modeling import load_classifier, load_tokenizer
from xstilts.schema import CLEAN, LANGUAGES


def weights_mb(model_dir: Path) -> float:
    return sum(f.stat().st_size for f in model_dir.glob("*.safetensors")) / 1e6


@click.command()
@click.option("--model", "model_dir", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--test", "test_dir", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--max-examples", type=int, default=500, show_default=True, help="test items per language (0 = all)")
def main(model_dir: Path, test_dir: Path, max_examples: int) -> None:
    sets = load_eval_sets(test_dir, None, list(LANGUAGES), max_examples, 13, [CLEAN], sample_clean=True)
    gold = np.concatenate([[r["label"] for r in s.rows] for s in sets])

    def predict(path: Path) -> np.ndarray:
        return np.concatenate(predict_sets(path, sets, 128, "bf16", 128))

    reference = predict(model_dir)
    click.echo(f"float32   accuracy {np.mean(reference.argmax(1) == gold):.4f} on {len(gold)} pairs, "
               f"weights {weights_mb(model_dir):.0f} MB")
    for dtype in ("bfloat16", "float16"):
        with tempfile.TemporaryDirectory() as tmp:
            load_classifier(model_dir).to(getattr(torch, dtype)).save_pretrained(tmp)
            load_tokenizer(model_dir).save_pretrained(tmp)
            probs = predict(Path(tmp))
            changed = probs.argmax(1) != reference.argmax(1)
            click.echo(f"{dtype:9} accuracy {np.mean(probs.argmax(1) == gold):.4f}, {changed.sum()} predictions changed "
                       f"({changed.mean():.2%}), largest probability change {np.abs(probs - reference).max():.3f}, "
                       f"weights {weights_mb(Path(tmp)):.0f} MB")


if __name__ == "__main__":
    main()
