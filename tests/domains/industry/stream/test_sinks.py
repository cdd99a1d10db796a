"""Sinks (durable batches, high-water marks after a crash) and simulator sources."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from kiwerk.core.data import Pool
from kiwerk.domains.industry.stream import (
    ParquetSink,
    cmapss_recordings,
    cwru_recordings,
    read_readings,
    readings_table,
    skab_recordings,
)
from kiwerk.domains.industry.stream._pool_sink import PoolSink


def _batch(machine: str, ts: list[float]) -> object:
    n = len(ts)
    return readings_table([machine] * n, ["a"] * n, np.array(ts), np.ones(n))


def test_parquet_sink_recovers_marks_written_after_the_state(tmp_path: Path) -> None:
    """A part written but not yet in the state file still counts after restart."""
    sink = ParquetSink(tmp_path)
    sink.write(_batch("m1", [1.0, 2.0]))
    state = (tmp_path / "state.json").read_text()
    sink.write(_batch("m1", [3.0]))
    sink.write(_batch("m2", [7.0]))
    (tmp_path / "state.json").write_text(state)  # as if killed before saving it
    (tmp_path / "part-99999999.tmp").write_bytes(b"half a batch")
    again = ParquetSink(tmp_path)
    assert again.high_water_marks() == {"m1": 3.0, "m2": 7.0}
    assert not list(tmp_path.glob("*.tmp"))  # the unfinished part is gone
    assert read_readings(tmp_path).num_rows == 4


def test_parquet_sink_parts_are_plain_parquet(tmp_path: Path) -> None:
    """Each batch is one readable Parquet part with the readings schema."""
    sink = ParquetSink(tmp_path)
    sink.write(_batch("m1", [1.0]))
    (part,) = tmp_path.glob("part-*.parquet")
    assert pq.read_table(part).column_names == ["machine", "sensor", "ts", "value"]


def test_pool_sink_versions_and_recovery(tmp_path: Path) -> None:
    """Batches become pool versions; marks are rebuilt from unsaved versions."""
    pool = Pool.open(tmp_path / "pool", secrets_path=tmp_path / "secrets.toml")
    pool.bootstrap("acme", "ada")
    sink = PoolSink(pool, "line-readings", actor="ada", org="acme", state_dir=tmp_path)
    sink.write(_batch("m1", [1.0, 2.0]))
    state = (tmp_path / "line-readings.state.json").read_text()
    sink.write(_batch("m1", [5.0]))
    (tmp_path / "line-readings.state.json").write_text(state)  # crash before save
    again = PoolSink(pool, "line-readings", actor="ada", org="acme", state_dir=tmp_path)
    assert again.high_water_marks() == {"m1": 5.0}
    versions = pool.versions("line-readings", actor="ada")
    assert [v.rows for v in versions] == [2, 1]
    frame = pool.read("line-readings", 2, actor="ada")
    assert frame["ts"].tolist() == [5.0]


@pytest.mark.slow
def test_simulator_sources_replay_real_recordings(data_dir: Path) -> None:
    """C-MAPSS, SKAB and CWRU load as machines with finite, equal-width vectors."""
    for recs, width in [
        (cmapss_recordings(data_dir / "cmapss", n_machines=3), 20),
        (skab_recordings(data_dir / "skab"), 8),
        (cwru_recordings(data_dir / "cwru"), 8),
    ]:
        assert recs
        assert all(r.values.shape[1] == len(r.sensors) == width for r in recs)
        assert all(np.isfinite(r.values).all() for r in recs)
    cwru = cwru_recordings(data_dir / "cwru")
    assert len(cwru) == 10
    assert cwru[0].dt == pytest.approx(0.1)
