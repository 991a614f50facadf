"""Stage `report`: Markdown tables and figures from every run's metrics.

    python stages/report.py --metrics metrics --out reports
"""

from pathlib import Path

import click

from xstilts.errors import cli_errors
from xstilts.report import write_report


@click.command()
@click.option("--metrics", "metrics_dir", type=click.Path(path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@cli_errors
def main(metrics_dir: Path, out: Path) -> None:
    click.echo(f"report -> {write_report(metrics_dir, out)}")


if __name__ == "__main__":
    main()
