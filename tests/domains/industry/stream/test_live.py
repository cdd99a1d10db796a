"""A live line on a real mosquitto: alerts with reasons, storage, broker restart."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from kiwerk.core.monitor import MewmaParams
from kiwerk.domains.industry.stream import (
    AlertConfig,
    BrokerConfig,
    Fault,
    LineConfig,
    LineSimulator,
    LocalBroker,
    MonitorParams,
    Recording,
    connect,
    make_client,
    read_readings,
)

pytestmark = pytest.mark.service
PARAMS = MonitorParams(
    detector=MewmaParams(n_fit=100, off_count=10), flush_interval_s=0.2
)


def wait_until(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``check`` until it holds or ``timeout`` seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return check()


def recordings(n: int, rows: int = 400, seed: int = 0) -> list[Recording]:
    """n machines with 4 correlated sensors around one shared load."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        load = rng.normal(size=(rows, 1))
        values = 50 + load * [1.0, 0.8, -0.6, 0.5] + 0.3 * rng.normal(size=(rows, 4))
        out.append(Recording(f"m{i}", ("a", "b", "c", "d"), values))
    return out


def _tail(path: Path) -> str:
    """The end of a log file, or why it cannot be read."""
    try:
        return path.read_text(errors="replace")[-3000:]
    except OSError as exc:
        return f"({exc})"


def unique_count(table: pa.Table) -> int:
    """Distinct (machine, sensor, ts) keys in a stored table."""
    keys = set(
        zip(
            table["machine"].to_pylist(),
            table["sensor"].to_pylist(),
            table["ts"].to_pylist(),
            strict=True,
        )
    )
    return len(keys)


def test_live_line_alerts_with_reasons_everywhere(
    broker: LocalBroker,
    tmp_path: Path,
    webhook: tuple[str, list[dict[str, Any]]],
    monitor_thread: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An injected fault gives one alert on MQTT, webhook and log, with reasons."""
    url, bodies = webhook
    sim = LineSimulator(
        recordings(3),
        BrokerConfig("127.0.0.1", broker.port, "sim"),
        speed=0,
        faults=(Fault(machine=1, tick=200, size=10.0, n_sensors=1),),
    )
    base = sim.line_config()
    config = LineConfig(base.broker, base.machines, alerts=AlertConfig(webhook=url))
    alerts: list[dict[str, Any]] = []
    sub = make_client("alert-reader")
    sub.on_message = lambda c, u, m: alerts.append(json.loads(m.payload))
    connect(sub, config.broker)
    sub.subscribe("kiwerk/alerts", qos=1)
    caplog.set_level(logging.WARNING)
    stop, _ = monitor_thread(config, tmp_path / "store", PARAMS)
    sim.run(ticks=300)
    assert wait_until(lambda: read_readings(tmp_path / "store").num_rows == 3600, 60)
    assert wait_until(lambda: len(bodies) >= 1 and len(alerts) >= 1)
    stop.set()
    sub.disconnect()
    for channel in (alerts, bodies):
        m1 = [a for a in channel if a["machine"] == "m1"]
        assert len(m1) == 1  # de-duplicated: one alert for one fault
        assert m1[0]["kind"] == "anomaly"
        assert m1[0]["time"] >= sim.start_ts + 200
        assert m1[0]["score"] > m1[0]["threshold"]
        assert m1[0]["sensors"][0]["sensor"] == "a"  # the faulty sensor leads
        assert "Inspect m1" in m1[0]["action"]
    assert any("ALERT anomaly m1" in r.getMessage() for r in caplog.records)
    table = read_readings(tmp_path / "store")
    assert unique_count(table) == table.num_rows == 3600


def test_broker_restart_loses_nothing_and_stores_nothing_twice(
    broker: LocalBroker, tmp_path: Path, monitor_thread: Any
) -> None:
    """Mosquitto stopped and restarted mid-stream: every reading stored once."""
    sim = LineSimulator(
        recordings(3), BrokerConfig("127.0.0.1", broker.port, "sim"), speed=150
    )
    monitor_thread(sim.line_config(), tmp_path / "store", PARAMS)
    runner = threading.Thread(target=lambda: sim.run(ticks=450))
    runner.start()
    time.sleep(1.0)
    broker.stop()
    time.sleep(1.0)
    broker.start()
    runner.join(timeout=120)
    expected = 450 * 3 * 4
    store = tmp_path / "store"
    assert wait_until(lambda: read_readings(store).num_rows >= expected, 90), (
        read_readings(store).num_rows,
        expected,
        _tail(tmp_path / "broker" / "mosquitto.log"),
    )
    time.sleep(0.5)  # anything redelivered late would show up as an extra row
    table = read_readings(tmp_path / "store")
    assert table.num_rows == expected
    assert unique_count(table) == expected
    ts = np.sort(np.unique(table["ts"].to_numpy()))
    np.testing.assert_allclose(np.diff(ts), 1.0)  # no gap
