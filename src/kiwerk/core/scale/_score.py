"""Batch scoring: Parquet in, a registered model's predictions out, streamed.

Rows go through :meth:`~kiwerk.core.serving.ServedModel.predict` (request
columns checked, the pilot's feature step, its prediction table) in batches
of at most ``batch_rows``, so memory stays bounded whatever the input size.
In-process, pyarrow iterates each file's batches and appends them to one
output file per input file; on Ray, Ray Data reads the files, a pool of
actors holding the model maps the batches and the results are written as
Parquet, in input order. Both write the same rows in the same order.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kiwerk.core.scale._backend import RayParams, ray_session
from kiwerk.core.serving import ServedModel
from kiwerk.errors import ConfigError, DataFormatError

#: ``progress(rows done)``.
ScoreProgress = Callable[[int], None]


@dataclass(frozen=True)
class ScoreParams:
    """How to score.

    Parameters
    ----------
    batch_rows
        Rows per batch (memory per worker is a few times this many rows).
    keep
        Input columns copied beside the predictions (ids, timestamps).
    concurrency
        Ray: scoring actors (default: the cluster's CPUs).
    io_tasks
        Ray: Parquet read and write tasks at once, each. Every task runs in
        a worker process of its own (100–150 MiB with pyarrow and pandas),
        and reading and writing cost little beside scoring, so one each
        keeps the process count, and memory, down; raise it on many nodes.
    """

    batch_rows: int = 65_536
    keep: tuple[str, ...] = ()
    concurrency: int | None = None
    io_tasks: int = 1

    def __post_init__(self) -> None:
        if self.batch_rows < 1:
            raise ValueError(f"Expected batch_rows ≥ 1, got {self.batch_rows}.")
        if self.concurrency is not None and self.concurrency < 1:
            raise ValueError(f"Expected concurrency ≥ 1, got {self.concurrency}.")
        if self.io_tasks < 1:
            raise ValueError(f"Expected io_tasks ≥ 1, got {self.io_tasks}.")


@dataclass(frozen=True)
class ScoreReport:
    """What a scoring run read and wrote."""

    rows: int
    files: list[Path]
    backend: str
    seconds: float

    @property
    def rows_per_s(self) -> float:
        """Throughput of the whole run."""
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


class BatchScorer:
    """Scores one pandas batch with a served model (a Ray Data actor's state).

    Parameters
    ----------
    served
        The loaded model.
    keep
        Input columns copied beside the predictions.
    source
        Named in errors about bad rows.
    """

    def __init__(
        self, served: ServedModel, keep: Sequence[str] = (), source: str = "input"
    ) -> None:
        self.served = served
        self.keep = tuple(keep)
        self.source = source

    def __call__(self, batch: pd.DataFrame, first_line: int = 2) -> pd.DataFrame:
        """Predictions for ``batch`` (and its ``keep`` columns), index reset."""
        batch = batch.reset_index(drop=True)
        missing = [c for c in self.keep if c not in batch.columns]
        if missing:
            raise DataFormatError(
                f"{self.source}: no column {missing[0]!r} to keep", source=self.source
            )
        out = self.served.predict(batch, source=self.source, first_line=first_line)
        return pd.concat([batch[list(self.keep)], out.reset_index(drop=True)], axis=1)


def score_files(
    served: ServedModel,
    files: Sequence[Path],
    out: Path,
    params: ScoreParams | None = None,
    ray: RayParams | None = None,
    *,
    progress: ScoreProgress | None = None,
) -> ScoreReport:
    """Score every row of the Parquet ``files`` and write Parquet into ``out``.

    Raises
    ------
    ConfigError
        When the pilot's predictions depend on other rows (``row_wise`` False)
        or ``out`` already holds files.
    ContractViolation
        When a row lacks a request column or holds a bad value.
    """
    params = params or ScoreParams()
    ray = ray or RayParams()
    if not served.pilot.row_wise:
        raise ConfigError(
            f"pilot {served.pilot.name!r} predicts from each unit's history, not "
            "row by row; batch scoring would cut histories apart"
        )
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} is not empty; choose a new output folder")
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if ray.in_process:
        rows, backend = _in_process(served, files, out, params, progress), "in-process"
    else:
        rows = _on_ray(served, files, out, params, ray)
        backend = f"ray ({ray.address})"
    return ScoreReport(
        rows=rows,
        files=sorted(out.glob("*.parquet")),
        backend=backend,
        seconds=time.perf_counter() - started,
    )


def _in_process(
    served: ServedModel,
    files: Sequence[Path],
    out: Path,
    params: ScoreParams,
    progress: ScoreProgress | None,
) -> int:
    rows = 0
    for i, path in enumerate(files):
        scorer = BatchScorer(served, params.keep, source=path.name)
        writer: pq.ParquetWriter | None = None
        line = 2  # the first data row of a headed file, as the pool counts lines
        try:
            for batch in pq.ParquetFile(path).iter_batches(params.batch_rows):
                table = pa.Table.from_pandas(
                    scorer(batch.to_pandas(), first_line=line), preserve_index=False
                )
                if writer is None:
                    writer = pq.ParquetWriter(
                        out / f"part-{i:05d}.parquet", table.schema
                    )
                writer.write_table(table)
                line += batch.num_rows
                rows += batch.num_rows
                if progress is not None:
                    progress(rows)
        finally:
            if writer is not None:
                writer.close()
    return rows


def _on_ray(
    served: ServedModel,
    files: Sequence[Path],
    out: Path,
    params: ScoreParams,
    ray_params: RayParams,
) -> int:
    with ray_session(ray_params) as resources:
        import ray.data

        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        # the pool size fixes the parallelism; the scoring actors reserve no
        # CPU and the read/write tasks a quarter each, so the reader and
        # writer always find room. With whole CPUs, two actors on a 2-CPU
        # node (or on two 1-CPU nodes) would starve the file listing, which
        # needs a full CPU, and the run would stall. Ray Data restarts lost
        # actors and retries their tasks by default. Blocks of about one
        # batch keep memory bounded and feed every actor.
        context.target_max_block_size = _block_bytes(files, params.batch_rows)
        actors = params.concurrency or max(1, int(resources.get("CPU", 1)))
        rows = sum(pq.ParquetFile(p).metadata.num_rows for p in files)
        actors = min(actors, max(1, -(-rows // params.batch_rows)))
        dataset = ray.data.read_parquet(
            [str(p) for p in files], num_cpus=0.25, concurrency=params.io_tasks
        )
        scored = dataset.map_batches(
            BatchScorer,
            fn_constructor_kwargs=_constructor(served, params, files),
            batch_size=params.batch_rows,
            batch_format="pandas",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=0,
        )
        with warnings.catch_warnings():
            # write_parquet has no named replacement for ray_remote_args yet
            warnings.filterwarnings(
                "ignore", message="`ray_remote_args` is deprecated", category=Warning
            )
            scored.write_parquet(
                str(out),
                ray_remote_args={"num_cpus": 0.25},
                concurrency=params.io_tasks,
            )
        return int(
            sum(pq.ParquetFile(p).metadata.num_rows for p in out.glob("*.parquet"))
        )


def _block_bytes(files: Sequence[Path], batch_rows: int) -> int:
    """Bytes of about ``batch_rows`` decoded rows of ``files`` (at least 8 KiB)."""
    rows = size = 0
    for path in files:
        meta = pq.ParquetFile(path).metadata
        rows += meta.num_rows
        size += sum(
            meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)
        )
    per_row = size / rows if rows else 64.0
    return max(2**13, int(per_row * batch_rows))


def _constructor(
    served: ServedModel, params: ScoreParams, files: Sequence[Path]
) -> dict[str, Any]:
    source = files[0].name if len(files) == 1 else f"{len(files)} files"
    return {"served": served, "keep": params.keep, "source": source}
