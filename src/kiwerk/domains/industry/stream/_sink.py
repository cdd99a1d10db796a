"""Durable, de-duplicating storage of readings in batches.

Readings are stored long: one row per ``(machine, sensor, ts, value)``. A
:class:`ReadingSink` must have made a batch durable when :meth:`write`
returns, because the monitor acknowledges the batch's MQTT messages right
after. :class:`ParquetSink` writes each batch as one Parquet part (temporary
file, fsync, atomic rename) and keeps, per machine, the newest timestamp
stored (the high-water mark) in a small state file; after a crash it re-reads
the parts written since the state was saved, so the marks are never behind
what is on disk. The monitor drops any message at or below its machine's
mark: a redelivered message is never stored twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

SCHEMA = pa.schema(
    [
        ("machine", pa.string()),
        ("sensor", pa.string()),
        ("ts", pa.float64()),
        ("value", pa.float64()),
    ]
)


def readings_table(
    machines: list[str],
    sensors: list[str],
    ts: NDArray[np.float64],
    values: NDArray[np.float64],
) -> pa.Table:
    """Long table of readings from parallel columns."""
    return pa.table(
        {
            "machine": pa.array(machines, pa.string()),
            "sensor": pa.array(sensors, pa.string()),
            "ts": pa.array(ts, pa.float64()),
            "value": pa.array(values, pa.float64()),
        },
        schema=SCHEMA,
    )


def long_table(
    machines: NDArray[np.intp],
    ts: NDArray[np.float64],
    x: NDArray[np.float64],
    names: pa.Array,
    sensor_names: pa.Array,
    sensor_codes: NDArray[np.int32],
) -> pa.Table:
    """The finite values of vectors as long readings, dictionary-encoded.

    ``machines`` index ``names``; ``sensor_codes[machine, j]`` indexes
    ``sensor_names`` for the machine's j-th sensor; NaN values are left out.
    """
    rows, cols = np.nonzero(np.isfinite(x))
    return pa.table(
        {
            "machine": pa.DictionaryArray.from_arrays(
                pa.array(machines[rows].astype(np.int32)), names
            ),
            "sensor": pa.DictionaryArray.from_arrays(
                pa.array(sensor_codes[machines[rows], cols]), sensor_names
            ),
            "ts": pa.array(ts[rows]),
            "value": pa.array(x[rows, cols]),
        }
    )


class ReadingSink(Protocol):
    """Where the monitor stores readings; :meth:`write` returns when durable."""

    def write(self, table: pa.Table) -> None:
        """Store one batch durably."""

    def high_water_marks(self) -> dict[str, float]:
        """The newest stored timestamp of every machine."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ParquetSink:
    """One Parquet part per batch under ``folder``, with high-water marks.

    Examples
    --------
    >>> import tempfile
    >>> sink = ParquetSink(Path(tempfile.mkdtemp()))
    >>> sink.write(readings_table(["m1"], ["t"], np.array([5.0]), np.array([1.0])))
    >>> sink.high_water_marks(), sink.read().num_rows
    ({'m1': 5.0}, 1)
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        for tmp in folder.glob("*.tmp"):
            tmp.unlink()  # a batch cut short by a crash: never acknowledged
        self._state_path = folder / "state.json"
        state: dict[str, Any] = {"seq": 0, "hwm": {}}
        if self._state_path.exists():
            state = json.loads(self._state_path.read_text(encoding="utf-8"))
        self._hwm: dict[str, float] = {k: float(v) for k, v in state["hwm"].items()}
        self._seq = int(state["seq"])
        for part in self._parts():
            seq = int(part.stem.split("-")[1])
            if seq > self._seq:  # written after the state file was last saved
                self._absorb(pq.read_table(part, columns=["machine", "ts"]))
                self._seq = seq

    def _parts(self) -> list[Path]:
        return sorted(self.folder.glob("part-*.parquet"))

    def _absorb(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        grouped = table.group_by("machine").aggregate([("ts", "max")])
        for m, t in zip(
            grouped["machine"].to_pylist(), grouped["ts_max"].to_pylist(), strict=True
        ):
            self._hwm[m] = max(self._hwm.get(m, -np.inf), t)

    def write(self, table: pa.Table) -> None:
        """Write the batch as the next part; durable when this returns."""
        if table.num_rows == 0:
            return
        seq = self._seq + 1
        final = self.folder / f"part-{seq:08d}.parquet"
        tmp = final.with_suffix(".tmp")
        with pa.OSFile(str(tmp), "wb") as out:
            pq.write_table(table, out, compression="zstd")
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
        _fsync_dir(self.folder)
        self._seq = seq
        self._absorb(table)
        state_tmp = self._state_path.with_suffix(".tmp")
        state_tmp.write_text(json.dumps({"seq": seq, "hwm": self._hwm}))
        os.replace(state_tmp, self._state_path)

    def high_water_marks(self) -> dict[str, float]:
        """The newest stored timestamp of every machine."""
        return dict(self._hwm)

    def read(self, machine: str | None = None) -> pa.Table:
        """Every stored reading (of one machine), in storage order."""
        return read_readings(self.folder, machine)


def read_readings(folder: Path, machine: str | None = None) -> pa.Table:
    """Every reading stored under ``folder`` (safe while a sink writes there)."""
    parts = sorted(folder.glob("part-*.parquet"))
    if not parts:
        return SCHEMA.empty_table()
    table = pa.concat_tables(pq.read_table(p).cast(SCHEMA) for p in parts)
    if machine is not None:
        table = table.filter(pc.equal(table["machine"], machine))
    return table


__all__ = [
    "SCHEMA",
    "ParquetSink",
    "ReadingSink",
    "long_table",
    "read_readings",
    "readings_table",
]
