"""OPC UA: the simulator's asyncua server and the monitor's subscriptions."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from kiwerk.domains.industry.stream import (
    BrokerConfig,
    LineConfig,
    LocalBroker,
    OpcuaSource,
    free_port,
    read_readings,
)
from kiwerk.domains.industry.stream._opcua import OpcuaLineServer
from tests.domains.industry.stream.test_live import PARAMS, wait_until

pytestmark = pytest.mark.service


def test_opcua_values_are_scored_and_stored_and_bad_ones_dropped(
    broker: LocalBroker, tmp_path: Path, monitor_thread: Any
) -> None:
    """Vectors from an asyncua server arrive once each; a bad value is dropped."""
    sensors: tuple[str, ...] = ("force", "temp", "speed")
    machines = {"press-1": sensors, "press-2": sensors}
    server = OpcuaLineServer(f"opc.tcp://127.0.0.1:{free_port()}/kiwerk/", machines)
    server.start()
    try:
        sources = tuple(
            OpcuaSource(
                server.endpoint,
                m,
                {server.node_id(m, s): s for s in names},
            )
            for m, names in machines.items()
        )
        config = LineConfig(
            BrokerConfig("127.0.0.1", broker.port, "opc-monitor"), (), sources
        )
        stop, stats = monitor_thread(config, tmp_path / "store", PARAMS)
        for k in range(1, 13):
            for m in machines:
                values: list[Any] = [100.0 + k, 50.0 + k, 10.0 + k]
                if m == "press-2" and k == 6:
                    values[1] = None  # bad quality from the device: a null value
                server.publish(m, 1000.0 + k, values)
            time.sleep(0.25)  # slower than the 50 ms subscription period
        assert wait_until(lambda: read_readings(tmp_path / "store").num_rows >= 70)
        stop.set()
        assert wait_until(lambda: bool(stats))
    finally:
        server.stop()
    table = read_readings(tmp_path / "store")
    rows = list(zip(*(table[c].to_pylist() for c in table.column_names), strict=True))
    assert len(rows) == len(set(rows)) == 12 * 3 * 2 - 1
    forces = sorted(v for m, s, ts, v in rows if m == "press-1" and s == "force")
    assert forces == [100.0 + k for k in range(1, 13)]
    assert stats[0].dropped["malformed_opcua"] == 1


def _opcua_line(
    server: OpcuaLineServer, port: int, machines: dict[str, tuple[str, ...]]
) -> LineConfig:
    """A line of the server's machines, one OPC UA source each."""
    sources = tuple(
        OpcuaSource(server.endpoint, m, {server.node_id(m, s): s for s in names})
        for m, names in machines.items()
    )
    return LineConfig(BrokerConfig("127.0.0.1", port, "opc-monitor"), (), sources)


def _keys(store: Path) -> list[tuple[Any, ...]]:
    """Stored (machine, sensor, ts) keys."""
    table = read_readings(store)
    return list(
        zip(*(table[c].to_pylist() for c in ("machine", "sensor", "ts")), strict=True)
    )


def test_opcua_values_faster_than_sampling_all_arrive(
    broker: LocalBroker, tmp_path: Path, monitor_thread: Any
) -> None:
    """Vectors written back to back (faster than the 50 ms sampling) all arrive once."""
    machines: dict[str, tuple[str, ...]] = {"press-1": ("force", "temp")}
    server = OpcuaLineServer(f"opc.tcp://127.0.0.1:{free_port()}/kiwerk/", machines)
    server.start()
    store = tmp_path / "store"
    try:
        monitor_thread(_opcua_line(server, broker.port, machines), store, PARAMS)
        for k in range(1, 41):
            server.publish("press-1", 1000.0 + k, [float(k), 2.0 * k])
        assert wait_until(lambda: len(_keys(store)) >= 80)
        time.sleep(1.0)  # a late duplicate would show now
    finally:
        server.stop()
    keys = _keys(store)
    assert len(keys) == len(set(keys)) == 80


@pytest.mark.slow
def test_opcua_kiwerk_restart_rereads_what_it_missed(
    broker: LocalBroker, tmp_path: Path, monitor_thread: Any
) -> None:
    """Values written while the monitor is down are read from history on restart."""
    machines: dict[str, tuple[str, ...]] = {
        "press-1": ("force", "temp"),
        "press-2": ("force", "temp"),
    }
    server = OpcuaLineServer(f"opc.tcp://127.0.0.1:{free_port()}/kiwerk/", machines)
    server.start()
    store = tmp_path / "store"
    try:
        config = _opcua_line(server, broker.port, machines)
        stop, stats = monitor_thread(config, store, PARAMS)
        for k in range(1, 11):
            for m in machines:
                server.publish(m, 1000.0 + k, [float(k), 1.0])
        assert wait_until(lambda: len(_keys(store)) >= 40)
        stop.set()
        assert wait_until(lambda: bool(stats))
        for k in range(11, 21):  # kiwerk is down
            for m in machines:
                server.publish(m, 1000.0 + k, [float(k), 1.0])
        monitor_thread(config, store, PARAMS)
        assert wait_until(lambda: len(_keys(store)) >= 80)
        time.sleep(1.0)
    finally:
        server.stop()
    keys = _keys(store)
    assert len(keys) == len(set(keys)) == 80
    assert sorted({k[2] for k in keys}) == [1000.0 + k for k in range(1, 21)]


@pytest.mark.slow
def test_opcua_server_restart_loses_nothing(
    broker: LocalBroker, tmp_path: Path, monitor_thread: Any
) -> None:
    """The server restarts mid-stream: the monitor reconnects and stores all once."""
    machines: dict[str, tuple[str, ...]] = {"press-1": ("force", "temp")}
    endpoint = f"opc.tcp://127.0.0.1:{free_port()}/kiwerk/"
    server = OpcuaLineServer(endpoint, machines)
    server.start()
    store = tmp_path / "store"
    try:
        monitor_thread(_opcua_line(server, broker.port, machines), store, PARAMS)
        for k in range(1, 11):
            server.publish("press-1", 1000.0 + k, [float(k), 1.0])
        assert wait_until(lambda: len(_keys(store)) >= 20)
        server.stop()
        server = OpcuaLineServer(endpoint, machines)
        server.start()
        for k in range(11, 21):
            server.publish("press-1", 1000.0 + k, [float(k), 1.0])
        assert wait_until(lambda: len(_keys(store)) >= 40, 40)
        time.sleep(1.0)
    finally:
        server.stop()
    keys = _keys(store)
    assert len(keys) == len(set(keys)) == 40
