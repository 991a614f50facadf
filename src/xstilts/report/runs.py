"""The runs a report reads: predictions per run, the adaptive attack's results, the training logs.

    python stages/report.py --predictions predictions --logs logs --attacks attacks --out reports
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from xstilts.attack.metrics import attack_arrays, read_results
from xstilts.schema import NO_INTERMEDIATE, is_control
from xstilts.errors import XstiltsError
from xstilts.robustness import COMPACT_SUFFIX, RunArrays, load_predictions, prediction_files

RUN_NAME = re.compile(r"^(?P<task>.+)-s(?P<seed>\d+)$")


@dataclass(frozen=True)
class Run:
    name: str
    task: str
    seed: int
    arrays: RunArrays


def selected_runs(tasks: Sequence[str], seeds: Sequence[int]) -> list[str]:
    """The run names params select: `<task>-s<seed>` for every intermediate task × seed."""
    return [f"{task}-s{seed}" for task in tasks for seed in seeds]


def load_runs(predictions_dir: Path, names: Sequence[str] | None = None,
              variants: Sequence[str] | None = None) -> list[Run]:
    """The runs `names` (`<task>-s<seed>`, default: every run found) from `predictions_dir`, each a
    folder of per-variant files (only `variants` read, default all) or a single `<run>.jsonl`."""
    if names is None and predictions_dir.is_dir():
        found = {p.name.removesuffix(".jsonl").removesuffix(COMPACT_SUFFIX) for p in predictions_dir.iterdir()}
        names = sorted(n for n in found if RUN_NAME.match(n))
    runs = []
    for name in names or ():
        match = RUN_NAME.match(name)
        if not match:
            raise XstiltsError(f"{name}: not a run name <task>-s<seed>")
        path = predictions_dir / name
        if not path.is_dir():  # a single file: JSON Lines, or a snapshot's compact Parquet
            compact = predictions_dir / f"{name}{COMPACT_SUFFIX}"
            path = compact if compact.is_file() else predictions_dir / f"{name}.jsonl"
        runs.append(Run(name, match["task"], int(match["seed"]), load_predictions(prediction_files(path, variants))))
    if not runs:
        raise XstiltsError(f"{predictions_dir}: no predictions of runs named <task>-s<seed>")
    first = runs[0]
    for run in runs[1:]:
        if run.arrays.ids != first.arrays.ids or run.arrays.langs != first.arrays.langs:
            raise XstiltsError(f"{predictions_dir / run.name}: not the same test items and languages "
                               f"as {first.name} — rerun `dvc repro` so every run sees the same data")
        if run.arrays.variants != first.arrays.variants:
            raise XstiltsError(f"{predictions_dir / run.name}: variants {', '.join(run.arrays.variants)}, but "
                               f"{first.name} has {', '.join(first.arrays.variants)} — rerun `dvc repro`")
    # Baseline first, then the intermediate tasks in name order.
    return sorted(runs, key=lambda r: (r.task != NO_INTERMEDIATE, r.task, r.seed))


@dataclass(frozen=True)
class AttackRuns:
    """The adaptive attack's results of the same runs: arrays on the runs' item and language axes
    (so the bootstrap resamples the same items as everywhere else) and the raw rows."""

    runs: list[Run]
    rows: dict[str, list[dict]]  # run name -> results.jsonl rows


def load_attack_runs(attacks_dir: Path, runs: Sequence[Run]) -> AttackRuns:
    """`attacks/<run>/results.jsonl` of every run (stage `attack`)."""
    out, rows = [], {}
    for run in runs:
        path = attacks_dir / run.name / "results.jsonl"
        if not path.is_file():
            raise XstiltsError(f"{path}: missing — run `dvc repro` to attack this run")
        rows[run.name] = read_results(path)
        # The test ids, then any attacked item the (differently subsampled) predictions lack.
        ids = list(dict.fromkeys([*run.arrays.ids, *(str(r["id"]) for r in rows[run.name])]))
        out.append(Run(run.name, run.task, run.seed, attack_arrays(rows[run.name], ids, run.arrays.langs)))
    first = out[0].arrays
    for run in out[1:]:
        if run.arrays.ids != first.ids or not (run.arrays.mask == first.mask).all():
            raise XstiltsError(f"{attacks_dir / run.name}: not the same attacked items as {out[0].name} — "
                               "rerun `dvc repro` so every run is attacked on the same pairs")
    return AttackRuns(out, rows)


PHASES = ("intermediate", "target")


def phase_logs(logs_dir: Path | None, runs: Sequence[Run]) -> dict[tuple[str, str], dict]:
    """(run name, phase) -> that phase's dvclive metrics.json (empty where the phase trained nothing)."""
    out = {}
    for run in runs:
        for phase in PHASES:
            path = logs_dir / phase / run.name / "metrics.json" if logs_dir is not None else None
            data = json.loads(path.read_text(encoding="utf-8")) if path is not None and path.is_file() else {}
            out[(run.name, phase)] = data if data.get("train_examples") else {}
    return out


def _percent(x: float) -> str:
    return f"{100 * x:.1f}"


def _learning_text(data: Mapping) -> str:
    return (f"{data.get('phase', 'held-out')} {_percent(data['best_validation_accuracy'])} % vs "
            f"{_percent(data['chance_accuracy'])} % chance, p = {data['learning_p_value']:.2g}")


def unlearned_runs(logs: Mapping[tuple[str, str], dict]) -> dict[str, str]:
    """Run name -> "intermediate held-out 34.2 % vs 33.3 % chance, p = 0.3" for every run with a
    phase whose best held-out accuracy did not beat chance (xstilts.learning). A shuffled-label
    control's intermediate phase is meant not to learn: it is not listed (its target phase is)."""
    out: dict[str, list[str]] = {}
    for (name, phase), data in logs.items():
        if phase == "intermediate" and is_control(RUN_NAME.match(name)["task"]):
            continue
        if data and data.get("learned") is False:
            out.setdefault(name, []).append(_learning_text({**data, "phase": f"{phase} held-out"}))
    return {name: "; ".join(texts) for name, texts in out.items()}


def controls_that_learned(logs: Mapping[tuple[str, str], dict]) -> list[str]:
    """Controls (task names) with a run whose intermediate phase learned the *true* labels: their
    labels were not shuffled, so they are no control."""
    return sorted({RUN_NAME.match(name)["task"] for (name, phase), data in logs.items()
                   if phase == "intermediate" and is_control(RUN_NAME.match(name)["task"]) and data.get("learned") is True})


def unchecked_runs(logs: Mapping[tuple[str, str], dict]) -> list[str]:
    """Runs with no target-phase training log (or one without a learning verdict): not verified."""
    return sorted({name for (name, phase), data in logs.items() if phase == "target" and data.get("learned") is None})
