"""The report's figures (PNG) and the CSV files behind `dvc plots`.

The first figure is the answer at a glance: a forest plot of the primary endpoints (each learned
arm's Δ against the baseline and its control, per family and pooled, with the seed-and-item
intervals and the zero line).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from xstilts.io import atomic_path
from xstilts.report.statistics import FLIP, Estimate, Statistics
from xstilts.report.tables import endpoint_columns
from xstilts.robustness import AVERAGE
from xstilts.schema import CLEAN

def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    with atomic_path(path) as tmp:  # no half-written figure if the stage is interrupted
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None})  # no version stamp: stable bytes
    _pyplot().close(fig)


def _grouped_bars(stats: Statistics, groups: Sequence[str], value: Callable[[str, str], Estimate], title: str,
                  ylabel: str, path: Path, chance_line: bool = True) -> list[dict]:
    """Bars per group (x) and task (colour) with interval whiskers; returns the plotted rows."""
    plt = _pyplot()
    width = 0.8 / max(len(stats.tasks), 1)
    fig, ax = plt.subplots(figsize=(1.1 * len(groups) + 2.5, 3.8))
    rows = []
    for i, task in enumerate(stats.tasks):
        estimates = [value(task, g) for g in groups]
        xs = [j + i * width for j in range(len(groups))]
        ys = [100 * e.value for e in estimates]
        err = np.nan_to_num([[100 * (e.value - e.low) for e in estimates], [100 * (e.high - e.value) for e in estimates]])
        ax.bar(xs, ys, width=width, yerr=np.clip(err, 0, None), capsize=2, label=stats.task_label(task, mark=False))
        rows += [{"task": task, "group": g, "value": e.value, "low": e.low, "high": e.high}
                 for g, e in zip(groups, estimates)]
    ax.set_xticks([j + width * (len(stats.tasks) - 1) / 2 for j in range(len(groups))], groups, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    if chance_line:
        ax.axhline(50, color="grey", lw=0.8, ls="--")
    lows = [r["low"] for r in rows if np.isfinite(r["low"])]  # undefined cells draw no bar
    ax.set_ylim(bottom=max(0, min(lows) * 100 - 10) if lows and chance_line else 0)
    ax.legend(fontsize=7, loc="lower right")
    _save(fig, path)
    return rows


def _scatter_drop(stats: Statistics, path: Path) -> list[dict]:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    rows = []
    for task in stats.tasks:
        xs, ys = [], []
        for family in stats.preserving:
            for lang in stats.langs:
                rate = stats.edit_rate(lang, family)
                drop = stats.estimate(task, "drop", lang, family).value
                rows.append({"task": task, "family": family, "lang": lang, "edit_rate": rate, "drop": drop})
                xs.append(100 * rate)
                ys.append(100 * drop)
        ax.scatter(xs, ys, s=14, alpha=0.7, label=stats.task_label(task, mark=False))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("characters edited (% of the pair), mean per family × language")
    ax.set_ylabel("accuracy drop (points)")
    ax.set_title("Drop versus perturbation rate (label-preserving families)", fontsize=10)
    ax.legend(fontsize=7)
    _save(fig, path)
    return rows


def _write_csv(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    with atomic_path(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["empty"])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()})


def _forest(stats: Statistics, path: Path) -> list[dict]:
    """Rows: (comparison, endpoint); a point at Δ (points) with its interval; the zero line."""
    plt = _pyplot()
    comparisons = stats.primary_comparisons()
    rows = []
    for (arm, name, lang, variant, ref), c in comparisons.items():
        title = next(h for n, v, h in endpoint_columns(stats) if (n, v) == (name, variant))
        rows.append({"comparison": f"{arm} − {ref}", "endpoint": title.removeprefix("Δ "), "delta": c.delta,
                     "low": c.low, "high": c.high, "p_holm": c.p_holm, "seeds": c.seeds})
    fig, ax = plt.subplots(figsize=(7, 0.32 * max(len(rows), 3) + 1.2))
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        if np.isfinite(r["delta"]):
            # A conditional interval can leave its point outside: matplotlib refuses negative error bars.
            xerr = np.clip([[100 * (r["delta"] - r["low"])], [100 * (r["high"] - r["delta"])]], 0, None)
            ax.errorbar(100 * r["delta"], y, xerr=np.nan_to_num(xerr),
                        fmt="o", color="black" if r["endpoint"] == "clean accuracy" else "tab:blue", capsize=2, ms=4)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(rows)), [f"{r['comparison']}: {r['endpoint']}" for r in reversed(rows)], fontsize=7)
    ax.set_xlabel("Δ (points): accuracy higher is better; flip rate lower is more robust")
    seeds = min((r["seeds"] for r in rows), default=1)
    ax.set_title("Primary endpoints" + (" (one seed: test-item sampling only)" if seeds == 1 else
                                        f" ({seeds} seeds: seed-and-item intervals)"), fontsize=10)
    if not rows:
        ax.text(0.5, 0.5, "no learned arm with a baseline: no primary comparison", ha="center", transform=ax.transAxes)
    _save(fig, path)
    return rows


def figures_and_plots(stats: Statistics, out_dir: Path) -> dict[str, str]:
    """Write the PNG figures and the CSV files behind `dvc plots`; returns {title: relative path}."""
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    (out_dir / "plots").mkdir(parents=True, exist_ok=True)
    figures = {
        "The answer at a glance: primary endpoints": "figures/primary_forest.png",
        "Clean accuracy by language": "figures/clean_by_language.png",
        "Flip rate given right on the clean pair, by family (average over languages)": "figures/flip_by_family.png",
        "Accuracy drop versus perturbation rate": "figures/drop_vs_rate.png",
    }
    _write_csv(out_dir / "plots" / "primary_forest.csv",
               _forest(stats, out_dir / figures["The answer at a glance: primary endpoints"]))
    clean = _grouped_bars(stats, [*stats.langs, AVERAGE], lambda t, g: stats.estimate(t, "accuracy", g, CLEAN),
                          "Clean zero-shot accuracy (bootstrap interval)", "accuracy (%)",
                          out_dir / figures["Clean accuracy by language"])
    _write_csv(out_dir / "plots" / "clean_by_language.csv",
               [{"cell": f"{r['task']} · {r['group']}", "task": r["task"], "lang": r["group"],
                 "accuracy": r["value"], "low": r["low"], "high": r["high"]} for r in clean])
    flips = _grouped_bars(stats, stats.preserving, lambda t, g: stats.estimate(t, FLIP, AVERAGE, g),
                          "P(wrong on the perturbed pair | right on the clean pair): lower is more robust",
                          "flip rate (%)", out_dir / figures["Flip rate given right on the clean pair, by family "
                                                              "(average over languages)"], chance_line=False)
    _write_csv(out_dir / "plots" / "flip_by_family.csv",
               [{"cell": f"{r['task']} · {r['group']}", "task": r["task"], "family": r["group"],
                 "flip": r["value"], "low": r["low"], "high": r["high"]} for r in flips])
    drops = _scatter_drop(stats, out_dir / figures["Accuracy drop versus perturbation rate"])
    _write_csv(out_dir / "plots" / "drop_vs_rate.csv", drops)
    return figures
