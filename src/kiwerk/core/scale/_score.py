"""Batch scoring: Parquet in, a registered model's predictions out, streamed.

Rows go through :meth:`~kiwerk.core.serving.ServedModel.predict` (request
columns checked, the pilot's feature step, its prediction table) in batches
of at most ``batch_rows``, so memory stays bounded whatever the input size.
In-process, pyarrow iterates each file's batches and appends them to one
output file per input file; on Ray, Ray Data hands the files' row groups to a
pool of actors holding the model, and each actor writes the predictions of a
row group to a part file named by the group's position. Both write the same
rows in the same order.
"""

from __future__ import annotations

import pickle
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kiwerk.core.scale._backend import RayParams, ray_session
from kiwerk.core.serving import ServedModel
from kiwerk.errors import ConfigError, DataFormatError, KiwerkError

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
    """

    batch_rows: int = 65_536
    keep: tuple[str, ...] = ()
    concurrency: int | None = None

    def __post_init__(self) -> None:
        if self.batch_rows < 1:
            raise ValueError(f"Expected batch_rows ≥ 1, got {self.batch_rows}.")
        if self.concurrency is not None and self.concurrency < 1:
            raise ValueError(f"Expected concurrency ≥ 1, got {self.concurrency}.")


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
        rows += _score_into(
            scorer,
            pq.ParquetFile(path).iter_batches(params.batch_rows),
            out / f"part-{i:05d}.parquet",
            line=2,  # the first data row of a headed file, as the pool counts lines
            progress=progress,
            done=rows,
        )
    return rows


def _score_into(
    scorer: BatchScorer,
    batches: Iterable[pa.RecordBatch],
    path: Path,
    line: int,
    progress: ScoreProgress | None = None,
    done: int = 0,
) -> int:
    """Score ``batches`` (their first row on ``line``) into the Parquet ``path``.

    Returns the rows written; no file is written for no batches. ``progress``
    gets ``done`` plus the rows written so far.
    """
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for batch in batches:
            scored = scorer(batch.to_pandas(), first_line=line + rows)
            table = pa.Table.from_pandas(scored, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
            rows += batch.num_rows
            if progress is not None:
                progress(done + rows)
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
    units = _row_groups(files)
    if not units:
        return 0
    with ray_session(ray_params) as resources:
        import ray.data

        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        # One unit per Parquet row group, one part file per unit, named by
        # its position: the output's order is the input's whatever order the
        # actors finish in, and a unit redone after a lost actor or node
        # overwrites its own part. (Ray Data 2.60's streaming Parquet read
        # and write, even with preserve_order, swapped two partial blocks in
        # 10 million rows; see BENCHMARKS.md, Ray.) The actors reserve no
        # CPU: the pool size fixes the parallelism. Ray Data restarts lost
        # actors and retries their units.
        actors = params.concurrency or max(1, int(resources.get("CPU", 1)))
        actors = min(actors, len(units))
        done = ray.data.from_items(units, override_num_blocks=len(units)).map_batches(
            PartWriter,
            fn_constructor_kwargs={
                "served": served,
                "files": [str(p) for p in files],
                "out": str(out),
                "keep": params.keep,
                "batch_rows": params.batch_rows,
            },
            batch_size=1,
            batch_format="pandas",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=0,
        )
        rows = 0
        for unit in done.iter_rows():
            if unit["error"]:  # a bad row: the first one found stops the run
                raise pickle.loads(unit["error"])
            rows += int(unit["rows"])
    for stale in out.glob(".*.tmp"):  # parts of units cut off and redone
        stale.unlink()
    return rows


def _row_groups(files: Sequence[Path]) -> list[dict[str, int]]:
    """One unit per row group: file, group and the line of its first row."""
    units = []
    for i, path in enumerate(files):
        meta = pq.ParquetFile(path).metadata
        line = 2  # the first data row of a headed file, as the pool counts lines
        for k in range(meta.num_row_groups):
            units.append({"file": i, "group": k, "line": line})
            line += meta.row_group(k).num_rows
    return units


class PartWriter:
    """Scores row groups and writes each as its own part (a Ray actor's state).

    Parameters
    ----------
    served
        The loaded model.
    files
        The input files; units name them by index.
    out
        The output folder (on a file system every node sees).
    keep
        Input columns copied beside the predictions.
    batch_rows
        Rows scored at once within a row group.
    """

    def __init__(
        self,
        served: ServedModel,
        files: Sequence[str],
        out: str,
        keep: Sequence[str],
        batch_rows: int,
    ) -> None:
        self.served = served
        self.files = [Path(f) for f in files]
        self.out = Path(out)
        self.keep = tuple(keep)
        self.batch_rows = batch_rows

    def __call__(self, units: pd.DataFrame) -> pd.DataFrame:
        """Write each unit's part file; the rows written (or the error) per unit."""
        cols = [units[c].to_numpy(dtype=np.int64) for c in ("file", "group", "line")]
        rows, errors = [], []
        for file, group, line in zip(*cols, strict=True):
            try:
                rows.append(self.write(int(file), int(group), int(line)))
                errors.append(b"")
            except KiwerkError as exc:  # sent back whole: Ray would wrap it
                rows.append(0)
                errors.append(pickle.dumps(exc))
        return pd.DataFrame({"rows": rows, "error": errors})

    def write(self, file: int, group: int, line: int) -> int:
        """Score row group ``group`` of input ``file`` into its part file."""
        path = self.files[file]
        scorer = BatchScorer(self.served, self.keep, source=path.name)
        final = self.out / f"part-{file:05d}-{group:06d}.parquet"
        staged = self.out / f".{final.stem}.{uuid.uuid4().hex}.tmp"
        batches = pq.ParquetFile(path).iter_batches(self.batch_rows, row_groups=[group])
        rows = _score_into(scorer, batches, staged, line)
        if staged.exists():
            staged.replace(final)
        return rows
