"""The README's experiment workflow on the offline default run: `dvc exp run -S`, a queued sweep run by
`dvc queue start -j 1`, `dvc exp show --csv/--md`, `dvc metrics diff --md` and `dvc exp branch`.

    pytest tests/test_experiments.py -s      # the offline default run (shared), then ~5 minutes

Each command is the README's, on the shared workspace (tests/workspace.py), which is put back after.
"""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
from workspace import dvc, git, stages_run

pytestmark = pytest.mark.e2e

SUMMARY_KEEP = r"Experiment|State|report\.seed|[a-z_]+\.(clean_accuracy|flip_pooled)(_delta|_p_value)?"


def _queue_done(work, env, timeout: float = 900) -> str:
    """Wait until `dvc queue status` shows nothing queued or running; its last output."""
    deadline = time.monotonic() + timeout
    while True:
        status = dvc("queue", "status", cwd=work, env=env).stdout
        if not any(word in status for word in ("Queued", "Running")):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"queue still busy after {timeout:.0f} s:\n{status}")
        time.sleep(5)


@pytest.fixture(scope="module")
def experiments(offline_run):
    """One experiment in the workspace that retrains one task, and a two-point sweep through the queue."""
    work, env = offline_run.path, offline_run.env
    try:
        # A per-task setting: `++` adds the key to the task's (empty) override mapping.
        one = dvc("exp", "run", "-n", "anli-1epoch", "-S", "++intermediate.overrides.anli.train.epochs=1",
                  cwd=work, env=env)
        # `exp run` leaves its params and outputs in the workspace; queue the sweep from main's state.
        offline_run.restore()
        queued = dvc("exp", "run", "--queue", "-S", "report.seed=1,2", cwd=work, env=env)
        dvc("queue", "start", "-j", "1", cwd=work, env=env)
        status = _queue_done(work, env)
        names = [line.split("'")[1] for line in queued.stdout.splitlines() if line.startswith("Queued experiment")]
        logs = {name: dvc("queue", "logs", name, cwd=work, env=env).stdout for name in names}
        yield work, env, one, names, status, logs
    finally:
        dvc("queue", "stop", cwd=work, env=env)
        git("checkout", "-q", "main", cwd=work, env=env)
        offline_run.restore()


def test_exp_run_with_a_task_override_retrains_only_that_task(experiments):
    _, _, one, _, _, _ = experiments
    ran = stages_run(one.stdout)
    assert {"intermediate@anli-13", "target@anli-13", "predict_clean@anli-13", "score@anli-13"} <= set(ran), ran
    assert not [s for s in ran if "none" in s], ran  # the baseline chain is reused, not retrained


def test_queued_sweep_runs_each_point_and_reuses_everything_else(experiments):
    _, _, _, names, status, logs = experiments
    assert len(names) == 2, names
    for name in names:
        assert f"{name}  " in status and "Success" in status.split(name, 1)[1].splitlines()[0], status
        # Only the report reads report.seed: every other stage is restored, none rerun.
        assert stages_run(logs[name]) == ["report"], logs[name][-2000:]


def test_exp_show_csv_and_md_compare_the_experiments(experiments):
    work, env, _, names, _, _ = experiments
    table = dvc("exp", "show", "--csv", "--drop", ".*", "--keep", SUMMARY_KEEP, cwd=work, env=env).stdout
    rows = {row["Experiment"]: row for row in csv.DictReader(io.StringIO(table))}
    assert {"anli-1epoch", *names} <= set(rows), table
    assert {rows[n]["report.seed"] for n in names} == {"1", "2"}
    # A different bootstrap seed may move the p-values, never the point estimates (same predictions).
    a, b = (rows[n] for n in names)
    estimates = ("anli.clean_accuracy_delta", "anli.flip_pooled_delta", "none.clean_accuracy")
    assert all(a[k] == b[k] != "" for k in estimates), (a, b)
    assert any(rows["anli-1epoch"][k] != a[k] for k in estimates[:2])  # retrained anli: new estimates
    assert rows["anli-1epoch"]["none.clean_accuracy"] == a["none.clean_accuracy"]  # the baseline untouched
    md = dvc("exp", "show", "--md", "--drop", ".*", "--keep", SUMMARY_KEEP, cwd=work, env=env).stdout
    assert md.splitlines()[0].startswith("| Experiment") and "anli-1epoch" in md


def test_metrics_diff_md_between_main_and_an_experiment(experiments):
    work, env, _, _, _, _ = experiments
    diff = dvc("metrics", "diff", "main", "anli-1epoch", "--targets", "reports/summary.json", "--md",
               cwd=work, env=env).stdout
    header = [cell.strip() for cell in diff.splitlines()[0].split("|")]
    assert header[1:6] == ["Path", "Metric", "main", "anli-1epoch", "Change"], diff
    assert "reports/summary.json" in diff and "anli.clean_accuracy_delta" in diff


def test_promoting_an_experiment_to_a_branch(experiments):
    work, env, _, _, _, _ = experiments
    dvc("exp", "branch", "anli-1epoch", "anli-1epoch-promoted", cwd=work, env=env)
    try:
        git("checkout", "-q", "anli-1epoch-promoted", cwd=work, env=env)
        dvc("checkout", "--force", cwd=work, env=env)
        params = (work / "params.yaml").read_text()
        assert "epochs: 1" in params.split("overrides:", 1)[1].split("anli:", 1)[1].split("xnli_en", 1)[0]
        assert json.loads(dvc("status", "--json", cwd=work, env=env).stdout or "{}") == {}
    finally:
        git("checkout", "-q", "main", cwd=work, env=env)
        dvc("checkout", "--force", cwd=work, env=env)


def test_gc_as_the_readme_says_keeps_every_experiment(experiments):
    """`dvc gc --workspace --all-experiments` keeps the workspace's and every experiment's outputs
    (the retrained anli models exist only in the experiment, and in no branch gc is told to keep)."""
    work, env, _, _, _, _ = experiments
    dvc("gc", "--workspace", "--all-experiments", "--force", cwd=work, env=env)
    for exp in ("anli-1epoch",):
        branch = f"gc-check-{exp}"
        dvc("exp", "branch", exp, branch, cwd=work, env=env)
        try:
            git("checkout", "-q", branch, cwd=work, env=env)
            dvc("checkout", "--force", cwd=work, env=env)  # fails if gc took any of its outputs
            assert json.loads(dvc("status", "--json", cwd=work, env=env).stdout or "{}") == {}
        finally:
            git("checkout", "-q", "main", cwd=work, env=env)
            dvc("checkout", "--force", cwd=work, env=env)
