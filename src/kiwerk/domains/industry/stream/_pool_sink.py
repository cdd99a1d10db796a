"""Readings stored in the governed data pool, one dataset version per batch.

:class:`PoolSink` hands every batch to :meth:`Pool.ingest
<kiwerk.core.data.Pool.ingest>`, which publishes it atomically as the next
version of a time-series dataset (contract: machine, sensor, ts, value; the
pool's audit log records who wrote it). The series is the union of the
versions. The high-water marks live in a small state file beside the pool
user's work folder; versions published after the state was last saved (a
crash between the ingest and the save) are read back at start-up, so a
redelivered message is never stored twice.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kiwerk.core.data import ColumnSpec, DatasetSpec, Pool
from kiwerk.domains.industry.stream._sink import SCHEMA

READINGS_SPEC = DatasetSpec(
    columns=(
        ColumnSpec("machine", "str", nullable=False),
        ColumnSpec("sensor", "str", nullable=False),
        ColumnSpec("ts", "float", nullable=False),
        ColumnSpec("value", "float", nullable=False),
    ),
    policy="reject",
)


class PoolSink:
    """Store reading batches as versions of one pool dataset.

    Parameters
    ----------
    pool
        An open pool.
    dataset
        The time-series dataset; created (owned by ``org``) when absent.
    actor, org
        Who writes, and the organisation owning a new dataset.
    state_dir
        Where the high-water-mark state file goes.
    """

    def __init__(
        self, pool: Pool, dataset: str, *, actor: str, org: str, state_dir: Path
    ) -> None:
        self.pool = pool
        self.dataset = dataset
        self.actor = actor
        if dataset not in {d.name for d in pool.datasets(actor=actor)}:
            pool.create_dataset(dataset, org=org, actor=actor, spec=READINGS_SPEC)
        state_dir.mkdir(parents=True, exist_ok=True)
        self._state_path = state_dir / f"{dataset}.state.json"
        state: dict[str, Any] = {"version": 0, "hwm": {}}
        if self._state_path.exists():
            state = json.loads(self._state_path.read_text(encoding="utf-8"))
        self._hwm: dict[str, float] = {k: float(v) for k, v in state["hwm"].items()}
        self._version = int(state["version"])
        for info in pool.versions(dataset, actor=actor):
            if info.version > self._version:
                frame = pool.read(dataset, info.version, actor=actor)
                self._absorb(pa.Table.from_pandas(frame[["machine", "ts"]]))
                self._version = info.version
        self._save()

    def _absorb(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        grouped = table.group_by("machine").aggregate([("ts", "max")])
        for m, t in zip(
            grouped["machine"].to_pylist(), grouped["ts_max"].to_pylist(), strict=True
        ):
            self._hwm[m] = max(self._hwm.get(m, -np.inf), t)

    def _save(self) -> None:
        tmp = self._state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": self._version, "hwm": self._hwm}))
        os.replace(tmp, self._state_path)

    def write(self, table: pa.Table) -> None:
        """Publish the batch as the next version; durable when this returns."""
        if table.num_rows == 0:
            return
        table = table.cast(SCHEMA)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "batch.parquet"
            pq.write_table(table, path)
            report = self.pool.ingest(path, self.dataset, actor=self.actor)
        self._version = report.version
        self._absorb(table)
        self._save()

    def high_water_marks(self) -> dict[str, float]:
        """The newest stored timestamp of every machine."""
        return dict(self._hwm)


__all__ = ["READINGS_SPEC", "PoolSink"]
