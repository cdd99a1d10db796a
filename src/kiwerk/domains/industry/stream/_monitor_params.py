"""Settings and counters of the line monitor."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kiwerk.core.monitor import MeanShiftParams, MewmaParams, SensorDriftParams


@dataclass(frozen=True)
class MonitorParams:
    """Settings of ``LineMonitor``.

    Attributes
    ----------
    detector, drift, shift
        The anomaly, sensor-drift and change-point detectors' settings.
    batch_rows
        Readings per stored batch.
    flush_interval_s
        Longest time readings wait before they are stored and acknowledged.
    max_rate
        Messages per second one machine may send (a token bucket of one
        second's burst); the excess of a flood is dropped and counted.
    top_sensors
        Sensors named in an alert.
    checkpoint_interval_s
        Least time between two checkpoints of the detectors' state.
    """

    detector: MewmaParams = field(
        default_factory=lambda: MewmaParams(n_fit=200, off_count=10, shrinkage=0.3)
    )
    drift: SensorDriftParams = field(default_factory=SensorDriftParams)
    shift: MeanShiftParams = field(default_factory=lambda: MeanShiftParams(n_fit=200))
    batch_rows: int = 100_000
    flush_interval_s: float = 0.5
    max_rate: float = 1000.0
    top_sensors: int = 3
    checkpoint_interval_s: float = 5.0


@dataclass
class MonitorStats:
    """Counters of one monitor run."""

    received: int = 0
    accepted: int = 0
    stored_readings: int = 0
    scored: int = 0
    batches: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    alerts: int = 0
    recalibrations: list[tuple[str, str, float, float]] = field(default_factory=list)
    changepoints: int = 0


__all__ = ["MonitorParams", "MonitorStats"]
