"""Condition normalisation, causal smoothing and windows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kiwerk.domains.industry.rul import ConditionNormalizer
from kiwerk.domains.industry.rul._features import (
    smooth,
    summarise,
    summary_names,
    windows,
)


def test_single_condition_is_detected_and_constant_sensors_dropped(
    fleet: pd.DataFrame,
) -> None:
    """One operating condition; only the two varying sensors are kept."""
    norm = ConditionNormalizer.fit(fleet, n_conditions=0, seed=0)
    assert norm.n_conditions == 1
    assert norm.sensors == ("s_2", "s_3")


def test_sensors_are_standardised_within_each_condition(
    fleet_three_conditions: pd.DataFrame,
) -> None:
    """Three conditions are found; each condition's sensors get mean 0 and sd 1."""
    frame = fleet_three_conditions
    norm = ConditionNormalizer.fit(frame, n_conditions=3, seed=0)
    labels = norm.conditions(frame)
    values = norm.transform(frame)
    assert len(np.unique(labels)) == 3
    for k in range(3):
        np.testing.assert_allclose(values[labels == k].mean(axis=0), 0.0, atol=1e-9)
        np.testing.assert_allclose(values[labels == k].std(axis=0), 1.0, atol=1e-9)


def test_condition_shift_is_removed(fleet_three_conditions: pd.DataFrame) -> None:
    """The settings-driven level of s_2 (10 × setting_1) is removed by normalising."""
    frame = fleet_three_conditions
    norm = ConditionNormalizer.fit(frame, n_conditions=3, seed=0)
    s2 = norm.transform(frame)[:, norm.sensors.index("s_2")]
    assert abs(np.corrcoef(s2, frame["setting_1"])[0, 1]) < 0.2
    assert abs(np.corrcoef(frame["s_2"], frame["setting_1"])[0, 1]) > 0.9


def test_smoothing_is_causal_and_per_unit() -> None:
    """Smoothing a prefix gives the prefix of the smoothed series; units do not mix."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=(12, 2))
    units = np.repeat([1, 2], 6)
    full = smooth(values, units, 0.3)
    np.testing.assert_allclose(smooth(values[:4], units[:4], 0.3), full[:4])
    np.testing.assert_allclose(full[6], values[6])  # unit 2 starts afresh
    np.testing.assert_allclose(smooth(values, units, 1.0), values)


def test_windows_are_edge_padded_and_carry_the_cycle() -> None:
    """A 3-cycle unit's window of 5 repeats its first cycle twice in front."""
    values = np.arange(3, dtype=np.float64)[:, None]
    x = windows(values, np.array([7, 7, 7]), np.array([1, 2, 3]), 5)
    assert x.shape == (3, 5, 2)
    np.testing.assert_allclose(x[2, :, 0], [0, 0, 0, 1, 2])
    np.testing.assert_allclose(x[2, :, 1] * 100, [1, 1, 1, 2, 3])


def test_summaries_match_their_names() -> None:
    """Summary columns: last, mean, ... per sensor, then the cycle number."""
    x = windows(np.array([[1.0], [3.0]]), np.array([1, 1]), np.array([5, 6]), 2)
    out = summarise(x, 1)
    names = summary_names(("s_9",), [])
    assert out.shape == (2, len(names))
    row = dict(zip(names, out[1], strict=True))
    assert (row["s_9:last"], row["s_9:mean"], row["s_9:slope"], row["cycle"]) == (
        3,
        2,
        2,
        6,
    )
