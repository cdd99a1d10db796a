"""The fleet view of the RUL pilot: each engine's interval and the policies' costs.

One pass of the estimator over every observed cycle of every engine gives
both parts: each engine's last estimate with its conformal interval (what a
maintenance planner looks at today) and, from the lower bounds along the
way, the maintenance-policy simulation on the fleet (see
:mod:`kiwerk.domains.industry.maintenance`), when the engines' true
remaining life is known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kiwerk.domains.industry.maintenance import (
    MaintenanceParams,
    MaintenanceReport,
    simulate_policies,
)
from kiwerk.domains.industry.rul._conformal import coverage
from kiwerk.domains.industry.rul._estimator import RulEstimator


@dataclass(frozen=True)
class FleetView:
    """Every engine's RUL interval and the maintenance policies on the fleet.

    Attributes
    ----------
    engines
        One row per unit: ``unit``, ``cycle`` (last observed), ``estimate``,
        ``lower``, ``upper`` and ``truth`` (true RUL, NaN when unknown).
    coverage
        Share of known truths inside their interval (NaN when none is known).
    report
        The policy comparison, or ``None`` without the true RULs.
    """

    engines: pd.DataFrame
    coverage: float
    report: MaintenanceReport | None


def fleet_view(
    estimator: RulEstimator,
    records: pd.DataFrame,
    truth: pd.Series | None = None,
    params: MaintenanceParams | None = None,
) -> FleetView:
    """RUL intervals of the fleet in ``records`` and, with ``truth``, the policies.

    Parameters
    ----------
    estimator
        A fitted RUL estimator.
    records
        The engines' sensor records (C-MAPSS columns), each up to its last
        observed cycle.
    truth
        True RUL after each unit's last cycle (index: unit), e.g. the C-MAPSS
        ``RUL`` file.
    params
        Costs and the interval level (``params.alpha``).

    Raises
    ------
    ContractViolation
        When ``records`` lack columns or hold bad values (from the estimator).
    """
    params = params or MaintenanceParams()
    trajectory = estimator.predict_trajectory(records, alpha=params.alpha)
    last = ~trajectory["unit"].duplicated(keep="last").to_numpy()
    engines = trajectory[last].reset_index(drop=True)
    engines["truth"] = np.nan
    if truth is None:
        return FleetView(engines, float("nan"), None)
    engines["truth"] = engines["unit"].map(truth).astype(np.float64)
    known = engines["truth"].notna().to_numpy()
    cover = coverage(
        engines["lower"].to_numpy()[known],
        engines["upper"].to_numpy()[known],
        engines["truth"].to_numpy()[known],
    )
    if not known.all():
        return FleetView(engines, cover, None)
    failure = pd.Series(
        (engines["cycle"] + engines["truth"]).to_numpy(), index=engines["unit"]
    )
    report = simulate_policies(trajectory[["unit", "cycle", "lower"]], failure, params)
    return FleetView(engines, cover, report)


__all__ = ["FleetView", "fleet_view"]
