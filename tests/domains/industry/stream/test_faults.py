"""Faults and bad input on a real mosquitto: SIGKILL, NaN, strings, floods, ..."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kiwerk
from kiwerk.core.monitor import MewmaParams
from kiwerk.domains.industry.stream import (
    BrokerConfig,
    LineSimulator,
    LocalBroker,
    MonitorParams,
    connect,
    make_client,
    read_readings,
    write_line_config,
)
from kiwerk.domains.industry.stream._mqtt import SESSION_EXPIRY_S
from tests.domains.industry.stream.test_live import recordings, unique_count, wait_until

pytestmark = pytest.mark.service


def _monitor_process(config: Path, store: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    src = str(Path(kiwerk.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-c", "from kiwerk.interfaces.cli.app import main; main()"]
    return subprocess.Popen(
        [*cmd, "monitor", "run", str(config), "--store", str(store)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _create_session(broker: BrokerConfig, topics: list[str]) -> None:
    """Subscribe once with the monitor's client id, as its first run would."""
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    client = make_client(broker.client_id)
    connect(client, broker)
    done = threading.Event()
    client.on_subscribe = lambda *a: done.set()
    client.subscribe([(t, 1) for t in topics])
    assert done.wait(10)
    props = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = SESSION_EXPIRY_S
    client.disconnect(properties=props)
    client.loop_stop()


def test_monitor_sigkill_and_restart_keeps_every_reading_once(
    broker: LocalBroker, tmp_path: Path
) -> None:
    """kiwerk monitor killed with SIGKILL mid-stream and restarted: no gap, no dup."""
    sim = LineSimulator(
        recordings(3), BrokerConfig("127.0.0.1", broker.port, "sim"), speed=100
    )
    config = sim.line_config()
    path = tmp_path / "line.toml"
    write_line_config(config, path)
    _create_session(config.broker, [m.topic for m in config.machines])
    store = tmp_path / "store"
    sim.run(ticks=100)  # queued in the monitor's session before it starts
    proc = _monitor_process(path, store)
    assert wait_until(lambda: read_readings(store).num_rows > 0, 60)
    rest = LineSimulator(
        recordings(3),
        BrokerConfig("127.0.0.1", broker.port, "sim"),
        speed=100,
        start_ts=sim.start_ts + 100,
    )
    runner = threading.Thread(target=lambda: rest.run(ticks=400))
    runner.start()
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = read_readings(store).num_rows
    time.sleep(0.5)
    proc = _monitor_process(path, store)
    expected = 500 * 3 * 4
    try:
        runner.join(timeout=60)
        assert wait_until(lambda: read_readings(store).num_rows >= expected, 60)
        time.sleep(1.5)  # a late redelivery would show as an extra row
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    table = read_readings(store)
    assert 0 < killed_at < expected
    assert table.num_rows == unique_count(table) == expected
    ts = np.unique(table["ts"].to_numpy())
    np.testing.assert_allclose(np.diff(ts), 1.0)


def test_bad_input_is_counted_dropped_and_survived(
    broker: LocalBroker, tmp_path: Path, monitor_thread: Any
) -> None:
    """NaN, strings, old/duplicate timestamps, unknown topic, junk and a flood."""
    sim = LineSimulator(recordings(2), BrokerConfig("127.0.0.1", broker.port, "x"))
    params = MonitorParams(
        detector=MewmaParams(n_fit=20), flush_interval_s=0.2, max_rate=200.0
    )
    store = tmp_path / "store"
    stop, stats = monitor_thread(sim.line_config(), store, params)
    pub = make_client("bad-publisher")
    connect(pub, BrokerConfig("127.0.0.1", broker.port, "bad-publisher"))

    def send(topic: str, body: Any) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        pub.publish(topic, raw, qos=1)

    for t in range(1, 51):
        send("line/m0", {"ts": float(t), "values": [1.0, 2.0, 3.0, 4.0]})
    send("line/m0", {"ts": 51.0, "values": [float("nan"), 2.0, 3.0, 4.0]})
    send("line/m0", {"ts": 52.0, "values": ["x", 2.0, 3.0, 4.0]})
    send("line/m0", {"ts": 40.0, "values": [1.0, 2.0, 3.0, 4.0]})  # out of order
    send("line/m0", {"ts": 52.0, "values": [1.0, 2.0, 3.0, 4.0]})  # duplicate
    send("line/unknown", {"ts": 60.0, "values": [1.0, 2.0, 3.0, 4.0]})
    send("line/m0", b"{not json")
    send("line/m0", {"ts": 53.0, "values": [1.0, 2.0]})  # wrong length
    send("line/m0", {"ts": "yesterday", "values": [1.0, 2.0, 3.0, 4.0]})
    for t in range(1, 2001):  # a flood of one topic
        send("line/m1", {"ts": float(t), "values": [1.0, 2.0, 3.0, 4.0]})
    send("line/m0", {"ts": 54.0, "values": [5.0, 6.0, 7.0, 8.0]})  # still listening
    assert wait_until(lambda: read_readings(store, "m0").num_rows == 50 * 4 + 3 + 3 + 4)
    time.sleep(0.5)
    stop.set()
    pub.disconnect()
    pub.loop_stop()
    assert wait_until(lambda: bool(stats), 30)
    dropped = stats[0].dropped
    assert dropped["nan"] == 1
    assert dropped["not_a_number"] == 1
    assert dropped["out_of_order"] == 1
    assert dropped["duplicate"] == 1
    assert dropped["unknown_topic"] == 1
    assert dropped["malformed"] == 1
    assert dropped["wrong_length"] == 1
    assert dropped["bad_timestamp"] == 1
    assert dropped["rate_limited"] > 0
    m1 = read_readings(store, "m1")
    assert m1.num_rows == 4 * (2000 - dropped["rate_limited"])
    assert m1.num_rows == unique_count(m1)
    m0 = read_readings(store, "m0")
    assert m0.num_rows == unique_count(m0)
    assert 54.0 in m0["ts"].to_pylist()
