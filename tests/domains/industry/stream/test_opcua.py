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
