"""Shared test fixtures: paths, the real data beside the checkout, tiny data directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workspace import Workspace, make_offline_run

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("XSTILTS_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "pawsx").is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (set XSTILTS_SHARED_DATA or put shared/ beside the checkout)")
    return SHARED_DATA


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the project root, as DVC stages do (the fixture source is a relative path)."""
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.fixture(scope="session")
def offline_run(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The offline default run, once per session (see tests/workspace.py): minutes on 2 CPU cores."""
    return make_offline_run(tmp_path_factory.mktemp("clone") / "xstilts")


@pytest.fixture(scope="session", autouse=True)
def tokenization_cache(tmp_path_factory: pytest.TempPathFactory):
    """Tokenised pairs (xstilts.tokencache) go to a temporary folder for the whole session, in this
    process and in every process a test starts, never to the user's ~/.cache/xstilts."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XSTILTS_CACHE_DIR", str(tmp_path_factory.mktemp("tokencache")))
    yield
    patch.undo()
