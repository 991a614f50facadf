"""requirements.lock pins the whole environment, and the environment under test is that lock.

`make setup` installs with the lock as constraints; `make lock` regenerates it (README, "Set up").
"""

import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)$")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            match = PIN.match(line)
            assert match, f"requirements.lock: not an exact pin: {line!r}"
            pins[_canonical(match[1])] = match[2]
    return pins


def test_every_dependency_is_pinned_with_cpu_torch():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    names = {_canonical(re.split(r"[<>=!~;\[ ]", req, 1)[0]) for req in wanted}
    pins = _lock()
    assert names - set(pins) == set()
    assert pins["torch"].startswith("2.13.0") and not any(n.startswith("nvidia-cu") for n in pins)


def test_the_installed_environment_is_the_lock():
    """What the tests run with is what the lock says (a stale lock or a drifted venv fails here)."""
    drift = {}
    for name, version in _lock().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            drift[name] = (version, None)
            continue
        if installed != version:
            drift[name] = (version, installed)
    assert drift == {}
