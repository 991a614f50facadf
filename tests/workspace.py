"""The offline default pipeline run once per test session, in a temporary clone, for the tests that
need a real DVC workspace (tests/test_e2e.py, test_experiments.py, test_remote.py).

The workspace is a git repository whose last commit holds the run's results (dvc.lock, metrics,
report), as a user would commit them; a test that edits it puts it back with `restore()`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GIT_USER = ["-c", "user.name=xstilts tests", "-c", "user.email=tests@xstilts.invalid"]


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 2700) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def dvc(*args: str, cwd: Path, env: dict[str, str], timeout: int = 2700) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "dvc", *args], cwd, env, timeout)


def git(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run(["git", *GIT_USER, *args], cwd, env)


def stages_run(output: str) -> list[str]:
    """The stages a `dvc repro`/`dvc exp run` executed, from its "Running stage 'x':" lines."""
    return sorted(line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage"))


def stages_to_run(cwd: Path, env: dict[str, str]) -> list[str]:
    """What `dvc status` says is out of date (the stages `dvc repro` would run first)."""
    return sorted(json.loads(dvc("status", "--json", cwd=cwd, env=env).stdout or "{}"))


def stages_affected(cwd: Path, env: dict[str, str]) -> list[str]:
    """Every stage `dvc repro` may run now: those `dvc status` reports out of date plus everything
    downstream of them in `dvc dag` (a downstream stage runs if its inputs come out different)."""
    edges = [line.strip().rstrip(";").split(" -> ") for line in dvc("dag", "--dot", cwd=cwd, env=env).stdout.splitlines()
             if " -> " in line]
    children: dict[str, set[str]] = {}
    for a, b in edges:
        children.setdefault(a.strip('"'), set()).add(b.strip('"'))
    affected, todo = set(), list(stages_to_run(cwd, env))
    while todo:
        stage = todo.pop()
        if stage not in affected:
            affected.add(stage)
            todo.extend(children.get(stage, ()))
    return sorted(affected)


def set_param(work: Path, dotted: str, value) -> None:
    """Edit one params.yaml key (creating missing mappings on the way), as a user would."""
    import yaml

    params = yaml.safe_load((work / "params.yaml").read_text())
    node = params
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True))


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


def offline_env(work: Path) -> dict[str, str]:
    env = {
        **os.environ,
        # Stage commands call `python` and `dvc`: the interpreter running the tests.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "PYTHONPATH": str(work / "src"),
    }
    env.pop("XSTILTS_DATA_DIR", None)
    return env


@dataclass(frozen=True)
class Workspace:
    path: Path
    env: dict[str, str]
    first: subprocess.CompletedProcess  # the first `dvc repro`
    seconds: float

    def restore(self) -> None:
        """Back to the committed run: tracked files from git, DVC outputs from the cache."""
        git("checkout", "--", ".", cwd=self.path, env=self.env)
        dvc("checkout", "--force", cwd=self.path, env=self.env)


def make_offline_run(work: Path, targets: tuple[str, ...] = (), params: dict | None = None) -> Workspace:
    """`git init` + commit a clean clone, `dvc repro` the offline default (or only `targets` and what
    they depend on; with `params`, dotted keys set in params.yaml first), commit its results."""
    work.mkdir(parents=True)
    clone_worktree(work)
    for key, value in (params or {}).items():
        set_param(work, key, value)
    env = offline_env(work)
    git("init", "-q", "-b", "main", cwd=work, env=env)
    git("add", "-A", cwd=work, env=env)
    git("commit", "-qm", "clone", cwd=work, env=env)
    started = time.perf_counter()
    first = dvc("repro", *targets, cwd=work, env=env)
    seconds = time.perf_counter() - started
    print(f"\noffline default: dvc repro took {seconds:.0f} s")
    git("add", "-A", cwd=work, env=env)
    git("commit", "-qm", "offline default run", cwd=work, env=env)
    return Workspace(work, env, first, seconds)
