"""The per-machine scoring API and its checkpoints; a monitor restarted mid-stream."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiwerk.core.monitor import MewmaParams
from kiwerk.domains.industry.stream import (
    AlertRouter,
    BrokerConfig,
    LineMonitor,
    LineSimulator,
    LocalBroker,
    MonitorParams,
    ParquetSink,
    StreamScorer,
    read_readings,
    run_monitor,
)
from kiwerk.errors import DataFormatError
from tests.domains.industry.stream.test_live import recordings, wait_until

DETECTOR = MewmaParams(n_fit=100, off_count=10)


def data(n: int, rows: int, seed: int = 0) -> np.ndarray:
    """rows × n machines × 4 sensors of the test recordings."""
    return np.stack([r.values[:rows] for r in recordings(n, rows, seed)], axis=1)


def test_batch_scoring_equals_machine_by_machine() -> None:
    """score() on an interleaved batch equals score_machine() per machine."""
    x = data(3, 160)
    a, b = StreamScorer(3, 4, DETECTOR), StreamScorer(3, 4, DETECTOR)
    ts = np.arange(160.0)
    machines = np.tile(np.arange(3), 160)
    res_a = a.score(machines, np.repeat(ts, 3), x.reshape(-1, 4))
    scores = [b.score_machine(m, ts, x[:, m]).score for m in range(3)]
    np.testing.assert_allclose(res_a.score.reshape(160, 3).T, np.array(scores))
    assert res_a.scored == 480
    for key, value in a.state().items():
        np.testing.assert_array_equal(value, b.state()[key], err_msg=key)


@pytest.mark.parametrize("rows", [60, 150])  # still fitting / fitted
def test_checkpoint_restores_the_learnt_state(tmp_path: Path, rows: int) -> None:
    """A scorer restored from a checkpoint scores the next rows as the original."""
    x = data(2, rows + 50)
    ts = np.arange(rows + 50.0)
    machines = np.repeat(np.arange(2), rows)
    first = StreamScorer(2, 4, DETECTOR)
    first.score(
        machines, np.tile(ts[:rows], 2), x[:rows].transpose(1, 0, 2).reshape(-1, 4)
    )
    first.save(tmp_path / "ck.npz")
    again = StreamScorer(2, 4, DETECTOR)
    assert again.restore(tmp_path / "ck.npz")
    fresh = StreamScorer(2, 4, DETECTOR)
    for m in range(2):
        want = first.score_machine(m, ts[rows:], x[rows:, m]).score
        got = again.score_machine(m, ts[rows:], x[rows:, m]).score
        np.testing.assert_array_equal(got, want)
        # a scorer that starts from scratch is still fitting: no scores at all
        assert np.isnan(fresh.score_machine(m, ts[rows:], x[rows:, m]).score).all()
    assert not list(tmp_path.glob("*.tmp"))


def test_checkpoint_of_another_layout_is_refused(tmp_path: Path) -> None:
    """A checkpoint of 2 machines cannot be loaded into a scorer of 3."""
    StreamScorer(2, 4, DETECTOR).save(tmp_path / "ck.npz")
    with pytest.raises(DataFormatError, match="3 machines × 4 sensors"):
        StreamScorer(3, 4, DETECTOR).restore(tmp_path / "ck.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(DataFormatError, match="not a scorer checkpoint"):
        StreamScorer(3, 4, DETECTOR).restore(tmp_path / "bad.npz")
    assert not StreamScorer(3, 4, DETECTOR).restore(tmp_path / "absent.npz")


def test_crashed_monitor_resumes_from_its_last_periodic_checkpoint(
    tmp_path: Path,
) -> None:
    """A monitor dropped without close() restarts from the checkpoint of a flush."""
    sim = LineSimulator(recordings(2), BrokerConfig("127.0.0.1", 1, "sim"))
    config = sim.line_config()
    params = MonitorParams(detector=DETECTOR, checkpoint_interval_s=0.0)

    def start() -> LineMonitor:
        return LineMonitor(
            config,
            ParquetSink(tmp_path / "store"),
            params,
            AlertRouter(publish=None, topic=None),
            checkpoint=tmp_path / "ck.npz",
        )

    first = start()
    for tick in range(120):
        for i in range(2):
            first.accept(i, 1e9 + tick, sim.row(i, tick).tolist(), "test")
    first.flush()  # stored, acknowledged, checkpointed; then the process dies
    second = start()
    assert second.restored
    assert isinstance(second.scorer, StreamScorer)
    assert isinstance(first.scorer, StreamScorer)
    assert second.scorer.detector.fitted_.all()
    np.testing.assert_array_equal(
        second.scorer.detector.mean_, first.scorer.detector.mean_
    )
    assert second.hwm.tolist() == [1e9 + 119] * 2


@pytest.mark.service
def test_monitor_restarted_mid_stream_does_not_refit(
    broker: LocalBroker, tmp_path: Path
) -> None:
    """Stopped and restarted mid-stream, the monitor goes on without refitting."""
    sim = LineSimulator(
        recordings(3), BrokerConfig("127.0.0.1", broker.port, "sim"), speed=0
    )
    config, store = sim.line_config(), tmp_path / "store"
    params = MonitorParams(detector=DETECTOR, flush_interval_s=0.2)
    seen: list[LineMonitor] = []

    def run(stop: threading.Event, ready: threading.Event) -> None:
        run_monitor(
            config, store, params=params, stop=stop, ready=ready, on_start=seen.append
        )

    def phase(ticks: int) -> Any:
        stop, ready = threading.Event(), threading.Event()
        thread = threading.Thread(target=run, args=(stop, ready))
        thread.start()
        assert ready.wait(15)
        sim.run(ticks=ticks)
        assert wait_until(lambda: seen[-1].stats.accepted >= 3 * 150, 60)
        stop.set()
        thread.join(30)

    phase(150)
    sim.start_ts += 150  # the line goes on where it stopped
    phase(150)
    assert not seen[0].restored
    assert seen[1].restored
    assert seen[1].stats.scored == 450
    # the detector counts on from the first run's 150 points, fitted on them
    assert isinstance(seen[1].scorer, StreamScorer)
    assert seen[1].scorer.detector.fitted_.all()
    assert seen[1].scorer.detector.count_.tolist() == [300] * 3
    assert read_readings(store).num_rows == 300 * 3 * 4
