"""Simulate maintenance policies on a fleet whose true failure cycles are known.

Each engine lives one life and fails at its true failure cycle ``F`` (for the
C-MAPSS test fleet: last observed cycle + true RUL). A policy picks a
maintenance cycle ``m`` per engine (or none):

- ``m < F``: planned maintenance at ``m``; the ``F - m`` cycles of life left are
  lost; cost ``planned_cost + lost_life_cost · (F - m)``, ``planned_downtime_h``.
- no ``m``, or ``m >= F``: unplanned failure; ``failure_cost``,
  ``failure_downtime_h``.

Policies:

- *run-to-failure*: never maintain.
- *fixed interval*: maintain every engine at age ``I`` cycles; all ``I`` in the
  sweep are simulated and the cheapest is reported (chosen on the fleet
  itself, which favours this baseline).
- *predictive*: after every observed cycle ``t`` the estimator's lower bound
  ``L_t`` of the RUL is known (prediction on the prefix up to ``t``). Maintain
  at the first ``t`` with ``L_t <= threshold``. The test records stop at the
  last observed cycle ``T``; if the bound has not crossed by then, maintenance
  is scheduled at ``T + floor(L_T - threshold)``, the cycle at which the last
  bound, counting down one per cycle, reaches the threshold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kiwerk.domains.industry.maintenance._params import MaintenanceParams

Array = NDArray[np.float64]


@dataclass(frozen=True)
class PolicyOutcome:
    """Totals of one policy over the fleet.

    Attributes
    ----------
    policy
        ``"run-to-failure"``, ``"fixed-interval"`` or ``"predictive"``.
    cost, downtime_h
        Total cost and hours out of service.
    failures, planned
        Unplanned failures and planned maintenances.
    lost_life
        Cycles of useful life discarded by maintaining early.
    failures_avoided
        Failures under run-to-failure minus failures under this policy.
    """

    policy: str
    cost: float
    downtime_h: float
    failures: int
    planned: int
    lost_life: float
    failures_avoided: int


@dataclass(frozen=True)
class MaintenanceReport:
    """The three policies side by side.

    Attributes
    ----------
    outcomes
        Run-to-failure, best fixed interval, predictive.
    best_interval
        The age (cycles) of the cheapest fixed interval.
    saving
        Best fixed-interval cost minus predictive cost (positive: predictive wins).
    saving_share
        ``saving`` as a share of the best fixed-interval cost.
    """

    outcomes: tuple[PolicyOutcome, ...]
    best_interval: int
    saving: float
    saving_share: float

    def outcome(self, policy: str) -> PolicyOutcome:
        """The outcome of one policy by name."""
        for o in self.outcomes:
            if o.policy == policy:
                return o
        raise KeyError(policy)

    def to_frame(self) -> pd.DataFrame:
        """One row per policy."""
        return pd.DataFrame([asdict(o) for o in self.outcomes]).set_index("policy")


def outcome(
    policy: str,
    maintain_at: Array,
    failure: Array,
    params: MaintenanceParams,
    baseline: int,
) -> PolicyOutcome:
    """Totals for maintenance cycles ``maintain_at`` (``nan`` = never).

    Examples
    --------
    >>> o = outcome("x", np.array([5.0, np.nan]), np.array([10.0, 10.0]),
    ...             MaintenanceParams(), baseline=2)
    >>> o.failures, o.planned, o.lost_life, o.failures_avoided
    (1, 1, 5.0, 1)
    """
    planned = ~np.isnan(maintain_at) & (
        np.nan_to_num(maintain_at, nan=np.inf) < failure
    )
    lost = float((failure - maintain_at)[planned].sum())
    failures = int((~planned).sum())
    n_planned = int(planned.sum())
    cost = (
        failures * params.failure_cost
        + n_planned * params.planned_cost
        + lost * params.lost_life_cost
    )
    downtime = (
        failures * params.failure_downtime_h + n_planned * params.planned_downtime_h
    )
    return PolicyOutcome(
        policy=policy,
        cost=float(cost),
        downtime_h=float(downtime),
        failures=failures,
        planned=n_planned,
        lost_life=lost,
        failures_avoided=baseline - failures,
    )


def predictive_schedule(trajectory: pd.DataFrame, threshold: float) -> pd.Series:
    """Maintenance cycle per unit from ``unit, cycle, lower`` rows (see module)."""
    missing = {"unit", "cycle", "lower"} - set(trajectory.columns)
    if missing:
        raise ValueError(
            f"Expected trajectory columns unit, cycle, lower; missing {sorted(missing)}"
        )
    ordered = trajectory.sort_values(["unit", "cycle"])
    schedule = {}
    for unit, rows in ordered.groupby("unit", sort=True):
        crossed = rows["lower"].to_numpy() <= threshold
        if crossed.any():
            schedule[unit] = float(rows["cycle"].to_numpy()[np.argmax(crossed)])
        else:
            last = rows.iloc[-1]
            schedule[unit] = float(last["cycle"] + np.floor(last["lower"] - threshold))
    return pd.Series(schedule, name="maintain_at").rename_axis("unit")


def simulate_policies(
    trajectory: pd.DataFrame, failure: pd.Series, params: MaintenanceParams
) -> MaintenanceReport:
    """Run-to-failure, best fixed interval and predictive on one fleet.

    Parameters
    ----------
    trajectory
        ``unit``, ``cycle``, ``lower``: the lower RUL bound after each observed cycle.
    failure
        True failure cycle per unit (index: unit).
    params
        Costs, downtimes, threshold and the interval sweep.
    """
    units = failure.index.to_numpy()
    if set(trajectory["unit"].unique()) != set(units):
        raise ValueError(
            "Expected the trajectory and the failure cycles to cover the same units."
        )
    true = failure.to_numpy(dtype=np.float64)
    never = np.full(len(units), np.nan)
    rtf = outcome("run-to-failure", never, true, params, baseline=0)
    base = rtf.failures
    rtf = outcome("run-to-failure", never, true, params, baseline=base)
    sweep = [
        outcome("fixed-interval", np.full(len(units), float(i)), true, params, base)
        for i in params.intervals
    ]
    best = int(np.argmin([o.cost for o in sweep]))
    schedule = predictive_schedule(trajectory, params.threshold).loc[units].to_numpy()
    pred = outcome("predictive", schedule, true, params, base)
    saving = sweep[best].cost - pred.cost
    return MaintenanceReport(
        outcomes=(rtf, sweep[best], pred),
        best_interval=int(params.intervals[best]),
        saving=float(saving),
        saving_share=float(saving / sweep[best].cost) if sweep[best].cost else 0.0,
    )
