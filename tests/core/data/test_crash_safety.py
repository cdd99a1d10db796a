"""Crash safety and concurrency: SIGKILLed ingests, parallel ingests, lock timeouts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from filelock import FileLock

import kiwerk
from kiwerk.core.data import DatasetSpec, Pool
from kiwerk.errors import Conflict

# The child opens the pool and ingests; a hook named by argv[6] kills the
# process with SIGKILL at one precise point of the write path.
CHILD = """
import os, signal, sys, pathlib
from kiwerk.core.data import Pool, _audit, _ingest

root, secrets, file, dataset, actor, point = sys.argv[1:7]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point == "mid-stream":
    original_write = _ingest._Writers.write
    calls = []
    def write(self, name, batch):
        original_write(self, name, batch)
        calls.append(name)
        if len(calls) == 2:
            die()
    _ingest._Writers.write = write
elif point == "in-transaction":
    original_append = _audit.AuditLog.write
    def write(self, con, actor, action, *args, **kw):
        seq = original_append(self, con, actor, action, *args, **kw)
        if action == "ingest":
            die()
        return seq
    _audit.AuditLog.write = write
elif point == "after-rename":
    original_rename = pathlib.Path.rename
    def rename(self, target):
        result = original_rename(self, target)
        if pathlib.Path(target).parent.name == dataset:
            die()
        return result
    pathlib.Path.rename = rename

pool = Pool.open(pathlib.Path(root), secrets_path=pathlib.Path(secrets))
report = pool.ingest(pathlib.Path(file), dataset, actor=actor)
print(report.version)
"""


def _sensor_csv(path: Path, rows: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "ts": pd.date_range("2024-01-01", periods=rows, freq="s"),
            "machine": rng.choice(["M1", "M2", "M3"], rows),
            "operator": rng.choice(["alice", "bernd", "carla"], rows),
            **{f"s{i}": rng.normal(size=rows).round(3) for i in range(4)},
        }
    )
    frame.to_csv(path, index=False)
    return path


def _child(pool: Pool, tmp_path: Path, file: Path, point: str) -> subprocess.Popen[str]:
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(kiwerk.__file__).parents[1])}
    args = [str(pool.root), str(tmp_path / "secrets.toml"), str(file), "pumps", "ana"]
    return subprocess.Popen(
        [sys.executable, str(script), *args, point],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def pumps_pool(pool: Pool, pumps_csv: Path) -> Pool:
    """The pool fixture with dataset ``pumps`` holding one version."""
    spec = DatasetSpec(personal=("operator",))
    pool.create_dataset("pumps", org="acme", actor="ana", spec=spec)
    pool.ingest(pumps_csv, "pumps", actor="ana")
    return pool


@pytest.mark.parametrize("point", ["mid-stream", "in-transaction", "after-rename"])
def test_sigkill_leaves_pool_as_before(
    pumps_pool: Pool,
    tmp_path: Path,
    snapshot: Callable[[Pool], dict[str, Any]],
    point: str,
) -> None:
    """An ingest SIGKILLed at any step leaves no visible trace; recovery tidies up."""
    big = _sensor_csv(tmp_path / "big.csv", 140_000, seed=1)
    before = snapshot(pumps_pool)
    child = _child(pumps_pool, tmp_path, big, point)
    _, err = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, err
    assert [v.version for v in pumps_pool.versions("pumps", actor="ana")] == [1]
    reopened = Pool.open(pumps_pool.root, secrets_path=tmp_path / "secrets.toml")
    assert snapshot(reopened) == before
    reopened.audit.verify()
    assert reopened.ingest(big, "pumps", actor="ana").version == 2


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0])
def test_sigkill_at_random_moments(
    pumps_pool: Pool,
    tmp_path: Path,
    snapshot: Callable[[Pool], dict[str, Any]],
    delay: float,
) -> None:
    """Killed after an arbitrary delay, an ingest is either all there or not at all."""
    big = _sensor_csv(tmp_path / "big.csv", 400_000, seed=2)
    before = snapshot(pumps_pool)
    child = _child(pumps_pool, tmp_path, big, "none")
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=120)
    reopened = Pool.open(pumps_pool.root, secrets_path=tmp_path / "secrets.toml")
    versions = [v.version for v in reopened.versions("pumps", actor="ana")]
    reopened.audit.verify()
    if versions == [1]:
        assert snapshot(reopened) == before
    else:  # the kill came after the commit: the whole version is there
        assert versions == [1, 2]
        assert len(reopened.read("pumps", 2, actor="ana")) == 400_000


def test_concurrent_ingests_serialise(pumps_pool: Pool, tmp_path: Path) -> None:
    """Two processes ingesting into one dataset both succeed, one after the other."""
    files = [_sensor_csv(tmp_path / f"f{i}.csv", 20_000 + i, seed=i) for i in (0, 1)]
    children = [_child(pumps_pool, tmp_path, f, "none") for f in files]
    outputs = [c.communicate(timeout=120) for c in children]
    assert [c.returncode for c in children] == [0, 0], outputs
    assert sorted(int(out) for out, _ in outputs) == [2, 3]
    sizes = {len(pumps_pool.read("pumps", v, actor="ana")) for v in (2, 3)}
    assert sizes == {20_000, 20_001}
    pumps_pool.audit.verify()


def test_lock_timeout_fails_cleanly(
    pumps_pool: Pool,
    pumps_csv: Path,
    tmp_path: Path,
    snapshot: Callable[[Pool], dict[str, Any]],
) -> None:
    """While another ingest holds the dataset, an impatient one raises Conflict."""
    impatient = Pool.open(
        pumps_pool.root, secrets_path=tmp_path / "secrets.toml", lock_timeout=0.2
    )
    before = snapshot(pumps_pool)
    lock = FileLock(pumps_pool.root / "locks" / "ds-pumps.lock")
    with lock, pytest.raises(Conflict, match="another ingest into 'pumps'"):
        impatient.ingest(pumps_csv, "pumps", actor="ana")
    assert snapshot(pumps_pool) == before
