"""Every dvc.yaml stage lists exactly the xstilts source its script runs, by package: so that changing
one module reruns every stage that uses it and no other, and a new module inside a package needs no
dvc.yaml edit.

The import graph is read statically (every `import`/`from … import` of an xstilts module, at module
level or inside functions, followed transitively from `stages/<script>.py`). A stage that runs any
module of a subpackage (`src/xstilts/perturb/…`) lists the package folder; a top-level module
(`src/xstilts/params.py`) is listed as a file. A failure prints the list to paste into dvc.yaml.

    pytest tests/test_stage_deps.py
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def module_file(name: str) -> Path | None:
    path = SRC.joinpath(*name.split("."))
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else None


def imported_modules(path: Path, package: str) -> set[str]:
    """The xstilts modules `path` imports, with their parent packages (whose __init__ runs too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            # `from xstilts.pkg import name`: `name` may be a submodule.
            found.update(f"{module}.{alias.name}" for alias in node.names if module_file(f"{module}.{alias.name}"))
    parents = {".".join(m.split(".")[:i]) for m in found for i in range(1, m.count(".") + 2)}
    return {m for m in parents if m.split(".")[0] == "xstilts"}


def source_files(script: Path) -> set[str]:
    """The xstilts source files `script` runs (transitively), relative to the repository."""
    seen: dict[str, Path] = {}
    todo = list(imported_modules(script, "stages"))
    while todo:
        module = todo.pop()
        path = module_file(module)
        if path is None or module in seen:
            continue
        seen[module] = path
        todo.extend(imported_modules(path, module if path.name == "__init__.py" else module.rsplit(".", 1)[0]))
    # The top-level package's __init__ (version only) is shared by every stage.
    return {str(p.relative_to(ROOT)) for m, p in seen.items() if m != "xstilts"}


def _stages() -> dict[str, dict]:
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    return {name: stage.get("do", stage) for name, stage in stages.items()}  # foreach stages keep theirs in `do`


def _covers(dep: str, path: str) -> bool:
    return path == dep or path.startswith(dep.rstrip("/") + "/")


PACKAGE_ROOT = "src/xstilts/"


def expected_deps(used: set[str]) -> list[str]:
    """The source deps a stage lists for the files it runs: the top-level package folder of each file
    in a subpackage, each top-level module itself."""
    deps = set()
    for path in used:
        parts = path.removeprefix(PACKAGE_ROOT).split("/")
        deps.add(PACKAGE_ROOT + parts[0] if len(parts) > 1 else path)
    return sorted(deps)


@pytest.mark.parametrize("name", sorted(_stages()))
def test_stage_lists_exactly_the_source_it_runs(name):
    stage = _stages()[name]
    script = re.search(r"stages/\w+\.py", stage["cmd"])
    assert script, f"{name}: no stages/<script>.py in its cmd"
    deps = stage.get("deps", [])
    assert script.group(0) in deps, f"{name}: its own script {script.group(0)} is not a dep"
    used = source_files(ROOT / script.group(0))
    listed = [d for d in deps if d.startswith("src/")]
    want = expected_deps(used)
    assert sorted(listed) == want, f"{name}: its source deps should be\n" + "\n".join(f"      - {d}" for d in want)
    assert all(any(_covers(d, f) for d in listed) for f in used)  # what the package rule promises


def test_package_rule():
    used = {"src/xstilts/params.py", "src/xstilts/perturb/base.py", "src/xstilts/perturb/family.py",
            "src/xstilts/report/inference.py"}
    assert expected_deps(used) == ["src/xstilts/params.py", "src/xstilts/perturb", "src/xstilts/report"]


def test_the_import_reader_follows_lazy_and_relative_imports(tmp_path):
    # training.py imports xstilts.io inside a function and xstilts.resume at module level.
    files = source_files(ROOT / "stages/target.py")
    assert {"src/xstilts/io.py", "src/xstilts/resume.py", "src/xstilts/training.py"} <= files
    assert "src/xstilts/report.py" not in files


def _stage_params(script: Path, cmd: str) -> list[str]:
    """The `PARAMS` a stage script reads (a tuple, or a mapping by `--role`), read statically."""
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["PARAMS"]:
            keys = ast.literal_eval(node.value)
            if isinstance(keys, dict):
                keys = keys[re.search(r"--role (\w+)", cmd).group(1)]
            return list(keys)
    raise AssertionError(f"{script}: no PARAMS")


def _template(key: str) -> str:
    """A key with its interpolated name blanked: `${item.task}` (dvc.yaml) and `{task}` (a stage) alike."""
    return re.sub(r"\$?\{[^}]*\}", "{}", key)


@pytest.mark.parametrize("name", sorted(_stages()))
def test_stage_reads_exactly_the_params_it_lists(name):
    """What a stage reads (its PARAMS, through xstilts.params.read_params) is what dvc.yaml lists, so
    that DVC reruns it exactly when a value it uses changes (and a value it ignores cannot fail it)."""
    stage = _stages()[name]
    script = ROOT / re.search(r"stages/\w+\.py", stage["cmd"]).group(0)
    assert [_template(k) for k in _stage_params(script, stage["cmd"])] == [_template(k) for k in stage["params"]]
