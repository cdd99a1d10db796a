"""A two-node Ray cluster on loopback survives losing its worker node (slow).

A head and a worker node run as separate ``ray start`` processes (one CPU
each) with their own temporary folder. A tuning job and a batch-scoring job
run across both; the worker node's raylet is killed mid-job, and each job
still finishes with exactly the in-process results (trials are retried,
scoring actors restarted, lost blocks recomputed). Every process of the
cluster is killed afterwards, whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import psutil  # type: ignore[import-untyped]
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kiwerk
from kiwerk.core.pipeline import DomainPipeline, FrameSource
from kiwerk.core.scale import (
    RayParams,
    ScoreParams,
    TuneParams,
    score_files,
    tune_pilot,
)
from kiwerk.core.serving import ServedModel
from kiwerk.domains.industry.stream import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

RAY = Path(sys.executable).parent / "ray"


class LoopbackCluster:
    """A Ray head and worker nodes on 127.0.0.1, all under one temp folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
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
        subprocess.run(
            [str(RAY), "start", *args, *common],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=90,
        )

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

    def processes(self) -> list[psutil.Process]:
        """Every live process of this cluster (its temp folder is in the command)."""
        found = []
        for proc in psutil.process_iter(["cmdline"]):
            line = " ".join(proc.info["cmdline"] or [])
            if str(self.root) in line or f"127.0.0.1:{self.port}" in line:
                found.append(proc)
        return found

    def kill_worker_node(self) -> None:
        """SIGKILL the worker node's raylet: the node and its workers die."""
        raylets = [
            p
            for p in self.processes()
            if "raylet" in p.name() and "--head" not in " ".join(p.cmdline())
        ]
        assert raylets, "no worker raylet to kill"
        for proc in raylets:
            proc.send_signal(signal.SIGKILL)

    def stop(self) -> None:
        """Kill every process of the cluster (never `ray stop`: it stops all)."""
        for _ in range(3):
            procs = [p for p in self.processes() if p.pid != os.getpid()]
            if not procs:
                return
            for proc in procs:
                with contextlib.suppress(psutil.NoSuchProcess):
                    proc.kill()
            psutil.wait_procs(procs, timeout=10)


@pytest.fixture
def cluster() -> Iterator[LoopbackCluster]:
    """A running head + worker on loopback; every process killed afterwards."""
    import ray

    root = Path(tempfile.mkdtemp(prefix="kwray-", dir="/tmp"))  # short: socket paths
    nodes = LoopbackCluster(root)
    try:
        nodes.start()
        ray.init(address=nodes.address, log_to_driver=False)
        yield nodes
    finally:
        if ray.is_initialized():
            ray.shutdown()
        nodes.stop()
    assert not nodes.processes(), "cluster processes left behind"


@pytest.mark.usefixtures("local_ray_pickling")
def test_tuning_survives_losing_a_node(
    cluster: LoopbackCluster,
    tunable_pilot: DomainPipeline,
    toy_source: FrameSource,
) -> None:
    """Killing the worker node after the first trial still gives every trial."""
    params = TuneParams(trials=4, seed=7, folds=2, concurrency=2, max_failures=3)
    expected = tune_pilot(tunable_pilot, toy_source, params)
    killed: list[bool] = []

    def kill_once(done: int, _total: int) -> None:
        if done >= 1 and not killed:
            cluster.kill_worker_node()
            killed.append(True)

    got = tune_pilot(
        tunable_pilot,
        toy_source,
        params,
        RayParams(cluster.address),
        progress=kill_once,
    )
    assert killed == [True]
    assert got.trials == expected.trials


@pytest.mark.usefixtures("local_ray_pickling")
def test_scoring_survives_losing_a_node(
    cluster: LoopbackCluster,
    served_toy: ServedModel,
    toy_rows: pd.DataFrame,
    tmp_path: Path,
) -> None:
    """Killing the worker node mid-job still writes every row, in order."""
    rows = pd.concat([toy_rows] * 100, ignore_index=True)  # 60,000 rows
    rows["id"] = range(len(rows))
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), path, 2_000)
    params = ScoreParams(batch_rows=500, keep=("id",))
    expected = score_files(served_toy, [path], tmp_path / "here", params)
    out = tmp_path / "there"

    killed_at: list[float] = []

    def kill_when_writing() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(out.glob("*.parquet")):
            time.sleep(0.05)
        cluster.kill_worker_node()
        killed_at.append(time.monotonic())

    killer = threading.Thread(target=kill_when_writing, daemon=True)
    killer.start()
    got = score_files(served_toy, [path], out, params, RayParams(cluster.address))
    finished_at = time.monotonic()
    killer.join(timeout=60)
    assert killed_at, "the worker node was never killed"
    assert killed_at[0] < finished_at, "the job ended before the node was lost"
    a = pa.concat_tables([pq.read_table(f) for f in expected.files])
    b = pa.concat_tables([pq.read_table(f) for f in got.files])
    assert got.rows == expected.rows == 60_000
    assert a.equals(b)
