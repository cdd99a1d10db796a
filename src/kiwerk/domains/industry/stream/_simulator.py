"""A line simulator: real recordings replayed as live machines over MQTT.

Each machine replays one recording (a C-MAPSS engine, a SKAB test-bench run,
CWRU bearing vibration indicators) row by row; every tick publishes one JSON
message per machine, ``{"ts": ..., "values": [...]}`` (plus ``"cycle"``,
the engine's cycle number, for recordings that count cycles), with QoS 1 on
``<prefix><machine>`` or, with ``gateway_size`` > 0, one binary
``kiwerk-frame-v1`` frame per gateway of up to ``gateway_size`` machines on
``<prefix>gw-<k>`` (as an edge gateway collecting a cell of machines would).
``speed`` scales real time (1 = as recorded, 10 = ten times faster, 0 = as
fast as possible). Faults can be injected: from a given
tick on, a machine's sensors are offset by a number of their standard
deviations, as a failing machine would move them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kiwerk.datasets import load_cmapss
from kiwerk.datasets._cmapss import SENSOR_COLUMNS, SETTING_COLUMNS
from kiwerk.domains.industry.bearing import read_cwru
from kiwerk.domains.industry.bearing._cwru import RATE_HZ
from kiwerk.domains.industry.stream._config import (
    BrokerConfig,
    GatewayConfig,
    LineConfig,
    MachineConfig,
)
from kiwerk.domains.industry.stream._frames import encode_frame
from kiwerk.domains.industry.stream._mqtt import connect, make_client
from kiwerk.domains.industry.stream._skab import SKAB_SENSORS, read_skab

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recording:
    """One machine's recording: rows of sensor values ``dt`` seconds apart.

    ``cycles`` numbers the rows when the machine counts its life in cycles
    (a C-MAPSS engine); the simulator then sends each row's cycle, so that a
    monitor's RUL model knows the engine's age and sees a replay start over.
    """

    machine: str
    sensors: tuple[str, ...]
    values: NDArray[np.float64]
    dt: float = 1.0
    cycles: NDArray[np.float64] | None = None


def cmapss_recordings(
    directory: Path,
    subset: str = "FD001",
    n_machines: int = 100,
    n_sensors: int = 20,
    *,
    model_inputs: bool = False,
) -> list[Recording]:
    """C-MAPSS training engines as machines (cycled when more are asked for).

    Each engine sends its first ``n_sensors`` sensors, or with
    ``model_inputs`` the three operating settings and all 21 sensors (what
    the ``industry-rul`` model reads), and its cycle number.
    """
    train = load_cmapss(subset, directory=directory).train
    cols = [*SETTING_COLUMNS, *SENSOR_COLUMNS] if model_inputs else None
    cols = cols or SENSOR_COLUMNS[:n_sensors]
    units = [
        (g[cols].to_numpy(np.float64), g["cycle"].to_numpy(np.float64))
        for _, g in train.groupby("unit")
    ]
    return [
        Recording(
            f"engine-{i + 1:03d}",
            tuple(cols),
            units[i % len(units)][0],
            cycles=units[i % len(units)][1],
        )
        for i in range(n_machines)
    ]


def cwru_recordings(directory: Path, block: int = 1200) -> list[Recording]:
    """CWRU bearings as machines: RMS, kurtosis, crest factor, peak per channel.

    A vibration gateway does not ship 12 kHz raw samples over MQTT; it sends
    condition indicators of short blocks. Each ``block`` of samples (0.1 s at
    12 kHz) becomes one vector of 8 values (4 per DE/FE channel), one tick
    per 0.1 s.
    """
    out = []
    for rec in read_cwru(directory):
        n = len(rec.signals) // block
        x = rec.signals[: n * block].reshape(n, block, 2)
        x = x - x.mean(axis=1, keepdims=True)
        rms = np.sqrt(np.mean(x**2, axis=1))
        peak = np.abs(x).max(axis=1)
        kurt = np.mean(x**4, axis=1) / rms**4
        values = np.column_stack([rms, kurt, peak / rms, peak])
        sensors = tuple(
            f"{ch}_{name}"
            for name in ("rms", "kurtosis", "crest", "peak")
            for ch in ("de", "fe")
        )
        name = "bearing-" + rec.file.removesuffix(".mat") + "-" + rec.label
        out.append(Recording(name, sensors, values, dt=block / RATE_HZ))
    return out


def skab_recordings(directory: Path) -> list[Recording]:
    """Every labelled SKAB run as a machine (1 s per row)."""
    return [
        Recording(
            "skab-" + f.name.removesuffix(".csv").replace("/", "-"),
            tuple(s.replace(" ", "_") for s in SKAB_SENSORS),
            f.values,
        )
        for f in read_skab(directory)
    ]


@dataclass(frozen=True)
class Fault:
    """From ``tick`` on, offset ``machine``'s first ``n_sensors`` by ``size`` SDs."""

    machine: int
    tick: int
    size: float = 8.0
    n_sensors: int = 3


@dataclass
class SimulatorReport:
    """What a simulator run published."""

    ticks: int = 0
    messages: int = 0
    vectors: int = 0
    elapsed_s: float = 0.0
    fault_sent: dict[int, float] = field(default_factory=dict)


class LineSimulator:
    """Replay recordings as live machines on an MQTT broker."""

    def __init__(
        self,
        recordings: list[Recording],
        broker: BrokerConfig,
        *,
        prefix: str = "line/",
        client_id: str = "kiwerk-simulator",
        speed: float = 1.0,
        start_ts: float = 1.7e9,
        faults: tuple[Fault, ...] = (),
        gateway_size: int = 0,
    ) -> None:
        if gateway_size < 0:
            raise ValueError(f"Expected gateway_size >= 0, got {gateway_size}.")
        if not recordings:
            raise ValueError("Expected at least one recording.")
        if speed < 0:
            raise ValueError(f"Expected speed >= 0, got {speed}.")
        self.recordings = recordings
        self.broker = broker
        self.prefix = prefix
        self.client_id = client_id
        self.speed = speed
        self.start_ts = start_ts
        self.faults = {f.machine: f for f in faults}
        self.gateway_size = gateway_size
        self._sd = [np.std(r.values, axis=0) + 1e-9 for r in recordings]

    def line_config(self, monitor_id: str = "kiwerk-monitor") -> LineConfig:
        """The monitor's view of this line: one machine per recording."""
        broker = BrokerConfig(
            self.broker.host,
            self.broker.port,
            monitor_id,
            subscribe=(self.prefix + "#",),
        )
        return LineConfig(
            broker,
            tuple(
                MachineConfig(r.machine, self.prefix + r.machine, r.sensors)
                for r in self.recordings
            ),
            gateways=tuple(
                GatewayConfig(topic, tuple(r.machine for r in self.recordings[sl]))
                for topic, sl in self._gateways()
            ),
        )

    def _gateways(self) -> list[tuple[str, slice]]:
        g, n = self.gateway_size, len(self.recordings)
        if g == 0:
            return []
        return [(f"{self.prefix}gw-{k // g}", slice(k, k + g)) for k in range(0, n, g)]

    def row(self, i: int, tick: int) -> NDArray[np.float64]:
        """Machine ``i``'s sensor vector at ``tick`` (recordings loop)."""
        rec = self.recordings[i]
        x: NDArray[np.float64] = rec.values[tick % len(rec.values)].copy()
        fault = self.faults.get(i)
        if fault is not None and tick >= fault.tick:
            x[: fault.n_sensors] += fault.size * self._sd[i][: fault.n_sensors]
        return x

    def run(
        self,
        *,
        ticks: int | None = None,
        duration: float | None = None,
        stop: threading.Event | None = None,
    ) -> SimulatorReport:
        """Publish tick after tick until ``ticks``, ``duration`` or ``stop``."""
        client = make_client(self.client_id)
        connect(client, self.broker)
        report = SimulatorReport()
        dt = self.recordings[0].dt
        topics = [self.prefix + r.machine for r in self.recordings]
        start = time.monotonic()
        try:
            tick = 0
            while (ticks is None or tick < ticks) and not (stop and stop.is_set()):
                now = time.monotonic()
                if duration is not None and now - start >= duration:
                    break
                if self.speed > 0:
                    due = start + tick * dt / self.speed
                    if due > now:
                        time.sleep(due - now)
                report.messages += self._tick(client, tick, topics, report)
                tick += 1
            report.ticks = tick
            _wait_published(client)
        finally:
            client.disconnect()
            client.loop_stop()
        report.elapsed_s = time.monotonic() - start
        return report

    def _tick(
        self, client: Any, tick: int, topics: list[str], report: SimulatorReport
    ) -> int:
        """Publish one tick of every machine; the number of messages."""
        ts = self.start_ts + tick * self.recordings[0].dt
        sent = time.time()  # before publishing: latencies are not flattered
        gateways = self._gateways()
        if gateways:
            for topic, sl in gateways:
                idx = np.arange(len(self.recordings))[sl]
                x = np.vstack([self.row(int(i), tick) for i in idx])
                payload = encode_frame(idx - idx[0], np.full(len(idx), ts), x)
                client.publish(topic, payload, qos=1)
        else:
            for i, topic in enumerate(topics):
                msg: dict[str, Any] = {"ts": ts, "values": self.row(i, tick).tolist()}
                cycles = self.recordings[i].cycles
                if cycles is not None:
                    msg["cycle"] = float(cycles[tick % len(cycles)])
                client.publish(topic, json.dumps(msg), qos=1)
        for i, fault in self.faults.items():
            if tick == fault.tick:
                report.fault_sent[i] = sent
        report.vectors += len(topics)
        return len(gateways) or len(topics)


def _wait_published(client: object, timeout: float = 30.0) -> None:
    """Wait until paho has no QoS 1 message left without a PUBACK."""
    deadline = time.monotonic() + timeout
    out = getattr(client, "_out_messages", None)
    while out and time.monotonic() < deadline:
        time.sleep(0.02)
    if out:
        log.warning("%d messages still unacknowledged by the broker", len(out))


__all__ = [
    "Fault",
    "LineSimulator",
    "Recording",
    "SimulatorReport",
    "cmapss_recordings",
    "cwru_recordings",
    "skab_recordings",
]
