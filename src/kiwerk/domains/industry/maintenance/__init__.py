"""Maintenance-policy simulation: the business KPI of the RUL pilot.

Run-to-failure, the best fixed interval and a predictive policy (maintain when
the lower conformal bound of the RUL crosses a threshold) on a fleet with known
failure cycles; costs, downtime hours and failures avoided per policy.
"""

from kiwerk.domains.industry.maintenance._params import MaintenanceParams
from kiwerk.domains.industry.maintenance._simulate import (
    MaintenanceReport,
    PolicyOutcome,
    outcome,
    predictive_schedule,
    simulate_policies,
)

__all__ = [
    "MaintenanceParams",
    "MaintenanceReport",
    "PolicyOutcome",
    "outcome",
    "predictive_schedule",
    "simulate_policies",
]
