"""Forecast against what happened, per sensor: the forecasting pilot's test view.

The registered model forecasts, from every row of the chronological test
part (the T-GCN protocol's last 20 %), the next 12 five-minute steps of every
sensor. For a sensor and a horizon the view lines each forecast up with the
time it is for and the speed measured then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kiwerk.domains.mobility._forecast_pilot import (
    HORIZON,
    INPUT_STEPS,
    TIME,
    ForecastModel,
    features,
    split_los_loop,
)
from kiwerk.errors import NotFound

Array = NDArray[np.float64]


@dataclass(frozen=True)
class ForecastView:
    """The test part's forecasts and measurements.

    Attributes
    ----------
    times
        Epoch seconds of each test row.
    sensors
        Sensor ids, in column order.
    speed
        ``(rows, sensors)`` measured speeds.
    forecast
        ``(rows, sensors, 12)``: the forecast made at each row for the next
        12 steps (NaN without 11 rows of history before it).
    """

    times: Array
    sensors: tuple[str, ...]
    speed: Array
    forecast: Array

    def series(self, sensor: str, minutes: int) -> tuple[Array, Array, Array]:
        """``(times, actual, forecast)`` of ``sensor`` ``minutes`` ahead.

        Raises
        ------
        NotFound
            When the sensor is unknown.
        ValueError
            When ``minutes`` is not a multiple of 5 in 5..60.
        """
        steps, rest = divmod(minutes, 5)
        if rest or not 1 <= steps <= HORIZON:
            raise ValueError(f"Expected minutes in 5, 10, ..., 60; got {minutes}.")
        if sensor not in self.sensors:
            raise NotFound(f"sensor {sensor!r} is not in the forecast")
        j = self.sensors.index(sensor)
        made = np.arange(INPUT_STEPS - 1, len(self.times) - steps)
        return (
            self.times[made + steps],
            self.speed[made + steps, j],
            self.forecast[made, j, steps - 1],
        )


def forecast_view(
    model: ForecastModel, frames: Mapping[str, pd.DataFrame]
) -> ForecastView:
    """Forecast every row of the test part of the pool tables ``frames``.

    ``frames`` holds the speed and adjacency tables under their pool names,
    as the pipeline reads them.
    """
    test = split_los_loop(frames, seed=0).test
    X = features(test)
    sensors = tuple(str(c) for c in X.columns if c != TIME)
    return ForecastView(
        times=X[TIME].to_numpy(np.float64),
        sensors=sensors,
        speed=X[list(sensors)].to_numpy(np.float64),
        forecast=model.predict(X),
    )


__all__ = ["ForecastView", "forecast_view"]
