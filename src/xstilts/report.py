"""The report: every run × language × variant in one Markdown file, plus figures.

    python stages/report.py --metrics metrics --out reports

Runs are named `<intermediate task>-s<seed>`; `none` is the baseline (no intermediate task).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from xstilts.data.registry import NO_INTERMEDIATE, PAWSX_LANGUAGES
from xstilts.errors import XstiltsError
from xstilts.io import atomic_dir

RUN_NAME = re.compile(r"^(?P<task>.+)-s(?P<seed>\d+)$")
METRIC_KEY = re.compile(r"^(?P<lang>[^.]+)\.(?P<variant>[^.]+)\.(?P<metric>[^.]+)$")


@dataclass(frozen=True)
class RunMetrics:
    run: str
    task: str
    seed: int
    values: dict[tuple[str, str, str], float]  # (lang, variant, metric) -> value


def load_runs(metrics_dir: Path) -> list[RunMetrics]:
    runs = []
    for path in sorted(metrics_dir.glob("*.json")):
        match = RUN_NAME.match(path.stem)
        if not match:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        values = {}
        for key, value in data.items():
            m = METRIC_KEY.match(key)
            if m and isinstance(value, (int, float)):
                values[(m["lang"], m["variant"], m["metric"])] = float(value)
        runs.append(RunMetrics(path.stem, match["task"], int(match["seed"]), values))
    if not runs:
        raise XstiltsError(f"{metrics_dir}: no metrics files named <task>-s<seed>.json")
    # Baseline first, then the intermediate tasks in name order.
    return sorted(runs, key=lambda r: (r.task != NO_INTERMEDIATE, r.task, r.seed))


def _axis(runs: Sequence[RunMetrics], position: int) -> list[str]:
    """Languages in PAWS-X order with the average last; variants with `clean` first."""
    seen = {key[position] for r in runs for key in r.values}
    first = PAWSX_LANGUAGES if position == 0 else ("clean",)
    last = ("avg",) if position == 0 else ()
    middle = sorted(seen - set(first) - set(last))
    return [x for x in first if x in seen] + middle + [x for x in last if x in seen]


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _label(run: RunMetrics) -> str:
    return f"{run.run} (baseline)" if run.task == NO_INTERMEDIATE else run.run


def accuracy_tables(runs: Sequence[RunMetrics]) -> str:
    """One table per variant: run × language accuracy (%), with the Δ to the same-seed baseline."""
    langs = _axis(runs, 0)
    variants = _axis(runs, 1)
    baseline = {r.seed: r for r in runs if r.task == NO_INTERMEDIATE}
    parts = []
    for variant in variants:
        rows = []
        for run in runs:
            row = [_label(run)]
            base = baseline.get(run.seed)
            for lang in langs:
                value = run.values.get((lang, variant, "accuracy"))
                cell = _pct(value)
                if base is not None and base is not run and value is not None:
                    ref = base.values.get((lang, variant, "accuracy"))
                    if ref is not None:
                        cell += f" ({100 * (value - ref):+.1f})"
                row.append(cell)
            rows.append(row)
        parts.append(f"### {variant}\n\n" + _md_table(["run", *langs], rows))
    return "\n\n".join(parts)


def plot_clean_by_language(runs: Sequence[RunMetrics], path: Path, variant: str = "clean") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = [lang for lang in _axis(runs, 0) if lang != "avg"]
    width = 0.8 / max(len(runs), 1)
    fig, ax = plt.subplots(figsize=(1.2 * len(langs) + 2, 3.6))
    for i, run in enumerate(runs):
        xs = [j + i * width for j in range(len(langs))]
        ys = [100 * run.values.get((lang, variant, "accuracy"), float("nan")) for lang in langs]
        ax.bar(xs, ys, width=width, label=_label(run))
    ax.set_xticks([j + width * (len(runs) - 1) / 2 for j in range(len(langs))], langs)
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"PAWS-X zero-shot accuracy by language ({variant})")
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})  # no version stamp: stable bytes
    plt.close(fig)


def plot_variants(runs: Sequence[RunMetrics], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = _axis(runs, 1)
    width = 0.8 / max(len(runs), 1)
    fig, ax = plt.subplots(figsize=(1.4 * len(variants) + 2, 3.6))
    for i, run in enumerate(runs):
        xs = [j + i * width for j in range(len(variants))]
        ys = [100 * run.values.get(("avg", v, "accuracy"), float("nan")) for v in variants]
        ax.bar(xs, ys, width=width, label=_label(run))
    ax.set_xticks([j + width * (len(runs) - 1) / 2 for j in range(len(variants))], variants)
    ax.set_ylabel("accuracy (%), mean over languages")
    ax.set_title("Accuracy per perturbation variant")
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def render_report(runs: Sequence[RunMetrics], figures: Mapping[str, str]) -> str:
    seeds = sorted({r.seed for r in runs})
    tasks = list(dict.fromkeys(r.task for r in runs))
    lines = [
        "# Robustness of zero-shot cross-lingual PAWS-X transfer",
        "",
        "Generated by the `report` stage from `metrics/*.json`; do not edit by hand.",
        "",
        f"Runs: {len(runs)} (intermediate tasks: {', '.join(tasks)}; seeds: {', '.join(map(str, seeds))}). "
        "Accuracy in %; in brackets, the difference in points to the baseline (`none`) with the same seed.",
        "",
        "## Figures",
        "",
        *[f"![{title}]({path})" for title, path in figures.items()],
        "",
        "## Accuracy by variant",
        "",
        accuracy_tables(runs),
        "",
    ]
    return "\n".join(lines)


def write_report(metrics_dir: Path, out_dir: Path) -> Path:
    runs = load_runs(metrics_dir)
    with atomic_dir(out_dir) as tmp:
        (tmp / "figures").mkdir()
        figures = {
            "clean accuracy by language": "figures/clean_by_language.png",
            "accuracy by variant": "figures/by_variant.png",
        }
        plot_clean_by_language(runs, tmp / figures["clean accuracy by language"])
        plot_variants(runs, tmp / figures["accuracy by variant"])
        (tmp / "robustness.md").write_text(render_report(runs, figures), encoding="utf-8")
    return out_dir / "robustness.md"
