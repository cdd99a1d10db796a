"""Sensor drift told apart from a failing machine, with recalibration.

A failing machine breaks the correlation structure of several sensors at once.
A drifting sensor moves away from what the *other* sensors predict for it,
slowly, while the others stay mutually consistent. :class:`SensorDriftDetector`
reads the per-sensor conditional residuals of a :class:`MewmaDetector`
(``T² = T²_without_j + residual_j²``) and calls a sensor drifting when

- its residual alone explains the excess: ``T² − residual_j² < UCL``,
- its residual is beyond ``level`` standard deviations and the largest,
- the residual moved slowly: since it last stood within one standard
  deviation, it never ran more than ``max_jump`` ahead of its own slow EWMA
  (an abrupt step does at once; a ramp of slope ``v`` per point runs about
  ``v / slow_rate`` ahead),

for ``patience`` consecutive points. An abrupt single-sensor change is thus
an alarm, never recalibrated away. The sensor's baseline is then moved by
the residual in sensor units (re-estimated) and a :class:`Recalibration` is
returned for the log.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiwerk.core.monitor._mewma import Bool, Int, MewmaDetector, MewmaResult


@dataclass(frozen=True)
class SensorDriftParams:
    """Settings of :class:`SensorDriftDetector`.

    Attributes
    ----------
    level
        Standardised residual beyond which a sensor is suspected of drift.
    slow_rate
        EWMA weight of the slow residual average.
    max_jump
        Largest lead of the residual over its slow EWMA still called slow.
    patience
        Consecutive suspect points before recalibrating.
    """

    level: float = 2.0
    slow_rate: float = 0.02
    max_jump: float = 6.0
    patience: int = 10

    def __post_init__(self) -> None:
        if self.level <= 0 or self.patience < 1:
            raise ValueError("Expected level > 0 and patience >= 1.")
        if not 0 < self.slow_rate < 1 or self.max_jump <= 0:
            raise ValueError("Expected slow_rate in (0, 1) and max_jump > 0.")


@dataclass(frozen=True)
class Recalibration:
    """One re-estimated sensor baseline.

    Attributes
    ----------
    machine, sensor
        Indices of the machine and the sensor.
    shift
        How far the baseline moved, in the sensor's units.
    residual
        The standardised residual that triggered it.
    """

    machine: int
    sensor: int
    shift: float
    residual: float


class SensorDriftDetector:
    """Watch a :class:`MewmaDetector`'s residuals for single-sensor drift."""

    def __init__(self, detector: MewmaDetector, params: SensorDriftParams) -> None:
        self.detector = detector
        self.params = params
        shape = (detector.n_machines, detector.n_sensors)
        self.slow_ = np.zeros(shape)
        self.suspect_ = np.zeros(shape, dtype=np.intp)
        self.abrupt_ = np.zeros(shape, dtype=np.bool_)

    def update(self, machines: Int, result: MewmaResult) -> list[Recalibration]:
        """Advance with one :meth:`MewmaDetector.update` result; recalibrate."""
        p = self.params
        live = ~np.isnan(result.score)
        if not live.any():
            return []
        ms = machines[live]
        res = result.residuals[live]
        slow = self.slow_[ms] + p.slow_rate * (res - self.slow_[ms])
        self.slow_[ms] = slow
        abrupt = (self.abrupt_[ms] | (np.abs(res - slow) > p.max_jump)) & (
            np.abs(res) >= 1.0
        )
        self.abrupt_[ms] = abrupt
        others = result.score[live][:, None] - res**2
        suspect: Bool = (
            (np.abs(res) > p.level)
            & (others < result.threshold[live][:, None])
            & ~abrupt
            # the drifting sensor is the one furthest from what the others predict
            & (np.abs(res) >= np.abs(res).max(axis=1, keepdims=True))
        )
        count = np.where(suspect, self.suspect_[ms] + 1, 0)
        self.suspect_[ms] = count
        out: list[Recalibration] = []
        for i, j in zip(*np.nonzero(count >= p.patience), strict=True):
            m = int(ms[i])
            prec = self.detector.precision_[m]
            # the residual in sensor units: deviation from what the others predict
            shift = float(res[i, j] / np.sqrt(prec[j, j]))
            self.detector.recalibrate(m, int(j), shift)
            self.suspect_[m, j] = 0
            self.slow_[m, j] -= res[i, j]  # the slow average moves with the baseline
            out.append(Recalibration(m, int(j), shift, float(res[i, j])))
        return out


__all__ = ["Recalibration", "SensorDriftDetector", "SensorDriftParams"]
