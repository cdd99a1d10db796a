"""Fixtures for the mobility tests.

- ``wave_series``: two days of 5-minute speeds on a 6-sensor chain where each
  sensor repeats its upstream neighbour's dip two steps later.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kiwerk.domains.mobility import SpeedSeries


@pytest.fixture(scope="session")
def wave_series() -> SpeedSeries:
    """A chain of 6 sensors; dips travel downstream with a 2-step lag."""
    rng = np.random.default_rng(0)
    steps, n = 576, 6
    source = 60 - 25 * (rng.random(steps) < 0.03).astype(float)
    source = np.convolve(source, np.ones(6) / 6, mode="same")
    speed = np.empty((steps, n))
    for j in range(n):
        speed[:, j] = np.roll(source, 2 * j) + rng.normal(0, 0.5, steps)
    adjacency = np.eye(n)
    for j in range(n - 1):
        adjacency[j, j + 1] = adjacency[j + 1, j] = 0.8
    times = pd.date_range("2012-03-01", periods=steps, freq="5min")
    return SpeedSeries(
        speed=speed,
        times=times,
        sensor_ids=tuple(f"s{j}" for j in range(n)),
        adjacency=adjacency,
    )
