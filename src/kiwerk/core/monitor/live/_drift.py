"""Live drift of a served model's inputs and predictions, in bounded memory.

The first ``reference_size`` rows fix the reference: quantile bin edges per
numeric column (categories per text column) and the reference histogram;
the raw rows are then dropped. Later rows only increment the counts of the
current window; each full window yields PSI, the Kolmogorov–Smirnov distance
and the Wasserstein-1 distance per column (computed from the binned CDFs, an
approximation whose error is bounded by the bin width; Wasserstein counts
only mass moved within the reference range) and is kept in a ring
of the last ``max_windows`` windows. Memory is O(columns × bins + windows).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

_EPS = 1e-4


@dataclass(frozen=True)
class LiveMonitorParams:
    """Window sizes and alert thresholds of a :class:`DriftMonitor`.

    Parameters
    ----------
    reference_size
        Rows that make up the reference distribution.
    window_size
        Rows per monitoring window.
    bins
        Quantile bins per numeric column.
    max_windows
        Windows kept (the oldest are dropped).
    psi_alert
        PSI at or above which a column raises an alert (0.2 is the usual
        "significant shift").
    ks_alert
        KS distance at or above which a column raises an alert.
    """

    reference_size: int = 1000
    window_size: int = 500
    bins: int = 10
    max_windows: int = 500
    psi_alert: float = 0.2
    ks_alert: float = 0.2

    def __post_init__(self) -> None:
        if min(self.reference_size, self.window_size, self.max_windows) < 1:
            raise ValueError("sizes must be at least 1")
        if self.bins < 2:
            raise ValueError("bins must be at least 2")


@dataclass
class _Column:
    """Binning and counts of one column."""

    edges: np.ndarray[Any, np.dtype[np.float64]] | None
    categories: list[str] | None
    reference: np.ndarray[Any, np.dtype[np.float64]]
    current: np.ndarray[Any, np.dtype[np.float64]]
    width: np.ndarray[Any, np.dtype[np.float64]] = field(
        default_factory=lambda: np.zeros(0)
    )

    def index(self, values: pd.Series) -> np.ndarray[Any, np.dtype[np.intp]]:
        if self.edges is not None:
            if pd.api.types.is_numeric_dtype(values):
                numbers = values.to_numpy(dtype=float)
            else:
                numbers = pd.to_numeric(values, errors="coerce").to_numpy(float)
            idx = np.searchsorted(self.edges, numbers, side="right")
            return np.where(np.isnan(numbers), len(self.current) - 1, idx)
        assert self.categories is not None
        lookup = {c: i for i, c in enumerate(self.categories)}
        other = len(self.categories)
        return np.fromiter(
            (lookup.get(str(v), other) for v in values.to_numpy(dtype=object)),
            np.intp,
            len(values),
        )


def _build(values: pd.Series, bins: int) -> _Column:
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().mean() > 0.95:
        finite = numbers.dropna().to_numpy(float)
        lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0, 1)
        inner = (
            np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])
            if len(finite)
            else []
        )
        edges = np.unique(np.concatenate([[lo], inner, [np.nextafter(hi, np.inf)]]))
        size = len(edges) + 2  # below, inside bins, above, missing
        width = np.zeros(size)
        width[: len(edges) - 1] = np.diff(edges)
        col = _Column(edges, None, np.zeros(size), np.zeros(size), width)
    else:
        cats = sorted({str(v) for v in values})[:64]
        col = _Column(None, cats, np.zeros(len(cats) + 1), np.zeros(len(cats) + 1))
    col.reference += np.bincount(col.index(values), minlength=len(col.reference))
    return col


def distances(
    reference: np.ndarray[Any, np.dtype[np.float64]],
    current: np.ndarray[Any, np.dtype[np.float64]],
    width: np.ndarray[Any, np.dtype[np.float64]] | None = None,
) -> dict[str, float]:
    """PSI, KS and (with bin widths) Wasserstein-1 between two histograms.

    Examples
    --------
    >>> same = distances(np.array([5.0, 5.0]), np.array([50.0, 50.0]))
    >>> round(same["psi"], 6), round(same["ks"], 6)
    (0.0, 0.0)
    """
    p = reference / max(reference.sum(), 1.0)
    q = current / max(current.sum(), 1.0)
    ps, qs = np.clip(p, _EPS, None), np.clip(q, _EPS, None)
    gap = np.abs(np.cumsum(p) - np.cumsum(q))
    out = {"psi": float(np.sum((qs - ps) * np.log(qs / ps))), "ks": float(gap.max())}
    if width is not None and len(width) == len(gap):
        out["wasserstein"] = float(np.sum(gap * width))
    return out


class DriftMonitor:
    """Sliding-window drift of one served model's input columns and outputs.

    Examples
    --------
    >>> mon = DriftMonitor(LiveMonitorParams(reference_size=4, window_size=4))
    >>> ref = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    >>> mon.update(ref, pd.DataFrame({"p": [0.1, 0.2, 0.3, 0.4]}))
    >>> mon.update(ref + 100, pd.DataFrame({"p": [0.9] * 4}))
    >>> window = mon.windows()[0]
    >>> window["rows"], window["columns"]["x"]["ks"] > 0.9, "x" in window["alerts"]
    (4, True, True)
    """

    def __init__(self, params: LiveMonitorParams | None = None) -> None:
        self.params = params or LiveMonitorParams()
        self._buffer: list[pd.DataFrame] = []
        self._buffered = 0
        self._columns: dict[str, _Column] | None = None
        self._count = 0
        self._started = time.time()
        self._windows: deque[dict[str, Any]] = deque(maxlen=self.params.max_windows)
        self._lock = threading.Lock()

    def update(self, inputs: pd.DataFrame, outputs: pd.DataFrame) -> None:
        """Add served rows (request columns and prediction columns)."""
        parts = {str(c): inputs[c] for c in inputs.columns}
        parts.update({f"prediction:{c}": outputs[c] for c in outputs.columns})
        with self._lock:
            if self._columns is None:
                self._reference(inputs, outputs)
                return
        # bin indices outside the lock: the expensive part, per column once
        bins = {n: c.index(parts[n]) for n, c in self._columns.items() if n in parts}
        with self._lock:
            self._add(bins, len(inputs))

    def _reference(self, inputs: pd.DataFrame, outputs: pd.DataFrame) -> None:
        frame = pd.concat(
            [
                inputs.reset_index(drop=True),
                outputs.add_prefix("prediction:").reset_index(drop=True),
            ],
            axis=1,
        )
        need = self.params.reference_size - self._buffered
        self._buffer.append(frame.iloc[:need])
        self._buffered += len(frame.iloc[:need])
        if self._buffered >= self.params.reference_size:
            ref = pd.concat(self._buffer, ignore_index=True)
            self._columns = {str(c): _build(ref[c], self.params.bins) for c in ref}
            self._buffer, self._started = [], time.time()
            if len(frame) > need:
                rest = frame.iloc[need:]
                bins = {n: c.index(rest[n]) for n, c in self._columns.items()}
                self._add(bins, len(rest))

    def _add(self, bins: dict[str, np.ndarray[Any, Any]], rows: int) -> None:
        assert self._columns is not None
        start = 0
        while start < rows:
            take = min(self.params.window_size - self._count, rows - start)
            for name, idx in bins.items():
                col = self._columns[name]
                col.current += np.bincount(
                    idx[start : start + take], minlength=len(col.current)
                )
            self._count += take
            start += take
            if self._count >= self.params.window_size:
                self._close_window()

    def _close_window(self) -> None:
        assert self._columns is not None
        stats, alerts = {}, []
        for name, col in self._columns.items():
            width = col.width if col.edges is not None else None
            stats[name] = distances(col.reference, col.current, width)
            if (
                stats[name]["psi"] >= self.params.psi_alert
                or stats[name]["ks"] >= self.params.ks_alert
            ):
                alerts.append(name)
            col.current[:] = 0.0
        now = time.time()
        self._windows.append(
            {
                "start": self._started,
                "end": now,
                "rows": self._count,
                "columns": stats,
                "alerts": alerts,
            }
        )
        self._count, self._started = 0, now

    def windows(self) -> list[dict[str, Any]]:
        """The closed windows, oldest first."""
        with self._lock:
            return list(self._windows)

    def state(self) -> dict[str, Any]:
        """Progress of the reference and of the open window."""
        with self._lock:
            return {
                "reference_rows": min(self._buffered, self.params.reference_size),
                "reference_ready": self._columns is not None,
                "open_window_rows": self._count,
            }


__all__ = ["DriftMonitor", "LiveMonitorParams", "distances"]
