"""Binary gateway frames: encoding, config, the monitor's array path, a live line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiwerk.core.monitor import MewmaParams
from kiwerk.domains.industry.stream import (
    AlertRouter,
    BrokerConfig,
    Fault,
    LineConfig,
    LineMonitor,
    LineSimulator,
    LocalBroker,
    MonitorParams,
    ParquetSink,
    Recording,
    decode_frame,
    encode_frame,
    load_line_config,
    parse_line_config,
    read_readings,
    write_line_config,
)
from kiwerk.errors import ConfigError, DataFormatError
from tests.domains.industry.stream.test_live import recordings, wait_until

PARAMS = MonitorParams(
    detector=MewmaParams(n_fit=100, off_count=10), flush_interval_s=0.2
)


def line(n: int = 3, gateway_size: int = 2) -> tuple[LineSimulator, LineConfig]:
    """A simulator of n 4-sensor machines in gateways and its line config."""
    sim = LineSimulator(
        recordings(n),
        BrokerConfig("127.0.0.1", 1, "sim"),
        gateway_size=gateway_size,
    )
    return sim, sim.line_config()


def monitor(tmp_path: Path, config: LineConfig) -> LineMonitor:
    """An in-process monitor storing under tmp_path."""
    return LineMonitor(
        config,
        ParquetSink(tmp_path / "store"),
        PARAMS,
        AlertRouter(publish=None, topic=None),
    )


@pytest.mark.parametrize(
    ("k", "d"),
    [
        (1, 1),  # one record of one sensor
        (50, 20),  # a gateway of 50 C-MAPSS engines
        (0, 3),  # an empty frame
    ],
)
def test_frame_round_trip(k: int, d: int) -> None:
    """encode_frame then decode_frame gives back machines, timestamps and values."""
    rng = np.random.default_rng(0)
    idx, ts, x = (
        rng.integers(0, 65535, k),
        rng.uniform(0, 2e9, k),
        rng.normal(size=(k, d)),
    )
    x[::3, 0] = np.nan
    m2, ts2, x2 = decode_frame(encode_frame(idx, ts, x), d)
    assert m2.tolist() == idx.tolist()
    np.testing.assert_array_equal(ts2, ts)
    np.testing.assert_array_equal(x2, x)


def test_truncated_frame_is_a_format_error() -> None:
    """A payload that is not whole records names the topic and the record size."""
    payload = encode_frame(np.array([0]), np.array([1.0]), np.ones((1, 4)))
    with pytest.raises(DataFormatError, match=r"line/gw-0: 41 bytes .* 42 bytes"):
        decode_frame(payload[:-1], 4, "line/gw-0")


def test_gateway_config_round_trip_and_errors(tmp_path: Path) -> None:
    """Gateways survive the TOML round trip; unknown machines or payloads fail."""
    _, config = line(5, 2)
    path = tmp_path / "line.toml"
    write_line_config(config, path)
    again = load_line_config(path)
    assert again.gateways == config.gateways
    assert [g.machines for g in again.gateways] == [("m0", "m1"), ("m2", "m3"), ("m4",)]
    data: dict[str, Any] = {
        "machines": [{"name": "a", "sensors": ["x"]}],
        "gateways": [{"topic": "gw", "machines": ["a", "zz"]}],
    }
    with pytest.raises(ConfigError, match=r"gateway gw: .*unknown: \['zz'\]"):
        parse_line_config(data)
    data["gateways"] = [{"topic": "gw", "machines": ["a"], "payload": "protobuf"}]
    with pytest.raises(ConfigError, match="unknown payload 'protobuf'"):
        parse_line_config(data)


def test_frames_scored_stored_and_deduplicated(tmp_path: Path) -> None:
    """Frames are stored once; redelivered, truncated and unknown rows are counted."""
    sim, config = line(3, 2)
    mon = monitor(tmp_path, config)
    frames = []
    for tick in range(150):
        x = np.vstack([sim.row(i, tick) for i in range(3)])
        ts = np.full(3, 1e9 + tick)
        frames.append(("line/gw-0", encode_frame(np.arange(2), ts[:2], x[:2])))
        frames.append(("line/gw-1", encode_frame(np.arange(1), ts[2:], x[2:])))
    for topic, payload in frames:
        mon.handle(topic, payload)
        mon.process()
    mon.handle(*frames[-2])  # a redelivery
    mon.handle("line/gw-0", frames[0][1][:-3])  # truncated
    mon.handle("line/gw-1", encode_frame(np.array([7]), np.array([2e9]), x[:1]))
    mon.flush()
    table = read_readings(tmp_path / "store")
    assert table.num_rows == 150 * 3 * 4
    assert mon.stats.scored == 450
    assert mon.stats.dropped == {"duplicate": 2, "malformed": 1, "unknown_machine": 1}


def test_frame_with_one_machine_twice_keeps_time_order(tmp_path: Path) -> None:
    """Two records of one machine in a frame: the older-than-newest one is dropped."""
    _, config = line(3, 2)
    mon = monitor(tmp_path, config)
    x = np.ones((3, 4))
    mon.handle(
        "line/gw-0", encode_frame(np.array([0, 0, 1]), np.array([5.0, 4.0, 5.0]), x)
    )
    mon.flush()
    assert mon.stats.accepted == 2
    assert mon.stats.dropped == {"out_of_order": 1}


@pytest.mark.service
def test_live_gateway_line_stores_everything_and_alerts(
    broker: LocalBroker, tmp_path: Path, monitor_thread: Any
) -> None:
    """Gateway frames over real mosquitto: every reading stored once, fault alerted."""
    recs: list[Recording] = recordings(5)
    sim = LineSimulator(
        recs,
        BrokerConfig("127.0.0.1", broker.port, "sim"),
        speed=0,
        gateway_size=2,
        faults=(Fault(machine=3, tick=200, size=10.0, n_sensors=1),),
    )
    stop, out = monitor_thread(sim.line_config(), tmp_path / "store", PARAMS)
    report = sim.run(ticks=300)
    assert report.messages == 300 * 3
    assert report.vectors == 300 * 5
    store = tmp_path / "store"
    assert wait_until(lambda: read_readings(store).num_rows >= 300 * 5 * 4, 60)
    stop.set()
    assert wait_until(lambda: bool(out), 30)
    table = read_readings(store)
    assert table.num_rows == 300 * 5 * 4
    assert (
        len(
            set(
                zip(
                    *(table[c].to_pylist() for c in ("machine", "sensor", "ts")),
                    strict=True,
                )
            )
        )
        == 6000
    )
    assert out[0].alerts >= 1
    assert not out[0].dropped
