"""End to end: the offline default (`make run`) in a temporary clone, then nothing left to do.

    pytest tests/test_e2e.py -s      # a few minutes on 2 CPU cores

Checks the metrics files of every run (7 languages × every variant), that the baseline beats chance on
English, that a second `dvc repro` executes no stage and that `dvc status` reports nothing changed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.e2e


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 1500) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def clone_worktree(dest: Path) -> None:
    """What a clean clone would hold: tracked files plus new files git does not ignore (so the test
    also covers uncommitted work), and nothing DVC made."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    # The committed outputs of the default run (reports/notes/ is hand-written and stays).
    for generated in ("dvc.lock", "metrics", "reports/robustness.md", "reports/figures", "reports/plots",
                      "reports/summary.json"):
        path = dest / generated
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("clone") / "xstilts"
    work.mkdir()
    clone_worktree(work)
    env = {
        **os.environ,
        # Stage commands call `python` and `dvc`: the interpreter running the tests.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "PYTHONPATH": str(work / "src"),
    }
    env.pop("XSTILTS_DATA_DIR", None)
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"],
                ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "clone"]):
        run(cmd, work, env)
    started = time.perf_counter()
    first = run([sys.executable, "-m", "dvc", "repro"], work, env)
    seconds = time.perf_counter() - started
    print(f"\noffline default: dvc repro took {seconds:.0f} s")
    return work, env, first, seconds


def test_every_run_has_metrics_for_every_language_and_variant(offline_run):
    work, _, first, _ = offline_run
    params = yaml.safe_load((work / "params.yaml").read_text())
    variants = ["clean", *params["perturb"]["families"]]
    for task in params["intermediate"]["tasks"]:
        for seed in params["seeds"]:
            metrics = json.loads((work / f"metrics/{task}-s{seed}.json").read_text())
            for lang in [*params["languages"], "avg"]:
                for variant in variants:
                    value = metrics[f"{lang}.{variant}.accuracy"]
                    assert 0.0 <= value <= 1.0
                    if variant != "clean":
                        assert 0.0 <= metrics[f"{lang}.{variant}.robust_accuracy"] <= value
                        kind = "flip_rate" if variant == "contrast" else "consistency"
                        assert 0.0 <= metrics[f"{lang}.{variant}.{kind}"] <= 1.0
            for variant in variants:
                assert 0.0 <= metrics[f"crosslingual.{variant}.consistency"] <= 1.0
                assert f"en_gap.{variant}.accuracy" in metrics
            preds = (work / f"predictions/{task}-s{seed}.jsonl").read_text().splitlines()
            rows = [json.loads(line) for line in preds]
            assert rows[0]["variant"] == "clean" and len(rows[0]["probabilities"]) == 2
            clean_de = [r["predicted"] for r in rows if r["lang"] == "de" and r["variant"] == "clean"]
            export = work / f"exports/{task}-s{seed}/pawsx/test-de.tsv"
            assert export.read_text().splitlines() == [str(p) for p in clean_de]
    assert "Running stage 'intermediate@anli-13'" in first.stdout


def test_fine_tuned_baseline_beats_chance_on_english(offline_run):
    work, _, _, _ = offline_run
    test_rows = [json.loads(line) for line in (work / "data/prepared/pawsx/test/en.jsonl").read_text().splitlines()]
    majority = max(sum(r["label"] for r in test_rows), sum(1 - r["label"] for r in test_rows)) / len(test_rows)
    metrics = json.loads((work / "metrics/none-s13.json").read_text())
    assert metrics["en.clean.accuracy"] > majority + 0.05, (metrics["en.clean.accuracy"], majority)


def test_report_has_tables_and_figures(offline_run):
    work, _, _, _ = offline_run
    report = (work / "reports/robustness.md").read_text()
    assert "## Headline: clean accuracy by language" in report and "| none (baseline) |" in report
    assert "## Per perturbation family" in report and "### contrast (flipping)" in report
    for png in ("clean_by_language.png", "robust_by_family.png", "drop_vs_rate.png"):
        assert (work / "reports/figures" / png).read_bytes()[:4] == b"\x89PNG"
    summary = json.loads((work / "reports/summary.json").read_text())
    assert set(summary) == {"none", "anli"} and "robust_delta" in summary["anli"]


def test_dvc_shows_plots_metrics_and_training_curves(offline_run):
    work, env, _, _ = offline_run
    plots = json.loads(run([sys.executable, "-m", "dvc", "plots", "show", "--json"], work, env).stdout)
    names = " ".join(plots["data"])
    for expected in ("reports/plots/clean_by_language.csv", "reports/plots/robust_by_family.csv",
                     "reports/plots/drop_vs_rate.csv", "logs/target/none-s13/plots/metrics"):
        assert expected in names, names
    curve = (work / "logs/target/none-s13/plots/metrics/validation_accuracy.tsv").read_text().splitlines()
    assert curve[0] == "step\tvalidation_accuracy" and len(curve) > 1
    shown = json.loads(run([sys.executable, "-m", "dvc", "metrics", "show", "--json"], work, env).stdout)
    text = json.dumps(shown)
    assert "logs/target/anli-s13/metrics.json" in text and "best_validation_accuracy" in text


def test_checkpoints_are_safetensors_save_pretrained_dirs(offline_run):
    work, _, _, _ = offline_run
    for model_dir in [work / "models/pretrained", work / "models/target/none-s13", work / "models/intermediate/anli-s13"]:
        assert (model_dir / "config.json").is_file() and (model_dir / "model.safetensors").is_file()
        assert not list(model_dir.glob("*.bin")) and not list(model_dir.glob("*.pt"))


def test_second_repro_does_nothing_and_status_is_clean(offline_run):
    work, env, _, _ = offline_run
    again = run([sys.executable, "-m", "dvc", "repro"], work, env)
    assert "Running stage" not in again.stdout, again.stdout
    status = run([sys.executable, "-m", "dvc", "status", "--json"], work, env)
    assert json.loads(status.stdout or "{}") == {}


def _set_param(work: Path, dotted: str, value) -> None:
    params = yaml.safe_load((work / "params.yaml").read_text())
    node = params
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = value
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True))


def test_a_training_param_touches_only_the_target_stages(offline_run):
    work, env, _, _ = offline_run
    original = (work / "params.yaml").read_text()
    try:
        _set_param(work, "target.train.epochs", 1)
        status = json.loads(run([sys.executable, "-m", "dvc", "status", "--json"], work, env).stdout)
        # The report states the training setup, so it reads target.train too; nothing upstream changes.
        assert sorted(status) == ["report", "target@anli-13", "target@none-13"], status
    finally:
        (work / "params.yaml").write_text(original)


def test_a_report_param_touches_only_the_report(offline_run):
    """Metrics and statistics come from saved predictions: no model runs for a report change."""
    work, env, _, _ = offline_run
    original = (work / "params.yaml").read_text()
    try:
        _set_param(work, "report.bootstrap_samples", 500)
        status = json.loads(run([sys.executable, "-m", "dvc", "status", "--json"], work, env).stdout)
        assert sorted(status) == ["report"], status
    finally:
        (work / "params.yaml").write_text(original)


def test_changing_one_family_reruns_only_its_perturb_and_the_evaluations(offline_run):
    """Issue 3: a family's params regenerate that family only, and no training stage runs."""
    work, env, _, _ = offline_run
    params = yaml.safe_load((work / "params.yaml").read_text())
    family = next(iter(params["perturb"]["families"]))
    _set_param(work, f"perturb.families.{family}.seed", params["perturb"]["families"][family].get("seed", 0) + 1)
    out = run([sys.executable, "-m", "dvc", "repro"], work, env).stdout
    ran = sorted(line.split("'")[1] for line in out.splitlines() if line.startswith("Running stage"))
    evaluations = [f"{stage}@{t}-{s}" for stage in ("predict", "score")
                   for t in params["intermediate"]["tasks"] for s in params["seeds"]]
    # The report reruns too unless the new variants happen to leave every metric unchanged.
    assert set(ran) - {"report"} == {f"perturb@{family}", *evaluations}, ran
