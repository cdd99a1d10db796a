"""Bad sensor frames are refused with the unit, cycle and column named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kiwerk.domains.industry.rul import RulEstimator, RulParams, validate_frame
from kiwerk.errors import ContractViolation


def test_clean_frame_is_sorted_by_unit_keeping_cycle_order(fleet: pd.DataFrame) -> None:
    """A shuffled-by-unit frame comes back grouped by unit, cycles in order."""
    mixed = pd.concat([fleet[fleet.unit == 2], fleet[fleet.unit == 1]])
    clean = validate_frame(mixed)
    assert clean["unit"].is_monotonic_increasing
    assert (clean.groupby("unit")["cycle"].diff().dropna() > 0).all()


def test_missing_column_is_named(fleet: pd.DataFrame) -> None:
    """A frame without s_7 raises naming s_7."""
    with pytest.raises(ContractViolation, match="s_7") as info:
        validate_frame(fleet.drop(columns=["s_7"]))
    assert info.value.field == "s_7"


def test_extra_column_is_named(fleet: pd.DataFrame) -> None:
    """A frame with an unknown column raises naming it."""
    with pytest.raises(ContractViolation, match="s_22"):
        validate_frame(fleet.assign(s_22=0.0))


def test_non_numeric_value_names_unit_cycle_and_column(fleet: pd.DataFrame) -> None:
    """A text value in s_4 raises naming its row, unit, cycle and column."""
    bad = fleet.astype({"s_4": object})
    bad.loc[5, "s_4"] = "n/a"
    with pytest.raises(ContractViolation, match=r"unit 1, cycle 6") as info:
        validate_frame(bad)
    assert (info.value.field, info.value.line) == ("s_4", 6)


def test_missing_value_is_refused(fleet: pd.DataFrame) -> None:
    """A NaN sensor value raises instead of propagating into the estimate."""
    bad = fleet.copy()
    bad.loc[3, "s_2"] = np.nan
    with pytest.raises(ContractViolation, match="s_2"):
        validate_frame(bad)


def test_backwards_cycle_names_unit_and_cycle(fleet: pd.DataFrame) -> None:
    """A unit whose cycle goes 5 → 3 raises naming the unit and both cycles."""
    bad = fleet.copy()
    bad.loc[5, "cycle"] = 3  # unit 1: ..., 4, 5, 3, 7, ...
    with pytest.raises(
        ContractViolation, match=r"unit 1: cycle 3 does not follow cycle 5"
    ):
        validate_frame(bad)


def test_repeated_cycle_is_refused(fleet: pd.DataFrame) -> None:
    """A cycle listed twice for one unit raises."""
    bad = pd.concat([fleet.iloc[:3], fleet.iloc[2:3], fleet.iloc[3:]])
    with pytest.raises(ContractViolation, match="does not follow"):
        validate_frame(bad)


def test_fractional_unit_is_refused(fleet: pd.DataFrame) -> None:
    """A unit id of 1.5 raises naming the unit column."""
    bad = fleet.astype({"unit": np.float64})
    bad.loc[0, "unit"] = 1.5
    with pytest.raises(ContractViolation, match="whole number") as info:
        validate_frame(bad)
    assert info.value.field == "unit"


def test_short_engine_raises_under_error_padding(fleet: pd.DataFrame) -> None:
    """With padding='error' an engine shorter than the window raises naming it."""
    est = RulEstimator(RulParams(model="gbm", window=10, padding="error", gbm_trees=5))
    short = fleet[(fleet.unit != 3) | (fleet.cycle <= 4)]
    with pytest.raises(ContractViolation, match="unit 3 has 4 cycles"):
        est.fit(short)


def test_short_engine_is_edge_padded_by_default(fleet: pd.DataFrame) -> None:
    """Under padding='edge' a 4-cycle engine gets an estimate within [0, cap]."""
    params = RulParams(model="gbm", window=10, gbm_trees=5, folds=4, eval_min_cycle=10)
    est = RulEstimator(params).fit(fleet)
    short = fleet[(fleet.unit == 3) & (fleet.cycle <= 4)]
    estimate = est.predict(short)
    assert list(estimate.index) == [3]
    assert 0.0 <= float(estimate.iloc[0]) <= params.cap
