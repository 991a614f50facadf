"""Named configurations as overrides of params.yaml, run as DVC experiments.

    python -m xstilts.configs configs/real-cpu.yaml --run            # dvc exp run -n real-cpu -S ...
    python -m xstilts.configs configs/real-cpu.yaml --run --queue    # queue it instead
    python -m xstilts.configs configs/real-cpu.yaml                  # just print the dvc command
    python -m xstilts.configs configs/real-cpu.yaml --run -S 'seeds=[13,42,87]'   # plus overrides
    python -m xstilts.configs configs/real-cpu.yaml --run --snapshot results/real-cpu

`--snapshot DIR` copies what the run produced and what it was run with — params.yaml, dvc.lock,
metrics/, the report (robustness.md, figures/, plots/, summary.json), every run's training summary
(logs/<phase>/<run>/metrics.json) and its predictions as one compact Parquet file
(predictions/<run>.parquet) — into DIR, so that a configuration other than the offline default keeps
its results in git next to the lock file that proves where they came from, and a change of
statistics regenerates its report without a retrain (see results/README.md).

A configuration file holds only the keys that differ from params.yaml (the offline default), so the
three configurations cannot drift apart silently. Keys absent from params.yaml are added with
Hydra's `+key=value` form, which `dvc exp run -S` understands.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click

from xstilts.errors import ParamsError, XstiltsError, cli_errors
from xstilts.params import load_params, lookup
from xstilts.robustness import COMPACT_SUFFIX, prediction_files, write_compact


def flatten(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted keys of every leaf; a list or an empty mapping is a leaf."""
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from flatten(value, dotted + ".")
        else:
            yield dotted, value


def _has_key(params: Mapping[str, Any], dotted: str) -> bool:
    try:
        lookup(params, dotted)
    except ParamsError:
        return False
    return True


def _format(value: Any) -> str:
    # Hydra override grammar: JSON-like lists and scalars, no spaces (the flags are word-split).
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def override_flags(overrides: Mapping[str, Any], params: Mapping[str, Any]) -> list[str]:
    flags = []
    for key, value in flatten(overrides):
        text = _format(value)
        if any(c.isspace() for c in text):
            raise XstiltsError(f"{key}: values with whitespace cannot be passed as -S flags")
        flags += ["-S", f"{'' if _has_key(params, key) else '+'}{key}={text}"]
    return flags


def exp_run_command(config: Path, params_path: str, name: str | None, queue: bool,
                    extra: tuple[str, ...] = ()) -> list[str]:
    """`dvc exp run` with the config's overrides, then any extra `-S key=value` (they win)."""
    flags = override_flags(load_params(config), load_params(params_path))
    for item in extra:
        flags += ["-S", item]
    return ["dvc", "exp", "run", "-n", name or config.stem, *(["--queue"] if queue else []), *flags]


SNAPSHOT = ("params.yaml", "dvc.lock", "metrics", "reports/robustness.md", "reports/figures", "reports/plots",
            "reports/summary.json")


def snapshot(root: Path, dest: Path) -> list[Path]:
    """Copy a finished run's params, lock, metrics, report, training summaries and compact predictions
    from `root` into `dest` (replaced)."""
    missing = [p for p in SNAPSHOT if not (root / p).exists()]
    if missing:
        raise XstiltsError(f"{root}: nothing to snapshot, missing {', '.join(missing)} — did the run finish?")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    copied = []
    for rel in SNAPSHOT:
        src, out = root / rel, dest / Path(rel).name
        if src.is_dir():
            shutil.copytree(src, out)
        else:
            shutil.copy2(src, out)
        copied.append(out)
    for summary in sorted((root / "logs").glob("*/*/metrics.json")):
        out = dest / summary.relative_to(root)
        out.parent.mkdir(parents=True, exist_ok=True)
        copied.append(Path(shutil.copy2(summary, out)))
    for run in sorted(p for p in (root / "predictions").glob("*") if p.is_dir()):
        copied.append(write_compact(prediction_files(run), dest / "predictions" / f"{run.name}{COMPACT_SUFFIX}"))
    return copied


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--run", "execute", is_flag=True, help="run the experiment (default: print the command)")
@click.option("--queue", is_flag=True, help="queue the experiment (start it with `dvc queue start`)")
@click.option("--name", default=None, help="experiment name (default: the config file's stem)")
@click.option("-S", "--set", "extra", multiple=True, metavar="KEY=VALUE", help="one more override, after the config's")
@click.option("--snapshot", "snapshot_dir", type=click.Path(path_type=Path), default=None,
              help="after a successful run, copy params, lock, metrics and report here")
@click.option("--params", "params_path", default="params.yaml", show_default=True)
@cli_errors
def main(config: Path, execute: bool, queue: bool, name: str | None, extra: tuple[str, ...],
         snapshot_dir: Path | None, params_path: str) -> None:
    """The `dvc exp run` command that applies CONFIG on top of params.yaml."""
    command = exp_run_command(config, params_path, name, queue, extra)
    if not execute:
        click.echo(shlex.join(command))
        return
    # A list of arguments, no shell: override values never reach a shell.
    code = subprocess.call(command)
    if code == 0 and snapshot_dir is not None and not queue:
        snapshot(Path("."), snapshot_dir)
        click.echo(f"snapshot -> {snapshot_dir}")
    raise SystemExit(code)


if __name__ == "__main__":
    main()
