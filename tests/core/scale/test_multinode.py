"""A two-node Ray cluster on loopback survives losing its worker node (slow).

A head and a worker node run as separate ``ray start`` processes (one CPU
each) with their own temporary folder. A training job (its fits as Ray
tasks), a tuning job and a batch-scoring job run across both, and the stream
detectors sharded over two actors (one per node); the worker node's raylet is
killed mid-job, and each job still finishes with exactly the in-process
results (fits and trials are retried, scoring actors restarted and their row
groups redone, the lost shard re-homed from its last snapshot and the calls
since). Every process of the cluster is killed afterwards, whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kiwerk
from kiwerk.core.models import ModelRegistry
from kiwerk.core.pipeline import DomainPipeline, FrameSource, TrainParams, train_pilot
from kiwerk.core.scale import (
    ScoreParams,
    TuneParams,
    score_files,
    tune_pilot,
)
from kiwerk.core.serving import ServedModel
from kiwerk.domains.industry.stream import MonitorParams, StreamScorer, free_port
from tests.domains.industry.stream.test_live import recordings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

RAY = Path(sys.executable).parent / "ray"


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone meanwhile
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _parent(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


class LoopbackCluster:
    """A Ray head and worker nodes on 127.0.0.1, all under one temp folder."""

    def __init__(self, root: Path, token: str) -> None:
        self.root = root
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": token,
            "PYTHONPATH": os.pathsep.join(
                [
                    str(Path(kiwerk.__file__).parents[1]),
                    os.environ.get("PYTHONPATH", ""),
                ]
            ),
            "RAY_USAGE_STATS_ENABLED": "0",
        }

    def _start(self, *args: str) -> None:
        common = [
            "--num-cpus=1",
            "--node-ip-address=127.0.0.1",
            "--object-store-memory=100000000",
            f"--temp-dir={self.root}",
        ]
        done = subprocess.run(
            [str(RAY), "start", *args, *common],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert done.returncode == 0, done.stderr[-2000:]

    def start(self) -> None:
        """Start the head, then one worker node."""
        self._start(
            "--head", f"--port={self.port}", "--include-dashboard=false",
            "--disable-usage-stats",
        )  # fmt: skip
        self.add_worker()

    def add_worker(self) -> None:
        """Join one more worker node to the head."""
        self._start(f"--address={self.address}")

    def processes(self) -> dict[int, str]:
        """Every live process of this cluster and their descendants (workers).

        Ray's daemons carry the cluster's temp folder or address in their
        command line; the workers a raylet forks rename themselves (``ray::``),
        so they are found as its descendants.
        """
        marks = (str(self.root), f"127.0.0.1:{self.port}")
        lines = {pid: _cmdline(pid) for pid in _pids() if pid != os.getpid()}
        found = {pid for pid, line in lines.items() if any(m in line for m in marks)}
        parents = {pid: _parent(pid) for pid in lines}
        grown = True
        while grown:
            more = {pid for pid, ppid in parents.items() if ppid in found} - found
            found |= more
            grown = bool(more)
        return {pid: lines[pid] for pid in found}

    def worker_raylet(self) -> int | None:
        """The process id of the worker node's raylet, if it runs."""
        raylets = [
            pid
            for pid, line in self.processes().items()
            if line.split(" ")[0].endswith("/raylet") and "--head" not in line
        ]
        return raylets[0] if raylets else None

    def kill_worker_node(self) -> None:
        """SIGKILL the worker node's raylet: the node and its workers die."""
        pid = self.worker_raylet()
        assert pid is not None, "no worker raylet to kill"
        _kill(pid)

    def stop(self) -> None:
        """Kill every process of the cluster (never `ray stop`: it stops all)."""
        for _ in range(20):
            procs = self.processes()
            if not procs:
                return
            for pid in procs:
                _kill(pid)
            time.sleep(0.5)


# The driver runs in its own process: Ray reads its token settings once per
# process, and this test process may already have run a local, token-less Ray.
_DRIVER = """
import os, signal, sys
from ray import cloudpickle
from kiwerk.core.scale import RayParams, score_files, tune_pilot

job = cloudpickle.loads(open(sys.argv[1], "rb").read())
ray = RayParams(job["address"])
if job["kind"] == "tune":
    killed = []

    def progress(done, total):
        if done >= 1 and not killed:
            os.kill(job["raylet"], signal.SIGKILL)
            killed.append(True)

    report = tune_pilot(job["pilot"], job["source"], job["params"], ray,
                        progress=progress)
    result = {"trials": report.trials, "killed": bool(killed)}
elif job["kind"] == "train":
    from pathlib import Path
    from kiwerk.core.models import ModelRegistry
    from kiwerk.core.pipeline import train_pilot
    from kiwerk.core.scale import ray_fit_map

    killed = []

    def progress(step, done, total):
        if done >= 1 and not killed:
            os.kill(job["raylet"], signal.SIGKILL)
            killed.append(True)

    home = Path(job["home"])
    registry = ModelRegistry(f"sqlite:///{home / 'mlflow.db'}", home / "art")
    report = train_pilot(job["pilot"], job["source"], registry, job["params"],
                         progress=progress, fit_map=ray_fit_map(ray))
    model = registry.load(report.record)
    result = {"metrics": report.metrics, "cv": report.cv_mean,
              "proba": model.predict_proba(job["X"]), "killed": bool(killed)}
elif job["kind"] == "monitor":
    import ray as ray_api

    def descendants(root):
        kids = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    stat = open(f"/proc/{d}/stat").read()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
        out, todo = [], [root]
        while todo:
            more = kids.get(todo.pop(), [])
            out += more
            todo += more
        return out

    from kiwerk.core.scale import ShardParams
    from kiwerk.domains.industry.stream import ShardedStreamScorer

    p = job["monitor"]
    shards = ShardParams(shards=2, snapshot_every=3, max_rehomes=6)
    scorer = ShardedStreamScorer(job["names"], job["sensors"], p.detector, p.drift,
                                 p.shift, shards, ray)
    nodes = scorer.pool.nodes()
    head = ray_api.get_runtime_context().get_node_id()
    out = []
    on_worker = [s for s, node in nodes.items() if node != head]
    for k, (m, t, x) in enumerate(job["batches"]):
        if k == job["kill_after"]:
            if on_worker:  # the node crashes: its raylet and all its workers
                for pid in [job["raylet"], *descendants(job["raylet"])]:
                    os.kill(pid, signal.SIGKILL)
            else:  # SPREAD left none there: lose shard 0's actor instead
                ray_api.kill(scorer.pool._actors[0], no_restart=True)
        out.append(scorer.score(m, t, x))
    result = {"results": out, "rehomed": scorer.pool.rehomed, "lost": on_worker,
              "nodes": nodes, "states": scorer.pool.states(),
              "members": scorer.pool.members}
    scorer.close()
else:
    report = score_files(job["served"], job["files"], job["out"], job["params"], ray)
    result = {"rows": report.rows, "files": report.files}
open(sys.argv[2], "wb").write(cloudpickle.dumps(result))
"""


def _drive(cluster: LoopbackCluster, job: dict[str, Any], folder: Path) -> Any:
    """Run ``job`` in a driver process connected to ``cluster``; its result."""
    from ray import cloudpickle

    folder.mkdir(parents=True, exist_ok=True)
    payload = {**job, "address": cluster.address}
    (folder / "job.pkl").write_bytes(cloudpickle.dumps(payload))  # type: ignore[no-untyped-call]
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                _DRIVER,
                str(folder / "job.pkl"),
                str(folder / "out"),
            ],
            env=cluster.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired as exc:
        tail = (exc.stderr or b"")[-3000:]
        pytest.fail(f"the driver did not finish in 120 s: {tail!r}")
    assert done.returncode == 0, done.stderr[-3000:]
    return cloudpickle.loads((folder / "out").read_bytes())


@pytest.fixture
def cluster() -> Iterator[LoopbackCluster]:
    """A running head + worker on loopback; every process killed afterwards.

    The nodes and the driver share a random token (Ray's token auth).
    """
    root = Path(tempfile.mkdtemp(prefix="kwray-", dir="/tmp"))  # short: socket paths
    nodes = LoopbackCluster(root, secrets.token_hex(32))
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.stop()
        shutil.rmtree(root, ignore_errors=True)
    assert not nodes.processes(), "cluster processes left behind"


@pytest.mark.usefixtures("local_ray_pickling")
def test_tuning_survives_losing_a_node(
    cluster: LoopbackCluster,
    tunable_pilot: DomainPipeline,
    toy_source: FrameSource,
    tmp_path: Path,
) -> None:
    """Killing the worker node after the first trial still runs every trial."""
    params = TuneParams(trials=4, seed=7, folds=2, concurrency=2, max_failures=3)
    expected = tune_pilot(tunable_pilot, toy_source, params)
    job = {
        "kind": "tune",
        "pilot": tunable_pilot,
        "source": toy_source,
        "params": params,
        "raylet": cluster.worker_raylet(),
    }
    got = _drive(cluster, job, tmp_path / "driver")
    assert got["killed"]
    assert cluster.worker_raylet() is None
    # Two trials at a time, ASHA's stops depend on which result arrives first;
    # configurations and every fold score both runs reached are fixed by the seed.
    assert len(got["trials"]) == len(expected.trials)
    for a, b in zip(got["trials"], expected.trials, strict=True):
        assert (a.index, a.config) == (b.index, b.config)
        common = min(len(a.scores), len(b.scores))
        assert common >= 1
        assert a.scores[:common] == b.scores[:common]
    assert any(not t.stopped for t in got["trials"])


@pytest.mark.usefixtures("local_ray_pickling")
def test_training_survives_losing_a_node(
    cluster: LoopbackCluster,
    tunable_pilot: DomainPipeline,
    toy_source: FrameSource,
    registry: ModelRegistry,
    tmp_path: Path,
) -> None:
    """Killing the worker node after the first fit still trains the same model."""
    params = TrainParams(seed=5)
    expected = train_pilot(tunable_pilot, toy_source, registry, params)
    X = tunable_pilot.features(toy_source.read("toy")[0])
    home = tmp_path / "home"
    home.mkdir()
    job = {
        "kind": "train",
        "pilot": tunable_pilot,
        "source": toy_source,
        "params": params,
        "home": str(home),
        "X": X,
        "raylet": cluster.worker_raylet(),
    }
    got = _drive(cluster, job, tmp_path / "driver")
    assert got["killed"]
    assert cluster.worker_raylet() is None
    assert (got["metrics"], got["cv"]) == (expected.metrics, expected.cv_mean)
    want = registry.load(expected.record).predict_proba(X)
    np.testing.assert_array_equal(got["proba"], want)


@pytest.mark.usefixtures("local_ray_pickling")
def test_scoring_survives_losing_a_node(
    cluster: LoopbackCluster,
    served_toy: ServedModel,
    toy_rows: pd.DataFrame,
    tmp_path: Path,
) -> None:
    """Killing the worker node mid-job still writes every row exactly once."""
    rows = pd.concat([toy_rows] * 100, ignore_index=True)  # 60,000 rows
    rows["id"] = range(len(rows))
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), path, 2_000)
    params = ScoreParams(batch_rows=500, keep=("id",))
    expected = score_files(served_toy, [path], tmp_path / "here", params)
    out = tmp_path / "there"
    killed_at: list[float] = []

    def kill_when_writing() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(out.glob("*.parquet")):
            time.sleep(0.05)
        cluster.kill_worker_node()
        killed_at.append(time.monotonic())

    killer = threading.Thread(target=kill_when_writing, daemon=True)
    killer.start()
    job = {"kind": "score", "served": served_toy, "files": [path], "out": out}
    got = _drive(cluster, {**job, "params": params}, tmp_path / "driver")
    finished_at = time.monotonic()
    killer.join(timeout=60)
    assert killed_at, "the worker node was never killed"
    assert killed_at[0] < finished_at, "the job ended before the node was lost"
    a = pa.concat_tables([pq.read_table(f) for f in expected.files])
    b = pa.concat_tables([pq.read_table(f) for f in got["files"]])
    assert got["rows"] == expected.rows == 60_000
    # a row group redone after the loss rewrites its own part: same order
    assert b.column("id").to_pylist() == list(range(60_000))
    assert a.equals(b)
    assert not list(out.glob(".*.tmp"))  # parts cut off by the loss are gone


def test_sharded_monitor_survives_losing_a_node(
    cluster: LoopbackCluster, tmp_path: Path
) -> None:
    """Shards on the lost node are re-homed: no reading lost or scored twice.

    When Ray placed no shard on the worker node, shard 0's actor is killed
    instead (the same loss to the driver), so a shard is always re-homed.
    """
    recs = recordings(6, 400, seed=5)
    params = MonitorParams()
    batches = []
    for start in range(0, 400, 20):
        ticks = np.arange(start, start + 20)
        machines = np.tile(np.arange(6), 20)
        ts = np.repeat(ticks.astype(np.float64), 6)
        x = np.stack([r.values[start : start + 20] for r in recs], axis=1)
        batches.append((machines, ts, x.reshape(-1, 4)))
    whole = StreamScorer(6, 4, params.detector, params.drift, params.shift)
    expected = [whole.score(m, t, x) for m, t, x in batches]
    job = {
        "kind": "monitor",
        "monitor": params,
        "names": [r.machine for r in recs],
        "sensors": 4,
        "batches": batches,
        "kill_after": 10,  # 200 ticks in: fitted, with a snapshot and calls since
        "raylet": cluster.worker_raylet(),
    }
    got = _drive(cluster, job, tmp_path / "driver")
    # Ray's SPREAD placement decides which shards were on the lost node
    assert got["rehomed"] == max(1, len(got["lost"]))
    if got["lost"]:
        assert cluster.worker_raylet() is None
    for a, b in zip(got["results"], expected, strict=True):
        np.testing.assert_array_equal(a.score, b.score)
        np.testing.assert_array_equal(a.alarm, b.alarm)
        assert (a.scored, a.changepoints) == (b.scored, b.changepoints)
    full = whole.state()
    for shard, state in got["states"].items():
        members = got["members"][shard]
        # every reading counted once: the detectors' per-machine counts agree
        np.testing.assert_array_equal(
            state["detector.count_"], full["detector.count_"][members]
        )
        np.testing.assert_array_equal(
            state["detector.mean_"], full["detector.mean_"][members]
        )
