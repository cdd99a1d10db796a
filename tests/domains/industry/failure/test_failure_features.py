"""AI4I physics features: values, and labels or identifiers never leak in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kiwerk.domains.industry.failure import physics_features

LABELS = ["Machine failure", "TWF", "HDF", "PWF", "OSF", "RNF"]


def test_physics_values_follow_the_mechanisms(ai4i: pd.DataFrame) -> None:
    """Power is torque × ω, ΔT is process − air, strain ratio uses the Type limit."""
    row = ai4i.iloc[[0]]
    f = physics_features(row).iloc[0]
    torque, rpm = row["Torque [Nm]"].iloc[0], row["Rotational speed [rpm]"].iloc[0]
    assert f["power_W"] == pytest.approx(torque * rpm * 2 * np.pi / 60)
    assert f["temp_diff_K"] == pytest.approx(
        row["Process temperature [K]"].iloc[0] - row["Air temperature [K]"].iloc[0]
    )
    limit = {"L": 11_000, "M": 12_000, "H": 13_000}[row["Type"].iloc[0]]
    assert f["overstrain_ratio"] == pytest.approx(f["strain_minNm"] / limit)


def test_labels_and_identifiers_never_reach_the_features(ai4i: pd.DataFrame) -> None:
    """Shuffling labels and ids leaves the features unchanged; none is a column."""
    rows = ai4i.head(500)
    rng = np.random.default_rng(0)
    scrambled = rows.copy()
    for column in [*LABELS, "UDI", "Product ID"]:
        scrambled[column] = rng.permutation(scrambled[column].to_numpy())
    pd.testing.assert_frame_equal(physics_features(rows), physics_features(scrambled))
    names = " ".join(physics_features(rows).columns).lower()
    for label in [*LABELS, "udi", "product"]:
        assert label.lower() not in names


def test_unknown_quality_type_is_refused(ai4i: pd.DataFrame) -> None:
    """A Type other than L/M/H is an error, not a silent NaN."""
    bad = ai4i.head(2).assign(Type=["L", "X"])
    with pytest.raises(ValueError, match="Type"):
        physics_features(bad)
