"""Stage `report`: the answer to the research question, from every run's saved predictions.

    python stages/report.py --predictions predictions --logs logs --out reports

With `--attacks attacks`, the adaptive attack's results of the same runs get their own section; the
validity audit (`--audit data/audit`, committed) decides which families are primary.
Writes reports/robustness.md (tables with bootstrap intervals and paired tests against the baseline),
reports/figures/*.png, reports/plots/*.csv (for `dvc plots show`) and reports/summary.json.
"""

from pathlib import Path

import click

from xstilts.errors import cli_errors
from xstilts.params import read_params
from xstilts.report import describe_setup, selected_runs, write_report
from xstilts.schema import CLEAN
from xstilts.validity import read_audits, validity

# dvc.yaml's `params:` of this stage, `report` first (its own settings fail first).
PARAMS = ("report", "seeds", "model.name", "data.source", "data.local_dir", "eval.max_examples", "intermediate",
          "target", "perturb.families", "attack")


@click.command()
@click.option("--predictions", "predictions_dir", type=click.Path(path_type=Path), required=True)
@click.option("--logs", "logs_dir", type=click.Path(path_type=Path), default=None)
@click.option("--attacks", "attacks_dir", type=click.Path(path_type=Path), default=None,
              help="the attack stages' output folder (attacks/<run>/results.jsonl): adds the adaptive-attack section")
@click.option("--audit", "audit_dir", type=click.Path(path_type=Path), default=Path("data/audit"), show_default=True,
              help="the perturbation validity audit (<family>.jsonl): a family under 90 % label validity is not primary")
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(predictions_dir: Path, logs_dir: Path | None, attacks_dir: Path | None, audit_dir: Path, out: Path,
         params_path: str) -> None:
    params = read_params(params_path, PARAMS)
    cfg = params.report
    notes = Path(cfg.notes) if cfg.notes else None  # its place is checked with the params, its presence on reading
    # The runs and variants params select, not whatever an earlier configuration left in predictions/.
    variants = [CLEAN, *params.perturb.families]
    audits = sorted(audit_dir.glob("*.jsonl")) if audit_dir.is_dir() else []
    validity_stats = validity(read_audits(audits)) if audits else None
    report = write_report(predictions_dir, out, cfg, logs_dir, describe_setup(params), notes,
                          selected_runs(params.intermediate.tasks, params.seeds), variants, attacks_dir, validity_stats)
    click.echo(f"report -> {report}")


if __name__ == "__main__":
    main()
