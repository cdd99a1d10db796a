"""Maintenance-policy simulation on hand-made fleets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kiwerk.domains.industry.maintenance import (
    MaintenanceParams,
    predictive_schedule,
    simulate_policies,
)


def _trajectory(lowers: dict[int, list[float]]) -> pd.DataFrame:
    """``unit, cycle, lower`` rows, cycles 1..n per unit."""
    rows = [
        (unit, cycle, low)
        for unit, values in lowers.items()
        for cycle, low in enumerate(values, start=1)
    ]
    return pd.DataFrame(rows, columns=["unit", "cycle", "lower"])


def test_schedule_uses_first_crossing_else_extrapolates() -> None:
    """Unit 1 crosses at cycle 3; unit 2 never does, so 3 + floor(25.5 − 10) = 18."""
    traj = _trajectory({1: [30, 20, 9, 40], 2: [40, 30, 25.5]})
    schedule = predictive_schedule(traj, threshold=10)
    assert schedule.to_dict() == {1: 3.0, 2: 18.0}


def test_schedule_requires_the_lower_bound() -> None:
    """A trajectory without a lower column is refused, naming it."""
    with pytest.raises(ValueError, match="lower"):
        predictive_schedule(pd.DataFrame({"unit": [1], "cycle": [1]}), threshold=1)


def test_policies_are_costed_by_the_documented_rule() -> None:
    """Engines failing at 100 and 200: counts, lost life and saving follow the rule."""
    params = MaintenanceParams(
        failure_cost=1000, planned_cost=100, lost_life_cost=1, intervals=(50, 150, 250)
    )
    # Perfect bound: lower = failure − cycle, observed up to cycles 60 and 150.
    traj = pd.concat(
        [
            _trajectory({1: list(100.0 - np.arange(1, 61))}),
            _trajectory({2: list(200.0 - np.arange(1, 151))}),
        ]
    )
    report = simulate_policies(traj, pd.Series({1: 100, 2: 200}), params)
    rtf = report.outcome("run-to-failure")
    assert (rtf.failures, rtf.cost, rtf.downtime_h) == (2, 2000.0, 144.0)
    fixed = report.outcome("fixed-interval")
    # interval 50: 2 planned, lost 50 + 150 → 400
    # interval 150: 1 failure + 1 planned, lost 50 → 1150
    assert (report.best_interval, fixed.cost, fixed.lost_life) == (50, 400.0, 200.0)
    pred = report.outcome("predictive")
    # maintained at 90 and 190 (10 cycles before failure): 2·100 + 20
    assert (pred.planned, pred.failures, pred.cost) == (2, 0, 220.0)
    assert pred.failures_avoided == 2
    assert report.saving == pytest.approx(180.0)
    assert report.saving_share == pytest.approx(0.45)
    assert list(report.to_frame().index) == [
        "run-to-failure",
        "fixed-interval",
        "predictive",
    ]


def test_maintenance_at_the_failure_cycle_is_too_late() -> None:
    """Scheduling maintenance at the failure cycle itself counts as a failure."""
    traj = _trajectory({1: [15.0]})
    params = MaintenanceParams(threshold=5.0, intervals=(1,))
    report = simulate_policies(traj, pd.Series({1: 11}), params)
    assert report.outcome("predictive").failures == 1


def test_units_must_match() -> None:
    """Failure cycles for units missing from the trajectory are refused."""
    with pytest.raises(ValueError, match="same units"):
        simulate_policies(
            _trajectory({1: [5.0]}), pd.Series({2: 9}), MaintenanceParams()
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [("failure_cost", -1.0), ("alpha", 1.0), ("intervals", ())],
    ids=["negative cost", "alpha 1", "empty sweep"],
)
def test_params_refuse_bad_values(field: str, value: object) -> None:
    """Impossible parameters raise ValueError naming the field."""
    with pytest.raises(ValueError, match=field if field != "intervals" else "sweep"):
        MaintenanceParams(**{field: value})  # type: ignore[arg-type]
