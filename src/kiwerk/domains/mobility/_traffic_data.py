"""Traffic speed series: the T-GCN windows, gap checks and DCRNN-style files.

A :class:`SpeedSeries` is a ``(T, N)`` speed matrix on a regular time grid with
its sensor graph. Forecast origins follow the T-GCN protocol (arXiv:1811.05320,
``input_data.preprocess_data``): the first ``train_rate`` of the rows train,
the rest test, and windows are cut inside each part separately, so no test
target is ever an input of a training window.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kiwerk.datasets import LosLoop, MetrLaGraph
from kiwerk.errors import ContractViolation, DataFormatError


@dataclass(frozen=True)
class SpeedSeries:
    """Speeds of ``N`` sensors on a regular time grid, with their graph.

    Attributes
    ----------
    speed
        ``(T, N)`` float64 speeds; ``NaN`` marks a missing reading.
    times
        The ``T`` timestamps, equally spaced.
    sensor_ids
        ``N`` sensor ids, the column order of ``speed``.
    adjacency
        ``(N, N)`` non-negative weights, diagonal 1.
    """

    speed: np.ndarray
    times: pd.DatetimeIndex
    sensor_ids: tuple[str, ...]
    adjacency: np.ndarray

    @property
    def n_sensors(self) -> int:
        """Number of sensors ``N``."""
        return int(self.speed.shape[1])

    @property
    def steps_per_day(self) -> int:
        """Time steps in one day (288 at 5 minutes)."""
        step = (self.times[1] - self.times[0]).total_seconds()
        return round(86400 / step)

    @property
    def step_minutes(self) -> float:
        """Minutes between two rows."""
        return float((self.times[1] - self.times[0]).total_seconds() / 60)

    def neighbour_weights(self) -> np.ndarray:
        """Row-normalised adjacency without self-loops (a sensor's neighbour mean)."""
        weights = np.asarray(self.adjacency, dtype=np.float64).copy()
        np.fill_diagonal(weights, 0.0)
        sums = weights.sum(axis=1, keepdims=True)
        out = np.divide(weights, sums, out=np.zeros_like(weights), where=sums > 0)
        return np.asarray(out)


def check_speed(
    speed: pd.DataFrame, *, source: str, missing_zero: bool = False
) -> None:
    """Refuse a speed table with gaps, naming the sensor and the row.

    Parameters
    ----------
    speed
        Rows are times (a ``DatetimeIndex``), columns sensor ids.
    source
        The file name used in error messages.
    missing_zero
        Treat ``0`` as a missing reading (raw METR-LA / PEMS-BAY convention).

    Raises
    ------
    ContractViolation
        The time grid has a hole or irregular step, or a reading is missing
        (``NaN``, or ``0`` with ``missing_zero``); the message names the first
        offending sensor and its 1-based data row.
    """
    times = pd.DatetimeIndex(speed.index)
    if len(times) < 3:
        raise ContractViolation("fewer than 3 time steps", source=source)
    steps = np.diff(times.asi8)
    if (steps <= 0).any() or (steps != steps[0]).any():
        row = int(np.flatnonzero((steps <= 0) | (steps != steps[0]))[0]) + 2
        raise ContractViolation(
            f"time grid is not regular: {times[row - 2]} → {times[row - 1]}",
            source=source,
            line=row,
            field="time",
        )
    values = speed.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if missing_zero:
        bad |= values == 0
    if bad.any():
        rows, cols = np.nonzero(bad)
        first = int(np.argmin(cols * len(values) + rows))
        sensor = str(speed.columns[cols[first]])
        count = int(bad[:, cols[first]].sum())
        raise ContractViolation(
            f"sensor {sensor} has {count} missing readings, first at "
            f"{times[rows[first]]}; fill or drop the sensor",
            source=source,
            line=int(rows[first]) + 1,
            field=sensor,
        )


def series_from_los_loop(data: LosLoop) -> SpeedSeries:
    """The Los-loop week as a :class:`SpeedSeries` (checked for gaps)."""
    check_speed(data.speed, source="los_speed.csv")
    return SpeedSeries(
        speed=data.speed.to_numpy(dtype=np.float64),
        times=pd.DatetimeIndex(data.speed.index),
        sensor_ids=data.sensor_ids,
        adjacency=np.asarray(data.adjacency, dtype=np.float64),
    )


def read_speed_h5(path: Path, graph: MetrLaGraph | None = None) -> pd.DataFrame:
    """Read a DCRNN speed file (``metr-la.h5``, ``pems-bay.h5``).

    These files are pandas ``HDFStore`` tables in "fixed" format under key
    ``df``: ``axis0`` sensor ids, ``axis1`` timestamps (ns), ``block0_values``
    the ``(T, N)`` speeds, with ``0`` where a reading is missing. They are read
    with h5py, so PyTables is not needed.

    Parameters
    ----------
    path
        The ``.h5`` file (a user's full download or a slice of it).
    graph
        When given, columns must equal its sensor order.

    Raises
    ------
    DataFormatError
        The file is not HDF5, lacks the ``df`` layout, or disagrees with the
        graph's sensor order.
    """
    import h5py  # type: ignore[import-untyped]  # the mobility extra

    try:
        with h5py.File(path, "r") as store:
            group = store["df"]
            columns = [_text(v) for v in group["axis0"][()]]
            index = pd.to_datetime(np.asarray(group["axis1"][()], dtype=np.int64))
            items = [_text(v) for v in group["block0_items"][()]]
            values = np.asarray(group["block0_values"][()], dtype=np.float64)
    except (OSError, KeyError) as exc:
        raise DataFormatError(
            f"not a DCRNN speed file (pandas HDF 'df'): {exc}", source=str(path)
        ) from exc
    if items != columns or values.shape != (len(index), len(columns)):
        raise DataFormatError(
            f"block shape {values.shape} does not match "
            f"{len(index)} times x {len(columns)} sensors",
            source=str(path),
        )
    frame = pd.DataFrame(values, index=index, columns=pd.Index(columns))
    frame.index.name = "time"
    if graph is not None and tuple(columns) != graph.sensor_ids:
        raise DataFormatError(
            "sensor columns differ from the graph's sensor order", source=str(path)
        )
    return frame


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def split_origins(
    n_rows: int, *, input_steps: int, horizon: int, train_rate: float = 0.8
) -> tuple[np.ndarray, np.ndarray, int]:
    """Forecast origins of the T-GCN protocol.

    An origin ``t`` means inputs ``t - input_steps … t - 1`` and targets
    ``t … t + horizon - 1``. Returns ``(train_origins, test_origins,
    train_end)``; each part holds ``len(part) - input_steps - horizon``
    windows, as in ``preprocess_data`` of the T-GCN code.

    Examples
    --------
    >>> train, test, end = split_origins(2016, input_steps=12, horizon=3)
    >>> end, len(train), len(test), int(test[0])
    (1612, 1597, 389, 1624)
    """
    if not 0 < train_rate < 1:
        raise ValueError("Expected train_rate in (0, 1).")
    train_end = int(n_rows * train_rate)
    train = np.arange(input_steps, train_end - horizon)
    test = np.arange(train_end + input_steps, n_rows - horizon)
    return train, test, train_end


def targets(speed: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """``(n, N, horizon)`` true values after each origin."""
    steps = origins[:, None] + np.arange(horizon)[None, :]
    return np.transpose(speed[steps], (0, 2, 1))


def lags(speed: np.ndarray, origins: np.ndarray, input_steps: int) -> np.ndarray:
    """``(n, N, input_steps)`` inputs before each origin, oldest first."""
    steps = origins[:, None] + np.arange(-input_steps, 0)[None, :]
    return np.transpose(speed[steps], (0, 2, 1))
