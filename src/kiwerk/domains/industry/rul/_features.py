"""Features: operating-condition normalisation, smoothing, windows, summaries."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.signal import lfilter
from sklearn.cluster import KMeans

from kiwerk.domains.industry.rul._validate import SENSORS, SETTINGS

Array = NDArray[np.float64]
CYCLE_SCALE = 100.0
SUMMARIES = ("last", "mean", "std", "slope", "min", "max", "last5")


@dataclass(frozen=True)
class ConditionNormalizer:
    """Sensor means and spreads per operating condition, fitted on training rows.

    Attributes
    ----------
    centers
        Cluster centres of the (scaled) settings, one row per condition.
    scale
        The settings' spread used to scale them before clustering.
    mean, std
        Per condition (rows) and kept sensor (columns).
    sensors
        The sensors that vary; constant ones are dropped.
    """

    centers: Array
    scale: Array
    mean: Array
    std: Array
    sensors: tuple[str, ...]

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, n_conditions: int, seed: int
    ) -> ConditionNormalizer:
        """Cluster the settings (0: detect 1 or 6) and fit per-condition scaling."""
        settings = frame[SETTINGS].to_numpy(dtype=np.float64)
        if n_conditions == 0:
            n_conditions = 6 if np.unique(np.round(settings[:, 0])).size > 1 else 1
        scale = settings.std(axis=0)
        scale[scale < 1e-12] = 1.0
        if n_conditions == 1:
            centers = (settings / scale).mean(axis=0, keepdims=True)
        else:
            km = KMeans(n_clusters=n_conditions, n_init=10, random_state=seed)
            centers = km.fit(settings / scale).cluster_centers_
        labels = _nearest(settings / scale, centers)
        raw = frame[SENSORS].to_numpy(dtype=np.float64)
        mean = np.stack([raw[labels == k].mean(axis=0) for k in range(n_conditions)])
        std = np.stack([raw[labels == k].std(axis=0) for k in range(n_conditions)])
        varies = (std / (np.abs(mean) + 1.0) > 1e-4).any(axis=0)
        std = np.where(std > 1e-12, std, 1.0)
        keep = np.flatnonzero(varies)
        return cls(
            centers=centers,
            scale=scale,
            mean=mean[:, keep],
            std=std[:, keep],
            sensors=tuple(SENSORS[i] for i in keep),
        )

    @property
    def n_conditions(self) -> int:
        """Number of operating conditions."""
        return int(self.centers.shape[0])

    def conditions(self, frame: pd.DataFrame) -> NDArray[np.int64]:
        """The operating condition of each row."""
        settings = frame[SETTINGS].to_numpy(dtype=np.float64) / self.scale
        return _nearest(settings, self.centers)

    def transform(self, frame: pd.DataFrame) -> Array:
        """Kept sensors, standardised within each row's operating condition."""
        labels = self.conditions(frame)
        raw = frame[list(self.sensors)].to_numpy(dtype=np.float64)
        return np.asarray(
            (raw - self.mean[labels]) / self.std[labels], dtype=np.float64
        )


def _nearest(points: Array, centers: Array) -> NDArray[np.int64]:
    distances = ((points[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return np.asarray(distances.argmin(axis=1), dtype=np.int64)


def smooth(values: Array, units: NDArray[np.int64], alpha: float) -> Array:
    """Causal exponential smoothing within each unit (rows sorted by unit, cycle).

    ``y[0] = x[0]``, ``y[t] = alpha * x[t] + (1 - alpha) * y[t-1]``; uses only
    past cycles, so a prediction on a prefix equals the one on the full record.

    Examples
    --------
    >>> smooth(np.array([[0.0], [1.0], [1.0]]), np.array([1, 1, 1]), 0.5).ravel()
    array([0.  , 0.5 , 0.75])
    """
    if alpha >= 1.0:
        return values.copy()
    out = np.empty_like(values)
    for start, stop in _unit_spans(units):
        block = values[start:stop]
        zi = (1.0 - alpha) * block[:1]
        out[start:stop], _ = lfilter([alpha], [1.0, alpha - 1.0], block, axis=0, zi=zi)
    return out


def _unit_spans(units: NDArray[np.int64]) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of equal unit ids."""
    cuts = np.flatnonzero(np.diff(units)) + 1
    bounds = np.concatenate([[0], cuts, [len(units)]])
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def windows(
    values: Array, units: NDArray[np.int64], cycles: NDArray[np.int64], length: int
) -> NDArray[np.float32]:
    """The window ending at every row: ``(rows, length, channels + 1)``.

    The last channel is the cycle number / 100. A row with fewer than
    ``length`` cycles before it is padded in front by repeating its unit's
    first cycle (sensors and cycle number alike).
    """
    channels = np.column_stack([values, cycles / CYCLE_SCALE]).astype(np.float32)
    parts = []
    for start, stop in _unit_spans(units):
        block = channels[start:stop]
        padded = np.concatenate([np.repeat(block[:1], length - 1, axis=0), block])
        view = np.lib.stride_tricks.sliding_window_view(padded, length, axis=0)
        parts.append(np.ascontiguousarray(view.transpose(0, 2, 1)))
    return np.concatenate(parts)


def summarise(batch: NDArray[np.float32], sensors_in: int) -> NDArray[np.float32]:
    """Window summaries for the tree model, in the order of :func:`summary_names`.

    The first ``sensors_in`` channels get every statistic; the further ones
    (slow-smoothed levels) only their last value; the cycle number comes last.
    """
    length = batch.shape[1]
    sensors = batch[:, :, :sensors_in]
    levels = batch[:, -1, sensors_in:-1]
    t = np.arange(length, dtype=np.float32) - (length - 1) / 2.0
    slope = (sensors * t[None, :, None]).sum(axis=1) / float((t**2).sum())
    stats = [
        sensors[:, -1],
        sensors.mean(axis=1),
        sensors.std(axis=1),
        slope,
        sensors.min(axis=1),
        sensors.max(axis=1),
        sensors[:, -min(5, length) :].mean(axis=1),
    ]
    cycle = batch[:, -1, -1:] * CYCLE_SCALE
    return np.concatenate([*stats, levels, cycle], axis=1).astype(np.float32)


def summary_names(sensors: tuple[str, ...], levels: list[str]) -> list[str]:
    """Names of the :func:`summarise` columns, ``"s_2:last"`` … ``"cycle"``."""
    return [f"{s}:{stat}" for stat in SUMMARIES for s in sensors] + [*levels, "cycle"]
