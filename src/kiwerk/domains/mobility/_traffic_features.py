"""Features for traffic forecasters: lags, graph-neighbour lags, daily profile.

Everything is relative to a sensor's last reading, so one model fits sensors
with very different free-flow speeds. The daily profile (historical average
by weekday/weekend and time of day) comes from training rows only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiwerk.domains.mobility._traffic_data import SpeedSeries, lags

_SCALE = 10.0  # mph; keeps inputs of the neural model near unit scale


def _weekend(series: SpeedSeries, rows: np.ndarray) -> np.ndarray:
    start = int(series.times[0].value)
    step = int((series.times[1] - series.times[0]).value)
    stamp = start + step * np.asarray(rows, dtype=np.int64)
    weekday = (stamp // 86_400_000_000_000 + 3) % 7  # 1970-01-01 was a Thursday
    return (weekday >= 5).astype(np.int64)


@dataclass(frozen=True)
class DailyProfile:
    """Mean speed per sensor by (weekday/weekend, step of day), from train rows.

    Attributes
    ----------
    table
        ``(2, steps_per_day, N)``; index 0 weekdays, 1 weekends.
    """

    table: np.ndarray

    @classmethod
    def fit(cls, series: SpeedSeries, end: int) -> DailyProfile:
        """Average rows ``0 … end - 1``; empty slots borrow the other day type."""
        per_day = series.steps_per_day
        rows = np.arange(end)
        slot = rows % per_day
        kind = _weekend(series, rows)
        sums = np.zeros((2, per_day, series.n_sensors))
        counts = np.zeros((2, per_day, 1))
        values = series.speed[:end]
        finite = np.isfinite(values)
        np.add.at(sums, (kind, slot), np.where(finite, values, 0.0))
        np.add.at(counts, (kind, slot), 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            table = sums / counts
        overall = np.nanmean(values, axis=0)
        for k in (0, 1):
            empty = counts[k, :, 0] == 0
            other = table[1 - k] if counts[1 - k].all() else overall[None, :]
            table[k, empty] = np.broadcast_to(other, table[k].shape)[empty]
        kernel = np.array([1.0, 2.0, 3.0, 2.0, 1.0]) / 9.0
        smooth = sum(kernel[i] * np.roll(table, i - 2, axis=1) for i in range(5))
        return cls(table=np.asarray(smooth))

    def at(self, series: SpeedSeries, rows: np.ndarray) -> np.ndarray:
        """``(len(rows), N)`` profile values at the given row numbers."""
        slot = rows % self.table.shape[1]
        return np.asarray(self.table[_weekend(series, rows), slot])

    def ahead(
        self, series: SpeedSeries, origins: np.ndarray, horizon: int
    ) -> np.ndarray:
        """``(n, N, horizon)`` profile values at each origin's target times."""
        rows = origins[:, None] + np.arange(horizon)[None, :]
        flat = self.at(series, rows.ravel()).reshape(len(origins), horizon, -1)
        return np.transpose(flat, (0, 2, 1))


@dataclass(frozen=True)
class FeatureBlock:
    """Features of many (origin, sensor) pairs.

    Attributes
    ----------
    values
        ``(n, N, F)`` float32 features.
    last
        ``(n, N)`` last observed speed (the forecasts' reference level).
    names
        ``F`` feature names.
    """

    values: np.ndarray
    last: np.ndarray
    names: tuple[str, ...]


def build_features(
    series: SpeedSeries,
    origins: np.ndarray,
    profile: DailyProfile,
    *,
    input_steps: int,
    horizon: int,
    graph: bool = True,
    anomaly: bool = False,
) -> FeatureBlock:
    """Own lags, graph-neighbour lags (1- and 2-hop means) and the profile ahead.

    With ``graph=False`` the neighbour features are left out (the
    gradient-boosting baseline sees each sensor alone). With ``anomaly=True``
    each own lag minus the daily profile at that time is added (how far
    today's traffic runs from the usual one; the graph network uses it).
    """
    own = lags(series.speed, origins, input_steps)
    last = own[:, :, -1:]
    parts = [(own - last) / _SCALE]
    names = [f"own_lag{input_steps - k}" for k in range(input_steps)]
    if graph:
        one, two = _hop_weights(series)
        for label, weights in (("nb1", one), ("nb2", two)):
            mean = lags(series.speed @ weights.T, origins, input_steps)
            parts.append((mean - last) / _SCALE)
            names += [f"{label}_lag{input_steps - k}" for k in range(input_steps)]
    ahead = profile.ahead(series, origins, horizon)
    parts.append((ahead - last) / _SCALE)
    names += [f"profile_t+{h + 1}" for h in range(horizon)]
    parts.append((last - 60.0) / _SCALE)
    names.append("last_level")
    per_day = series.steps_per_day
    angle = 2 * np.pi * (origins % per_day) / per_day
    calendar = np.stack(
        [np.sin(angle), np.cos(angle), _weekend(series, origins).astype(np.float64)],
        axis=1,
    )
    parts.append(np.broadcast_to(calendar[:, None, :], (*own.shape[:2], 3)))
    names += ["day_sin", "day_cos", "weekend"]
    if anomaly:
        rows = origins[:, None] + np.arange(-input_steps, 0)[None, :]
        usual = profile.at(series, rows.ravel()).reshape(len(origins), input_steps, -1)
        parts.append((own - np.transpose(usual, (0, 2, 1))) / _SCALE)
        names += [f"anomaly_lag{input_steps - k}" for k in range(input_steps)]
    values = np.concatenate(parts, axis=2).astype(np.float32)
    return FeatureBlock(values=values, last=last[:, :, 0], names=tuple(names))


def _hop_weights(series: SpeedSeries) -> tuple[np.ndarray, np.ndarray]:
    """Row-normalised 1-hop and (strict) 2-hop neighbour weights."""
    one = series.neighbour_weights()
    linked = (series.adjacency > 0).astype(np.float64)
    reach = ((linked @ linked) > 0) & (linked == 0)
    np.fill_diagonal(reach, False)
    two = reach.astype(np.float64)
    sums = two.sum(axis=1, keepdims=True)
    two = np.divide(two, sums, out=np.zeros_like(two), where=sums > 0)
    return one, two


SCALE = _SCALE
