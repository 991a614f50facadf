"""End to end: the offline default (`make run`) in a temporary clone, then nothing left to do.

    pytest tests/test_e2e.py -s      # a few minutes on 2 CPU cores

Checks the metrics files of every run (7 languages × every variant), that the baseline beats chance on
English, that a second `dvc repro` executes no stage and that `dvc status` reports nothing changed, and
which stages DVC says a change would rerun: one task's settings only that task's chain, one
perturbation family only its perturb and predict stages (plus the per-run scores and the report).
The workspace is shared with test_experiments.py and test_remote.py (tests/workspace.py).
"""

from __future__ import annotations

import json

import pytest
import yaml
from workspace import dvc, git, set_param, stages_affected, stages_run, stages_to_run
from xstilts.robustness import xtreme_accuracy

pytestmark = pytest.mark.e2e


def test_every_run_has_metrics_for_every_language_and_variant(offline_run):
    work, first = offline_run.path, offline_run.first
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
                        kind = "flip_rate" if variant == "contrast" else "flip"
                        assert 0.0 <= metrics[f"{lang}.{variant}.{kind}"] <= 1.0
            for variant in variants:
                assert 0.0 <= metrics[f"crosslingual.{variant}.consistency"] <= 1.0
                assert f"en_gap.{variant}.accuracy" in metrics
            # One predictions file per variant, from its own predict stage.
            assert sorted(p.stem for p in (work / f"predictions/{task}-s{seed}").iterdir()) == sorted(variants)
            preds = (work / f"predictions/{task}-s{seed}/clean.jsonl").read_text().splitlines()
            rows = [json.loads(line) for line in preds]
            assert {r["variant"] for r in rows} == {"clean"} and len(rows[0]["probabilities"]) == 2
            clean_de = [r["predicted"] for r in rows if r["lang"] == "de" and r["variant"] == "clean"]
            export = work / f"exports/{task}-s{seed}/pawsx/test-de.tsv"
            assert export.read_text().splitlines() == [str(p) for p in clean_de]
            # The export holds every clean test item, and XTREME's scoring rule gives the metrics' accuracy.
            for lang in params["languages"]:
                gold = [json.loads(line)["label"] for line in
                        (work / f"data/prepared/pawsx/test/{lang}.jsonl").read_text().splitlines()]
                got = xtreme_accuracy(work / f"exports/{task}-s{seed}/pawsx/test-{lang}.tsv", gold)
                assert got == pytest.approx(metrics[f"{lang}.clean.accuracy"], abs=1e-6)
            # The adaptive attack: one row per attacked pair, metrics per language, within its budget.
            attack = json.loads((work / f"metrics/attack/{task}-s{seed}.json").read_text())
            results = [json.loads(line) for line in
                       (work / f"attacks/{task}-s{seed}/results.jsonl").read_text().splitlines()]
            assert len(results) == len(params["languages"]) * params["attack"]["max_examples"]
            assert all(1 <= r["queries"] <= params["attack"]["query_budget"] for r in results)
            for lang in [*params["languages"], "avg"]:
                assert 0.0 <= attack[f"{lang}.attack.accuracy_under_attack"] <= 1.0
    assert "Running stage 'intermediate@anli-13'" in first.stdout


def test_fine_tuned_baseline_beats_chance_on_english(offline_run):
    work = offline_run.path
    test_rows = [json.loads(line) for line in (work / "data/prepared/pawsx/test/en.jsonl").read_text().splitlines()]
    majority = max(sum(r["label"] for r in test_rows), sum(1 - r["label"] for r in test_rows)) / len(test_rows)
    metrics = json.loads((work / "metrics/none-s13.json").read_text())
    assert metrics["en.clean.accuracy"] > majority + 0.05, (metrics["en.clean.accuracy"], majority)


def test_every_training_phase_of_every_chain_learned(offline_run):
    """Each phase's best held-out accuracy beats its majority-class rate (xstilts.learning), and the
    target phase reaches 0.65 on English validation: a chain stuck at chance fails here. The
    shuffled-label control's intermediate phase is the exception: it must *not* learn the true labels
    (else its labels were not shuffled)."""
    work = offline_run.path
    logs = sorted(work.glob("models/*/*/training_log.json"))
    assert {p.parent.name for p in logs if p.parent.parent.name == "target"} == {"none-s13", "anli-s13",
                                                                                "anli_shuffled-s13"}
    for path in logs:
        log = json.loads(path.read_text())
        if path.parent.parent.name == "intermediate" and path.parent.name.startswith("anli_shuffled"):
            assert not log["learning"]["learned"], (path, log["learning"])
            continue
        assert log["learning"]["learned"] and log["learning"]["p_value"] < 0.01, (path, log["learning"])
        assert log["machine"]["kind"] and log["mixed_precision"] in ("no", "bf16")
        if path.parent.parent.name == "target":
            assert log["best_validation_accuracy"] >= 0.65, (path, log["best_validation_accuracy"])
    report = (work / "reports/robustness.md").read_text()
    assert "did not learn" not in report


def test_report_has_tables_and_figures(offline_run):
    work = offline_run.path
    report = (work / "reports/robustness.md").read_text()
    assert "## The answer" in report and "## Primary endpoints" in report and "| none (baseline) · 1 seed[^" in report
    assert "## Per perturbation family" in report and "### contrast (flipping)" in report
    assert "## Adaptive attack" in report and "Attack success rate by language" in report
    for png in ("primary_forest.png", "clean_by_language.png", "flip_by_family.png", "drop_vs_rate.png"):
        assert (work / "reports/figures" / png).read_bytes()[:4] == b"\x89PNG"
    summary = json.loads((work / "reports/summary.json").read_text())
    assert set(summary) == {"none", "anli", "anli_shuffled"} and "flip_pooled_delta" in summary["anli"]
    # The answer compares the arm with the baseline and with its shuffled-label control.
    assert "- **`anli` against its shuffled-label control `anli_shuffled`**" in report


def test_dvc_shows_plots_metrics_and_training_curves(offline_run):
    work, env = offline_run.path, offline_run.env
    plots = json.loads(dvc("plots", "show", "--json", cwd=work, env=env).stdout)
    names = " ".join(plots["data"])
    for expected in ("reports/plots/clean_by_language.csv", "reports/plots/flip_by_family.csv",
                     "reports/plots/primary_forest.csv",
                     "reports/plots/drop_vs_rate.csv", "logs/target/none-s13/plots/metrics"):
        assert expected in names, names
    curve = (work / "logs/target/none-s13/plots/metrics/validation_accuracy.tsv").read_text().splitlines()
    assert curve[0] == "step\tvalidation_accuracy" and len(curve) > 1
    shown = json.loads(dvc("metrics", "show", "--json", cwd=work, env=env).stdout)
    text = json.dumps(shown)
    assert "logs/target/anli-s13/metrics.json" in text and "best_validation_accuracy" in text


def test_checkpoints_are_safetensors_save_pretrained_dirs(offline_run):
    work = offline_run.path
    for model_dir in [work / "models/pretrained", work / "models/target/none-s13", work / "models/intermediate/anli-s13"]:
        assert (model_dir / "config.json").is_file() and (model_dir / "model.safetensors").is_file()
        assert not list(model_dir.glob("*.bin")) and not list(model_dir.glob("*.pt"))


def test_final_checkpoints_are_registry_artifacts(offline_run, tmp_path):
    """dvc.yaml's `artifacts:` name the checkpoint folders of every run; a GTO version tag (what
    `gto register pawsx-classifiers` writes) makes `dvc artifacts get` fetch them, file for file."""
    from dvc.repo import Repo

    work, env = offline_run.path, offline_run.env
    with Repo(str(work)) as repo:
        declared = repo.artifacts.read()["dvc.yaml"]
    lock = yaml.safe_load((work / "dvc.lock").read_text())
    target_outs = sorted(out["path"] for name, stage in lock["stages"].items() if name.startswith("target@")
                         for out in stage["outs"] if out["path"].startswith("models/"))
    classifiers = declared["pawsx-classifiers"]
    assert classifiers.type == "model" and classifiers.desc and "pawsx" in classifiers.labels
    assert target_outs and all(out.startswith(classifiers.path + "/") for out in target_outs)
    assert declared["intermediate-encoders"].path == "models/intermediate"

    tag = "pawsx-classifiers@v0.0.1"
    git("tag", "-a", tag, "-m", "Registering artifact pawsx-classifiers version 0.0.1", cwd=work, env=env)
    try:
        dvc("artifacts", "get", str(work), "pawsx-classifiers", "-o", str(tmp_path / "got"), cwd=tmp_path, env=env)
    finally:
        git("tag", "-d", tag, cwd=work, env=env)
    got = sorted(p.relative_to(tmp_path / "got").as_posix() for p in (tmp_path / "got").rglob("*") if p.is_file())
    want = sorted(p.relative_to(work / "models/target").as_posix()
                  for p in (work / "models/target").rglob("*") if p.is_file())
    assert got == want and any(name.endswith("model.safetensors") for name in got)


def test_second_repro_does_nothing_and_status_is_clean(offline_run):
    work, env = offline_run.path, offline_run.env
    again = dvc("repro", cwd=work, env=env)
    assert stages_run(again.stdout) == [], again.stdout
    assert stages_to_run(work, env) == []


def _runs(work) -> tuple[dict, list[str], list[str]]:
    params = yaml.safe_load((work / "params.yaml").read_text())
    return params, params["intermediate"]["tasks"], [f"{t}-{s}" for t in params["intermediate"]["tasks"]
                                                     for s in params["seeds"]]


def _chain(run: str, families) -> set[str]:
    """The stages of one intermediate task × seed after its intermediate training."""
    return {f"intermediate@{run}", f"target@{run}", f"predict_clean@{run}", f"score@{run}", f"attack@{run}",
            *(f"predict@{run}-{f}" for f in families)}


@pytest.mark.parametrize(("part", "value", "first"), [
    ("train.epochs", 1, "intermediate@{task}-{seed}"),
    ("data.max_examples", {"train": 50}, "prepare_intermediate@{task}"),
])
def test_one_tasks_settings_rerun_only_that_tasks_chain(offline_run, part, value, first):
    """intermediate.overrides.<task>.{train,data}: that task's stages from `first` on, for every seed,
    and the report that compares the tasks; no other task's stage."""
    work, env = offline_run.path, offline_run.env
    params, tasks, _ = _runs(work)
    task = next(t for t in tasks if t != "none")
    firsts = {first.format(task=task, seed=s) for s in params["seeds"]}
    try:
        set_param(work, f"intermediate.overrides.{task}.{part}", value)
        # The report reads `intermediate` (it states each task's settings), so it is out of date too.
        assert stages_to_run(work, env) == sorted({"report", *firsts})
        expected = {"report", *firsts}.union(*(_chain(f"{task}-{s}", params["perturb"]["families"])
                                               for s in params["seeds"]))
        assert set(stages_affected(work, env)) == expected
    finally:
        offline_run.restore()


def test_a_shared_training_param_touches_every_target_stage_and_nothing_upstream(offline_run):
    work, env = offline_run.path, offline_run.env
    _, _, runs = _runs(work)
    try:
        set_param(work, "target.train.epochs", 1)
        # The report states the training setup, so it reads target.train too; nothing upstream changes.
        assert stages_to_run(work, env) == sorted(["report", *(f"target@{r}" for r in runs)])
    finally:
        offline_run.restore()


def test_a_report_param_touches_only_the_report(offline_run):
    """Metrics and statistics come from saved predictions: no model runs for a report change."""
    work, env = offline_run.path, offline_run.env
    try:
        set_param(work, "report.bootstrap_samples", 500)
        assert stages_affected(work, env) == ["report"]
    finally:
        offline_run.restore()


def test_an_attack_param_reruns_only_the_attacks_and_the_report(offline_run):
    """The attack reads only its own params (and the checkpoints): no training, no prediction."""
    work, env = offline_run.path, offline_run.env
    _, _, runs = _runs(work)
    try:
        set_param(work, "attack.query_budget", 7)
        expected = sorted(["report", *(f"attack@{r}" for r in runs)])
        assert stages_to_run(work, env) == expected
        assert stages_affected(work, env) == expected
    finally:
        offline_run.restore()


def test_changing_one_family_reruns_only_its_perturb_and_evaluation_stages(offline_run):
    """A family's params regenerate that family and re-predict it for every run: no other family, no
    clean prediction, no training. Asked of DVC first, then checked by running it."""
    work, env = offline_run.path, offline_run.env
    params, _, runs = _runs(work)
    family = next(iter(params["perturb"]["families"]))
    evaluations = {*(f"predict@{r}-{family}" for r in runs), *(f"score@{r}" for r in runs)}
    try:
        set_param(work, f"perturb.families.{family}.seed", params["perturb"]["families"][family].get("seed", 0) + 1)
        # score and report read perturb.families (which variant files make a run), so they are out
        # of date at once.
        assert stages_to_run(work, env) == sorted([f"perturb@{family}", "report", *(f"score@{r}" for r in runs)])
        assert set(stages_affected(work, env)) == {f"perturb@{family}", "report", *evaluations}
        ran = stages_run(dvc("repro", cwd=work, env=env).stdout)
        # The report reruns too unless the new variants happen to leave every metric unchanged.
        assert set(ran) - {"report"} == {f"perturb@{family}", *evaluations}, ran
    finally:
        offline_run.restore()


def test_adding_the_multitask_mixture_adds_only_its_own_chain(offline_run):
    """A multi-task intermediate task is one more entry in `intermediate.tasks`: DVC then has the
    mixture's whole chain to run (and the report), and nothing of the existing tasks."""
    work, env = offline_run.path, offline_run.env
    params, tasks, _ = _runs(work)
    try:
        set_param(work, "intermediate.tasks", [*tasks, "nli_mix"])
        expected = {"prepare_intermediate@nli_mix", "report"}.union(
            *(_chain(f"nli_mix-{s}", params["perturb"]["families"]) for s in params["seeds"]))
        assert set(stages_to_run(work, env)) == expected
    finally:
        offline_run.restore()
