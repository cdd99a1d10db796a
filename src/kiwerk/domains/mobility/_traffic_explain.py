"""Why a forecast is what it is, and where: occlusion explanations and a map.

:func:`explain_forecast` works for any forecaster: it replaces one sensor's
readings in one block of lags by that sensor's normal speed (the daily
profile) and records how far the forecast moves. Big moves mark the sensors
and lags that drove the forecast. :func:`draw_sensor_map` draws forecast,
actual and error at every sensor location (WGS84 from the METR-LA graph).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from kiwerk.domains.mobility._traffic_data import SpeedSeries
from kiwerk.domains.mobility._traffic_features import DailyProfile
from kiwerk.domains.mobility._traffic_models import Forecaster

LAG_BLOCKS = ((1, 3), (4, 6), (7, 12))


@dataclass(frozen=True)
class ForecastExplanation:
    """One forecast and the inputs that moved it most.

    Attributes
    ----------
    sensor
        The forecast sensor's id.
    time
        The target time.
    forecast, actual
        Forecast and observed speed (``NaN`` when the future is unknown).
    drivers
        ``sensor_id``, ``relation`` (``self``/``neighbour``), ``lags``
        (e.g. ``"1-3"`` steps back) and ``contribution`` (mph the forecast
        moves because these readings differ from normal), largest first.
    """

    sensor: str
    time: pd.Timestamp
    forecast: float
    actual: float
    drivers: pd.DataFrame


def explain_forecast(
    model: Forecaster,
    series: SpeedSeries,
    *,
    origin: int,
    sensor: int,
    step: int,
    neighbours: int = 8,
) -> ForecastExplanation:
    """Occlusion explanation of the forecast for ``sensor`` ``step`` steps ahead.

    Raises
    ------
    ValueError
        ``origin`` leaves no full input window, or ``step`` is outside
        ``1 … horizon``, or ``sensor`` is not a column.
    """
    p = model.params
    if not p.input_steps <= origin <= len(series.speed):
        raise ValueError(f"Expected origin in [{p.input_steps}, {len(series.speed)}].")
    if not 1 <= step <= p.horizon:
        raise ValueError(f"Expected step in [1, {p.horizon}].")
    if not 0 <= sensor < series.n_sensors:
        raise ValueError(f"Expected sensor in [0, {series.n_sensors}).")
    at = np.array([origin])
    padded = _pad(series, p.horizon)
    base = float(model.predict(padded, at)[0, sensor, step - 1])
    profile = DailyProfile.fit(series, origin)
    weights = series.adjacency[sensor].astype(np.float64).copy()
    weights[sensor] = 0.0
    nearest = [int(j) for j in np.argsort(-weights)[:neighbours] if weights[j] > 0]
    rows = []
    for other in [sensor, *nearest]:
        for first, last in LAG_BLOCKS:
            if last > p.input_steps:
                continue
            span = np.arange(origin - last, origin - first + 1)
            speed = padded.speed.copy()
            speed[span, other] = profile.at(series, span)[:, other]
            moved = model.predict(replace(padded, speed=speed), at)[0, sensor, step - 1]
            rows.append(
                {
                    "sensor_id": series.sensor_ids[other],
                    "relation": "self" if other == sensor else "neighbour",
                    "lags": f"{first}-{last}",
                    "contribution": base - float(moved),
                }
            )
    drivers = pd.DataFrame(rows)
    drivers = drivers.reindex(
        drivers["contribution"].abs().sort_values(ascending=False).index
    ).reset_index(drop=True)
    target = origin + step - 1
    actual = (
        float(series.speed[target, sensor]) if target < len(series.speed) else np.nan
    )
    step_delta = series.times[1] - series.times[0]
    return ForecastExplanation(
        sensor=series.sensor_ids[sensor],
        time=pd.Timestamp(series.times[0] + step_delta * target),
        forecast=base,
        actual=actual,
        drivers=drivers,
    )


def _pad(series: SpeedSeries, horizon: int) -> SpeedSeries:
    """Append ``horizon`` unknown rows so a forecast can start at the last row."""
    extra = np.full((horizon, series.n_sensors), np.nan)
    step = series.times[1] - series.times[0]
    times = pd.date_range(
        series.times[0], periods=len(series.times) + horizon, freq=step
    )
    return replace(series, speed=np.vstack([series.speed, extra]), times=times)


def draw_sensor_map(
    path: Path,
    locations: pd.DataFrame,
    forecast: np.ndarray,
    actual: np.ndarray,
    *,
    adjacency: np.ndarray | None = None,
    title: str = "",
) -> Path:
    """PNG of forecast, actual and absolute error at each sensor location.

    ``locations`` has ``latitude`` and ``longitude`` in sensor order;
    ``forecast`` and ``actual`` are ``(N,)`` speeds. Road-graph links are drawn
    as thin lines when ``adjacency`` is given.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lon = locations["longitude"].to_numpy(dtype=np.float64)
    lat = locations["latitude"].to_numpy(dtype=np.float64)
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.2), sharey=True)
    panels = (
        ("forecast (mph)", forecast, "RdYlGn", (10.0, 70.0)),
        ("actual (mph)", actual, "RdYlGn", (10.0, 70.0)),
        ("|error| (mph)", np.abs(forecast - actual), "magma_r", (0.0, 20.0)),
    )
    for ax, (label, values, cmap, (low, high)) in zip(axes, panels, strict=True):
        if adjacency is not None:
            src, dst = np.nonzero(np.triu(adjacency, k=1) > 0)
            for a, b in zip(src, dst, strict=True):
                ax.plot(
                    [lon[a], lon[b]], [lat[a], lat[b]], color="0.85", lw=0.5, zorder=1
                )
        dots = ax.scatter(
            lon, lat, c=values, cmap=cmap, vmin=low, vmax=high, s=18, zorder=2
        )
        fig.colorbar(dots, ax=ax, shrink=0.8, label=label)
        ax.set_title(label)
        ax.set_xlabel("longitude")
        ax.set_aspect(1 / np.cos(np.deg2rad(float(np.mean(lat)))))
    axes[0].set_ylabel("latitude")
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
