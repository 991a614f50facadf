"""Does every training phase of the offline default learn, for every seed, in float32 and in bf16?

    dvc repro pretrained prepare_target prepare_intermediate        # models/pretrained, data/prepared
    python bench/fixture_chains.py --seeds 13,14,15,16,17 --precision no --precision bf16 \\
        --json bench/results/fixture-chains-<machine>.json

For each precision and seed it runs the offline default's chains with the real library calls
(`xstilts.phases.run_intermediate` / `run_target`, the settings of params.yaml or `--params`):
every intermediate task of `intermediate.tasks`, then the target phase from its encoder. It records
each phase's best held-out accuracy, its chance level (the majority-class rate of the held-out set)
and whether it beat chance (`xstilts.learning.learned`: one-sided binomial test, p < 0.01).
bf16 is skipped where it is not native (emulated bf16 is ~300x slower in matmuls).
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import fresh_accelerate_state  # noqa: E402

from xstilts.config import Params, TrainConfig  # noqa: E402
from xstilts.modeling import cpu_description, native_bf16  # noqa: E402
from xstilts.params import read_params  # noqa: E402
from xstilts.phases import run_intermediate, run_target  # noqa: E402
from xstilts.training import TRAINING_LOG  # noqa: E402


def _phase_facts(checkpoint: Path) -> dict:
    log = json.loads((checkpoint / TRAINING_LOG).read_text(encoding="utf-8"))
    facts = {k: log[k] for k in ("best_validation_accuracy", "best_step", "seconds", "mixed_precision", "learning")}
    facts["validation_curve"] = [round(p["validation_accuracy"], 4) for p in log["history"]]
    return facts


def chain(params: Params, task: str, seed: int, precision: str, work: Path, prepared: Path, pretrained: Path) -> dict:
    """One task's chain at one seed: intermediate (unless `none`) then target."""
    def cfg(train: TrainConfig) -> TrainConfig:
        return replace(train, mixed_precision=precision)

    out: dict = {"task": task, "seed": seed, "precision": precision}
    inter_dir = work / f"intermediate-{task}-s{seed}-{precision}"
    fresh_accelerate_state()
    result = run_intermediate(prepared / task, pretrained, cfg(params.intermediate.train_for(task)),
                              seed, inter_dir)
    if result is not None:
        out["intermediate"] = _phase_facts(inter_dir)
    fresh_accelerate_state()
    target_dir = work / f"target-{task}-s{seed}-{precision}"
    run_target(prepared / "pawsx", inter_dir, cfg(params.target.train), seed, target_dir)
    out["target"] = _phase_facts(target_dir)
    return out


def table(res: dict) -> str:
    """Markdown: one row per precision × task, the best held-out accuracy of each seed (⚠ = did not learn)."""
    rows = {}
    for c in res["chains"]:
        for phase in ("intermediate", "target"):
            if phase in c:
                mark = "" if c[phase]["learning"]["learned"] else " ⚠"
                rows.setdefault((c["precision"], c["task"], phase), []).append(
                    f"{c[phase]['best_validation_accuracy']:.3f}{mark}")
    seeds = sorted({c["seed"] for c in res["chains"]})
    lines = ["| precision | chain | phase | " + " | ".join(f"seed {s}" for s in seeds) + " |",
             "|---|---|---|" + "---:|" * len(seeds)]
    lines += [f"| {'float32' if p == 'no' else p} | {t} | {ph} | " + " | ".join(v) + " |" for (p, t, ph), v in rows.items()]
    return "\n".join(lines)


@click.command()
@click.option("--seeds", default="13,14,15,16,17", show_default=True)
@click.option("--precision", "precisions", multiple=True, default=("no", "bf16"), show_default=True,
              type=click.Choice(["no", "bf16"]))
@click.option("--params", "params_path", default=str(ROOT / "params.yaml"), show_default=True)
@click.option("--prepared", type=click.Path(path_type=Path), default=ROOT / "data/prepared", show_default=True)
@click.option("--pretrained", type=click.Path(path_type=Path), default=ROOT / "models/pretrained", show_default=True)
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
def main(seeds: str, precisions: tuple[str, ...], params_path: str, prepared: Path, pretrained: Path,
         json_path: Path | None) -> None:
    params = read_params(params_path, ["intermediate", "target.train"])
    tasks = params.intermediate.tasks
    res: dict = {"machine": {**cpu_description(), "python": platform.python_version(), "native_bf16": native_bf16()},
                 "target_train": asdict(params.target.train), "intermediate_train": asdict(params.intermediate.train),
                 "chains": []}
    for precision in precisions:
        if precision == "bf16" and not native_bf16():
            click.echo("bf16 is not native here: skipped")
            continue
        for seed in (int(s) for s in seeds.split(",")):
            for task in tasks:
                with tempfile.TemporaryDirectory() as tmp:
                    t = time.perf_counter()
                    row = chain(params, task, seed, precision, Path(tmp), prepared, pretrained)
                    row["wall_s"] = round(time.perf_counter() - t, 1)
                res["chains"].append(row)
                phases = [f"{p} {row[p]['best_validation_accuracy']:.3f}"
                          f"{'' if row[p]['learning']['learned'] else ' (DID NOT LEARN)'}"
                          for p in ("intermediate", "target") if p in row]
                click.echo(f"{precision:4} seed {seed} {task:5} " + ", ".join(phases) + f"  [{row['wall_s']:.0f} s]",
                           err=True)
                if json_path is not None:  # after every chain: a killed run keeps what it measured
                    json_path.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    click.echo(table(res))


if __name__ == "__main__":
    main()
