"""Scale-out benchmark: tuning, batch scoring, sharded monitor; in-process vs Ray.

Run from the repository root::

    PYTHONPATH=src python -m benchmarks.ray_scale [--trials 32] [--rows 10000000]

Every Ray part runs on one local Ray session (2 CPUs, a 512 MiB object
store), started once; its start-up time is reported apart (``t0``).

1. Tuning: ``--trials`` configurations of the industry-rul GBM search space on
   C-MAPSS FD001 (2 validation folds of the training engines, ASHA), first
   in-process one after another, then on Ray Tune with 2 CPUs (2 trials at
   once; the training data goes to the object store once, and a trial's
   worker runs the next trial, so the pilot's libraries are imported once
   per worker, not per trial: ``reuse_workers``). Prints both wall
   times, the speed-up, the per-fold-fit cost and the projected time on N
   2-core nodes: ``t(N) = t0 + fits · cost / (2N · e)``
   with ``cost`` the in-process seconds per fold fit and
   ``e = t_seq / (2 t_ray)`` the parallel efficiency measured here (Tune's
   scheduling and the workers' imports included). ``--quick`` gives the trials
   the small budget (at most 40 trees, 3 internal folds).
2. Batch scoring: ``--rows`` AI4I rows (resampled with a fixed seed) in one
   Parquet file of 100,000-row groups, scored by the full industry-failure
   model in-process (pyarrow batches; LightGBM uses both cores on large
   batches) and with Ray Data with 1 and 2 scoring actors (one thread each).
   Peak memory is the summed PSS of the process tree (driver, raylet, GCS,
   agents, workers): pages shared by several processes, the object store's
   included, count once. The summed RSS, which counts them once per process,
   is printed beside it; the in-process figure is the driver's alone.
3. Sharded monitor: 200 C-MAPSS engines replayed through the stream
   detectors (20 ticks of every machine per batch), one in-process scorer vs
   2 Ray actor shards; readings/s and a check that the scores are identical.

Writes ``benchmarks/results/ray.json``. The machine is shared with other jobs:
timings and the speed-up are depressed by their load (see ``load``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks._common import machine, write_result
from kiwerk.core.models import ModelRegistry
from kiwerk.core.pipeline import FrameSource, TrainParams, train_pilot
from kiwerk.core.scale import (
    RayParams,
    ScoreParams,
    ShardParams,
    TuneParams,
    ray_session,
    score_files,
    tune_pilot,
)
from kiwerk.core.serving import ServedModel
from kiwerk.datasets import load_ai4i
from kiwerk.domains.industry.failure import failure_pilot
from kiwerk.domains.industry.rul import cmapss_frames, rul_pilot
from kiwerk.domains.industry.stream import (
    MonitorParams,
    ShardedStreamScorer,
    StreamScorer,
    cmapss_recordings,
)
from kiwerk.settings import Settings

T = TypeVar("T")

#: one local Ray for every part: 2 CPUs, a 512 MiB object store
RAY_LOCAL = RayParams("local", num_cpus=2, object_store_mib=512)
#: what each part asks for (it reuses the session opened with RAY_LOCAL)
RAY = RayParams("local")


def _tree(root: int) -> set[int]:
    """``root`` and all its descendants, from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= more
        grown = bool(more)
    return tree


def _memory_kib(pid: int) -> dict[str, int]:
    """Rss, Pss and Pss_Shmem (the object store's share) of one process."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines()[1:]:
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss", "Pss_Shmem"):
            out[key] = int(rest.split()[0])
    return out


class PeakMemory:
    """Peak memory (MiB) of this process, or of it and all its descendants.

    ``pss`` sums the proportional set size: a page shared by k processes
    (the Ray object store in /dev/shm, shared libraries) counts 1/k in each,
    so the sum counts it once; this is the figure reported. ``rss`` sums
    the resident set sizes, which count shared pages once per process that
    maps them (an upper bound, what the first runs reported); ``shm`` is the
    object store's part of ``pss``. Sampled every second for a process tree
    (reading every process's smaps costs CPU the measured run would miss),
    every 0.2 s for this process alone.
    """

    def __init__(self, tree: bool) -> None:
        self.tree = tree
        self.every = 1.0 if tree else 0.2
        self.pss = self.rss = self.shm = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            pids = _tree(os.getpid()) if self.tree else {os.getpid()}
            mem = [_memory_kib(pid) for pid in pids]
            pss = sum(m.get("Pss", 0) for m in mem) / 1024
            if pss > self.pss:
                self.pss = pss
                self.shm = sum(m.get("Pss_Shmem", 0) for m in mem) / 1024
            self.rss = max(self.rss, sum(m.get("Rss", 0) for m in mem) / 1024)
            time.sleep(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measured(fn: Callable[[], T], tree: bool = True) -> tuple[T, float, PeakMemory]:
    """``fn()``, its wall time and the peak memory meanwhile."""
    with PeakMemory(tree) as memory:
        started = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - started
    return out, seconds, memory


def bench_tune(trials: int, data: Path, quick: bool, t0: float) -> dict[str, Any]:
    """Sequential vs Ray (2 CPUs, the running session) search of the RUL space."""
    pilot = rul_pilot("FD001")
    source = FrameSource(cmapss_frames("FD001", data / "cmapss"))
    params = TuneParams(trials=trials, seed=42, quick=quick, folds=2)
    here, t_seq, _ = measured(lambda: tune_pilot(pilot, source, params), tree=False)
    # a worker that imports the RUL pilot (torch, LightGBM) once, not per trial
    params = dataclasses.replace(params, reuse_workers=True)
    # memory is not reported here: no process-tree sampling, as in-process
    there, t_ray, _ = measured(
        lambda: tune_pilot(pilot, source, params, RAY), tree=False
    )
    assert [t.config for t in here.trials] == [t.config for t in there.trials]
    fits = sum(len(t.scores) for t in here.trials)
    # ASHA on Ray decides as results arrive from 2 trials at once, so it may
    # run a few fold fits more or fewer than the sequential run
    fits_ray = sum(len(t.scores) for t in there.trials)
    cost = t_seq / fits
    speedup = t_seq / t_ray
    # measured on the warm session, so Tune's per-run and per-trial costs
    # are inside the efficiency; t0 (starting Ray) is paid once per cluster
    efficiency = min(1.0, t_seq / (2 * t_ray))
    projected = {
        str(n): t0 + fits * cost / (2 * n * efficiency) for n in (1, 2, 4, 8, 16)
    }
    print(
        f"tune: {trials} trials, {fits} fold fits in-process, {fits_ray} on Ray; "
        f"in-process {t_seq:.1f} s, "
        f"Ray 2 CPUs {t_ray:.1f} s → speed-up {speedup:.2f}× "
        f"(best {here.best.value:.3f} rmse, same on Ray: "
        f"{here.best.config == there.best.config})"
    )
    print("  projected on N 2-core nodes: " + ", ".join(
        f"{n}: {s:.0f} s" for n, s in projected.items()
    ))  # fmt: skip
    return {
        "tune_speedup": speedup,
        "tune_seconds_inprocess": t_seq,
        "tune_seconds_ray": t_ray,
        "tune_trials": trials,
        "tune_fold_fits": fits,
        "tune_fold_fits_ray": fits_ray,
        "tune_seconds_per_fit": cost,
        "tune_parallel_efficiency": efficiency,
        "tune_same_best": here.best.config == there.best.config,
        "tune_projected_seconds_by_nodes": projected,
    }


def rows_file(rows: int, data: Path, folder: Path) -> Path:
    """``rows`` AI4I rows drawn with replacement (seed 0) as one Parquet file."""
    table = pa.Table.from_pandas(load_ai4i(directory=data / "ai4i2020"))
    rng = np.random.default_rng(0)
    path = folder / "rows.parquet"
    with pq.ParquetWriter(path, table.schema) as writer:
        for start in range(0, rows, 100_000):
            take = rng.integers(0, table.num_rows, size=min(100_000, rows - start))
            writer.write_table(table.take(pa.array(take)))
    return path


def _memory_figures(key: str, mem: PeakMemory) -> dict[str, float]:
    return {
        f"peak_pss_mib_{key}": mem.pss,
        f"peak_rss_sum_mib_{key}": mem.rss,
        f"peak_object_store_pss_mib_{key}": mem.shm,
    }


def bench_score(rows: int, data: Path, folder: Path) -> dict[str, Any]:
    """Rows/s and peak memory: in-process, Ray Data with 1 and 2 actors."""
    pilot = failure_pilot()
    registry = ModelRegistry(
        f"sqlite:///{folder / 'mlflow.db'}", folder / "mlartifacts"
    )
    source = FrameSource({"ai4i2020": load_ai4i(directory=data / "ai4i2020")})
    train_pilot(pilot, source, registry, TrainParams())
    served = ServedModel.load(pilot, registry)
    path = rows_file(rows, data, folder)
    params = ScoreParams(batch_rows=65_536, keep=("UDI",))
    out: dict[str, Any] = {"rows": rows}
    here, t_here, mem = measured(
        lambda: score_files(served, [path], folder / "in-process", params), tree=False
    )
    out["batch_rows_per_s_inprocess"] = rows / t_here
    out.update(_memory_figures("inprocess", mem))
    print(
        f"score in-process: {rows / t_here:,.0f} rows/s, peak {mem.pss:,.0f} MiB "
        f"PSS ({mem.rss:,.0f} MiB RSS)"
    )
    for actors in (1, 2):
        p = dataclasses.replace(params, concurrency=actors)
        there, t_ray, mem = measured(
            lambda p=p, actors=actors: score_files(  # type: ignore[misc]
                served, [path], folder / f"ray-{actors}", p, RAY
            )
        )
        assert there.rows == here.rows == rows
        out[f"batch_rows_per_s_ray_{actors}actor"] = rows / t_ray
        out.update(_memory_figures(f"ray_{actors}actor", mem))
        print(
            f"score Ray Data, {actors} actor(s): {rows / t_ray:,.0f} rows/s, peak "
            f"{mem.pss:,.0f} MiB PSS, {mem.shm:,.0f} of it object store "
            f"({mem.rss:,.0f} MiB summed RSS)"
        )
    same = pa.concat_tables([pq.read_table(f) for f in here.files]).equals(
        pa.concat_tables([pq.read_table(f) for f in there.files])
    )
    print(f"  same rows in the same order in-process and on Ray: {same}")
    out["batch_same_output"] = same
    out["batch_rows_per_s_ray"] = out["batch_rows_per_s_ray_2actor"]
    out["peak_rss_mib"] = max(
        out["peak_pss_mib_inprocess"],
        out["peak_pss_mib_ray_1actor"],
        out["peak_pss_mib_ray_2actor"],
    )
    return out


def bench_monitor(data: Path) -> dict[str, Any]:
    """Readings/s of the stream detectors: one scorer vs 2 Ray actor shards."""
    recs = cmapss_recordings(data / "cmapss", n_machines=200)
    p = MonitorParams()
    d = recs[0].values.shape[1]
    longest = max(len(r.values) for r in recs)
    batches = []
    for start in range(0, longest, 20):  # 20 ticks of every machine per batch
        ms, ts, xs = [], [], []
        for tick in range(start, min(start + 20, longest)):
            for m, rec in enumerate(recs):
                if tick < len(rec.values):
                    ms.append(m)
                    ts.append(float(tick))
                    xs.append(rec.values[tick])
        batches.append((np.array(ms, np.intp), np.array(ts), np.array(xs)))
    vectors = sum(len(b[0]) for b in batches)

    def run(scorer: Any) -> list[Any]:
        return [scorer.score(m, t, x) for m, t, x in batches]

    whole = StreamScorer(len(recs), d, p.detector, p.drift, p.shift)
    want, t_here, _ = measured(lambda: run(whole), tree=False)
    sharded = ShardedStreamScorer(
        [r.machine for r in recs], d, p.detector, p.drift, p.shift,
        ShardParams(shards=2), RAY,
    )  # fmt: skip
    try:
        sharded.pool.states()  # the actors are up (started, kiwerk imported)
        got, t_ray, _ = measured(lambda: run(sharded))
    finally:
        sharded.close()
    same = all(
        np.array_equal(a.score, b.score, equal_nan=True)
        for a, b in zip(want, got, strict=True)
    )
    print(
        f"monitor: {vectors:,} vectors of {d} sensors from {len(recs)} machines; "
        f"in-process {vectors * d / t_here:,.0f} readings/s, 2 Ray shards "
        f"{vectors * d / t_ray:,.0f} readings/s (same scores: {same})"
    )
    return {
        "monitor_readings_per_s_inprocess": vectors * d / t_here,
        "monitor_readings_per_s_ray_2shards": vectors * d / t_ray,
        "monitor_same_scores": same,
    }


def main() -> None:
    """Run every part on one local Ray session and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=32)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small budgets for the tuning trials (the scored model is the full one)",
    )
    args = parser.parse_args()
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    # Ray starts its workers 15 nice levels below its raylet (a priority
    # increment, default 15); 0 keeps them at this process's priority, so
    # under `nice` both sides of each comparison compete alike with other jobs
    os.environ.setdefault("RAY_worker_niceness", "0")
    data = Settings().data
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.1f}")
    figures: dict[str, Any] = {"load": os.getloadavg()[0], "quick": args.quick}
    started = time.perf_counter()
    with ray_session(RAY_LOCAL) as resources:
        import ray

        ray.get(ray.remote(lambda: None).remote())  # a worker is up
        t0 = time.perf_counter() - started
        print(f"Ray up in {t0:.1f} s: {resources.get('CPU', 0):.0f} CPUs")
        figures["ray_start_seconds"] = t0
        figures.update(bench_tune(args.trials, data, args.quick, t0))
        with tempfile.TemporaryDirectory() as tmp:
            figures.update(bench_score(args.rows, data, Path(tmp)))
        figures.update(bench_monitor(data))
    figures["load_after"] = os.getloadavg()[0]
    print(f"load after: {figures['load_after']:.1f}")
    print(f"wrote {write_result('ray', figures)}")


if __name__ == "__main__":
    main()
