"""Scale-out benchmark: tuning and batch scoring, in-process vs Ray.

Run from the repository root::

    PYTHONPATH=src python -m benchmarks.ray_scale [--trials 32] [--rows 10000000]

1. Tuning: ``--trials`` configurations of the industry-rul GBM search space on
   C-MAPSS FD001 (2 validation folds of the training engines, ASHA), first
   in-process one after another, then on a local Ray with 2 CPUs (2 trials at
   once). Prints both wall times, the speed-up, the per-fold-fit cost and the
   projected time on N 2-core nodes: ``t(N) = t0 + fits · cost / (2N · e)``
   with ``t0`` the measured start/stop time of an empty Ray session, ``cost``
   the in-process seconds per fold fit and ``e = t_seq / (2 (t_ray - t0))``
   the parallel efficiency measured here (trial scheduling included).
2. Batch scoring: ``--rows`` AI4I rows (resampled with a fixed seed) in one
   Parquet file of 100,000-row groups, scored by the industry-failure model
   in-process (pyarrow batches) and with Ray Data on 1 and on 2 CPUs. Peak
   memory is the RSS of the whole process tree (driver, raylet, Ray workers;
   shared object-store pages may count twice, so it is an upper bound),
   sampled every 0.1 s.

Writes ``benchmarks/results/ray.json``. The machine is shared with other jobs:
timings and the speed-up are depressed by their load (see ``load``).
"""

from __future__ import annotations

import argparse
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
    TuneParams,
    ray_session,
    score_files,
    tune_pilot,
)
from kiwerk.core.serving import ServedModel
from kiwerk.datasets import load_ai4i
from kiwerk.domains.industry.failure import failure_pilot
from kiwerk.domains.industry.rul import cmapss_frames, rul_pilot
from kiwerk.settings import Settings

T = TypeVar("T")


def _tree_rss_mib(root: int) -> float:
    """Summed RSS of ``root`` and all its descendants, from /proc."""
    parents, rss = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        kib = [
            line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")
        ]
        rss[int(entry.name)] = int(kib[0]) if kib else 0
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= more
        grown = bool(more)
    return sum(rss.get(pid, 0) for pid in tree) / 1024


class PeakRss:
    """Peak summed RSS (MiB) of this process and all its descendants."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_mib(os.getpid()))
            time.sleep(0.1)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measured(fn: Callable[[], T]) -> tuple[T, float, float]:
    """``fn()``, its wall time and the peak RSS of the process tree meanwhile."""
    with PeakRss() as rss:
        started = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - started
    return out, seconds, rss.peak


def _empty_session(ray: RayParams) -> None:
    with ray_session(ray):
        pass


def bench_tune(trials: int, data: Path, quick: bool) -> dict[str, Any]:
    """Sequential vs Ray (2 CPUs) search of the RUL GBM space."""
    pilot = rul_pilot("FD001")
    source = FrameSource(cmapss_frames("FD001", data / "cmapss"))
    params = TuneParams(trials=trials, seed=42, quick=quick, folds=2)
    here, t_seq, _ = measured(lambda: tune_pilot(pilot, source, params))
    ray = RayParams("local", num_cpus=2, object_store_mib=512)
    there, t_ray, _ = measured(lambda: tune_pilot(pilot, source, params, ray))
    assert [t.config for t in here.trials] == [t.config for t in there.trials]
    fits = sum(len(t.scores) for t in here.trials)
    cost = t_seq / fits
    speedup = t_seq / t_ray
    # fixed cost of a Ray run: starting and stopping the local cluster
    _, overhead, _ = measured(lambda: _empty_session(ray))
    efficiency = min(1.0, t_seq / (2 * max(t_ray - overhead, 1e-9)))
    projected = {
        str(n): overhead + fits * cost / (2 * n * efficiency) for n in (1, 2, 4, 8, 16)
    }
    print(
        f"tune: {trials} trials, {fits} fold fits; in-process {t_seq:.1f} s, "
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
        "tune_seconds_per_fit": cost,
        "ray_start_stop_seconds": overhead,
        "tune_parallel_efficiency": efficiency,
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


def bench_score(rows: int, data: Path, folder: Path, quick: bool) -> dict[str, Any]:
    """Rows/s and peak memory: in-process, Ray Data on 1 and 2 CPUs."""
    pilot = failure_pilot()
    registry = ModelRegistry(
        f"sqlite:///{folder / 'mlflow.db'}", folder / "mlartifacts"
    )
    source = FrameSource({"ai4i2020": load_ai4i(directory=data / "ai4i2020")})
    train_pilot(pilot, source, registry, TrainParams(quick=quick))
    served = ServedModel.load(pilot, registry)
    path = rows_file(rows, data, folder)
    params = ScoreParams(batch_rows=65_536, keep=("UDI",))
    out: dict[str, Any] = {"rows": rows}
    here, t_here, rss_here = measured(
        lambda: score_files(served, [path], folder / "in-process", params)
    )
    out["batch_rows_per_s_inprocess"] = rows / t_here
    out["peak_rss_mib_inprocess"] = rss_here
    print(f"score in-process: {rows / t_here:,.0f} rows/s, peak {rss_here:,.0f} MiB")
    for cpus in (1, 2):
        ray = RayParams("local", num_cpus=cpus, object_store_mib=1024)
        there, t_ray, rss_ray = measured(
            lambda ray=ray, cpus=cpus: score_files(  # type: ignore[misc]
                served, [path], folder / f"ray-{cpus}", params, ray
            )
        )
        assert there.rows == here.rows == rows
        out[f"batch_rows_per_s_ray_{cpus}cpu"] = rows / t_ray
        out[f"peak_rss_mib_ray_{cpus}cpu"] = rss_ray
        print(
            f"score Ray Data, {cpus} CPU(s): {rows / t_ray:,.0f} rows/s, "
            f"peak {rss_ray:,.0f} MiB"
        )
    out["batch_rows_per_s_ray"] = out["batch_rows_per_s_ray_2cpu"]
    out["peak_rss_mib"] = max(
        rss_here, out["peak_rss_mib_ray_1cpu"], out["peak_rss_mib_ray_2cpu"]
    )
    return out


def main() -> None:
    """Run both parts and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=32)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="small model budgets")
    args = parser.parse_args()
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    data = Settings().data
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.1f}")
    figures: dict[str, Any] = {"load": os.getloadavg()[0], "quick": args.quick}
    figures.update(bench_tune(args.trials, data, args.quick))
    with tempfile.TemporaryDirectory() as tmp:
        figures.update(bench_score(args.rows, data, Path(tmp), args.quick))
    figures["load_after"] = os.getloadavg()[0]
    print(f"wrote {write_result('ray', figures)}")


if __name__ == "__main__":
    main()
