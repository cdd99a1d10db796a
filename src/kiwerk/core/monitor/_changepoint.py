"""Online change-point detection: a sliding two-window mean-shift test.

For each machine and sensor the mean of the last ``window`` points is compared
with the mean of the ``window`` points before them, in units of the sensor's
point-to-point noise (estimated on the first ``n_fit`` points from successive
differences, which a slow trend does not inflate). A change point is declared
when the largest shift over the sensors exceeds ``threshold`` and no change
point was declared in the last ``refractory`` points. Memory is a ring buffer
of ``2 * window`` vectors per machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiwerk.core.monitor._mewma import Bool, Float, Int


@dataclass(frozen=True)
class MeanShiftParams:
    """Settings of :class:`MeanShiftDetector`.

    Attributes
    ----------
    window
        Points in each of the two compared windows.
    threshold
        Shift, in standard errors of a window-mean difference, that is a change.
    refractory
        Points after a change point during which no other is declared.
    n_fit
        Points per machine used to estimate each sensor's noise.
    """

    window: int = 10
    threshold: float = 5.0
    refractory: int = 30
    n_fit: int = 400

    def __post_init__(self) -> None:
        if self.window < 1 or self.refractory < 0 or self.n_fit < 3:
            raise ValueError("Expected window >= 1, refractory >= 0, n_fit >= 3.")
        if self.threshold <= 0:
            raise ValueError(f"Expected threshold > 0, got {self.threshold}.")


class MeanShiftDetector:
    """Two-window mean-shift change points for many machines at once.

    Examples
    --------
    >>> det = MeanShiftDetector(1, 1, MeanShiftParams(window=5, n_fit=40))
    >>> rng = np.random.default_rng(1)
    >>> series = np.r_[rng.normal(0, 1, 60), rng.normal(10, 1, 30)]
    >>> hits = [t for t, v in enumerate(series)
    ...         if det.update(np.array([0]), np.array([[v]]))[0]]
    >>> hits
    [61]
    """

    def __init__(self, n_machines: int, n_sensors: int, params: MeanShiftParams):
        self.params = params
        w2 = 2 * params.window
        self.ring_ = np.zeros((n_machines, w2, n_sensors))
        self.count_ = np.zeros(n_machines, dtype=np.intp)
        self.last_ = np.zeros((n_machines, n_sensors))
        self.sq_diff_ = np.zeros((n_machines, n_sensors))
        self.noise_ = np.full((n_machines, n_sensors), np.nan)
        self.since_ = np.full(n_machines, params.refractory, dtype=np.intp)

    def update(self, machines: Int, x: Float) -> Bool:
        """Add one vector per machine; return which machines changed here."""
        p = self.params
        count = self.count_[machines]
        w2 = 2 * p.window
        self.ring_[machines, count % w2] = x
        fitting = (count > 0) & (count <= p.n_fit)
        if fitting.any():
            fm = machines[fitting]
            self.sq_diff_[fm] += (x[fitting] - self.last_[fm]) ** 2
            done = count[fitting] == p.n_fit
            if done.any():
                dm = fm[done]
                # var(x_t - x_{t-1}) = 2 σ² for white noise around a mean
                self.noise_[dm] = np.sqrt(self.sq_diff_[dm] / (2 * (p.n_fit))) + 1e-12
        self.last_[machines] = x
        self.count_[machines] = count + 1
        self.since_[machines] += 1
        ready = (count >= p.n_fit) & (count + 1 >= w2)
        change = np.zeros(len(machines), dtype=np.bool_)
        if not ready.any():
            return change
        rm = machines[ready]
        pos = (count[ready] + 1)[:, None] - np.arange(1, w2 + 1)[None, :]
        ring = self.ring_[rm[:, None], pos % w2]  # newest first
        recent = ring[:, : p.window].mean(axis=1)
        before = ring[:, p.window :].mean(axis=1)
        shift = np.abs(recent - before) / (self.noise_[rm] * np.sqrt(2 / p.window))
        hit = (shift.max(axis=1) > p.threshold) & (self.since_[rm] > p.refractory)
        self.since_[rm[hit]] = 0
        change[ready] = hit
        return change


__all__ = ["MeanShiftDetector", "MeanShiftParams"]
