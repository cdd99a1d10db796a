"""Multivariate EWMA Hotelling T² detector, run for many machines at once.

Each machine's first ``n_fit`` vectors fit its normal model: the mean and
covariance of the EWMA-smoothed vectors, and an upper control limit (UCL) at a
quantile of the fit points' own T² times a safety factor. After that every
vector is scored once, in arrival order. The model is never refitted on points
judged abnormal (the fault is not learned as normal); an optional slow mean
update runs on points judged normal only. An alarm switches on after
``on_count`` consecutive points above the UCL and off after ``off_count``
consecutive points below it (hysteresis), so one fault gives one alarm.

All state is kept in arrays indexed by machine, so one :meth:`update` call
scores one vector for each of many machines with a handful of numpy
operations instead of a Python loop per machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kiwerk.errors import NotFittedError

Float = NDArray[np.float64]
Int = NDArray[np.intp]
Bool = NDArray[np.bool_]


@dataclass(frozen=True)
class MewmaParams:
    """Settings of :class:`MewmaDetector`.

    Attributes
    ----------
    n_fit
        Vectors per machine used to fit its normal model.
    smoothing
        EWMA weight of the newest vector (λ in (0, 1]; 1 is plain T²).
    quantile, factor
        The UCL is ``factor`` times this quantile of the fit points' T².
    on_count, off_count
        Consecutive points above (below) the UCL that switch an alarm on (off).
    adapt_rate
        Weight of a normal point in a slow update of the mean (0 disables).
    ridge
        Added to the covariance diagonal, relative to its mean variance.
    shrinkage
        Weight of the diagonal in the fitted covariance (Ledoit-Wolf style
        shrinkage): with many sensors and a short, autocorrelated fit window
        the plain covariance is nearly singular and over-fits.
    """

    n_fit: int = 400
    smoothing: float = 0.2
    quantile: float = 0.99
    factor: float = 3.0
    on_count: int = 1
    off_count: int = 30
    adapt_rate: float = 0.0
    ridge: float = 1e-6
    shrinkage: float = 0.0

    def __post_init__(self) -> None:
        if self.n_fit < 10:
            raise ValueError(f"Expected n_fit >= 10, got {self.n_fit}.")
        if not 0.0 < self.smoothing <= 1.0:
            raise ValueError(f"Expected smoothing in (0, 1], got {self.smoothing}.")
        if not 0.0 < self.quantile < 1.0:
            raise ValueError(f"Expected quantile in (0, 1), got {self.quantile}.")
        if self.factor <= 0 or self.on_count < 1 or self.off_count < 1:
            raise ValueError("Expected factor > 0, on_count >= 1 and off_count >= 1.")
        if not 0.0 <= self.shrinkage <= 1.0:
            raise ValueError(f"Expected shrinkage in [0, 1], got {self.shrinkage}.")
        if not 0.0 <= self.adapt_rate < 1.0:
            raise ValueError(f"Expected adapt_rate in [0, 1), got {self.adapt_rate}.")


@dataclass(frozen=True)
class MewmaResult:
    """Scores of one :meth:`MewmaDetector.update` call, one row per machine.

    Attributes
    ----------
    score
        T² of the smoothed vector (NaN while the machine is still fitting).
    threshold
        The machine's UCL (NaN while fitting).
    exceed
        ``score > threshold`` on this point, before hysteresis.
    alarm
        The alarm state after hysteresis.
    contributions
        Each sensor's share of T² (rows sum to ``score``); attribution.
    residuals
        Each sensor's standardised residual given the other sensors; a sensor
        whose residual alone explains T² breaks the correlation structure.
    """

    score: Float
    threshold: Float
    exceed: Bool
    alarm: Bool
    contributions: Float
    residuals: Float


class MewmaDetector:
    """MEWMA Hotelling T² for ``n_machines`` machines of ``n_sensors`` sensors.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> det = MewmaDetector(2, 3, MewmaParams(n_fit=50, off_count=1))
    >>> for _ in range(60):
    ...     res = det.update(np.arange(2), rng.normal(size=(2, 3)))
    >>> bool(res.alarm.any())
    False
    >>> res = [det.update(np.arange(2), np.array([[0.0] * 3, [9.0] * 3]))
    ...        for _ in range(5)][-1]
    >>> res.alarm.tolist()
    [False, True]
    """

    def __init__(self, n_machines: int, n_sensors: int, params: MewmaParams) -> None:
        self.n_machines = n_machines
        self.n_sensors = n_sensors
        self.params = params
        m, d = n_machines, n_sensors
        self.count_ = np.zeros(m, dtype=np.intp)
        self.z_ = np.zeros((m, d))
        self.buffer_: Float | None = np.zeros((m, params.n_fit, d))
        self.mean_ = np.zeros((m, d))
        self.precision_ = np.zeros((m, d, d))
        self.threshold_ = np.full(m, np.nan)
        self.offset_ = np.zeros((m, d))
        self.alarm_ = np.zeros(m, dtype=np.bool_)
        self.run_ = np.zeros(m, dtype=np.intp)  # consecutive points against state

    @property
    def fitted_(self) -> Bool:
        """Which machines have finished fitting."""
        return self.count_ >= self.params.n_fit

    def update(self, machines: Int, x: Float) -> MewmaResult:
        """Score one vector per machine and advance the machines' state.

        Parameters
        ----------
        machines
            Distinct machine indices, shape ``(k,)``.
        x
            Their finite sensor vectors, shape ``(k, n_sensors)``.
        """
        p = self.params
        x = x - self.offset_[machines]
        first = self.count_[machines] == 0
        z = np.where(first[:, None], x, (1 - p.smoothing) * self.z_[machines])
        z = np.where(first[:, None], z, z + p.smoothing * x)
        self.z_[machines] = z
        k, d = x.shape
        out = MewmaResult(
            score=np.full(k, np.nan),
            threshold=np.full(k, np.nan),
            exceed=np.zeros(k, dtype=np.bool_),
            alarm=np.zeros(k, dtype=np.bool_),
            contributions=np.zeros((k, d)),
            residuals=np.zeros((k, d)),
        )
        fitting = self.count_[machines] < p.n_fit
        if fitting.any():
            self._collect(machines[fitting], z[fitting])
        live = ~fitting
        if live.any():
            self._score(machines[live], z[live], x[live], out, live)
        self.count_[machines] += 1
        return out

    def _collect(self, machines: Int, z: Float) -> None:
        if self.buffer_ is None:  # pragma: no cover - released only when all fitted
            raise NotFittedError("the fit buffer was released before fitting")
        self.buffer_[machines, self.count_[machines]] = z
        done = machines[self.count_[machines] == self.params.n_fit - 1]
        for m in done:
            self._fit(int(m))
        fitted = self.fitted_
        fitted[done] = True
        if fitted.all():
            self.buffer_ = None  # every machine is fitted: release the fit points

    def _fit(self, m: int) -> None:
        assert self.buffer_ is not None
        z = self.buffer_[m]
        mean = z.mean(axis=0)
        cov = np.atleast_2d(np.cov(z, rowvar=False))
        shrink = self.params.shrinkage
        cov = (1 - shrink) * cov + shrink * np.diag(np.diag(cov))
        # a sensor (nearly) constant while fitting, e.g. a quantised set point,
        # gets a variance floor of (0.1 % of its level)² instead of ~0
        floor = (1e-3 * np.abs(mean)) ** 2 + 1e-12
        cov += np.diag(np.maximum(floor - np.diag(cov), 0.0))
        cov += np.eye(self.n_sensors) * self.params.ridge * max(np.trace(cov), 1e-12)
        precision = np.linalg.pinv(cov)
        dev = z - mean
        t2 = np.einsum("ij,jk,ik->i", dev, precision, dev)
        self.mean_[m] = mean
        self.precision_[m] = precision
        self.threshold_[m] = self.params.factor * float(
            np.quantile(t2, self.params.quantile)
        )

    def _score(
        self, machines: Int, z: Float, x: Float, out: MewmaResult, rows: Bool
    ) -> None:
        p = self.params
        dev = z - self.mean_[machines]
        pdev = np.einsum("kij,kj->ki", self.precision_[machines], dev)
        contrib = dev * pdev
        score = contrib.sum(axis=1)
        thr = self.threshold_[machines]
        exceed = score > thr
        alarm = self.alarm_[machines]
        against = exceed != alarm
        run = np.where(against, self.run_[machines] + 1, 0)
        flip = run >= np.where(alarm, p.off_count, p.on_count)
        alarm = alarm ^ flip
        self.run_[machines] = np.where(flip, 0, run)
        self.alarm_[machines] = alarm
        if p.adapt_rate > 0:
            normal = machines[~exceed]
            self.mean_[normal] += p.adapt_rate * (z[~exceed] - self.mean_[normal])
        diag = np.einsum("kii->ki", self.precision_[machines])
        out.score[rows] = score
        out.threshold[rows] = thr
        out.exceed[rows] = exceed
        out.alarm[rows] = alarm
        out.contributions[rows] = contrib
        out.residuals[rows] = pdev / np.sqrt(np.maximum(diag, 1e-300))

    def recalibrate(self, machine: int, sensor: int, shift: float) -> None:
        """Move one sensor's baseline by ``shift`` (a re-estimated drift offset)."""
        self.offset_[machine, sensor] += shift
        self.z_[machine, sensor] -= shift


__all__ = ["MewmaDetector", "MewmaParams", "MewmaResult"]
